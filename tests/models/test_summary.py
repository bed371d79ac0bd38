"""Golden parameter counts and MACs: the paper's WRN-28-10 form and the smoke sizes."""

from types import SimpleNamespace

import pytest

from nsa.models import ModelSpec, build_model
from nsa.models.summary import count_macs, count_parameters, describe, extra_parameters

PAPER = SimpleNamespace(width=10, nodes=8, arch_p=0.7, num_archs=5, dropout=0.2, aux_weight=0.1)
SMOKE = SimpleNamespace(width=1, nodes=3, arch_p=0.7, num_archs=3, dropout=0.2, aux_weight=0.1)


def paper_model(variant):
    spec = ModelSpec.for_variant(variant, PAPER, num_classes=10, in_channels=3, image_size=32)
    return build_model(spec)


def smoke_model(variant):
    spec = ModelSpec.for_variant(variant, SMOKE, num_classes=10, in_channels=1, image_size=28)
    return build_model(spec)


def conv(c_in, c_out, k):
    return c_in * c_out * k * k


def test_wrn_28_10_count_by_hand():
    c = (160, 320, 640)
    convs = conv(3, 160, 3) + sum(8 * conv(w, w, 3) for w in c) + conv(160, 320, 1)
    convs += conv(320, 640, 1)
    norms = 2 * (160 + 8 * sum(c) + 320 + 640)
    head = 640 * 10 + 10
    aux = conv(640, 128, 1) + 2 * 128 + conv(128, 768, 2) + 2 * 768 + 768 * 10 + 10
    aggregation = 3 * 9 * 9
    assert aggregation == 243
    assert convs + norms + head + aux + aggregation == 39_478_951


@pytest.mark.parametrize(
    ("variant", "params", "printed"),
    [
        ("wrn", 39_478_951, 39.5),
        ("wrn-mcdropout", 39_478_951, 39.5),
        ("individual-1", 39_478_951, 39.5),
        ("nsa", 39_478_708, 39.5),
        ("nsa-i", 39_478_708, 39.5),
        # Four more sets of BN scales and shifts (4 x 20,160) and of aggregation weights.
        ("nsa-id", 39_560_563, 39.6),
        ("nsa-id-aggr", 39_479_923, 39.5),
    ],
)
def test_paper_parameter_counts(variant, params, printed):
    model = paper_model(variant)
    assert count_parameters(model) == params
    assert round(params / 1e6, 1) == printed


@pytest.mark.parametrize(
    ("variant", "params"),
    [
        ("wrn", 265_428),
        ("wrn-mcdropout", 265_428),
        ("individual-2", 265_428),
        ("nsa", 265_380),
        ("nsa-i", 265_380),
        ("nsa-id", 267_316),
        ("nsa-id-aggr", 265_524),
    ],
)
def test_smoke_parameter_counts(variant, params):
    assert count_parameters(smoke_model(variant)) == params


def test_smoke_count_by_hand():
    c = (16, 32, 64)
    convs = conv(1, 16, 3) + sum(3 * conv(w, w, 3) for w in c) + conv(16, 32, 1) + conv(32, 64, 1)
    norms = 2 * (16 + 3 * sum(c) + 32 + 64)
    head = 64 * 10 + 10
    # 7x7 maps pool to 1x1, so the aux head's second conv shrinks to 1x1.
    aux = conv(64, 128, 1) + 2 * 128 + conv(128, 768, 1) + 2 * 768 + 768 * 10 + 10
    assert convs + norms + head + aux == 265_380
    assert extra_parameters(smoke_model("wrn")) == 3 * 4 * 4


def test_paper_macs_and_shapes():
    model = paper_model("wrn")
    stages = sum(8 * conv(w, w, 3) * s * s for w, s in [(160, 32), (320, 16), (640, 8)])
    others = conv(3, 160, 3) * 32 * 32 + conv(160, 320, 1) * 32 * 32 + conv(320, 640, 1) * 16 * 16
    assert count_macs(model) == stages + others + 640 * 10 == 5_771_598_080
    rows = {row.name: row for row in describe(model)}
    assert rows["stem"].shape == (160, 32, 32)
    assert rows["stage1.node7"].shape == (160, 32, 32)
    assert rows["transition1"].shape == (320, 16, 16)
    assert rows["transition2"].shape == (640, 8, 8)
    assert rows["stage3.node0"].params == conv(640, 640, 3) + 2 * 640
    assert rows["classifier"].shape == rows["aux_head"].shape == (10,)
    assert rows["aux_head"].params == 484_618
    total = sum(row.params for row in rows.values()) + extra_parameters(model)
    assert total == count_parameters(model)


def test_smoke_macs_and_shapes():
    model = smoke_model("nsa-id")
    assert count_macs(model) == 17_173_376
    assert count_macs(model, image_size=32) > 17_173_376
    shapes = [(row.name, row.shape) for row in describe(model)]
    assert shapes[0] == ("stem", (16, 28, 28))
    assert ("transition1", (32, 14, 14)) in shapes
    assert ("stage3.node2", (64, 7, 7)) in shapes
    assert model.training  # describing leaves the mode alone

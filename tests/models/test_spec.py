"""Variants and model specs: what each variant builds, and bad settings."""

import json

import pytest
from model_sizes import sizes

from nsa.arch import random_architecture, residual_architecture
from nsa.models import VARIANTS, ModelSpec, parse_variant


def spec_for(variant, cfg=None, **kwargs):
    kwargs = {"num_classes": 10, "in_channels": 1, "image_size": 28, **kwargs}
    return ModelSpec.for_variant(variant, cfg or sizes(), **kwargs)


def test_variant_table():
    assert list(VARIANTS) == [
        "wrn",
        "wrn-mcdropout",
        "individual",
        "nsa",
        "nsa-i",
        "nsa-id",
        "nsa-id-aggr",
    ]
    assert {name: v.sampling for name, v in VARIANTS.items()} == {
        "wrn": "fixed",
        "wrn-mcdropout": "fixed",
        "individual": "fixed",
        "nsa": "batch",
        "nsa-i": "instance",
        "nsa-id": "instance",
        "nsa-id-aggr": "instance",
    }
    assert [n for n, v in VARIANTS.items() if v.arch_norm] == ["nsa-id"]
    assert [n for n, v in VARIANTS.items() if not v.arch_specific] == ["nsa", "nsa-i"]
    assert parse_variant("individual-12") == (VARIANTS["individual"], 12)


@pytest.mark.parametrize(
    "name",
    [
        "individual",
        "individual-",
        "individual-x",
        "individual-03",
        "nsa-x",
        "resnet",
        "NSA-i",
        "wrn-1",
    ],
)
def test_unknown_variants(name):
    with pytest.raises(
        ValueError,
        match="unknown variant .* allowed: wrn, wrn-mcdropout, "
        "individual-S, nsa, nsa-i, nsa-id, nsa-id-aggr",
    ):
        parse_variant(name)


def test_single_architecture_variants():
    wrn = spec_for("wrn")
    assert (wrn.num_archs, wrn.dropout, wrn.aux_head) == (1, 0.0, True)
    assert wrn.train_archs() == (residual_architecture(3),)
    mc = spec_for("wrn-mcdropout")
    assert (mc.num_archs, mc.dropout) == (1, 0.2)
    individual = spec_for("individual-4")
    assert individual.train_archs() == (random_architecture(4, 0.7, 3),)
    with pytest.raises(ValueError, match="num_archs must be 1 .* for wrn, got 5"):
        spec_for("wrn", num_archs=5)


def test_shared_variants_train_on_seeds_one_to_n():
    spec = spec_for("nsa-id")
    assert (spec.num_archs, spec.dropout) == (3, 0.0)
    assert [a.name for a in spec.train_archs()] == ["seed-1", "seed-2", "seed-3"]
    assert spec_for("nsa-i", num_archs=30).train_archs()[-1] == random_architecture(30, 0.7, 3)
    assert spec_for("nsa", sizes(aux_weight=0.0)).aux_head is False
    assert spec_for("nsa").channels == (16, 32, 64)
    assert spec_for("nsa", sizes(width=10)).channels == (160, 320, 640)


def test_identity_normalisation_by_default_and_round_trip():
    spec = spec_for("nsa-id", in_channels=3, image_size=32)
    assert (spec.mean, spec.std) == ((0.0,) * 3, (1.0,) * 3)
    spec = spec_for("individual-2", mean=(0.1,), std=(0.2,))
    restored = ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert restored == spec
    with pytest.raises(ValueError, match="model spec keys must be"):
        ModelSpec.from_dict({"variant": "nsa"})


@pytest.mark.parametrize(
    ("cfg", "kwargs", "message"),
    [
        (sizes(width=0), {}, "width must be an integer >= 1, got 0"),
        (sizes(width=1.5), {}, "width must be an integer >= 1, got 1.5"),
        (sizes(nodes=0), {}, "nodes must be an integer >= 1, got 0"),
        (sizes(arch_p=1.0), {}, r"arch_p\) must be a number in \[0, 1\), got 1.0"),
        (sizes(arch_p=-0.5), {}, r"arch_p\) must be a number in \[0, 1\), got -0.5"),
        (sizes(num_archs=0), {}, "num_archs must be an integer >= 1, got 0"),
        (sizes(aux_weight=-1), {}, r"aux_weight must be a number in \[0.0, inf\)"),
        (sizes(), {"num_classes": 0}, "num_classes must be an integer >= 1"),
        (sizes(), {"in_channels": 0}, "in_channels must be an integer >= 1"),
        (sizes(), {"image_size": 3}, "image_size must be an integer >= 4, got 3"),
        (sizes(), {"mean": (0.1, 0.2)}, "mean must be a tuple of 1 finite numbers"),
        (sizes(), {"std": (0.0,)}, "std must be a tuple of 1 positive numbers"),
    ],
)
def test_bad_settings_name_the_parameter(cfg, kwargs, message):
    with pytest.raises(ValueError, match=message):
        spec_for("nsa-i", cfg, **kwargs)


def test_dropout_rules():
    with pytest.raises(ValueError, match=r"dropout must be in \(0, 1\) for wrn-mcdropout, got 0"):
        spec_for("wrn-mcdropout", sizes(dropout=0.0))
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0.0, 1.0\), got 1.0"):
        spec_for("wrn-mcdropout", sizes(dropout=1.0))
    fields = spec_for("nsa").to_dict() | {"dropout": 0.2}
    with pytest.raises(ValueError, match="dropout must be 0 for nsa"):
        ModelSpec(**fields | {"mean": (0.0,), "std": (1.0,)})


def test_unknown_variant_in_spec():
    with pytest.raises(ValueError, match="unknown variant 'nsa-x'"):
        spec_for("nsa-x")
    with pytest.raises(ValueError, match="seed must be an integer in"):
        spec_for("individual-99999999999")

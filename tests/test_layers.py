"""Per-architecture batch norm, per-instance weighted sums, the auxiliary head, init."""

import math

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from nsa.layers import (
    ArchBatchNorm2d,
    AuxiliaryHead,
    BatchNorm2d,
    Normalize,
    batch_norm,
    init_weights,
    weighted_sum,
)


def test_arch_batch_norm_uses_batch_statistics_and_each_instances_affine():
    torch.manual_seed(0)
    norm = ArchBatchNorm2d(4, num_archs=3)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(3, 4))
        norm.bias.copy_(torch.randn(3, 4))
    reference = nn.BatchNorm2d(4, affine=False)
    x = torch.randn(6, 4, 5, 5) * 3 + 1
    member = torch.tensor([0, 2, 2, 1, 0, 2])

    out = norm(x, member)

    mean = x.mean((0, 2, 3), keepdim=True)
    var = x.var((0, 2, 3), unbiased=False, keepdim=True)
    normalised = (x - mean) / torch.sqrt(var + 1e-5)
    expected = normalised * norm.weight[member, :, None, None] + norm.bias[member, :, None, None]
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    # Running statistics are shared and updated exactly as plain batch norm updates them.
    reference(x)
    torch.testing.assert_close(norm.running_mean, reference.running_mean)
    torch.testing.assert_close(norm.running_var, reference.running_var)
    assert norm.num_batches_tracked.item() == 1


def test_arch_batch_norm_in_eval_mode_uses_running_statistics():
    norm = ArchBatchNorm2d(2, num_archs=2).eval()
    norm.running_mean.copy_(torch.tensor([1.0, -1.0]))
    norm.running_var.copy_(torch.tensor([4.0, 0.25]))
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([[1.0, 1.0], [2.0, 3.0]]))
    x = torch.ones(2, 2, 1, 1)
    out = norm(x, torch.tensor([0, 1]))[:, :, 0, 0]
    eps = 1e-5
    expected = torch.tensor(
        [
            [0.0, 2 / math.sqrt(0.25 + eps)],
            [0.0, 3 * 2 / math.sqrt(0.25 + eps)],
        ]
    )
    torch.testing.assert_close(out, expected)
    assert norm.num_batches_tracked.item() == 0


def test_shared_batch_norm_ignores_member():
    norm = batch_norm(3, None)
    assert isinstance(norm, BatchNorm2d)
    x = torch.randn(4, 3, 2, 2)
    expected = F.batch_norm(x, None, None, training=True)
    torch.testing.assert_close(norm(x, torch.tensor([0, 1, 2, 3])), expected)
    assert isinstance(batch_norm(3, 5), ArchBatchNorm2d)


def test_weighted_sum_is_a_per_instance_linear_combination():
    torch.manual_seed(1)
    tensors = [torch.randn(3, 2, 4, 4) for _ in range(4)]
    weights = torch.tensor([[0.5, 0.0, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0], [0.2, 0.0, 0.3, 0.5]])
    expected = sum(weights[:, j].view(-1, 1, 1, 1) * tensors[j] for j in range(4))
    torch.testing.assert_close(weighted_sum(tensors, weights, [0, 1, 2, 3]), expected)
    # Skipping the column that is zero for the whole batch changes nothing.
    torch.testing.assert_close(weighted_sum(tensors, weights, [0, 2, 3]), expected)
    with pytest.raises(ValueError, match="at least one column"):
        weighted_sum(tensors, weights, [])


@pytest.mark.parametrize(
    ("map_size", "conv2_kernel"),
    [(8, 2), (7, 1), (4, 1), (16, 2)],
)
def test_auxiliary_head_fits_the_map(map_size, conv2_kernel):
    head = AuxiliaryHead(12, num_classes=5, map_size=map_size).eval()
    assert head.conv2.kernel_size == (conv2_kernel, conv2_kernel)
    assert head(torch.randn(2, 12, map_size, map_size)).shape == (2, 5)


def test_auxiliary_head_parameters_at_the_paper_size():
    head = AuxiliaryHead(640, num_classes=10, map_size=8)
    convs = 640 * 128 + 128 * 768 * 4
    norms = 2 * (128 + 768)
    assert sum(p.numel() for p in head.parameters()) == convs + norms + 768 * 10 + 10


def test_normalize_standardises_channels():
    layer = Normalize((0.5, 0.25), (0.5, 2.0))
    x = torch.tensor([1.0, 0.25]).view(1, 2, 1, 1)
    torch.testing.assert_close(layer(x).flatten(), torch.tensor([1.0, 0.0]))


def test_init_weights():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(64, 64, 3), nn.BatchNorm2d(64), ArchBatchNorm2d(64, 2), nn.Linear(256, 512)
    )
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(7.0)
    init_weights(model)
    # Kaiming normal with ReLU gain: std = sqrt(2 / fan_in).
    assert model[0].weight.std().item() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.05)
    assert model[3].weight.std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.05)
    assert torch.all(model[0].bias == 0) and torch.all(model[3].bias == 0)
    for norm in (model[1], model[2]):
        assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0)

"""Building blocks of the supernet that know about architectures.

Every layer on the main path takes the batch `x` and `member`, a LongTensor `(B,)` saying which
architecture's parameters each instance uses, so one pass can serve a batch that mixes
architectures. `BatchNorm2d` ignores `member` (one affine shared by all); `ArchBatchNorm2d`
keeps one running mean and variance shared by every architecture but a scale and shift per
architecture. `weighted_sum` forms the inputs of a DAG node from per-instance mixing weights.
The auxiliary head is the DARTS classifier that regularises training from an inner stage.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn


class Normalize(nn.Module):
    """Per-channel standardisation of pixel-space input: `(x - mean) / std`."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Standardise `x` of shape (B, C, H, W)."""
        return (x - self.mean) / self.std


class BatchNorm2d(nn.BatchNorm2d):
    """Batch normalisation with one affine transform shared by every architecture."""

    def forward(self, x: Tensor, member: Tensor | None = None) -> Tensor:
        """Normalise `x`; `member` is accepted for a uniform interface and ignored."""
        return super().forward(x)


class ArchBatchNorm2d(nn.Module):
    """Batch normalisation with shared running statistics and a per-architecture affine.

    In training mode the batch statistics pool every instance of the (mixed) batch, exactly as
    in plain batch normalisation; instance `b` is then scaled by `weight[member[b]]` and shifted
    by `bias[member[b]]`. A row of `weight` or `bias` therefore receives gradient only from
    instances of its own architecture.
    """

    def __init__(
        self, channels: int, num_archs: int, eps: float = 1e-5, momentum: float = 0.1
    ) -> None:
        super().__init__()
        self.channels = channels
        self.num_archs = num_archs
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_archs, channels))
        self.bias = nn.Parameter(torch.zeros(num_archs, channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: Tensor, member: Tensor) -> Tensor:
        """Normalise `x` (B, C, H, W) and apply the affine of each instance's architecture."""
        if self.training:
            self.num_batches_tracked.add_(1)
        x = F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )
        scale = self.weight[member].to(x.dtype)[:, :, None, None]
        shift = self.bias[member].to(x.dtype)[:, :, None, None]
        return torch.addcmul(shift, x, scale)

    def extra_repr(self) -> str:
        """Sizes shown by `print(module)`."""
        return f"{self.channels}, num_archs={self.num_archs}, eps={self.eps}"


def batch_norm(channels: int, num_archs: int | None) -> BatchNorm2d | ArchBatchNorm2d:
    """A shared batch norm when `num_archs` is None, else one with a per-architecture affine."""
    if num_archs is None:
        return BatchNorm2d(channels)
    return ArchBatchNorm2d(channels, num_archs)


def weighted_sum(tensors: Sequence[Tensor], weights: Tensor, columns: Sequence[int]) -> Tensor:
    """`sum_j weights[:, j] * tensors[j]` over `j` in `columns`, one weight per instance.

    Args:
        tensors: feature maps, each (B, C, H, W).
        weights: per-instance weights (B, len(tensors)).
        columns: the indices `j` to sum; the others are known to be zero for the whole batch.
    """
    total = None
    for j in columns:
        weight = weights[:, j].to(tensors[j].dtype).view(-1, 1, 1, 1)
        total = tensors[j] * weight if total is None else torch.addcmul(total, tensors[j], weight)
    if total is None:
        raise ValueError("weighted_sum needs at least one column with a non-zero weight")
    return total


class AuxiliaryHead(nn.Module):
    """The DARTS auxiliary classifier, sized for a `map_size` x `map_size` input.

    ReLU, 5x5 average pooling with stride 3 (no padding), 1x1 conv to 128 + BN + ReLU, 2x2 conv
    to 768 + BN + ReLU, linear. On the 8x8 maps of a 32x32 image the pooling gives 2x2 and the
    2x2 conv 1x1, exactly as DARTS. Smaller maps are handled by shrinking, never padding: the
    pooling window is cut to the map (`min(5, size)`) and the second conv's kernel to the pooled
    map (`min(2, pooled)`), so a 7x7 map (28x28 image) pools to 1x1 and meets a 1x1 conv. A
    global average pool before the linear layer (the identity at the paper's size) lets larger
    maps through too.
    """

    def __init__(self, channels: int, num_classes: int, map_size: int) -> None:
        super().__init__()
        pool = min(5, map_size)
        pooled = (map_size - pool) // 3 + 1
        self.pool_size = pool
        self.conv1 = nn.Conv2d(channels, 128, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(128)
        self.conv2 = nn.Conv2d(128, 768, min(2, pooled), bias=False)
        self.bn2 = nn.BatchNorm2d(768)
        self.linear = nn.Linear(768, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Class logits (B, num_classes) from feature maps (B, channels, H, W)."""
        x = F.relu(x)
        window = (min(self.pool_size, x.shape[2]), min(self.pool_size, x.shape[3]))
        x = F.avg_pool2d(x, window, stride=3, count_include_pad=False)

        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))

        # A mean rather than adaptive pooling: its CUDA backward is deterministic.
        x = x.mean((2, 3))
        return self.linear(x)


def init_weights(module: nn.Module) -> None:
    """Kaiming-normal convs and linears (fan in, ReLU gain), zero biases, norm scale 1 shift 0."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d | ArchBatchNorm2d):
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)

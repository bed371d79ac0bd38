"""Test inputs of the evaluation protocols: subsets, and foreign images made to fit the network.

Out-of-distribution images need not share the in-distribution image shape (8x8 grey digits
against 28x28 grey clothes, say). They are made to fit: channels first (one channel repeated
to three, or three averaged to one), then the spatial size by plain bilinear interpolation
(`align_corners=False`, no antialiasing), rounded back to uint8 so every test set reaches the
network through the same path.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

log = logging.getLogger(__name__)


def fit_images(images: Tensor, shape: tuple[int, int, int]) -> Tensor:
    """uint8 images (N, C, H, W) converted to the per-image `shape` (C', H', W')."""
    channels, height, width = shape
    if tuple(images.shape[1:]) == tuple(shape):
        return images
    x = images.float()
    if x.shape[1] != channels:
        x = _match_channels(x, channels)
    if x.shape[2:] != (height, width):
        x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)
    return x.round_().clamp_(0, 255).to(torch.uint8)


def _match_channels(x: Tensor, channels: int) -> Tensor:
    if x.shape[1] == 1:
        return x.expand(-1, channels, -1, -1)
    if channels == 1:
        return x.mean(dim=1, keepdim=True)
    raise ValueError(f"cannot convert {x.shape[1]}-channel images to {channels} channels")


def subset(split, count: int, seed: int):
    """`count` examples of a split chosen by `seed`; the whole split when count is 0 or larger."""
    if count <= 0 or count >= len(split.labels):
        return split
    return split.subset(count, seed)

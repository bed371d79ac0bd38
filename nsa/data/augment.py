"""Training-time augmentation as batched tensor operations, on whatever device holds the data.

The recipe: a random crop of the original size from the image padded with `padding` black
(zero) pixels on every side, a horizontal flip with probability 1/2, then Cutout: one square
of side `cutout` whose centre is uniform over the image, clipped where it crosses the border
and filled with the dataset's mean pixel. Images stay in pixel space ([0, 1] floats); the
model normalises them itself, which maps the Cutout fill to exactly zero, while the padding
stays black as in the original recipe (it is padded before normalisation).

Random draws are separate from their application (`draw_augmentation`, `augment`), so a whole
epoch's draws can be taken at once from one seeded generator and any batch replayed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True, eq=False)
class Augmentation:
    """Random draws for a batch of images, one entry per image.

    Attributes:
        top, left: crop offsets into the padded image, in 0..2 * padding.
        flip: whether to mirror the crop horizontally.
        centre_y, centre_x: Cutout centre, in 0..height-1 and 0..width-1.
    """

    top: torch.Tensor
    left: torch.Tensor
    flip: torch.Tensor
    centre_y: torch.Tensor
    centre_x: torch.Tensor

    def __getitem__(self, index: slice | torch.Tensor) -> Augmentation:
        """The draws of some images."""
        return Augmentation(*(getattr(self, name)[index] for name in _FIELDS))

    def to(self, device: torch.device | str) -> Augmentation:
        """The same draws on `device`."""
        return Augmentation(*(getattr(self, name).to(device) for name in _FIELDS))


_FIELDS = ("top", "left", "flip", "centre_y", "centre_x")


def draw_augmentation(
    n: int,
    size: tuple[int, int],
    padding: int,
    flip: bool,
    generator: torch.Generator,
) -> Augmentation:
    """Draw crops, flips and Cutout centres for `n` images of `size` (height, width)."""
    height, width = size

    def integers(high: int) -> torch.Tensor:
        return torch.randint(high, (n,), generator=generator)

    top, left = integers(2 * padding + 1), integers(2 * padding + 1)
    flips = integers(2).bool() if flip else torch.zeros(n, dtype=torch.bool)
    return Augmentation(top, left, flips, integers(height), integers(width))


def crop_flip(images: torch.Tensor, draws: Augmentation, padding: int) -> torch.Tensor:
    """Crop each image from its zero-padded version and mirror it where drawn; any dtype."""
    batch, channels, height, width = images.shape
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    padded_width = width + 2 * padding

    # One gather: output pixel (r, c) reads padded pixel (top + r, left + c), with c mirrored
    # to width - 1 - c for flipped images.
    rows = draws.top[:, None] + torch.arange(height, device=images.device)
    columns = torch.arange(width, device=images.device).expand(batch, width)
    columns = torch.where(draws.flip[:, None], width - 1 - columns, columns) + draws.left[:, None]
    index = (rows[:, :, None] * padded_width + columns[:, None, :]).reshape(batch, 1, -1)
    flat = padded.reshape(batch, channels, -1)
    cropped = flat.gather(2, index.expand(batch, channels, height * width))
    return cropped.reshape(batch, channels, height, width)


def cutout(
    images: torch.Tensor, draws: Augmentation, size: int, fill: torch.Tensor
) -> torch.Tensor:
    """Fill a `size` x `size` square per image, clipped to the image, with `fill` (C,)."""
    height, width = images.shape[-2:]
    top = draws.centre_y[:, None] - size // 2
    left = draws.centre_x[:, None] - size // 2
    rows = torch.arange(height, device=images.device)
    columns = torch.arange(width, device=images.device)
    inside_rows = (rows >= top) & (rows < top + size)  # (B, H)
    inside_columns = (columns >= left) & (columns < left + size)  # (B, W)
    hole = inside_rows[:, None, :, None] & inside_columns[:, None, None, :]
    return torch.where(hole, fill.view(1, -1, 1, 1).to(images.dtype), images)


def augment(
    images: torch.Tensor,
    draws: Augmentation,
    padding: int,
    cutout_size: int,
    fill: torch.Tensor,
) -> torch.Tensor:
    """Crop, flip and Cutout uint8 images (B, C, H, W); float32 pixels in [0, 1]."""
    x = crop_flip(images, draws, padding).float().div_(255)
    if cutout_size:
        x = cutout(x, draws, cutout_size, fill)
    return x

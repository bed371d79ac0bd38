"""Batches for training and evaluation, from a split held whole on the training device.

An epoch's order and augmentation are drawn at its start from a generator seeded by
(seed, epoch) alone, on the CPU so that every device sees the same draws. Batch `b` of epoch
`e` is therefore the same whether the epoch runs from its start or resumes at `b` after an
interruption.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from nsa.data.augment import augment, draw_augmentation
from nsa.data.errors import DataError
from nsa.data.split import Split, seeded_generator


class TrainLoader:
    """Shuffled, augmented training batches of a split kept on `device`.

    Args:
        split: the training split (uint8 images).
        batch_size: images per batch; the last incomplete batch of an epoch is dropped.
        crop_padding: zero padding of the random crop, pixels (0: no cropping).
        cutout: side of the Cutout square, pixels (0: no Cutout).
        device: where the images live and batches are made.
        seed: with the epoch, the only source of randomness.
        flip: whether to mirror half of the images horizontally.
        fill: Cutout's fill per channel in [0, 1] units; defaults to `split.mean`, else the
            split's own mean pixel.
    """

    def __init__(
        self,
        split: Split,
        batch_size: int,
        crop_padding: int,
        cutout: int,
        device: torch.device | str,
        seed: int,
        flip: bool = True,
        fill: tuple[float, ...] | None = None,
    ) -> None:
        if batch_size < 1 or crop_padding < 0 or cutout < 0:
            raise DataError(
                f"batch_size must be positive and crop_padding, cutout non-negative; got "
                f"{batch_size}, {crop_padding}, {cutout}"
            )
        if len(split) < batch_size:
            raise DataError(
                f"{len(split)} training examples are fewer than a batch of {batch_size}"
            )
        self.device = torch.device(device)
        self.images = split.images.to(self.device)
        self.labels = split.labels.to(self.device)
        self.batch_size = batch_size
        self.crop_padding = crop_padding
        self.cutout = cutout
        self.seed = seed
        self.flip = flip
        fill = fill or split.mean or _mean_pixel(split.images)
        self.fill = torch.tensor(fill, dtype=torch.float32, device=self.device)

    def __len__(self) -> int:
        return len(self.labels) // self.batch_size

    def batches(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches `start`, `start + 1`, ... of `epoch`: (float pixels (B, C, H, W), labels)."""
        generator = seeded_generator(self.seed, epoch)
        order = torch.randperm(len(self.labels), generator=generator).to(self.device)
        size = tuple(self.images.shape[-2:])
        draws = draw_augmentation(len(order), size, self.crop_padding, self.flip, generator)
        draws = draws.to(self.device)
        for batch in range(start, len(self)):
            rows = slice(batch * self.batch_size, (batch + 1) * self.batch_size)
            index = order[rows]
            x = augment(self.images[index], draws[rows], self.crop_padding, self.cutout, self.fill)
            yield x, self.labels[index]


def eval_batches(
    split: Split, batch_size: int, device: torch.device | str
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The split in order, in batches of float pixels in [0, 1] and labels, on `device`."""
    for first in range(0, len(split), batch_size):
        images = split.images[first : first + batch_size].to(device, non_blocking=True)
        labels = split.labels[first : first + batch_size].to(device, non_blocking=True)
        yield images.float().div_(255), labels


def _mean_pixel(images: torch.Tensor) -> tuple[float, ...]:
    """Per-channel mean of uint8 images, in [0, 1] units."""
    sums = images.sum(dim=(0, 2, 3), dtype=torch.float64)
    return tuple((sums / (images.numel() / images.shape[1]) / 255).tolist())

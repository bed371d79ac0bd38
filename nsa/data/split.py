"""Splits of a dataset held as tensors, and seeded ways of taking parts of them."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nsa.data.errors import DataError


def seeded_generator(*seeds: int) -> torch.Generator:
    """A CPU generator whose stream depends only on `seeds` (mixed, so nearby seeds differ)."""
    import numpy as np

    if any(seed < 0 for seed in seeds):
        raise DataError(f"seeds and epochs must be non-negative, got {seeds}")
    words = np.random.SeedSequence([int(s) for s in seeds]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(words[0]) << 32 | int(words[1]))


@dataclass(frozen=True, eq=False)
class Split:
    """Images and labels of one split.

    Attributes:
        images: uint8 tensor (N, C, H, W) in pixel values 0..255.
        labels: int64 tensor (N,).
        mean: per-channel mean pixel in [0, 1] units of the dataset, which Cutout fills holes
            with; None when unknown.
    """

    images: torch.Tensor
    labels: torch.Tensor
    mean: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            shape = tuple(self.images.shape)
            raise DataError(f"images must be uint8 (N, C, H, W), got {self.images.dtype} {shape}")
        if self.labels.dtype != torch.int64 or self.labels.shape != self.images.shape[:1]:
            shape = tuple(self.labels.shape)
            raise DataError(
                f"labels must be int64 ({len(self.images)},), got {self.labels.dtype} {shape}"
            )

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, index: torch.Tensor) -> Split:
        """The examples at `index`, in that order."""
        index = index.to(self.images.device)
        return Split(self.images[index], self.labels[index], self.mean)

    def subset(self, n: int, seed: int) -> Split:
        """`n` examples drawn without replacement by `seed`, in their original order.

        `n = 0` or `n = len(self)` gives the whole split.
        """
        if n == 0 or n == len(self):
            return self
        if not 0 < n < len(self):
            raise DataError(f"cannot take a subset of {n} examples from {len(self)}")
        chosen = torch.randperm(len(self), generator=seeded_generator(seed))[:n]
        return self.take(chosen.sort().values)

    def to(self, device: torch.device | str) -> Split:
        """The same split with its tensors on `device`."""
        return Split(self.images.to(device), self.labels.to(device), self.mean)


def labelled_split(split: Split, per_class: int, seed: int) -> tuple[Split, Split]:
    """Class-balanced (labelled, unlabelled) parts: `per_class` labelled examples per class.

    Both parts keep the original order. The unlabelled part keeps its labels, for evaluation;
    a semi-supervised loss must not read them. 4,000 CIFAR-10 labels are `per_class=400`.
    """
    generator = seeded_generator(seed)
    labels = split.labels.cpu()
    labelled = []
    for label in range(int(labels.max()) + 1):
        members = torch.nonzero(labels == label).flatten()
        if len(members) < per_class:
            raise DataError(f"class {label} has {len(members)} examples, fewer than {per_class}")
        labelled.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    chosen = torch.zeros(len(split), dtype=torch.bool)
    chosen[torch.cat(labelled)] = True
    return split.take(chosen.nonzero().flatten()), split.take((~chosen).nonzero().flatten())

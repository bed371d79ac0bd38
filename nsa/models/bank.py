"""A set of architectures ready for the supernet: mixing matrices and parameter rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from nsa.arch import Architecture


@dataclass(frozen=True, eq=False)
class ArchBank:
    """Architectures stacked as tensors, so a batch can pick one per instance by index.

    Attributes:
        archs: the architectures, in bank order.
        mix: row-normalised mixing matrices, float (M, 3, nodes + 1, nodes + 1).
        member: for each architecture, its row of the per-architecture parameters
            (0 for models whose parameters are all shared), LongTensor (M,).
    """

    archs: tuple[Architecture, ...]
    mix: Tensor
    member: Tensor

    @classmethod
    def build(
        cls,
        archs: Sequence[Architecture],
        members: Sequence[int],
        device: torch.device | str = "cpu",
    ) -> ArchBank:
        """Stack the mixing matrices of `archs` on `device`."""
        mix = torch.from_numpy(np.stack([arch.mixing() for arch in archs]))
        member = torch.tensor(list(members), dtype=torch.long)
        return cls(tuple(archs), mix.to(device), member.to(device))

    def __len__(self) -> int:
        return len(self.archs)

    def to(self, device: torch.device | str) -> ArchBank:
        """The same bank with its tensors on `device`."""
        return ArchBank(self.archs, self.mix.to(device), self.member.to(device))

    def take(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """Mixing matrices (B, 3, n + 1, n + 1) and members (B,) of bank entries `index` (B,)."""
        index = index.to(self.mix.device)
        return self.mix[index], self.member[index]

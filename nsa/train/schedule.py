"""Step learning-rate schedule: the base rate, cut by a constant factor at fixed epochs."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def learning_rate(epoch: int, base: float, milestones: Sequence[int], gamma: float) -> float:
    """Learning rate of 0-based `epoch`: `base * gamma ** (milestones reached by epoch)`."""
    cuts = sum(1 for milestone in milestones if milestone <= epoch)
    return base * gamma**cuts


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Give every parameter group of `optimizer` the rate `lr`."""
    for group in optimizer.param_groups:
        group["lr"] = lr

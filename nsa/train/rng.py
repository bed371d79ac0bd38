"""Capture and restore every random number generator that training consumes.

A resumed run must draw exactly the numbers the uninterrupted run would have drawn, so a
checkpoint holds the state of Python's, NumPy's and torch's CPU generators and that of the CUDA
device training runs on (only that one, so a run may resume on another free GPU). The states
are converted to tensors and plain Python values so that `torch.load(weights_only=True)` can
read them back.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (CPU and CUDA) global generators with `seed`."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def capture_rng(device: torch.device | None = None) -> dict[str, Any]:
    """The state of every global generator (CUDA: `device`'s), as tensors and plain values."""
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    return {
        "python": random.getstate(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state(device) if _on_cuda(device) else None,
    }


def restore_rng(state: dict[str, Any], device: torch.device | None = None) -> None:
    """Put every global generator back into a state taken by `capture_rng` (CUDA: `device`)."""
    random.setstate(_as_tuples(state["python"]))
    numpy = state["numpy"]
    np.random.set_state(
        (
            numpy["kind"],
            numpy["keys"].numpy().astype(np.uint32),
            numpy["pos"],
            numpy["has_gauss"],
            numpy["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    cuda = state["cuda"]
    if cuda is not None and _on_cuda(device):
        torch.cuda.set_rng_state(cuda, device)
    elif (cuda is not None) != _on_cuda(device):
        log.warning(
            "the checkpoint was written on %s and training resumes on %s; random draws on "
            "the device will differ from those of an uninterrupted run",
            "a GPU" if cuda is not None else "the CPU",
            device,
        )


def _on_cuda(device: torch.device | None) -> bool:
    return device is not None and device.type == "cuda" and torch.cuda.is_available()


def _as_tuples(value: Any) -> Any:
    """Python's generator state with lists turned back into the tuples `setstate` wants."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuples(item) for item in value)
    return value

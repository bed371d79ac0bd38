"""Capture and restore every random number generator that training consumes.

A resumed run must draw exactly the numbers the uninterrupted run would have drawn, so a
checkpoint holds the state of Python's, NumPy's, torch's CPU and every CUDA generator. The
states are converted to tensors and plain Python values so that `torch.load(weights_only=True)`
can read them back.
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


def capture_rng() -> dict[str, Any]:
    """The state of every global generator, as tensors and plain values."""
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
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng(state: dict[str, Any]) -> None:
    """Put every global generator back into a state taken by `capture_rng`."""
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
    _restore_cuda(state["cuda"])


def _restore_cuda(states: list[torch.Tensor]) -> None:
    """Restore the CUDA generators when the same number of devices is visible as before."""
    if not states:
        return
    if not torch.cuda.is_available() or torch.cuda.device_count() != len(states):
        log.warning(
            "checkpoint holds the state of %d CUDA generators but %d devices are visible; "
            "the resumed run will not repeat the interrupted one bit for bit",
            len(states),
            torch.cuda.device_count() if torch.cuda.is_available() else 0,
        )
        return
    torch.cuda.set_rng_state_all(states)


def _as_tuples(value: Any) -> Any:
    """Python's generator state with lists turned back into the tuples `setstate` wants."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuples(item) for item in value)
    return value

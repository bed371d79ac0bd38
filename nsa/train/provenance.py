"""What a trained model records about how it was made: settings, code version, library versions."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nsa.config import Experiment, Profile, as_plain

_REPO = Path(__file__).resolve().parents[2]


def resolve_settings(profile: Profile, experiment: Experiment) -> dict[str, Any]:
    """Every setting that decides the trained weights of `experiment`, as plain JSON values."""
    data = profile.data
    settings = {
        "profile": profile.name,
        "experiment": experiment,
        "model": profile.model,
        "train": profile.train,
        "data": {
            "train_subset": data.train_subset,
            "test_subset": data.test_subset,
            "subset_seed": data.subset_seed,
        },
    }
    # Lists rather than tuples, so that settings compare equal after a save and load.
    return as_plain(settings)


def git_commit() -> str:
    """Commit of the code checkout (with "-dirty" when it has changes), or "unknown"."""
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def library_versions() -> dict[str, str | None]:
    """Versions of Python, NumPy, torch, CUDA and cuDNN this process runs with."""
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": str(torch.__version__),  # a str subclass that weights_only loading refuses
        "cuda": torch.version.cuda,
        "cudnn": str(cudnn) if cudnn else None,
    }


def _git(*args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=_REPO, capture_output=True, text=True, timeout=10, check=True
    )
    return result.stdout.strip()

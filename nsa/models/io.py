"""Model files: the spec, the weights and caller-provided extras, written atomically.

A file holds only tensors and plain Python values, so it loads with `weights_only=True` and
never runs code from the file.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from nsa.config import UsageError
from nsa.io import atomic_torch_save
from nsa.models.spec import ModelSpec
from nsa.models.supernet import SuperNet, build_model

FORMAT = "nsa-model/1"


class ModelFileError(UsageError):
    """A model file that is missing, unreadable, truncated or of another format."""


def save_model(path: str | os.PathLike, model: SuperNet, extra: dict[str, Any]) -> None:
    """Write `model` (spec and weights) with `extra` (plain values) to `path` atomically."""
    payload = {
        "format": FORMAT,
        "spec": model.spec.to_dict(),
        "state_dict": model.state_dict(),
        "extra": dict(extra),
    }
    atomic_torch_save(payload, path)


def load_model(
    path: str | os.PathLike, map_location: str | torch.device = "cpu"
) -> tuple[SuperNet, dict[str, Any]]:
    """Rebuild the model saved at `path`; return it with its extras."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file {path} does not exist")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"model file {path} is unreadable or truncated: {error}") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an {FORMAT} model file")
    try:
        model = build_model(ModelSpec.from_dict(payload["spec"]))
        model.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ModelFileError(f"model file {path} does not match its spec: {error}") from error
    return model.to(map_location), payload["extra"]

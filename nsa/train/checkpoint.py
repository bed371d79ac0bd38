"""Crash-safe training checkpoints: written atomically, verified by hash, loaded without pickle.

Each checkpoint is `step-<global step>.pt` next to `step-<global step>.pt.sha256`, the SHA-256 of
its bytes. A checkpoint counts only when its digest file exists and matches and the file loads
with `torch.load(weights_only=True)`, so a file cut short by a crash or a full disk, or one whose
pickle would run code, is skipped with a warning, renamed to `*.rejected`, and the previous good
one is used instead. The newest `keep` checkpoints are kept.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import re
from pathlib import Path
from typing import Any

import torch

from nsa.io import atomic_open, atomic_torch_save
from nsa.train.errors import CheckpointError

log = logging.getLogger(__name__)

FORMAT = "nsa-checkpoint/1"
_NAME = re.compile(r"^step-(\d+)\.pt$")


class CheckpointStore:
    """The checkpoints of one training run, in one directory."""

    def __init__(self, directory: str | Path, keep: int = 3):
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self.directory = Path(directory)
        self.keep = keep

    def paths(self) -> list[Path]:
        """Checkpoint files present, newest (highest global step) first."""
        if not self.directory.is_dir():
            return []
        found = [
            (int(match.group(1)), path)
            for path in self.directory.iterdir()
            if (match := _NAME.match(path.name))
        ]
        return [path for _, path in sorted(found, reverse=True)]

    def save(self, state: dict[str, Any], global_step: int) -> Path:
        """Write `state` as the checkpoint of `global_step`, then drop all but the newest."""
        path = self.directory / f"step-{global_step:010d}.pt"
        payload = {"format": FORMAT, **state}
        try:
            atomic_torch_save(payload, path)
            with atomic_open(_digest_path(path), "w") as handle:
                handle.write(file_digest(path) + "\n")
        except OSError as error:
            path.unlink(missing_ok=True)
            raise CheckpointError(_write_failure(path, error, self.paths())) from error
        self._prune()
        return path

    def load_latest(self) -> dict[str, Any] | None:
        """The newest checkpoint that is intact and safe to load, or None when there is none."""
        for path in self.paths():
            state = _load_verified(path)
            if state is not None:
                return state
            # Set it aside so that it no longer counts among the newest `keep`.
            path.rename(path.with_name(path.name + ".rejected"))
            _digest_path(path).unlink(missing_ok=True)
        return None

    def clear(self) -> None:
        """Delete every checkpoint and digest file, and temporary files left by crashes."""
        if not self.directory.is_dir():
            return
        for path in self.directory.iterdir():
            if _NAME.match(path.name) or path.name.endswith((".sha256", ".tmp", ".rejected")):
                path.unlink(missing_ok=True)

    def _prune(self) -> None:
        """Delete all but the newest `keep` checkpoints."""
        for path in self.paths()[self.keep :]:
            path.unlink(missing_ok=True)
            _digest_path(path).unlink(missing_ok=True)


def file_digest(path: str | Path) -> str:
    """Hex SHA-256 of the bytes of `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _load_verified(path: Path) -> dict[str, Any] | None:
    """Load `path` when its digest matches and it holds only tensors and plain values."""
    digest_path = _digest_path(path)
    if not digest_path.exists():
        log.warning("skipping checkpoint %s: its digest file is missing (write interrupted)", path)
        return None
    expected = digest_path.read_text().strip()
    if file_digest(path) != expected:
        log.warning("skipping checkpoint %s: contents do not match its SHA-256 (corrupt)", path)
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # whatever the unpickler raises, the file is unusable
        log.warning("skipping checkpoint %s: refused or unreadable (%s)", path, _first_line(error))
        return None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        log.warning("skipping checkpoint %s: not an %s file", path, FORMAT)
        return None
    return state


def _write_failure(path: Path, error: OSError, survivors: list[Path]) -> str:
    """Message for a checkpoint that could not be written, naming what is still usable."""
    reason = "the disk is full" if error.errno == errno.ENOSPC else str(error)
    kept = f"the previous checkpoint {survivors[0]} is intact" if survivors else "none remain"
    return f"could not write checkpoint {path}: {reason}; {kept}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

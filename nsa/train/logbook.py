"""Per-epoch training metrics: a JSON-lines history, mirrored into a dvclive directory.

`history.jsonl` is the record: one object per finished epoch, appended and flushed to disk as the
epoch ends. On resume it is cut back to the epochs before the checkpoint being resumed, so an
epoch finished after the last checkpoint but before a crash is trained, and listed, once. The
dvclive files (`metrics.json`, `params.yaml`, `plots/metrics/**.tsv`, read by `dvc plots show`)
are rebuilt from the history each time the run starts, which keeps them consistent with it too.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from dvclive import Live

from nsa.io import atomic_open

log = logging.getLogger(__name__)

HISTORY = "history.jsonl"


class Logbook:
    """Where one run writes its per-epoch metrics; use as a context manager."""

    def __init__(self, directory: str | Path, settings: dict[str, Any], start_epoch: int):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.history_path = self.directory / HISTORY
        self.records = truncate_history(self.history_path, start_epoch)
        self.live = Live(dir=str(self.directory), resume=False, save_dvc_exp=False, dvcyaml=False)
        self.live.log_params(settings)
        for record in self.records:
            self._mirror(record)

    def record(self, metrics: dict[str, Any]) -> None:
        """Append the metrics of one finished epoch (`metrics["epoch"]`, 0-based)."""
        with open(self.history_path, "a") as handle:
            handle.write(json.dumps(metrics, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.records.append(metrics)
        self._mirror(metrics)

    def close(self) -> None:
        """Write dvclive's summary."""
        self.live.end()

    def __enter__(self) -> Logbook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _mirror(self, metrics: dict[str, Any]) -> None:
        """Log one epoch's metrics to dvclive, its step being the epoch."""
        self.live.step = metrics["epoch"]
        for name, value in metrics.items():
            if name != "epoch":
                self.live.log_metric(name, value)
        self.live.next_step()


def read_history(path: str | Path) -> list[dict[str, Any]]:
    """Records of a history file; a line cut short by a crash ends the list with a warning."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            log.warning("%s: line %d is incomplete; ignoring it and what follows", path, number)
            break
    return records


def truncate_history(path: str | Path, start_epoch: int) -> list[dict[str, Any]]:
    """Keep only the records of epochs before `start_epoch`, rewriting the file if needed."""
    path = Path(path)
    records = read_history(path)
    kept = [record for record in records if record["epoch"] < start_epoch]
    text = "".join(json.dumps(record, sort_keys=True) + "\n" for record in kept)
    if not path.exists() or path.read_text() != text:
        with atomic_open(path, "w") as handle:
            handle.write(text)
    return kept

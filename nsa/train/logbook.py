"""Per-epoch training metrics: a JSON-lines history, mirrored into a dvclive directory.

The run itself carries the history (checkpoints hold it), so the files here are rewritten from
it whenever a run starts or resumes: an epoch finished after the last checkpoint but before a
crash is trained, and listed, once, and a workflow that deletes the folder before rerunning a
job loses nothing. `history.jsonl` holds one object per finished epoch, appended and flushed
as the epoch ends; the dvclive files (`metrics.json`, `params.yaml`, `plots/metrics/**.tsv`,
read by `dvc plots show`) hold the same numbers with the epoch as dvclive's step.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dvclive import Live

from nsa.io import atomic_open

log = logging.getLogger(__name__)

HISTORY = "history.jsonl"


class Logbook:
    """Where one run writes its per-epoch metrics; use as a context manager."""

    def __init__(
        self, directory: str | Path, settings: dict[str, Any], history: Sequence[dict[str, Any]]
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.history_path = self.directory / HISTORY
        with atomic_open(self.history_path, "w") as handle:
            handle.writelines(_line(record) for record in history)
        # resume=False: dvclive starts from empty files, which the history then refills.
        self.live = Live(dir=str(self.directory), resume=False, save_dvc_exp=False, dvcyaml=False)
        self.live.log_params(settings)
        for record in history:
            self._mirror(record)

    def record(self, metrics: dict[str, Any]) -> None:
        """Append the metrics of one finished epoch (`metrics["epoch"]`, 0-based)."""
        with open(self.history_path, "a") as handle:
            handle.write(_line(metrics))
            handle.flush()
            os.fsync(handle.fileno())
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


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True) + "\n"

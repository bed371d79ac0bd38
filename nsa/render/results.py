"""Reading a profile's evaluation results back for tables, figures and the report."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nsa.config import Experiment, Profile, UsageError, evaluation_targets
from nsa.layout import Layout


@dataclass(frozen=True)
class Results:
    """The evaluation metrics and arrays of one profile."""

    profile: Profile
    layout: Layout

    def targets(self, protocol: str) -> list[Experiment]:
        """The experiments a protocol evaluated."""
        return evaluation_targets(self.profile, protocol)

    def metrics(self, protocol: str, experiment: str) -> dict[str, float]:
        """The metrics JSON of one evaluation; an error names the missing file."""
        path = self.layout.metrics(protocol, experiment)
        if not path.is_file():
            raise UsageError(
                f"missing evaluation {path}: run `nsa evaluate {protocol} {experiment} "
                f"--profile {self.profile.name}` first"
            )
        return json.loads(path.read_text())

    def arrays(self, protocol: str, experiment: str) -> dict[str, np.ndarray]:
        """The per-example arrays of one evaluation."""
        path = self.layout.arrays(protocol, experiment)
        if not path.is_file():
            raise UsageError(f"missing evaluation arrays {path}")
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}

    def by_family(self, protocol: str, dataset: str | None = None) -> Iterator[tuple[str, list]]:
        """(family, experiments) pairs in params order, optionally for one dataset."""
        families: dict[str, list[Experiment]] = {}
        for experiment in self.targets(protocol):
            if dataset is None or experiment.dataset == dataset:
                families.setdefault(experiment.family, []).append(experiment)
        yield from families.items()

    def history(self, experiment: str) -> list[dict]:
        """Per-epoch training records of an experiment (empty when none were logged)."""
        path = self.layout.train_log(experiment) / "history.jsonl"
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def mean_metric(results: list[dict[str, float]], key: str) -> float | None:
    """The mean of a metric over several evaluations (the average of individuals)."""
    values = [r[key] for r in results if key in r and r[key] is not None]
    if not values:
        return None
    return float(sum(values) / len(values))


def format_number(value: float | None, digits: int) -> str:
    """A metric with fixed digits; a missing value is a dash, and 0.0 stays '0.000'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "--"
    return f"{value:.{digits}f}"


def default_layout(profile: Profile, root: Path = Path(".")) -> Layout:
    """The layout a profile renders from."""
    return Layout.for_profile(profile, root)

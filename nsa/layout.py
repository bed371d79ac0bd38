"""Where every file of a run lives, in one place for the CLI and both workflows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Paths of one profile's inputs and outputs, relative to the repository root.

    Prepared data is shared by all profiles; models, metrics and figures are per profile, and
    resumable training state sits outside `results/` so that no workflow ever deletes it.
    """

    profile: str
    root: Path = Path(".")
    data_root: Path = Path("data")

    def raw(self, dataset: str) -> Path:
        """Folder of a dataset's downloaded files, as published."""
        return self.root / self.data_root / "raw" / dataset

    def prepared(self, dataset: str) -> Path:
        """Folder of a dataset's verified, prepared arrays and manifest."""
        return self.root / self.data_root / "prepared" / dataset

    @property
    def results(self) -> Path:
        """Folder of everything this profile produces."""
        return self.root / "results" / self.profile

    def model(self, experiment: str) -> Path:
        """The trained model of an experiment."""
        return self.results / "models" / experiment / "model.pt"

    def train_log(self, experiment: str) -> Path:
        """Folder of an experiment's per-epoch training metrics."""
        return self.results / "train" / experiment

    def checkpoints(self, experiment: str) -> Path:
        """Folder of an experiment's resumable training state."""
        return self.root / "checkpoints" / self.profile / experiment

    def metrics(self, protocol: str, experiment: str) -> Path:
        """JSON metrics of one evaluation protocol on one experiment."""
        return self.results / "metrics" / protocol / f"{experiment}.json"

    def arrays(self, protocol: str, experiment: str) -> Path:
        """Per-example arrays of one evaluation, for the figures."""
        return self.results / "arrays" / protocol / f"{experiment}.npz"

    def table(self, name: str, suffix: str = "tex") -> Path:
        """A rendered table (`tex` or `md`)."""
        return self.results / "tables" / f"{name}.{suffix}"

    def figure(self, name: str, suffix: str = "pdf") -> Path:
        """A rendered figure (`pdf` or `png`)."""
        return self.results / "figures" / f"{name}.{suffix}"

    @property
    def report(self) -> Path:
        """The claim-by-claim report of the profile."""
        return self.results / "REPORT.md"

    def log(self, stage: str, name: str) -> Path:
        """Log file of one workflow job."""
        return self.root / "logs" / self.profile / stage / f"{name}.log"

    @classmethod
    def for_profile(cls, profile, root: Path = Path(".")) -> Layout:
        """The layout of a loaded profile, honouring its data root."""
        return cls(profile.name, root=root, data_root=profile.data.root)

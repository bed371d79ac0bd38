"""The numbers the paper publishes, printed beside the reproduced ones.

Values are keyed by the paper's datasets (`cifar10`, `cifar100`). A profile that trains on
other data (the smoke profile's Fashion-MNIST) is compared, position by position, with the
paper's datasets, and its tables say so.
"""

from __future__ import annotations

from dataclasses import dataclass

PAPER_DATASETS = ("cifar10", "cifar100")
DATASET_TITLES = {
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "svhn": "SVHN",
    "fashion-mnist": "Fashion-MNIST",
    "digits": "digits",
}


@dataclass(frozen=True)
class EnsembleRow:
    """One row of the model-ensemble table: test error (%) and ECE per dataset."""

    method: str
    params: str
    error: dict[str, float]
    ece: dict[str, float]
    quoted: bool = False


QUOTED_ROWS = (
    EnsembleRow("WRN-28-10 (reported)", "36.5M", {"cifar10": 4.00, "cifar100": 19.25}, {}, True),
    EnsembleRow("DenseNet-BC (reported)", "25.6M", {"cifar10": 3.46, "cifar100": 17.18}, {}, True),
    EnsembleRow("ENAS + CutOut (reported)", "4.6M", {"cifar10": 2.89}, {}, True),
    EnsembleRow("DARTS + CutOut (reported)", "3.4M", {"cifar10": 2.83}, {}, True),
)

# The paper's own runs, keyed by the model family that reproduces them.
ENSEMBLE = {
    "wrn": EnsembleRow(
        "WRN-28-10",
        "39.5M",
        {"cifar10": 2.93, "cifar100": 16.75},
        {"cifar10": 0.0140, "cifar100": 0.0672},
    ),
    "wrn-mcdropout": EnsembleRow(
        "WRN-28-10, MC dropout",
        "39.5M",
        {"cifar10": 3.23, "cifar100": 17.16},
        {"cifar10": 0.0107, "cifar100": 0.0454},
    ),
    "individual": EnsembleRow(
        "Average of individuals",
        "39.5M",
        {"cifar10": 2.97, "cifar100": 17.02},
        {"cifar10": 0.0153, "cifar100": 0.0446},
    ),
    "nsa-id": EnsembleRow(
        "NSA-id",
        "39.6M",
        {"cifar10": 2.75, "cifar100": 16.44},
        {"cifar10": 0.0032, "cifar100": 0.0212},
    ),
}

# Rows the paper does not print but this pipeline trains anyway (ablations).
EXTRA_TITLES = {
    "nsa": "Vanilla NSA",
    "nsa-i": "NSA-i",
    "nsa-id-aggr": "NSA-id, aggregation only",
}

# CIFAR-10 with SVHN as OOD data: OOD AUROC, then accuracy and detection AUROC per attack.
UNCERTAINTY = {
    "wrn-mcdropout": {
        "ood": 0.935,
        "PGD1-2-1": (0.622, 0.735),
        "PGD2-3-1": (0.345, 0.694),
        "PGD3-4-1": (0.183, 0.564),
    },
    "nsa-id": {
        "ood": 0.970,
        "PGD1-2-1": (0.630, 0.737),
        "PGD2-3-1": (0.401, 0.705),
        "PGD3-4-1": (0.263, 0.618),
    },
}


def family_title(family: str) -> str:
    """How the paper names a model family."""
    if family in ENSEMBLE:
        return ENSEMBLE[family].method
    return EXTRA_TITLES.get(family, family)


def paper_dataset(datasets: tuple[str, ...], dataset: str) -> str | None:
    """The paper's dataset a profile's dataset is compared with.

    A paper dataset is compared with itself. Other datasets stand in, in order, for the paper's
    datasets the profile does not use (the smoke profile's Fashion-MNIST for CIFAR-10).
    """
    if dataset in PAPER_DATASETS:
        return dataset
    free = [d for d in PAPER_DATASETS if d not in datasets]
    others = [d for d in datasets if d not in PAPER_DATASETS]
    index = others.index(dataset)
    return free[index] if index < len(free) else None

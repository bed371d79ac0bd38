"""Reading a prepared dataset: arrays checked against their manifest, as tensors.

A prepared dataset is a folder with, per split, `<split>_images.npy` (uint8, N x C x H x W)
and `<split>_labels.npy` (int64, N), plus `manifest.json`: the dataset's classes, shape and
statistics, where the raw files came from and their checksums, and the SHA-256 of every
prepared file. The manifest is written last, so a folder without one is not prepared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nsa.data.catalog import dataset_info
from nsa.data.errors import DataError
from nsa.data.sources import file_digest
from nsa.data.split import Split

FORMAT = "nsa-prepared/1"
MANIFEST = "manifest.json"


@dataclass(frozen=True, eq=False)
class PreparedDataset:
    """A prepared dataset in memory.

    Attributes:
        name: the dataset's name.
        classes: class names in label order.
        mean, std: per-channel pixel statistics in [0, 1] units, for the model's normalisation.
        image_shape: (channels, height, width).
        train: the training split; None for datasets only ever tested on.
        test: the test split.
    """

    name: str
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    image_shape: tuple[int, int, int]
    train: Split | None
    test: Split

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def subset(self, train: int = 0, test: int = 0, seed: int = 0) -> PreparedDataset:
        """Seeded subsets of `train` and `test` examples (0 keeps a split whole)."""
        return PreparedDataset(
            self.name,
            self.classes,
            self.mean,
            self.std,
            self.image_shape,
            None if self.train is None else self.train.subset(train, seed),
            self.test.subset(test, seed),
        )


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a prepared folder; None when absent or unreadable."""
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def files_intact(folder: Path, manifest: dict[str, Any]) -> bool:
    """Whether every prepared file exists with the SHA-256 its manifest records."""
    for name, record in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != record.get("bytes"):
            return False
        if file_digest(path, "sha256") != record.get("sha256"):
            return False
    return bool(manifest.get("files"))


def load_prepared(name: str, layout: Any, verify: bool = True) -> PreparedDataset:
    """Load the prepared copy of dataset `name` from `layout.prepared(name)`.

    With `verify`, every file's SHA-256 is checked against the manifest first.
    """
    info = dataset_info(name)
    folder = Path(layout.prepared(name))
    manifest = read_manifest(folder)
    if manifest is None:
        raise DataError(f"{folder / MANIFEST} is missing: run `nsa prepare {name}` first")
    if manifest.get("format") != FORMAT or manifest.get("dataset") != name:
        raise DataError(f"{folder} holds another format or dataset: run `nsa prepare {name}`")
    if verify and not files_intact(folder, manifest):
        raise DataError(
            f"{folder}: prepared files are missing or differ from {MANIFEST}: "
            f"run `nsa prepare {name}` again"
        )
    splits = {
        split: _load_split(folder, record, info.image_shape, info.mean, name)
        for split, record in manifest["splits"].items()
    }
    return PreparedDataset(
        name=name,
        classes=info.classes,
        mean=info.mean,
        std=info.std,
        image_shape=info.image_shape,
        train=splits.get("train"),
        test=splits["test"],
    )


def _load_split(folder: Path, record: dict, shape: tuple, mean: tuple, name: str) -> Split:
    """One split's arrays as tensors, after checking them against the manifest."""
    arrays = []
    for key, dtype, expected in (
        ("images", np.uint8, (record["count"], *shape)),
        ("labels", np.int64, (record["count"],)),
    ):
        path = folder / record[key]
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise DataError(f"{path}: unreadable ({error}): run `nsa prepare {name}`") from error
        if array.dtype != dtype or array.shape != expected:
            raise DataError(
                f"{path}: {array.dtype} {array.shape}, expected {np.dtype(dtype)} {expected}"
            )
        arrays.append(torch.from_numpy(array))
    return Split(arrays[0], arrays[1], mean)

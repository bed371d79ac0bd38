"""Small dataset files written in the published formats, and data settings for tests."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from nsa.config import DataConfig
from nsa.data.catalog import CIFAR10_CLASSES, CIFAR100_CLASSES


def md5(path: Path) -> str:
    """MD5 of a file."""
    return hashlib.md5(path.read_bytes()).hexdigest()


def data_config(allow_download: bool = False, sources: dict | None = None) -> DataConfig:
    """Data settings as a profile would hold them."""
    return DataConfig(
        root=Path("data"),
        allow_download=allow_download,
        sources=sources or {},
        in_distribution=("cifar10",),
        ood="svhn",
        train_subset=0,
        test_subset=0,
        subset_seed=0,
    )


def cifar_batch(rng: np.random.Generator, count: int, classes: int, label_key: str) -> dict:
    """One CIFAR batch dict: rows of 3072 channel-major pixels and a list of labels."""
    return {
        "batch_label": "made up for a test",
        label_key: [int(label) for label in rng.integers(0, classes, count)],
        "data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
        "filenames": [f"image_{i}.png" for i in range(count)],
    }


def cifar10_members(seed: int = 0) -> dict[str, dict]:
    """The pickled dicts of CIFAR-10's python release: 5 training batches, test, metadata."""
    rng = np.random.default_rng(seed)
    members = {f"data_batch_{i}": cifar_batch(rng, 6, 10, "labels") for i in range(1, 6)}
    members["test_batch"] = cifar_batch(rng, 7, 10, "labels")
    members["batches.meta"] = {"label_names": list(CIFAR10_CLASSES), "num_vis": 3072}
    return members


def cifar100_members(seed: int = 0) -> dict[str, dict]:
    """The pickled dicts of CIFAR-100's python release: train, test, metadata."""
    rng = np.random.default_rng(seed)
    members = {
        "train": cifar_batch(rng, 9, 100, "fine_labels"),
        "test": cifar_batch(rng, 5, 100, "fine_labels"),
        "meta": {"fine_label_names": list(CIFAR100_CLASSES), "coarse_label_names": []},
    }
    for name in ("train", "test"):
        members[name]["coarse_labels"] = [label // 5 for label in members[name]["fine_labels"]]
    return members


def write_tarball(path: Path, folder: str, members: dict[str, object]) -> Path:
    """A gzipped tarball of pickles (or raw bytes) under `folder`, like the python releases."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, value in members.items():
            blob = value if isinstance(value, bytes) else pickle.dumps(value, protocol=2)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def write_unpacked(root: Path, folder: str, members: dict[str, object]) -> Path:
    """The same pickles as loose files, as the tarball unpacks."""
    (root / folder).mkdir(parents=True, exist_ok=True)
    for name, value in members.items():
        (root / folder / name).write_bytes(pickle.dumps(value, protocol=2))
    return root


def write_svhn(path: Path, count: int, seed: int = 0, labels: np.ndarray | None = None) -> dict:
    """An SVHN .mat file: X uint8 (32, 32, 3, N), y (N, 1) in 1..10; returns its arrays."""
    import scipy.io

    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (32, 32, 3, count), dtype=np.uint8)
    if labels is None:
        labels = np.resize(np.arange(1, 11, dtype=np.uint8), count)
    arrays = {"X": images, "y": labels.reshape(-1, 1)}
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, arrays)
    return arrays


def cifar10_tarball(folder: Path, seed: int = 0, **replace: object) -> tuple[Path, dict]:
    """A CIFAR-10 tarball in `folder` (members optionally replaced) and its checksum table."""
    members = {**cifar10_members(seed), **replace}
    path = write_tarball(folder / "cifar-10-python.tar.gz", "cifar-10-batches-py", members)
    return path, {path.name: md5(path)}

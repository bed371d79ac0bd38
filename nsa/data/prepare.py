"""Turning a dataset's published files into a verified, prepared copy.

Preparing is: find the raw files and check their official checksums, parse them, check the
arrays, and write `.npy` files and a manifest into a scratch folder that is renamed into
place only when complete. The prepared bytes depend only on the raw files' content, so the
same sources give byte-identical copies (the manifest records their SHA-256). Preparing
again is a no-op while the manifest records the expected raw checksums and the files still
match it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nsa.data.catalog import SCIKIT_LEARN, DatasetInfo, RawFile, dataset_info, with_checksums
from nsa.data.errors import DataError
from nsa.data.prepared import FORMAT, MANIFEST, files_intact, read_manifest
from nsa.data.readers import Arrays, read_raw
from nsa.data.sources import RawSource, describe_missing, file_digest, find_layout, locate_raw
from nsa.io import atomic_open, write_json

log = logging.getLogger(__name__)


def prepare_dataset(
    name: str,
    data_cfg: Any,
    layout: Any,
    source: str | os.PathLike | None = None,
    checksums: Mapping[str, str] | None = None,
) -> Path:
    """Verify dataset `name`'s raw files and write its prepared copy; return its folder.

    Args:
        name: a key of `DATASETS`.
        data_cfg: settings with `allow_download` and `sources` (dataset -> folder).
        layout: where raw and prepared data live (`raw(name)`, `prepared(name)`).
        source: a folder holding the raw files; overrides `data_cfg.sources`.
        checksums: MD5 per raw file name replacing the official ones (for made-up files).
    """
    info = dataset_info(name)
    if checksums:
        info = with_checksums(info, checksums)
    target = Path(layout.prepared(name))
    if is_current(target, info):
        log.info("%s is already prepared in %s", name, target)
        return target

    raw = locate_raw(info, data_cfg, layout, None if source is None else Path(source))
    splits = read_raw(info, raw)
    write_prepared(target, info, raw, splits)
    counts = ", ".join(f"{len(labels)} {split}" for split, (_, labels) in splits.items())
    log.info("prepared %s (%s) in %s", name, counts, target)
    return target


def check_obtainable(name: str, data_cfg: Any, layout: Any) -> None:
    """Raise DataError when `prepare_dataset(name, ...)` could not find or fetch the data.

    A cheap check (file names only, no checksums) for workflows to run before any job starts,
    so that a missing dataset on an offline machine fails in seconds rather than hours in.
    """
    info = dataset_info(name)
    if is_current(Path(layout.prepared(name)), info) or info.layouts[0].name == SCIKIT_LEARN:
        return
    named = (getattr(data_cfg, "sources", None) or {}).get(name)
    folders = [Path(named)] if named else [Path(layout.raw(name))]
    folders += [] if named else [Path(folder) for folder in info.system_dirs]
    if any(find_layout(folder, info) for folder in folders):
        return
    if not named and getattr(data_cfg, "allow_download", False):
        return
    looked = ", ".join(str(folder) for folder in folders)
    raise DataError(
        f"dataset {name} is not prepared and its raw files are not in {looked}"
        + ("" if named else "; downloads are disabled (allow_download is false or NSA_OFFLINE=1)")
        + f"; missing {describe_missing(folders[0], info)}"
    )


def is_current(folder: Path, info: DatasetInfo) -> bool:
    """Whether `folder` holds an intact copy prepared from the expected raw files."""
    manifest = read_manifest(folder)
    if manifest is None or manifest.get("format") != FORMAT or manifest.get("dataset") != info.name:
        return False
    return raw_matches(manifest.get("raw", {}), info) and files_intact(folder, manifest)


def raw_matches(recorded: Mapping[str, Mapping[str, str]], info: DatasetInfo) -> bool:
    """Whether recorded raw checksums are those of one of the dataset's layouts."""

    def matches(file: RawFile) -> bool:
        record = recorded[file.name]
        content = file.content_md5 is not None and record.get("content_md5") == file.content_md5
        return record.get("md5") == file.md5 or content

    for layout in info.layouts:
        names = {file.name for file in layout.files}
        if (
            set(recorded) <= names
            and all(file.name in recorded for file in layout.required)
            and all(matches(file) for file in layout.files if file.name in recorded)
        ):
            return True
    return False


def write_prepared(target: Path, info: DatasetInfo, raw: RawSource, splits: dict[str, Arrays]):
    """Write arrays and manifest into a scratch folder, then rename it to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        os.chmod(scratch, 0o755)
        files = {}
        for split, arrays in splits.items():
            for kind, array in zip(("images", "labels"), arrays, strict=True):
                file_name = f"{split}_{kind}.npy"
                with atomic_open(scratch / file_name) as handle:
                    np.save(handle, array, allow_pickle=False)
                path = scratch / file_name
                files[file_name] = {
                    "sha256": file_digest(path, "sha256"),
                    "bytes": path.stat().st_size,
                }
        write_json(scratch / MANIFEST, build_manifest(info, raw, splits, files))
        _replace_folder(scratch, target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def build_manifest(info: DatasetInfo, raw: RawSource, splits: dict, files: dict) -> dict:
    """The manifest of a prepared copy: what it holds, where it came from, its checksums."""
    return {
        "format": FORMAT,
        "dataset": info.name,
        "classes": list(info.classes),
        "image_shape": list(info.image_shape),
        "mean": list(info.mean),
        "std": list(info.std),
        "splits": {
            split: _describe_split(split, images, labels, info.num_classes)
            for split, (images, labels) in splits.items()
        },
        "source": {"origin": raw.origin, "folder": str(raw.folder), "layout": raw.layout.name},
        "raw": raw.checksums,
        "files": files,
        "sha256": combined_sha256(files),
    }


def combined_sha256(files: Mapping[str, Mapping[str, Any]]) -> str:
    """One SHA-256 over the names and SHA-256s of all prepared files."""
    lines = "".join(f"{name} {files[name]['sha256']}\n" for name in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def _describe_split(split: str, images: np.ndarray, labels: np.ndarray, classes: int) -> dict:
    """Counts and measured pixel statistics of one split, for the manifest."""
    mean, std = pixel_statistics(images)
    return {
        "count": len(labels),
        "images": f"{split}_images.npy",
        "labels": f"{split}_labels.npy",
        "label_counts": np.bincount(labels, minlength=classes).tolist(),
        "pixel_mean": [round(value, 6) for value in mean],
        "pixel_std": [round(value, 6) for value in std],
    }


def pixel_statistics(images: np.ndarray) -> tuple[list[float], list[float]]:
    """Exact per-channel mean and standard deviation of uint8 images, in [0, 1] units."""
    values = np.arange(256, dtype=np.float64) / 255
    means, stds = [], []
    for channel in range(images.shape[1]):
        # A histogram of the 256 levels gives exact moments without a float copy of the data.
        counts = np.bincount(images[:, channel].reshape(-1), minlength=256).astype(np.float64)
        mean = counts @ values / counts.sum()
        means.append(float(mean))
        stds.append(float(np.sqrt(counts @ (values - mean) ** 2 / counts.sum())))
    return means, stds


def _replace_folder(new: Path, target: Path) -> None:
    """Rename `new` to `target`, moving an older `target` aside first and then deleting it."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)

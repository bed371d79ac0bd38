"""Finding a dataset's published files and proving they are the official ones.

The files are looked for, in order, in a folder the user names, in the dataset's raw folder,
in folders where an operating-system package installs them, and last downloaded from
torchvision's addresses when downloads are allowed. Every file's MD5 is checked against the
catalogue before any byte of it is parsed: the CIFAR archives hold pickles, and unpickling
runs code.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nsa.data.catalog import SCIKIT_LEARN, DatasetInfo, RawFile, RawLayout
from nsa.data.errors import DataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawSource:
    """A dataset's raw files, all verified, ready to be parsed.

    Attributes:
        folder: where the files are.
        layout: which set of files they are.
        origin: how they were found: "named folder", "raw folder", "system folder", "download"
            or "scikit-learn".
        checksums: measured checksums per file name (`md5`, and `content_md5` for gzip files).
    """

    folder: Path
    layout: RawLayout
    origin: str
    checksums: dict[str, dict[str, str]]

    def path(self, name: str) -> Path:
        """Path of raw file `name`."""
        return self.folder / name

    def has(self, name: str) -> bool:
        """Whether raw file `name` was found (optional files may be absent)."""
        return name in self.checksums


def file_digest(path: Path, algorithm: str = "md5") -> str:
    """Hex digest of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def gzip_content_md5(path: Path) -> str | None:
    """MD5 of a gzip file's decompressed bytes; None when it does not decompress."""
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with gzip.open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return digest.hexdigest()


def digits_md5(images: np.ndarray, labels: np.ndarray) -> str:
    """Checksum of scikit-learn's digits: MD5 of the 8x8 images then the labels, as uint8."""
    data = images.astype(np.uint8).tobytes() + labels.astype(np.uint8).tobytes()
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def verify_file(path: Path, file: RawFile, dataset: str) -> dict[str, str]:
    """Checksums of `path`, after proving it is the official `file`; DataError otherwise."""
    measured = {"md5": file_digest(path)}
    content = gzip_content_md5(path) if file.content_md5 is not None else None
    if content is not None:
        measured["content_md5"] = content
    if measured["md5"] == file.md5 or (content is not None and content == file.content_md5):
        return measured
    raise DataError(
        f"{path}: checksum mismatch: md5 {measured['md5']}, expected {file.md5} (official "
        f"{file.name}); the file is truncated, corrupt or not the published one: delete it and "
        f"run `nsa prepare {dataset}` again, or name a folder holding a good copy with --source"
    )


def verify_layout(folder: Path, layout: RawLayout, dataset: str) -> dict[str, dict[str, str]]:
    """Checksums of every file of `layout` present in `folder`, each verified."""
    return {
        file.name: verify_file(folder / file.name, file, dataset)
        for file in layout.files
        if (folder / file.name).is_file()
    }


def find_layout(folder: Path, info: DatasetInfo) -> RawLayout | None:
    """The first layout whose required files are all in `folder`."""
    for layout in info.layouts:
        if all((folder / file.name).is_file() for file in layout.required):
            return layout
    return None


def describe_missing(folder: Path, info: DatasetInfo) -> str:
    """Which files `folder` lacks, for the layout it comes closest to completing."""

    def missing(layout: RawLayout) -> list[RawFile]:
        return [f for f in layout.required if not (folder / f.name).is_file()]

    closest = min(info.layouts, key=lambda layout: len(missing(layout)) / len(layout.required))
    return "; ".join(f"{folder / f.name} (md5 {f.md5})" for f in missing(closest))


def locate_raw(info: DatasetInfo, data_cfg: Any, layout: Any, source: Path | None) -> RawSource:
    """Find, verify and if allowed download the raw files of a dataset."""
    named = source or (getattr(data_cfg, "sources", None) or {}).get(info.name)
    if info.layouts[0].name == SCIKIT_LEARN:
        return _bundled_source(info, named)

    if named is not None:
        return _named_source(info, Path(named))

    raw_folder = Path(layout.raw(info.name))
    candidates = [(raw_folder, "raw folder")]
    candidates += [(Path(folder), "system folder") for folder in info.system_dirs]
    for folder, origin in candidates:
        found = find_layout(folder, info)
        if found is not None:
            log.info("using the raw files of %s in %s", info.name, folder)
            return RawSource(folder, found, origin, verify_layout(folder, found, info.name))

    if not getattr(data_cfg, "allow_download", False):
        looked = ", ".join(str(folder) for folder, _ in candidates)
        missing = describe_missing(raw_folder, info)
        raise DataError(
            f"no raw files of {info.name}: looked in {looked} and downloads are disabled "
            f"(allow_download is false or NSA_OFFLINE=1); missing {missing}; put them in "
            f"{raw_folder}, or name their folder with --source or data.sources.{info.name}"
        )
    return download(info, raw_folder)


def _named_source(info: DatasetInfo, folder: Path) -> RawSource:
    """The raw files in a folder the user named, which must hold a complete layout."""
    found = find_layout(folder, info)
    if found is None:
        raise DataError(
            f"{folder} lacks raw files of {info.name}: {describe_missing(folder, info)}"
        )
    log.info("using the raw files of %s in %s", info.name, folder)
    return RawSource(folder, found, "named folder", verify_layout(folder, found, info.name))


def _bundled_source(info: DatasetInfo, source: Any) -> RawSource:
    """Scikit-learn's bundled digits, verified by the checksum of their arrays."""
    if source is not None:
        raise DataError(f"{info.name} comes with scikit-learn; a source folder does not apply")
    import sklearn.datasets

    layout = info.layouts[0]
    (expected,) = layout.files
    bunch = sklearn.datasets.load_digits()
    measured = digits_md5(bunch.images, bunch.target)
    if measured != expected.md5:
        raise DataError(
            f"scikit-learn's load_digits: checksum mismatch: md5 {measured}, expected "
            f"{expected.md5}; this scikit-learn ships different digits"
        )
    folder = Path(sklearn.datasets.__file__).parent / "data"
    return RawSource(folder, layout, SCIKIT_LEARN, {expected.name: {"md5": measured}})


def download(info: DatasetInfo, folder: Path) -> RawSource:
    """Fetch the required files of the first layout with torchvision, then verify them."""
    from torchvision.datasets.utils import download_url

    layout = info.layouts[0]
    folder.mkdir(parents=True, exist_ok=True)
    # Download into a scratch folder so that an interrupted transfer never sits where a
    # finished file is expected.
    scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=folder))
    try:
        for file in layout.required:
            log.info("downloading %s", file.url)
            try:
                download_url(file.url, str(scratch), filename=file.name, md5=file.md5)
            except Exception as error:  # network, HTTP or checksum failures alike
                raise DataError(f"download of {file.url} failed: {error}") from error
            verify_file(scratch / file.name, file, info.name)
            os.replace(scratch / file.name, folder / file.name)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(scratch)
    return RawSource(folder, layout, "download", verify_layout(folder, layout, info.name))

"""Parsing verified raw files into image and label arrays.

Every reader returns, per split, uint8 images of shape (N, C, H, W) and int64 labels of shape
(N,), checked against the dataset's catalogue entry. Readers only ever see files whose
checksums `nsa.data.sources` has verified. The CIFAR pickles are still read with an
unpickler that admits numpy arrays and nothing else, so that no file can run code even if a
checksum were wrong.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import pickle
import struct
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from nsa.data.catalog import DatasetInfo
from nsa.data.errors import DataError
from nsa.data.sources import RawSource

Arrays = tuple[np.ndarray, np.ndarray]  # images uint8 (N, C, H, W), labels int64 (N,)


def read_raw(info: DatasetInfo, raw: RawSource) -> dict[str, Arrays]:
    """The splits of a dataset, parsed from its verified raw files."""
    return _READERS[info.name](info, raw)


def check_arrays(images: np.ndarray, labels: np.ndarray, info: DatasetInfo, where: str) -> Arrays:
    """`(images, labels)` after checking dtype, shape and label range; DataError otherwise."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != info.image_shape:
        expected = ", ".join(str(size) for size in info.image_shape)
        raise DataError(
            f"{where}: images of shape {images.shape} and type {images.dtype}, expected uint8 "
            f"of shape (N, {expected})"
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{where}: {labels.shape} labels for {len(images)} images")
    outside = labels[(labels < 0) | (labels >= info.num_classes)]
    if len(outside):
        raise DataError(
            f"{where}: label {int(outside[0])} out of range 0..{info.num_classes - 1} "
            f"({len(outside)} such labels)"
        )
    return np.ascontiguousarray(images), labels.astype(np.int64)


# CIFAR: python pickles of {"data": uint8 (N, 3072), labels: list}, in a gzipped tarball.


@dataclass(frozen=True)
class _CifarFormat:
    folder: str  # folder inside the tarball
    batches: dict[str, tuple[str, ...]]  # split -> files
    label_key: str
    meta: str
    names_key: str


_CIFAR = {
    "cifar10": _CifarFormat(
        folder="cifar-10-batches-py",
        batches={
            "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
            "test": ("test_batch",),
        },
        label_key="labels",
        meta="batches.meta",
        names_key="label_names",
    ),
    "cifar100": _CifarFormat(
        folder="cifar-100-python",
        batches={"train": ("train",), "test": ("test",)},
        label_key="fine_labels",
        meta="meta",
        names_key="fine_label_names",
    ),
}


def _numpy_globals() -> dict[tuple[str, str], Callable]:
    """The only globals a CIFAR pickle may name: numpy's array reconstructors."""
    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy < 2
        from numpy.core import multiarray, numeric
    allowed: dict[tuple[str, str], Callable] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,  # how Python 3 pickles bytes at protocol 2
    }
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = multiarray._reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = numeric._frombuffer
    return allowed


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles containers of numbers, strings and numpy arrays; refuses every other global."""

    allowed = _numpy_globals()

    def find_class(self, module: str, name: str) -> Callable:
        """Resolve a global only if it is a numpy array reconstructor."""
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}") from None


def unpickle_arrays(blob: bytes, where: str) -> dict:
    """A dict from a Python 2 or 3 pickle of numpy arrays; DataError naming `where` otherwise."""
    try:
        # latin1 turns Python 2 strings into str and keeps numpy's byte buffers intact.
        value = _ArrayUnpickler(io.BytesIO(blob), encoding="latin1").load()
    except Exception as error:  # a malformed pickle can fail in many ways
        raise DataError(f"{where}: not a readable pickle of arrays: {error}") from error
    if not isinstance(value, dict):
        raise DataError(f"{where}: expected a dict, found {type(value).__name__}")
    return value


@contextlib.contextmanager
def _open_cifar(raw: RawSource) -> Iterator[Callable[[str], tuple[bytes, str]]]:
    """A function from a file's path inside the tarball to (its bytes, a name for errors)."""
    if raw.layout.name != "archive":
        yield lambda name: ((raw.folder / name).read_bytes(), str(raw.folder / name))
        return
    (archive_file,) = raw.layout.files
    archive = raw.path(archive_file.name)
    try:
        with tarfile.open(archive, "r:gz") as tar:

            def member(name: str) -> tuple[bytes, str]:
                where = f"{name} in {archive}"
                try:
                    handle = tar.extractfile(name)
                except KeyError:
                    raise DataError(f"{archive} lacks {name}") from None
                if handle is None:
                    raise DataError(f"{where}: not a regular file")
                return handle.read(), where

            yield member
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise DataError(f"{archive}: unreadable archive (truncated or corrupt): {error}") from error


def _read_cifar(info: DatasetInfo, raw: RawSource) -> dict[str, Arrays]:
    """CIFAR-10 or CIFAR-100 from the python tarball or its unpacked folder."""
    fmt = _CIFAR[info.name]
    with _open_cifar(raw) as member:
        _check_cifar_names(info, fmt, *member(f"{fmt.folder}/{fmt.meta}"))
        splits = {}
        for split, names in fmt.batches.items():
            parts = [_cifar_batch(info, fmt, *member(f"{fmt.folder}/{name}")) for name in names]
            splits[split] = tuple(np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return splits


def _check_cifar_names(info: DatasetInfo, fmt: _CifarFormat, blob: bytes, where: str) -> None:
    """The class names of the metadata file must be the catalogue's."""
    names = tuple(unpickle_arrays(blob, where).get(fmt.names_key, ()))
    if names != info.classes:
        raise DataError(f"{where}: class names {names[:3]}... differ from {info.classes[:3]}...")


def _cifar_batch(info: DatasetInfo, fmt: _CifarFormat, blob: bytes, where: str) -> Arrays:
    """Images and labels of one CIFAR batch file."""
    batch = unpickle_arrays(blob, where)
    data, labels = batch.get("data"), batch.get(fmt.label_key)
    if not isinstance(data, np.ndarray) or data.ndim != 2 or labels is None:
        raise DataError(f"{where}: expected 'data' (N, 3072) and '{fmt.label_key}' entries")
    if data.shape[1] != np.prod(info.image_shape):
        raise DataError(f"{where}: images of shape {data.shape}, expected (N, 3072)")
    images = data.reshape(-1, *info.image_shape)  # rows are stored channel by channel
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as error:
        raise DataError(f"{where}: labels are not integers: {error}") from error
    return check_arrays(images, labels, info, where)


# SVHN: MATLAB files with X uint8 (32, 32, 3, N) and y (N, 1) in 1..10, where 10 is digit 0.


def _read_svhn(info: DatasetInfo, raw: RawSource) -> dict[str, Arrays]:
    """The SVHN splits whose .mat files were found."""
    splits = {}
    for split in ("test", "train"):
        name = f"{split}_32x32.mat"
        if raw.has(name):
            splits[split] = _svhn_mat(info, raw.path(name))
    return splits


def _svhn_mat(info: DatasetInfo, path) -> Arrays:
    """Images and labels of one SVHN .mat file."""
    import scipy.io

    try:
        content = scipy.io.loadmat(path, variable_names=["X", "y"])
    except Exception as error:  # scipy raises many types for malformed files
        raise DataError(f"{path}: unreadable MATLAB file: {error}") from error
    images, labels = content.get("X"), content.get("y")
    if images is None or labels is None or images.ndim != 4:
        raise DataError(f"{path}: expected X of shape (32, 32, 3, N) and y of shape (N, 1)")
    labels = labels.reshape(-1).astype(np.int64)
    outside = labels[(labels < 1) | (labels > 10)]
    if len(outside):
        raise DataError(f"{path}: label {int(outside[0])} out of range 1..10")
    labels[labels == 10] = 0
    return check_arrays(images.transpose(3, 2, 0, 1), labels, info, str(path))


# Fashion-MNIST: gzipped IDX files (big-endian header: magic 0x0800 + rank, then the sizes).


def _read_fashion_mnist(info: DatasetInfo, raw: RawSource) -> dict[str, Arrays]:
    """Fashion-MNIST's training and test splits."""
    splits = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images_path = raw.path(f"{prefix}-images-idx3-ubyte.gz")
        labels_path = raw.path(f"{prefix}-labels-idx1-ubyte.gz")
        images, labels = _idx(images_path, rank=3), _idx(labels_path, rank=1)
        where = f"{images_path} and {labels_path.name}"
        splits[split] = check_arrays(images[:, None], labels.astype(np.int64), info, where)
    return splits


def _idx(path, rank: int) -> np.ndarray:
    """The uint8 array of a gzipped IDX file."""
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: unreadable gzip file: {error}") from error
    header = 4 + 4 * rank
    if len(data) < header or struct.unpack(">I", data[:4])[0] != 0x0800 + rank:
        raise DataError(f"{path}: not an IDX file of uint8 with {rank} dimensions")
    shape = struct.unpack(f">{rank}I", data[4:header])
    if len(data) - header != np.prod(shape):
        raise DataError(f"{path}: {len(data) - header} bytes for an array of shape {shape}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


# scikit-learn's digits: 8x8 images with values 0..16, enlarged to 28x28.


def _read_digits(info: DatasetInfo, raw: RawSource) -> dict[str, Arrays]:
    """All 1,797 digits as a test split, enlarged to the catalogue's image size."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = enlarge_digits(bunch.images.astype(np.int64), size=info.image_shape[-1])
    return {"test": check_arrays(images[:, None], bunch.target, info, "load_digits")}


def bilinear_weights(source: int, target: int) -> tuple[np.ndarray, int]:
    """Integer matrix (target, source) and denominator of bilinear resampling.

    Pixel centres are aligned (each pixel covers a unit square) and the borders are clamped,
    as in the usual `align_corners=False` interpolation. The positions are multiples of
    1/(2 target), so integer weights over that denominator are exact.
    """
    denominator = 2 * target
    weights = np.zeros((target, source), dtype=np.int64)
    for i in range(target):
        # centre of output pixel i in input pixels, times the denominator
        position = max((2 * i + 1) * source - target, 0)
        low, frac = divmod(position, denominator)
        high = min(low + 1, source - 1)
        weights[i, low] += denominator - frac
        weights[i, high] += frac
    return weights, denominator


def enlarge_digits(images: np.ndarray, size: int, levels: int = 16) -> np.ndarray:
    """Bilinear resize of (N, h, w) images valued 0..levels to (N, size, size) uint8 0..255.

    Computed in exact integer arithmetic (rounding half up), so every machine writes the
    same bytes.
    """
    rows, denominator = bilinear_weights(images.shape[1], size)
    cols, _ = bilinear_weights(images.shape[2], size)
    resized = np.einsum("ij,njk,lk->nil", rows, images, cols)
    scale = levels * denominator * denominator
    return ((resized * 255 * 2 + scale) // (2 * scale)).astype(np.uint8)


_READERS: dict[str, Callable[[DatasetInfo, RawSource], dict[str, Arrays]]] = {
    "cifar10": _read_cifar,
    "cifar100": _read_cifar,
    "svhn": _read_svhn,
    "fashion-mnist": _read_fashion_mnist,
    "digits": _read_digits,
}

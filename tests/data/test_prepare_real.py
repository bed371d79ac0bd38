"""Fashion-MNIST and scikit-learn's digits prepared from the real data."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from published_formats import data_config
from sklearn.datasets import load_digits

from nsa.data import DATASETS, DataError, load_prepared, prepare_dataset
from nsa.data.prepare import pixel_statistics
from nsa.data.readers import bilinear_weights, enlarge_digits
from nsa.layout import Layout

FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION / "t10k-labels-idx1-ubyte.gz").is_file(),
    reason=f"Fashion-MNIST files not installed in {FASHION} (Debian: dataset-fashion-mnist)",
)

# SHA-256 over the prepared files (the manifest's "sha256"): any change of bytes shows here.
FASHION_SHA256 = "28629d51dbd155b5d8d7cfbac33aa77b8f89200e8afc906f97d927ae2e1f657b"
DIGITS_SHA256 = "412c4815538dcddf2fc9227ca22fa7f1f81975ccddf63eda2578006e00da54f7"


def manifest(folder: Path) -> dict:
    """The manifest of a prepared folder."""
    return json.loads((folder / "manifest.json").read_text())


@pytest.fixture(scope="module")
def fashion(tmp_path_factory):
    """Fashion-MNIST prepared once from the system copy, with its layout."""
    layout = Layout("test", root=tmp_path_factory.mktemp("fashion"))
    config = data_config()
    return prepare_dataset("fashion-mnist", config, layout), layout


@needs_fashion
def test_fashion_mnist_from_the_system_package(fashion):
    folder, layout = fashion
    dataset = load_prepared("fashion-mnist", layout)

    assert dataset.train.images.shape == (60000, 1, 28, 28)
    assert dataset.test.images.shape == (10000, 1, 28, 28)
    assert dataset.train.labels[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert dataset.test.labels[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    assert torch.bincount(dataset.train.labels).tolist() == [6000] * 10
    assert manifest(folder)["sha256"] == FASHION_SHA256
    assert manifest(folder)["source"]["origin"] == "system folder"


@needs_fashion
def test_fashion_mnist_statistics_are_those_of_its_training_set(fashion):
    folder, layout = fashion
    mean, std = pixel_statistics(load_prepared("fashion-mnist", layout).train.images.numpy())
    assert [round(v, 4) for v in mean + std] == [0.2860, 0.3530]
    info = DATASETS["fashion-mnist"]
    assert (info.mean, info.std) == ((0.2860,), (0.3530,))


@needs_fashion
def test_recompressed_copy_passes_by_its_content_checksum(tmp_path, fashion):
    source = tmp_path / "recompressed"
    source.mkdir()
    for path in FASHION.glob("*.gz"):
        with gzip.open(path) as raw:
            (source / path.name).write_bytes(gzip.compress(raw.read(), compresslevel=1, mtime=0))
    layout = Layout("test", root=tmp_path / "repo")
    config = data_config()

    folder = prepare_dataset("fashion-mnist", config, layout, source=source)
    assert manifest(folder)["sha256"] == FASHION_SHA256


@needs_fashion
def test_different_content_fails_with_the_official_checksum(tmp_path):
    source = tmp_path / "tampered"
    source.mkdir()
    for path in FASHION.glob("*.gz"):
        (source / path.name).symlink_to(path)
    labels = source / "t10k-labels-idx1-ubyte.gz"
    labels.unlink()
    with gzip.open(FASHION / labels.name) as raw:
        content = bytearray(raw.read())
    content[8] = (content[8] + 1) % 10  # relabel the first test image
    labels.write_bytes(gzip.compress(bytes(content)))
    config = data_config()

    message = f"{labels}: checksum mismatch: .* expected bb300cfdad3c16e7a12a480ee83cd310"
    with pytest.raises(DataError, match=message):
        prepare_dataset("fashion-mnist", config, Layout("t", root=tmp_path), source=source)


def test_digits_are_all_1797_enlarged_to_28x28(tmp_path):
    layout = Layout("test", root=tmp_path)
    config = data_config()
    folder = prepare_dataset("digits", config, layout)
    dataset = load_prepared("digits", layout)

    assert dataset.train is None
    assert dataset.test.images.shape == (1797, 1, 28, 28)
    assert dataset.test.labels[:10].tolist() == list(range(10))
    assert dataset.test.images[0, 0, 12, 10:14].tolist() == [93, 40, 0, 0]
    assert manifest(folder)["sha256"] == DIGITS_SHA256
    assert manifest(folder)["raw"] == {"load_digits": {"md5": "7696c07daa6d85010f8268703ab8b067"}}

    shutil.rmtree(folder)  # preparing anew gives the same bytes
    assert manifest(prepare_dataset("digits", config, layout))["sha256"] == DIGITS_SHA256
    mean, std = pixel_statistics(dataset.test.images.numpy())
    assert DATASETS["digits"].mean == (round(mean[0], 4),)
    assert DATASETS["digits"].std == (round(std[0], 4),)


def test_bilinear_weights_centre_pixels_and_clamp_borders():
    weights, denominator = bilinear_weights(8, 28)
    assert denominator == 56
    assert weights.sum(axis=1).tolist() == [56] * 28
    assert weights[2, :2].tolist() == [44, 12]  # centre at 12/56 of a pixel past pixel 0
    assert weights[3, :2].tolist() == [28, 28]
    assert weights[27, 7] == 56


def test_enlarging_agrees_with_float_bilinear_interpolation():
    images = load_digits().images
    exact = enlarge_digits(images.astype(np.int64), size=28).astype(np.float64)
    floating = torch.nn.functional.interpolate(
        torch.tensor(images[:, None] * 255 / 16), size=28, mode="bilinear", align_corners=False
    )
    difference = np.abs(exact - floating[:, 0].round().numpy())
    assert difference.max() == 1  # only where float rounding breaks a tie differently
    assert (difference > 0).mean() < 2e-4
    assert enlarge_digits(np.full((1, 8, 8), 16), size=28).min() == 255

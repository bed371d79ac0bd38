"""Preparing CIFAR-10, CIFAR-100 and SVHN from small files written in the published formats."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
from published_formats import (
    cifar10_members,
    cifar10_tarball,
    cifar100_members,
    data_config,
    md5,
    write_svhn,
    write_tarball,
    write_unpacked,
)

from nsa.data import load_prepared, prepare_dataset
from nsa.layout import Layout


def file_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a folder by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_cifar10_tarball_is_parsed_in_batch_order(tmp_path, layout, config):
    _, checksums = cifar10_tarball(layout.raw("cifar10"))
    members = cifar10_members()

    folder = prepare_dataset("cifar10", config, layout, checksums=checksums)
    dataset = load_prepared("cifar10", layout)

    train = [members[f"data_batch_{i}"] for i in range(1, 6)]
    expected_images = np.concatenate([batch["data"] for batch in train]).reshape(30, 3, 32, 32)
    assert np.array_equal(dataset.train.images.numpy(), expected_images)
    assert dataset.train.labels.tolist() == sum((batch["labels"] for batch in train), [])
    assert dataset.test.images.shape == (7, 3, 32, 32)
    # pixel (channel 1, row 2, column 3) sits at 1024 + 2 * 32 + 3 in a stored row
    assert dataset.test.images[4, 1, 2, 3] == members["test_batch"]["data"][4, 1024 + 67]
    assert dataset.test.labels.tolist() == members["test_batch"]["labels"]
    assert (dataset.classes[0], dataset.mean[0], dataset.image_shape) == (
        "airplane",
        125.3 / 255,
        (3, 32, 32),
    )
    assert folder == layout.prepared("cifar10")


def test_manifest_records_shapes_sources_and_hashes(layout, config):
    path, checksums = cifar10_tarball(layout.raw("cifar10"))
    folder = prepare_dataset("cifar10", config, layout, checksums=checksums)
    manifest = json.loads((folder / "manifest.json").read_text())

    assert manifest["format"] == "nsa-prepared/1"
    assert manifest["raw"] == {"cifar-10-python.tar.gz": {"md5": md5(path)}}
    assert manifest["source"] == {
        "origin": "raw folder",
        "folder": str(layout.raw("cifar10")),
        "layout": "archive",
    }
    assert manifest["splits"]["train"]["count"] == 30
    assert sum(manifest["splits"]["test"]["label_counts"]) == 7
    assert len(manifest["classes"]) == 10 and manifest["image_shape"] == [3, 32, 32]
    for name in ("train_images.npy", "train_labels.npy", "test_images.npy", "test_labels.npy"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert manifest["files"][name]["sha256"] == digest
    lines = "".join(f"{n} {manifest['files'][n]['sha256']}\n" for n in sorted(manifest["files"]))
    assert manifest["sha256"] == hashlib.sha256(lines.encode()).hexdigest()


def test_same_sources_give_byte_identical_copies(tmp_path, config):
    source = tmp_path / "downloads"
    path, checksums = cifar10_tarball(source)
    unpacked = write_unpacked(tmp_path / "unpacked", "cifar-10-batches-py", cifar10_members())
    checksums.update(
        {
            f"cifar-10-batches-py/{p.name}": md5(p)
            for p in (unpacked / "cifar-10-batches-py").iterdir()
        }
    )

    copies = []
    for name, folder in (("a", source), ("b", source), ("c", unpacked)):
        layout = Layout("test", root=tmp_path / name)
        copies.append(
            prepare_dataset("cifar10", config, layout, source=folder, checksums=checksums)
        )

    arrays = [{k: v for k, v in file_bytes(c).items() if k.endswith(".npy")} for c in copies]
    assert arrays[0] == arrays[1] == arrays[2]
    hashes = {json.loads((c / "manifest.json").read_text())["sha256"] for c in copies}
    assert len(hashes) == 1
    assert file_bytes(copies[0]) == file_bytes(copies[1])  # manifests too, same source


def test_preparing_again_is_a_no_op_until_a_file_changes(layout, config):
    path, checksums = cifar10_tarball(layout.raw("cifar10"))
    folder = prepare_dataset("cifar10", config, layout, checksums=checksums)
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    original = file_bytes(folder)

    shutil.move(path, path.with_suffix(".away"))  # raw files are not even looked at
    prepare_dataset("cifar10", config, layout, checksums=checksums)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps

    damaged = folder / "test_labels.npy"
    damaged.write_bytes(damaged.read_bytes()[:-8] + bytes(8))
    shutil.move(path.with_suffix(".away"), path)
    prepare_dataset("cifar10", config, layout, checksums=checksums)
    assert file_bytes(folder) == original


def test_other_raw_checksums_mean_preparing_again(layout, config):
    _, checksums = cifar10_tarball(layout.raw("cifar10"), seed=0)
    prepare_dataset("cifar10", config, layout, checksums=checksums)
    _, checksums = cifar10_tarball(layout.raw("cifar10"), seed=1)
    prepare_dataset("cifar10", config, layout, checksums=checksums)

    dataset = load_prepared("cifar10", layout)
    expected = cifar10_members(seed=1)["test_batch"]["data"].reshape(-1, 3, 32, 32)
    assert np.array_equal(dataset.test.images.numpy(), expected)
    leftovers = [p.name for p in layout.prepared("cifar10").parent.iterdir()]
    assert leftovers == ["cifar10"]


def test_named_source_folder_comes_first(tmp_path, layout):
    _, checksums = cifar10_tarball(tmp_path / "mine", seed=3)
    cifar10_tarball(layout.raw("cifar10"), seed=4)  # would fail its checksum if used
    config = data_config(sources={"cifar10": str(tmp_path / "mine")})
    prepare_dataset("cifar10", config, layout, checksums=checksums)
    manifest = json.loads((layout.prepared("cifar10") / "manifest.json").read_text())
    assert manifest["source"]["origin"] == "named folder"


def test_cifar100_uses_fine_labels(tmp_path, layout, config):
    members = cifar100_members()
    path = write_tarball(tmp_path / "cifar-100-python.tar.gz", "cifar-100-python", members)

    prepare_dataset("cifar100", config, layout, source=tmp_path, checksums={path.name: md5(path)})
    dataset = load_prepared("cifar100", layout)

    assert dataset.train.labels.tolist() == members["train"]["fine_labels"]
    assert dataset.test.labels.tolist() == members["test"]["fine_labels"]
    assert np.array_equal(
        dataset.train.images.numpy(), members["train"]["data"].reshape(9, 3, 32, 32)
    )
    assert (dataset.num_classes, dataset.classes[-1]) == (100, "worm")


def test_svhn_test_split_maps_label_10_to_digit_0(tmp_path, layout, config):
    arrays = write_svhn(layout.raw("svhn") / "test_32x32.mat", count=12)
    checksums = {"test_32x32.mat": md5(layout.raw("svhn") / "test_32x32.mat")}

    prepare_dataset("svhn", config, layout, checksums=checksums)
    dataset = load_prepared("svhn", layout)

    assert dataset.train is None
    assert dataset.test.labels.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]
    # X is (height, width, channel, image)
    assert np.array_equal(dataset.test.images.numpy(), arrays["X"].transpose(3, 2, 0, 1))
    assert dataset.test.images[5, 2, 7, 1] == arrays["X"][7, 1, 2, 5]


def test_svhn_training_split_is_used_when_present(tmp_path, layout, config):
    write_svhn(tmp_path / "test_32x32.mat", count=4)
    write_svhn(tmp_path / "train_32x32.mat", count=6, seed=1)
    checksums = {name: md5(tmp_path / name) for name in ("test_32x32.mat", "train_32x32.mat")}

    prepare_dataset("svhn", config, layout, source=tmp_path, checksums=checksums)
    dataset = load_prepared("svhn", layout)
    assert (len(dataset.train), len(dataset.test)) == (6, 4)


def test_download_goes_through_torchvision_with_the_official_url(tmp_path, layout, monkeypatch):
    published, checksums = cifar10_tarball(tmp_path / "server")
    calls = []

    def fake_download(url, root, filename=None, md5=None):
        calls.append((url, filename, md5))
        shutil.copy(published, Path(root) / filename)

    monkeypatch.setattr("torchvision.datasets.utils.download_url", fake_download)
    config = data_config(allow_download=True)
    prepare_dataset("cifar10", config, layout, checksums=checksums)

    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert calls == [(url, "cifar-10-python.tar.gz", checksums["cifar-10-python.tar.gz"])]
    assert sorted(p.name for p in layout.raw("cifar10").iterdir()) == ["cifar-10-python.tar.gz"]
    assert len(load_prepared("cifar10", layout).train) == 30

"""Bad inputs fail before training with a message naming the file, and leave nothing behind."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from published_formats import (
    cifar10_members,
    cifar10_tarball,
    data_config,
    md5,
    write_svhn,
    write_unpacked,
)

from nsa.config import UsageError
from nsa.data import DataError, load_prepared, prepare_dataset

OFFICIAL_CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"


class Exploit:
    """A pickle that creates a folder when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def prepared_parent_entries(layout) -> list[str]:
    """What the prepared-data folder holds (scratch folders included)."""
    parent = layout.prepared("cifar10").parent
    return sorted(p.name for p in parent.iterdir()) if parent.exists() else []


def test_data_errors_are_usage_errors():
    assert issubclass(DataError, UsageError) and issubclass(DataError, ValueError)


def test_checksum_mismatch_names_the_file_and_the_official_checksum(layout, config):
    path, _ = cifar10_tarball(layout.raw("cifar10"))
    message = re.escape(
        f"{path}: checksum mismatch: md5 {md5(path)}, expected {OFFICIAL_CIFAR10_MD5}"
    )
    with pytest.raises(DataError, match=message):
        prepare_dataset("cifar10", config, layout)
    assert prepared_parent_entries(layout) == []


def test_truncated_archive_fails_its_checksum(layout, config):
    path, checksums = cifar10_tarball(layout.raw("cifar10"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(DataError, match=f"expected {checksums[path.name]}.*truncated, corrupt"):
        prepare_dataset("cifar10", config, layout, checksums=checksums)
    assert prepared_parent_entries(layout) == []


def test_truncated_archive_with_a_matching_checksum_is_reported_unreadable(layout, config):
    path, _ = cifar10_tarball(layout.raw("cifar10"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(DataError, match=f"{re.escape(str(path))}: unreadable archive"):
        prepare_dataset("cifar10", config, layout, checksums={path.name: md5(path)})
    assert prepared_parent_entries(layout) == []


def test_missing_file_of_a_named_folder_is_named(tmp_path, layout, config):
    members = cifar10_members()
    del members["test_batch"]
    folder = write_unpacked(tmp_path / "mine", "cifar-10-batches-py", members)

    expected = f"{folder}/cifar-10-batches-py/test_batch (md5 40351d587109b95175f43aff81a1287e)"
    with pytest.raises(DataError, match=f"lacks raw files of cifar10: {re.escape(expected)}$"):
        prepare_dataset("cifar10", config, layout, source=folder)


def test_nothing_found_offline_says_how_to_provide_the_files(layout, config):
    with pytest.raises(DataError) as error:
        prepare_dataset("cifar10", config, layout)
    message = str(error.value)
    assert "no raw files of cifar10" in message
    assert "downloads are disabled (allow_download is false or NSA_OFFLINE=1)" in message
    assert f"{layout.raw('cifar10')}/cifar-10-python.tar.gz (md5 {OFFICIAL_CIFAR10_MD5})" in message
    assert "--source or data.sources.cifar10" in message


def test_label_out_of_range_is_named_with_its_file(layout, config):
    members = cifar10_members()
    members["test_batch"]["labels"][3] = 10
    path, checksums = cifar10_tarball(layout.raw("cifar10"), test_batch=members["test_batch"])

    where = f"cifar-10-batches-py/test_batch in {path}"
    with pytest.raises(DataError, match=re.escape(f"{where}: label 10 out of range 0..9")):
        prepare_dataset("cifar10", config, layout, checksums=checksums)
    assert prepared_parent_entries(layout) == []


def test_images_of_the_wrong_shape_are_named_with_their_file(layout, config):
    batch = cifar10_members()["data_batch_2"]
    batch["data"] = batch["data"][:, :3000]
    path, checksums = cifar10_tarball(layout.raw("cifar10"), data_batch_2=batch)

    message = f"cifar-10-batches-py/data_batch_2 in {path}: images of shape (6, 3000), expected"
    with pytest.raises(DataError, match=re.escape(message)):
        prepare_dataset("cifar10", config, layout, checksums=checksums)


def test_svhn_images_of_the_wrong_shape_are_rejected(tmp_path, layout, config):
    import scipy.io

    path = tmp_path / "test_32x32.mat"
    scipy.io.savemat(path, {"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.ones((2, 1))})
    message = f"{path}: images of shape (2, 3, 28, 28) and type uint8, expected uint8 of shape "
    with pytest.raises(DataError, match=re.escape(message + "(N, 3, 32, 32)")):
        prepare_dataset("svhn", config, layout, source=tmp_path, checksums={path.name: md5(path)})


def test_svhn_label_outside_1_to_10_is_rejected(tmp_path, layout, config):
    path = tmp_path / "test_32x32.mat"
    write_svhn(path, count=3, labels=np.array([1, 11, 2], np.uint8))
    with pytest.raises(DataError, match=re.escape(f"{path}: label 11 out of range 1..10")):
        prepare_dataset("svhn", config, layout, source=tmp_path, checksums={path.name: md5(path)})


def test_a_pickle_with_a_wrong_checksum_is_never_loaded(tmp_path, layout, config):
    marker = tmp_path / "exploited"
    path, _ = cifar10_tarball(layout.raw("cifar10"), data_batch_1=Exploit(marker))

    with pytest.raises(DataError, match=f"expected {OFFICIAL_CIFAR10_MD5}"):
        prepare_dataset("cifar10", config, layout)
    assert not marker.exists()


def test_a_pickle_naming_any_global_but_numpy_arrays_is_refused(tmp_path, layout, config):
    marker = tmp_path / "exploited"
    path, checksums = cifar10_tarball(layout.raw("cifar10"), data_batch_1=Exploit(marker))

    message = "data_batch_1 in .*: not a readable pickle of arrays: refusing to load global "
    with pytest.raises(DataError, match=message + "posix.mkdir"):
        prepare_dataset("cifar10", config, layout, checksums=checksums)
    assert not marker.exists()
    assert pickle.loads(pickle.dumps(1)) == 1  # the standard unpickler is untouched


def test_a_failed_write_leaves_no_prepared_copy(layout, config, monkeypatch):
    _, checksums = cifar10_tarball(layout.raw("cifar10"))

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nsa.data.prepare.write_json", full_disk)
    with pytest.raises(OSError, match="No space left"):
        prepare_dataset("cifar10", config, layout, checksums=checksums)
    assert prepared_parent_entries(layout) == []
    with pytest.raises(DataError, match="manifest.json is missing: run `nsa prepare cifar10`"):
        load_prepared("cifar10", layout)


def test_loading_a_damaged_copy_asks_to_prepare_again(layout, config):
    _, checksums = cifar10_tarball(layout.raw("cifar10"))
    folder = prepare_dataset("cifar10", config, layout, checksums=checksums)
    (folder / "train_images.npy").unlink()

    message = "prepared files are missing or differ from manifest.json: run `nsa prepare cifar10`"
    with pytest.raises(DataError, match=re.escape(message)):
        load_prepared("cifar10", layout)


def test_digits_take_no_source_folder(tmp_path, layout):
    config = data_config(sources={"digits": str(tmp_path)})
    with pytest.raises(DataError, match="digits comes with scikit-learn"):
        prepare_dataset("digits", config, layout)


def test_unobtainable_dataset_is_named_before_any_work(tmp_path):
    from types import SimpleNamespace

    from nsa.data import DataError, check_obtainable
    from nsa.layout import Layout

    layout = Layout("paper", root=tmp_path)
    offline = SimpleNamespace(sources={}, allow_download=False)
    with pytest.raises(DataError, match=r"dataset cifar10 is not prepared.*downloads are disabled"):
        check_obtainable("cifar10", offline, layout)
    check_obtainable("cifar10", SimpleNamespace(sources={}, allow_download=True), layout)
    check_obtainable("digits", offline, layout)  # bundled with scikit-learn
    named = SimpleNamespace(sources={"svhn": str(tmp_path / "nowhere")}, allow_download=True)
    with pytest.raises(DataError, match=r"nowhere.*missing .*test_32x32\.mat"):
        check_obtainable("svhn", named, layout)

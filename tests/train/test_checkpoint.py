import errno
import logging
import os
import pickle

import pytest
import torch

from nsa.train import CheckpointError
from nsa.train.checkpoint import CheckpointStore, file_digest


def state(value: float) -> dict:
    return {"epoch": 1, "weights": torch.full((4,), value), "note": "plain", "pair": (1, 2)}


def test_latest_intact_checkpoint_is_loaded(tmp_path):
    store = CheckpointStore(tmp_path)
    store.save(state(1.0), 10)
    store.save(state(2.0), 20)
    loaded = store.load_latest()
    assert loaded["weights"].tolist() == [2.0] * 4
    assert loaded["note"] == "plain" and loaded["pair"] == (1, 2)


def test_only_the_newest_are_kept(tmp_path):
    store = CheckpointStore(tmp_path, keep=2)
    for step in (5, 10, 15, 20):
        store.save(state(step), step)
    assert [p.name for p in store.paths()] == ["step-0000000020.pt", "step-0000000015.pt"]
    assert sorted(p.name for p in tmp_path.glob("*.sha256")) == [
        "step-0000000015.pt.sha256",
        "step-0000000020.pt.sha256",
    ]


def test_truncated_newest_is_skipped_for_the_previous(tmp_path, caplog):
    store = CheckpointStore(tmp_path)
    store.save(state(1.0), 10)
    newest = store.save(state(2.0), 20)
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with caplog.at_level(logging.WARNING):
        loaded = store.load_latest()
    assert loaded["weights"].tolist() == [1.0] * 4
    assert "step-0000000020.pt" in caplog.text and "SHA-256" in caplog.text
    assert [p.name for p in store.paths()] == ["step-0000000010.pt"]  # the bad one set aside
    assert (tmp_path / "step-0000000020.pt.rejected").exists()


def test_checkpoint_without_digest_is_skipped(tmp_path):
    store = CheckpointStore(tmp_path)
    store.save(state(1.0), 10)
    store.save(state(2.0), 20)
    (tmp_path / "step-0000000020.pt.sha256").unlink()
    assert store.load_latest()["weights"].tolist() == [1.0] * 4


class Payload:
    """Unpickling this runs code: it creates the marker file."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickle_that_runs_code_is_refused_and_not_run(tmp_path, caplog):
    store = CheckpointStore(tmp_path)
    store.save(state(1.0), 10)
    marker = tmp_path / "code-ran"
    evil = tmp_path / "step-0000000020.pt"
    # A consistent digest too: the refusal must come from the loader, not the hash.
    torch.save({"format": "nsa-checkpoint/1", "x": Payload(str(marker))}, evil)
    (tmp_path / "step-0000000020.pt.sha256").write_text(file_digest(evil))
    with caplog.at_level(logging.WARNING):
        loaded = store.load_latest()
    assert not marker.exists()
    assert loaded["weights"].tolist() == [1.0] * 4
    assert "refused" in caplog.text
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / "step-0000000020.pt.rejected", weights_only=True)
    assert not marker.exists()


def test_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    store = CheckpointStore(tmp_path)
    store.save(state(1.0), 10)
    real_save = torch.save

    def fill_disk(obj, handle, *args, **kwargs):
        handle.write(b"partial bytes")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", fill_disk)
    with pytest.raises(CheckpointError, match="disk is full.*step-0000000010.pt is intact"):
        store.save(state(2.0), 20)
    monkeypatch.setattr(torch, "save", real_save)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "step-0000000010.pt",
        "step-0000000010.pt.sha256",
    ]
    assert store.load_latest()["weights"].tolist() == [1.0] * 4


def test_clear_removes_everything(tmp_path):
    store = CheckpointStore(tmp_path)
    store.save(state(1.0), 10)
    (tmp_path / ".step-0000000020.pt.abc.tmp").write_bytes(b"left by a crash")
    store.clear()
    assert list(tmp_path.iterdir()) == []
    assert store.load_latest() is None

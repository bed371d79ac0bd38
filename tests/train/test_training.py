"""Training end to end on real Fashion-MNIST: resuming, faults, provenance and logs."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tiny_settings import ROOT, tiny_setup, write_params

import nsa.train.engine as engine
import nsa.train.experiment as experiment_module
from nsa.config import UsageError
from nsa.layout import Layout
from nsa.models import load_model
from nsa.train import CheckpointError, NonFiniteLossError, train_experiment
from nsa.train.checkpoint import CheckpointStore, file_digest
from nsa.train.experiment import is_trained
from nsa.train.logbook import read_history
from nsa.train.schedule import learning_rate

EXPERIMENT = "fashion-mnist-nsa-id"


class Outcome:
    """Final weights, extras and history of a finished run."""

    def __init__(self, layout: Layout, name: str = EXPERIMENT):
        model, self.extra = load_model(layout.model(name))
        self.weights = model.state_dict()
        self.history = read_history(layout.train_log(name) / "history.jsonl")

    def same_weights(self, other: Outcome) -> bool:
        return self.weights.keys() == other.weights.keys() and all(
            torch.equal(self.weights[key], other.weights[key]) for key in self.weights
        )

    def losses(self) -> list[float]:
        return [record["train/loss"] for record in self.history]


@pytest.fixture(scope="module")
def reference(fashion_data, tmp_path_factory):
    """An uninterrupted tiny run: (params file, layout, outcome)."""
    root = tmp_path_factory.mktemp("reference")
    params = write_params(root, fashion_data)
    profile, experiment, layout = tiny_setup(params, root)
    train_experiment(profile, experiment, layout)
    return params, layout, Outcome(layout)


def test_uninterrupted_run_logs_every_epoch(reference):
    params, layout, outcome = reference
    assert [r["epoch"] for r in outcome.history] == [0, 1, 2]
    assert [r["lr"] for r in outcome.history] == pytest.approx([0.05, 0.01, 0.01])
    assert outcome.losses()[-1] < outcome.losses()[0]
    log_dir = layout.train_log(EXPERIMENT)
    assert json.loads((log_dir / "metrics.json").read_text())["step"] == 2
    tsv = (log_dir / "plots" / "metrics" / "test" / "accuracy.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in tsv] == ["step", "0", "1", "2"]
    assert list(layout.checkpoints(EXPERIMENT).iterdir()) == []


def test_final_model_records_how_it_was_made(reference):
    params, layout, outcome = reference
    extra = outcome.extra
    assert extra["experiment"]["variant"] == "nsa-id"
    assert extra["experiment"]["dataset"] == "fashion-mnist"
    assert extra["settings"]["train"]["epochs"] == 3
    assert extra["settings"]["data"]["train_subset"] == 256
    assert extra["seed"] == 0 and extra["device"] == "cpu"
    assert extra["versions"]["torch"] == torch.__version__
    assert isinstance(extra["git_commit"], str) and extra["git_commit"]
    assert extra["epochs"] == 3 and extra["global_step"] == 3 * (256 // 32)


def test_finished_model_is_not_trained_again(reference):
    params, layout, _ = reference
    profile, experiment, _ = tiny_setup(params, layout.root)
    final = layout.model(EXPERIMENT)
    before = final.stat().st_mtime_ns
    started = time.perf_counter()
    assert train_experiment(profile, experiment, layout) == final
    assert time.perf_counter() - started < 5
    assert final.stat().st_mtime_ns == before
    settings = load_model(final)[1]["settings"]
    assert is_trained(final, settings)
    changed = json.loads(json.dumps(settings))
    changed["train"]["epochs"] = 4
    assert not is_trained(final, changed)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_weights(reference, tmp_path):
    params, _, expected = reference
    command = [sys.executable, "-m", "nsa", "train", EXPERIMENT, "--profile", "tiny"]
    command += ["--params", str(params)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    checkpoints = Layout("tiny", root=tmp_path).checkpoints(EXPERIMENT)
    store = CheckpointStore(checkpoints)

    job = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(verified(store)) < 2 and time.monotonic() < deadline and job.poll() is None:
        time.sleep(0.01)
    job.send_signal(signal.SIGKILL)
    assert job.wait() == -signal.SIGKILL, "training finished before it could be killed"
    assert not Layout("tiny", root=tmp_path).model(EXPERIMENT).exists()

    newest, previous = verified(store)[:2]
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    # Usually epoch 0, step 3 (checkpoints every 3 of 8 steps); the full-disk test below
    # resumes mid-epoch deterministically.
    state = torch.load(previous, weights_only=True)

    rerun = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"skipping checkpoint {newest.relative_to(tmp_path)}" in rerun.stderr
    assert (
        f"resuming at epoch {state['epoch']}, step {state['step']} "
        f"(global step {state['global_step']})" in rerun.stderr
    )
    resumed = Outcome(Layout("tiny", root=tmp_path))
    assert resumed.same_weights(expected)
    assert [r["epoch"] for r in resumed.history] == [0, 1, 2]
    assert resumed.losses() == expected.losses()


def verified(store: CheckpointStore) -> list[Path]:
    """Checkpoints whose digest file has been written, newest first."""
    return [p for p in store.paths() if p.with_name(p.name + ".sha256").exists()]


class SimulatedCrashError(Exception):
    """Stands in for the process dying."""


def test_resume_after_an_epoch_uses_the_schedule_and_refuses_a_malicious_file(
    reference, tmp_path, monkeypatch, caplog
):
    params, _, expected = reference
    profile, experiment, layout = tiny_setup(params, tmp_path)
    real_save = experiment_module.save_checkpoint

    def crash_after_epoch_two(run):
        real_save(run)
        if run.epoch == 2 and run.step == 0:
            raise SimulatedCrashError

    monkeypatch.setattr(experiment_module, "save_checkpoint", crash_after_epoch_two)
    with pytest.raises(SimulatedCrashError):
        train_experiment(profile, experiment, layout)
    monkeypatch.setattr(experiment_module, "save_checkpoint", real_save)
    shutil.rmtree(layout.train_log(EXPERIMENT))  # as a workflow clearing a failed job's outputs

    marker = tmp_path / "code-ran"
    evil = layout.checkpoints(EXPERIMENT) / "step-0000099999.pt"
    torch.save({"format": "nsa-checkpoint/1", "payload": RunsCode(str(marker))}, evil)
    evil.with_name(evil.name + ".sha256").write_text(file_digest(evil))

    seen = {}
    real_resume = experiment_module.resume

    def record_resume(run):
        real_resume(run)
        seen.update(epoch=run.epoch, step=run.step, lr=run.optimizer.param_groups[0]["lr"])

    monkeypatch.setattr(experiment_module, "resume", record_resume)
    with caplog.at_level(logging.WARNING):
        train_experiment(profile, experiment, layout)

    assert not marker.exists()
    assert "step-0000099999.pt: refused" in caplog.text
    assert seen == {"epoch": 2, "step": 0, "lr": pytest.approx(learning_rate(2, 0.05, [1], 0.2))}
    assert seen["lr"] == pytest.approx(0.01)
    resumed = Outcome(layout)
    assert [r["epoch"] for r in resumed.history] == [0, 1, 2]
    assert resumed.losses() == expected.losses()
    assert resumed.same_weights(expected)


class RunsCode:
    """Unpickling this creates a folder: the stand-in for arbitrary code."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_nonfinite_loss_stops_naming_epoch_and_step(reference, tmp_path, monkeypatch):
    params, _, _ = reference
    profile, experiment, layout = tiny_setup(params, tmp_path)
    real_step = engine.train_step

    def poisoned_step(run, x, y):
        loss, correct = real_step(run, x, y)
        return (torch.tensor(float("nan")) if run.global_step == 10 else loss), correct

    monkeypatch.setattr(engine, "train_step", poisoned_step)
    # 8 batches per epoch: global step 10 is epoch 1, step 2; the last checkpoint is step 9.
    with pytest.raises(NonFiniteLossError, match=r"nan at epoch 1 \(0-based\), step 2 of 8"):
        train_experiment(profile, experiment, layout)
    state = CheckpointStore(layout.checkpoints(EXPERIMENT)).load_latest()
    assert (state["epoch"], state["step"], state["global_step"]) == (1, 1, 9)
    assert not layout.model(EXPERIMENT).exists()


def test_full_disk_keeps_the_previous_checkpoint(reference, tmp_path, monkeypatch):
    params, _, expected = reference
    profile, experiment, layout = tiny_setup(params, tmp_path)
    real_save = torch.save
    calls = []

    def fills_the_disk(obj, handle, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            return real_save(obj, handle, *args, **kwargs)
        handle.write(b"the first bytes")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", fills_the_disk)
    with pytest.raises(CheckpointError, match=r"disk is full.*step-0000000003\.pt is intact"):
        train_experiment(profile, experiment, layout)
    monkeypatch.setattr(torch, "save", real_save)
    folder = layout.checkpoints(EXPERIMENT)
    assert sorted(p.name for p in folder.iterdir()) == [
        "step-0000000003.pt",
        "step-0000000003.pt.sha256",
    ]

    assert CheckpointStore(folder).load_latest()["step"] == 3  # epoch 0, mid-epoch
    train_experiment(profile, experiment, layout)
    assert Outcome(layout).same_weights(expected)


def test_missing_dataset_names_the_prepare_command(reference, tmp_path):
    params, _, _ = reference
    profile, experiment, _ = tiny_setup(params, tmp_path)
    layout = Layout("tiny", root=tmp_path, data_root=Path("empty"))
    with pytest.raises(UsageError, match="nsa prepare fashion-mnist"):
        train_experiment(profile, experiment, layout)

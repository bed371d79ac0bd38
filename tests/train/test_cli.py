import argparse

import pytest
from tiny_settings import ROOT

from nsa.cli import train as train_cli
from nsa.config import UsageError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="nsa")
    train_cli.add_parser(top.add_subparsers(dest="command", required=True))
    return top


def test_train_takes_an_experiment_and_the_settings_options():
    args = parser().parse_args(["train", "cifar10-nsa-id", "--profile", "smoke"])
    assert (args.experiment, args.profile, args.params) == (
        "cifar10-nsa-id",
        "smoke",
        "params.yaml",
    )
    assert args.run is train_cli.run_train


def test_unknown_experiment_is_a_usage_error(tmp_path):
    args = parser().parse_args(
        ["train", "no-such-thing", "--profile", "smoke", "--params", str(ROOT / "params.yaml")]
    )
    with pytest.raises(UsageError, match="unknown experiment 'no-such-thing'.*fashion-mnist-nsa"):
        args.run(args)


def test_gpu_probe_holds_a_device_and_records_it(tmp_path, monkeypatch):
    monkeypatch.setenv("NSA_FAKE_GPU_COUNT", "2")
    monkeypatch.setenv("NSA_GPU_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    record = tmp_path / "record.txt"
    args = parser().parse_args(["gpu-probe", "--seconds", "0.01", "--record", str(record)])
    assert args.run(args) == 0
    device, start, end = record.read_text().split()
    assert device == "cuda:0" and float(end) >= float(start) + 0.01

"""Tiny settings files for training tests: the smoke profile shrunk to run in seconds."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from nsa.config import load_profile
from nsa.layout import Layout

ROOT = Path(__file__).resolve().parents[2]
FASHION = Path("/usr/share/datasets/fashion-mnist")

# A network and data small enough that an epoch takes about a second on one CPU thread.
TINY = {
    "threads": 1,
    "device": "cpu",
    "data": {"train_subset": 256, "test_subset": 200, "allow_download": False},
    "model": {"width": 1, "nodes": 3, "num_archs": 3},
    "train": {
        "epochs": 3,
        "batch_size": 32,
        "lr_milestones": [1],
        "checkpoint_every_steps": 3,
        "deterministic": True,
    },
    "experiments": {"generalization": {"variant": "nsa-i", "num_archs": [3]}},
}


def merge(base: dict, changes: dict) -> dict:
    """`base` with the nested `changes` applied."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def write_params(directory: Path, data_root: Path, changes: dict | None = None) -> Path:
    """Write `directory/params.yaml` with profile `tiny`: smoke, then `TINY`, then `changes`."""
    smoke = yaml.safe_load((ROOT / "params.yaml").read_text())["profiles"]["smoke"]
    tiny = merge(merge(smoke, TINY), changes or {})
    tiny["data"]["root"] = str(data_root)
    path = directory / "params.yaml"
    path.write_text(yaml.safe_dump({"profiles": {"tiny": tiny}}, sort_keys=False))
    return path


def tiny_setup(params: Path, root: Path, experiment: str = "fashion-mnist-nsa-id"):
    """(profile, experiment, layout) of the tiny profile with outputs under `root`."""
    profile = load_profile("tiny", params)
    return profile, profile.experiment(experiment), Layout.for_profile(profile, root=root)

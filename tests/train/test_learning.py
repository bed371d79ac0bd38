"""Every variant learns Fashion-MNIST in a short run of the smoke recipe (real data, CPU)."""

from __future__ import annotations

import pytest
import torch
from tiny_settings import tiny_setup, write_params

from nsa.data import eval_batches, load_prepared
from nsa.models import load_model
from nsa.train import train_experiment
from nsa.train.logbook import read_history

# The smoke recipe on 2,500 training images for 2 epochs, batches of 32 for more steps.
SHORT = {
    "model": {"width": 1, "nodes": 3, "num_archs": 3},
    "data": {"train_subset": 2500, "test_subset": 1000},
    "train": {
        "epochs": 2,
        "batch_size": 32,
        "lr": 0.05,
        "lr_milestones": [1],
        "crop_padding": 2,
        "cutout": 8,
        "checkpoint_every_steps": 1000,
    },
}
CHANCE = 0.1


@torch.no_grad()
def saved_model_accuracy(layout, name: str) -> float:
    """Test accuracy of the model file through its first training architecture."""
    model, extra = load_model(layout.model(name))
    settings = extra["settings"]["data"]
    test = load_prepared("fashion-mnist", layout).test.subset(
        settings["test_subset"], settings["subset_seed"]
    )
    model.eval()
    bank = model.bank()
    correct = 0
    for x, y in eval_batches(test, 500, "cpu"):
        mix, member = bank.take(torch.zeros(len(y), dtype=torch.long))
        correct += int((model(x, mix, member).argmax(dim=1) == y).sum())
    return correct / len(test)


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant", ["wrn", "wrn-mcdropout", "individual-1", "nsa", "nsa-i", "nsa-id", "nsa-id-aggr"]
)
def test_every_variant_learns(fashion_data, tmp_path, variant):
    name = f"fashion-mnist-{variant}"
    profile, experiment, layout = tiny_setup(
        write_params(tmp_path, fashion_data, SHORT), tmp_path, name
    )
    train_experiment(profile, experiment, layout)

    last = read_history(layout.train_log(name) / "history.jsonl")[-1]
    if variant == "nsa":
        # One architecture per batch: batch-norm statistics gathered over a mixture of
        # architectures fit none of them, so test accuracy trails training accuracy (the
        # training/test disparity that per-instance sampling removes; measured here: 0.65
        # train, 0.43 test). It still learns.
        assert last["train/accuracy"] > 5 * CHANCE
        assert last["test/accuracy"] > 3 * CHANCE
    else:
        assert last["test/accuracy"] > 5 * CHANCE
        assert saved_model_accuracy(layout, name) > 5 * CHANCE

import io
import random

import numpy as np
import torch

from nsa.train.rng import capture_rng, restore_rng, seed_everything


def draw() -> tuple:
    return (random.random(), float(np.random.rand()), np.random.randn(), float(torch.rand(1)))


def test_restored_generators_repeat_their_draws():
    seed_everything(7)
    draw()
    np.random.randn()  # leaves a cached Gaussian in NumPy's state
    state = capture_rng()
    first = draw()
    draw()
    restore_rng(state)
    assert draw() == first


def test_state_survives_a_weights_only_round_trip():
    seed_everything(3)
    state = capture_rng()
    expected = draw()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    seed_everything(99)
    restore_rng(loaded)
    assert draw() == expected


def test_same_seed_gives_same_draws():
    seed_everything(11)
    first = draw()
    seed_everything(11)
    assert draw() == first


def test_state_from_a_gpu_restored_on_the_cpu_warns(caplog):
    state = capture_rng(torch.device("cpu"))
    assert state["cuda"] is None
    state["cuda"] = torch.zeros(16, dtype=torch.uint8)  # as if written on a GPU
    restore_rng(state, torch.device("cpu"))
    assert "written on a GPU and training resumes on cpu" in caplog.text

"""The training loop: one optimisation step, one epoch, and the state a checkpoint holds.

Each batch goes through the architectures the model draws by its variant's rule (the single
architecture; one per batch for vanilla NSA; one per image for NSA-i and NSA-id). The loss is
the cross-entropy of the main head plus `aux_weight` times that of the auxiliary head. After
every epoch the test accuracy of one sampled architecture tracks progress cheaply; the full
ensemble evaluation is a separate step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from tqdm import tqdm

from nsa.config import TrainConfig
from nsa.data import Split, TrainLoader, eval_batches
from nsa.models import ArchBank, SuperNet
from nsa.train.checkpoint import CheckpointStore
from nsa.train.errors import NonFiniteLossError
from nsa.train.rng import capture_rng, restore_rng
from nsa.train.schedule import learning_rate, set_learning_rate

log = logging.getLogger(__name__)


@dataclass
class EpochTotals:
    """Running sums over the batches done so far in the epoch in progress."""

    loss: float = 0.0  # summed over images
    correct: int = 0
    images: int = 0
    seconds: float = 0.0


@dataclass
class Run:
    """A training run: what it trains with and where it stands."""

    name: str
    model: SuperNet
    bank: ArchBank  # the training architectures, on the device
    optimizer: torch.optim.Optimizer
    loader: TrainLoader
    test: Split
    device: torch.device
    recipe: TrainConfig
    aux_weight: float
    eval_batch_size: int
    sampler: torch.Generator  # draws the training batches' architectures
    store: CheckpointStore
    settings: dict[str, Any]
    epoch: int = 0  # epoch in progress, 0-based
    step: int = 0  # batches of it done
    global_step: int = 0
    totals: EpochTotals = field(default_factory=EpochTotals)
    history: list[dict[str, Any]] = field(default_factory=list)  # metrics of finished epochs

    @property
    def lr(self) -> float:
        """Learning rate the schedule gives the epoch in progress."""
        r = self.recipe
        return learning_rate(self.epoch, r.lr, r.lr_milestones, r.lr_gamma)


def make_optimizer(model: torch.nn.Module, recipe: TrainConfig) -> torch.optim.SGD:
    """SGD with (Nesterov) momentum and weight decay on every parameter."""
    return torch.optim.SGD(
        model.parameters(),
        lr=recipe.lr,
        momentum=recipe.momentum,
        nesterov=recipe.nesterov,
        weight_decay=recipe.weight_decay,
    )


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA; nothing on the CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train_step(run: Run, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step on a batch; returns the loss and the number of correct main-head guesses."""
    if run.device.type == "cuda":
        x = x.contiguous(memory_format=torch.channels_last)
    index = run.model.sample(len(y), generator=run.sampler).to(run.device, non_blocking=True)
    mix, member = run.bank.take(index)

    with autocast(run.device):
        output = run.model(x, mix, member)
        logits, aux = output if isinstance(output, tuple) else (output, None)
        loss = F.cross_entropy(logits, y)
        if aux is not None:
            loss = loss + run.aux_weight * F.cross_entropy(aux, y)

    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    run.optimizer.step()
    return loss.detach(), (logits.argmax(dim=1) == y).sum()


def train_epoch(run: Run) -> dict[str, Any]:
    """Finish the epoch in progress (from batch `run.step`); add its metrics to the history."""
    set_learning_rate(run.optimizer, run.lr)
    run.model.train()
    batches = len(run.loader)
    clock = time.perf_counter()
    for x, y in progress(run.loader.batches(run.epoch, start=run.step), run, batches):
        loss, correct = train_step(run, x, y)
        value = loss.item()
        if not math.isfinite(value):
            raise NonFiniteLossError(_nonfinite_message(run, value))
        run.totals.loss += value * len(y)
        run.totals.correct += int(correct)
        run.totals.images += len(y)
        run.step += 1
        run.global_step += 1
        if run.global_step % run.recipe.checkpoint_every_steps == 0 and run.step < batches:
            run.totals.seconds += time.perf_counter() - clock
            clock = time.perf_counter()
            save_checkpoint(run)

    accuracy = test_accuracy(run)
    run.totals.seconds += time.perf_counter() - clock
    metrics = {
        "epoch": run.epoch,
        "train/loss": run.totals.loss / run.totals.images,
        "train/accuracy": run.totals.correct / run.totals.images,
        "test/accuracy": accuracy,
        "lr": run.lr,
        "seconds": run.totals.seconds,
    }
    run.history.append(metrics)
    run.epoch += 1
    run.step = 0
    run.totals = EpochTotals()
    return metrics


@torch.no_grad()
def test_accuracy(run: Run) -> float:
    """Accuracy on the test split of one architecture drawn for this epoch.

    The draw and any dropout masks come from generators seeded by (seed, epoch) inside a fork of
    the global ones, so evaluating leaves the training's random stream untouched.
    """
    seed = int(np.random.SeedSequence([run.recipe.seed, run.epoch, 1]).generate_state(1)[0])
    index = run.model.sample(1, generator=torch.Generator().manual_seed(seed)).to(run.device)
    forked = [run.device.index or 0] if run.device.type == "cuda" else []
    correct = seen = 0
    run.model.eval()
    with torch.random.fork_rng(devices=forked), autocast(run.device):
        torch.manual_seed(seed)
        for x, y in eval_batches(run.test, run.eval_batch_size, run.device):
            mix, member = run.bank.take(index.expand(len(y)))
            correct += int((run.model(x, mix, member).argmax(dim=1) == y).sum())
            seen += len(y)
    run.model.train()
    return correct / seen


def snapshot(run: Run) -> dict[str, Any]:
    """The state a checkpoint holds: tensors and plain values only."""
    return {
        "experiment": run.name,
        "epoch": run.epoch,
        "step": run.step,
        "global_step": run.global_step,
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "sampler": run.sampler.get_state(),
        "rng": capture_rng(run.device),
        "totals": dataclasses.asdict(run.totals),
        "history": run.history,
        "settings": run.settings,
    }


def restore(run: Run, state: dict[str, Any]) -> None:
    """Put `run` back where `snapshot` found it."""
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.sampler.set_state(state["sampler"])
    restore_rng(state["rng"], run.device)
    run.epoch = state["epoch"]
    run.step = state["step"]
    run.global_step = state["global_step"]
    run.totals = EpochTotals(**state["totals"])
    run.history = list(state["history"])
    set_learning_rate(run.optimizer, run.lr)


def save_checkpoint(run: Run) -> None:
    """Write the run's state to its checkpoint store."""
    path = run.store.save(snapshot(run), run.global_step)
    log.debug("checkpoint %s (epoch %d, step %d)", path, run.epoch, run.step)


def progress(batches: Iterable, run: Run, total: int) -> Iterator:
    """`batches`, with a progress bar (rate and time left) when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield from batches
        return
    bar = tqdm(
        batches,
        total=total,
        initial=run.step,
        desc=f"{run.name} epoch {run.epoch + 1}/{run.recipe.epochs}",
        unit="img",
        unit_scale=run.recipe.batch_size,
        leave=False,
        dynamic_ncols=True,
    )
    with bar:
        yield from bar


def _nonfinite_message(run: Run, value: float) -> str:
    latest = run.store.paths()
    kept = f"the last good checkpoint {latest[0]} is kept" if latest else "no checkpoint exists"
    return (
        f"{run.name}: the loss became {value} at epoch {run.epoch} (0-based), step {run.step} "
        f"of {len(run.loader)}; stopping, {kept}"
    )

"""Sampled predictions of a network with stochastic architectures.

One evaluation pass pushes every test image through `samples` architectures (or dropout masks)
and keeps what the metrics need: the mean predictive distribution, the mean entropy of the
sampled distributions (together they give the mutual information), the top class of every
sample (accuracy of single architectures) and, on request, every sampled distribution.

The samples are folded into the batch dimension: a block of images is repeated `samples` times
along dim 0, each copy with its own architecture, and the rows go through the network in chunks
of at most `batch_size`. So K samples of N images cost about as much as one pass over K x N
images. Which architecture a row uses is set by `assign`:

- "random": an independent uniform draw from the bank for every row (a random architecture per
  instance; with a one-entry bank this leaves only dropout as the source of randomness);
- "each": sample k uses bank entry k (`samples == len(bank)`), to measure single architectures;
- an int: every row uses that bank entry.

The draws come from a generator seeded with `seed`, and dropout masks from the global torch
generator seeded with `seed` inside a forked random state, so a call is a deterministic
function of its arguments and leaves the caller's random state untouched. The network's modes
are left as the caller set them; `batch_statistics` switches normalisation layers to batch
statistics for one block and restores the network exactly afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from nsa import metrics


class Bank(Protocol):
    """Architectures in tensor form: `take(idx)` gives the (mix, member) inputs of the network."""

    def __len__(self) -> int: ...

    def take(self, idx: Tensor) -> tuple[Tensor, Tensor]: ...


Assign = str | int


class PredictionError(ValueError):
    """The network produced no predictions, or non-finite ones."""


@dataclass(frozen=True)
class Predictions:
    """What a sampled evaluation keeps, as numpy arrays over N examples and K samples."""

    mean_probs: np.ndarray  # (N, C) mean of the sampled predictive distributions
    mean_entropy: np.ndarray  # (N,) mean entropy of the sampled distributions, nats
    top: np.ndarray  # (K, N) most probable class of each sample
    sample_probs: np.ndarray | None = None  # (K, N, C) when asked to keep them

    @property
    def samples(self) -> int:
        """Number of sampled passes K."""
        return self.top.shape[0]

    def mutual_information(self) -> np.ndarray:
        """Per-example mutual information between the prediction and the architecture."""
        return metrics.information_gain(self.mean_probs, self.mean_entropy)

    def entropy(self) -> np.ndarray:
        """Per-example entropy of the mean prediction (predictive entropy)."""
        return metrics.entropy(self.mean_probs)

    def sample_accuracy(self, labels: np.ndarray) -> np.ndarray:
        """(K,) accuracy of each sampled pass on its own."""
        return (self.top == np.asarray(labels)[None, :]).mean(axis=1)


def forward(model: Callable[..., Any], x: Tensor, mix: Tensor, member: Tensor) -> Tensor:
    """Logits of `model(x, mix, member)`, dropping an auxiliary head's output if present."""
    output = model(x, mix, member)
    return output[0] if isinstance(output, tuple | list) else output


def to_pixels(images: Tensor, device: torch.device) -> Tensor:
    """Float images in [0, 1] on `device`; uint8 images are divided by 255."""
    images = images.to(device)
    if images.dtype == torch.uint8:
        return images.float().div_(255.0)
    return images.float()


def model_device(model: nn.Module) -> torch.device:
    """The device holding the network's parameters (CPU for a parameterless callable)."""
    for parameter in model.parameters():
        return parameter.device
    return torch.device("cpu")


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[torch.Generator]:
    """Seed the global torch generators (dropout) inside a forked state; yield a CPU generator."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield torch.Generator().manual_seed(seed)


def assignments(
    assign: Assign, bank_size: int, samples: int, count: int, generator: torch.Generator
) -> Tensor:
    """(samples, count) bank indices: which architecture sample k of image i uses."""
    if assign == "random":
        return torch.randint(bank_size, (samples, count), generator=generator)
    if assign == "each":
        if samples != bank_size:
            raise ValueError(f"assign='each' needs samples == len(bank), {samples} != {bank_size}")
        return torch.arange(samples).view(-1, 1).expand(samples, count)
    if isinstance(assign, int) and not isinstance(assign, bool) and 0 <= assign < bank_size:
        return torch.full((samples, count), assign, dtype=torch.long)
    raise ValueError(f"assign must be 'random', 'each' or a bank index < {bank_size}: {assign!r}")


@torch.no_grad()
def predict(
    model: nn.Module,
    images: Tensor,
    bank: Bank,
    samples: int = 1,
    batch_size: int = 500,
    *,
    assign: Assign = "random",
    seed: int = 0,
    keep: bool = False,
) -> Predictions:
    """Evaluate `samples` stochastic passes over `images` (N, C, H, W), uint8 or pixel floats."""
    count = len(images)
    if count == 0:
        raise PredictionError("no images to evaluate")
    if samples < 1 or batch_size < 1:
        raise ValueError(f"samples and batch_size must be positive, got {samples}, {batch_size}")
    device = model_device(model)
    block = max(1, batch_size // samples)  # images per block: block * samples rows
    parts: list[tuple[Tensor, Tensor, Tensor, Tensor | None]] = []
    with seeded(seed, device) as generator:
        # Drawn up front, so an image's architectures do not depend on the batch size.
        table = assignments(assign, len(bank), samples, count, generator).to(device)
        for start in range(0, count, block):
            x = to_pixels(images[start : start + block], device)
            members = table[:, start : start + block].reshape(-1)
            logits = _sampled_logits(model, x, bank, members, batch_size)
            parts.append(_summarise(logits, keep))
    return _collect(parts, keep)


def _sampled_logits(
    model: nn.Module, x: Tensor, bank: Bank, members: Tensor, batch_size: int
) -> Tensor:
    """(K, n, C) logits of n images repeated K times, row k * n + i using bank entry members[.]."""
    n = len(x)
    samples = len(members) // n
    rows = x.repeat(samples, 1, 1, 1)  # row k * n + i is sample k of image i
    chunks = []
    for begin in range(0, len(rows), batch_size):
        mix, member = bank.take(members[begin : begin + batch_size])
        chunks.append(forward(model, rows[begin : begin + batch_size], mix, member))
    logits = torch.cat(chunks).float()
    if not torch.isfinite(logits).all():
        raise PredictionError("the network produced NaN or infinite logits")
    return logits.view(samples, n, -1)


def _summarise(logits: Tensor, keep: bool) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """Mean distribution, mean entropy, top classes and maybe all distributions, on the CPU."""
    # float64 keeps probabilities down to 1e-308, so log-likelihoods stay finite.
    log_probs = torch.log_softmax(logits.double(), dim=2)
    probs = log_probs.exp()
    entropy = -torch.where(probs > 0, probs * log_probs, 0.0).sum(dim=2)
    return (
        probs.mean(dim=0).cpu(),
        entropy.mean(dim=0).cpu(),
        probs.argmax(dim=2).cpu(),
        probs.cpu() if keep else None,
    )


def _collect(parts: list, keep: bool) -> Predictions:
    mean_probs, mean_entropy, top, sample_probs = zip(*parts, strict=True)
    return Predictions(
        mean_probs=torch.cat(mean_probs).numpy(),
        mean_entropy=torch.cat(mean_entropy).numpy(),
        top=torch.cat(top, dim=1).numpy(),
        sample_probs=torch.cat(sample_probs, dim=1).numpy() if keep else None,
    )


def _has_running_stats(module: nn.Module) -> bool:
    return isinstance(getattr(module, "running_mean", None), Tensor)


@contextlib.contextmanager
def batch_statistics(model: nn.Module) -> Iterator[nn.Module]:
    """Normalise with each batch's statistics inside the block; restore the network exactly.

    Only normalisation layers (modules with running statistics) switch to training mode, so
    dropout and auxiliary heads keep their evaluation behaviour. The running statistics that
    training-mode normalisation updates, and every mode flag, are put back on exit.
    """
    saved = {name: value.detach().clone() for name, value in model.state_dict().items()}
    modes = {module: module.training for module in model.modules()}
    norms = [module for module in model.modules() if _has_running_stats(module)]
    if not norms:
        raise ValueError("the network has no normalisation layers with running statistics")
    try:
        for module in norms:
            module.training = True
        yield model
    finally:
        model.load_state_dict(saved)
        for module, training in modes.items():
            module.training = training

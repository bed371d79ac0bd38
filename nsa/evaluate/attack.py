"""White-box PGD against the whole stochastic network.

An attack named `PGD{eps}-{steps}-{step}` (every number in units of 1/255) perturbs images in
pixel space ([0, 1]; the network normalises inside) within an L-infinity ball of radius eps. It
starts from a uniform random point of the ball and takes `steps` signed-gradient steps of size
`step`, projecting back onto the ball and onto [0, 1] after each.

The gradient targets the ensemble, not one architecture: each step draws `samples`
architectures (or dropout masks) per image and averages the per-sample gradients of the
cross-entropy, weighting sample s by its probability of the true class p_s normalised to sum to
one over the samples (weights held constant). That weighted average equals the gradient of
-log(mean_s p_s), the negative log-likelihood of the averaged prediction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nsa.evaluate.sampling import Bank, assignments, forward, model_device, seeded, to_pixels

_NAME = re.compile(r"PGD(\d+)-(\d+)-(\d+)")


@dataclass(frozen=True)
class Attack:
    """An L-infinity PGD attack; radius and step size in units of 1/255."""

    epsilon: int
    steps: int
    step_size: int

    @classmethod
    def parse(cls, name: str) -> Attack:
        """The attack called `PGD{eps}-{steps}-{step}`, e.g. PGD2-3-1."""
        match = _NAME.fullmatch(name)
        if match is None:
            raise ValueError(f"attack {name!r} is not of the form PGD{{eps}}-{{steps}}-{{step}}")
        return cls(*(int(group) for group in match.groups()))

    @property
    def name(self) -> str:
        """The attack's name, PGD{eps}-{steps}-{step}."""
        return f"PGD{self.epsilon}-{self.steps}-{self.step_size}"

    @property
    def radius(self) -> float:
        """Radius of the L-infinity ball in pixel units."""
        return self.epsilon / 255.0

    @property
    def step(self) -> float:
        """Step size in pixel units."""
        return self.step_size / 255.0


def attack_gradient(
    model: nn.Module, x: Tensor, labels: Tensor, bank: Bank, members: Tensor
) -> Tensor:
    """Input gradient of the probability-weighted cross-entropy of len(members) / len(x) samples.

    `members` holds one bank index per row of `x` repeated sample-major (row k * n + i is sample
    k of image i).
    """
    samples = len(members) // len(x)
    x = x.detach().requires_grad_(True)
    mix, member = bank.take(members)
    logits = forward(model, x.repeat(samples, 1, 1, 1), mix, member)
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
    log_probs = torch.log_softmax(logits, dim=1).view(samples, len(x), -1)
    true = labels.view(1, -1, 1).expand(samples, -1, 1)
    log_p_true = log_probs.gather(2, true).squeeze(2)  # (samples, n)
    weights = torch.softmax(log_p_true.detach(), dim=0)  # p_s / sum_s p_s, per image
    loss = -(weights * log_p_true).sum()
    (gradient,) = torch.autograd.grad(loss, x)
    return gradient


def perturb(
    model: nn.Module,
    images: Tensor,
    labels: Tensor,
    bank: Bank,
    attack: Attack,
    samples: int = 1,
    batch_size: int = 500,
    *,
    seed: int = 0,
) -> Tensor:
    """Adversarial versions of `images` (pixel floats in [0, 1], on the CPU) under `attack`."""
    if samples < 1:
        raise ValueError(f"samples must be positive, got {samples}")
    device = model_device(model)
    block = max(1, batch_size // samples)  # one forward and backward of block * samples rows
    adversarial = []
    with seeded(seed, device) as generator:
        # Drawn up front, so an image's start and architectures do not depend on the batch size.
        noise = torch.rand(images.shape, generator=generator) * 2 - 1
        tables = [
            assignments("random", len(bank), samples, len(images), generator)
            for _ in range(attack.steps)
        ]
        for start in range(0, len(images), block):
            stop = start + block
            x = to_pixels(images[start:stop], device)
            y = labels[start:stop].to(device)
            x_adv = project(x + attack.radius * noise[start:stop].to(device), x, attack.radius)
            for table in tables:
                members = table[:, start:stop].reshape(-1).to(device)
                gradient = attack_gradient(model, x_adv, y, bank, members)
                x_adv = project(x_adv + attack.step * gradient.sign(), x, attack.radius)
            adversarial.append(x_adv.detach().cpu())
    return torch.cat(adversarial)


def project(x_adv: Tensor, x: Tensor, radius: float) -> Tensor:
    """Clip `x_adv` into the L-infinity ball of `radius` around `x`, then into [0, 1]."""
    return torch.minimum(torch.maximum(x_adv, x - radius), x + radius).clamp(0.0, 1.0)

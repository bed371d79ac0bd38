"""A tiny stand-in for the supernet: the same call signature, a BN layer and optional dropout."""

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn


class TinyBank:
    """Architectures as per-entry mixing tensors; member indexes per-architecture parameters."""

    def __init__(self, count: int):
        generator = torch.Generator().manual_seed(count)
        self.mix = torch.rand(count, 3, 2, 2, generator=generator)
        self.member = torch.arange(count)

    def __len__(self):
        return len(self.mix)

    def to(self, device):
        return self

    def take(self, idx):
        return self.mix[idx], self.member[idx]


class TinyNet(nn.Module):
    """conv -> BN -> ReLU scaled by the architecture -> (MC) dropout -> pool -> linear."""

    def __init__(self, archs: int = 3, classes: int = 4, channels: int = 1, dropout: float = 0.0):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(channels, 6, 3, padding=1)
        self.norm = nn.BatchNorm2d(6)
        self.shift = nn.Parameter(torch.randn(archs, 6))  # per-architecture parameters
        self.head = nn.Linear(6, classes)
        self.dropout = dropout
        self.stochastic = dropout > 0 or archs > 1
        # Running statistics that differ from a fresh layer's, so restoring them is visible.
        self.norm.running_mean.normal_()
        self.norm.running_var.uniform_(0.5, 2.0)

    def forward(self, x, mix, member):
        h = self.norm(self.conv(x - 0.5))
        scale = mix.flatten(1).sum(1).view(-1, 1, 1, 1)
        h = F.relu(h * scale + self.shift[member].view(-1, 6, 1, 1))
        h = F.dropout(h, self.dropout, training=self.dropout > 0)  # on in evaluation too
        return self.head(h.mean(dim=(2, 3)))


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def images():
    generator = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (37, 1, 6, 6), dtype=torch.uint8, generator=generator)


@pytest.fixture
def labels():
    return torch.arange(37) % 4


@pytest.fixture
def tiny():
    """The stand-in network and bank classes: `tiny.Net(archs, ...)`, `tiny.Bank(count)`."""
    return SimpleNamespace(Net=TinyNet, Bank=TinyBank)


def build_supernet(variant: str, archs: int = 3, classes: int = 4, channels: int = 1):
    """A real supernet, tiny: width 1, two nodes per stage, 8x8 images, warmed-up statistics."""
    from nsa.models import ModelSpec, build_model

    sizes = SimpleNamespace(
        width=1, nodes=2, arch_p=0.7, num_archs=archs, dropout=0.3, aux_weight=0.1
    )
    spec = ModelSpec.for_variant(
        variant, sizes, num_classes=classes, in_channels=channels, image_size=8
    )
    model = build_model(spec)
    # A few training-mode passes give running statistics unlike a fresh layer's.
    bank = model.bank()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        model.train()
        for _ in range(3):
            x = torch.rand(16, channels, 8, 8, generator=generator)
            model(x, *bank.take(torch.randint(len(bank), (16,), generator=generator)))
    return model.eval()


@pytest.fixture
def supernet():
    """`supernet(variant, archs=3)`: a tiny real supernet in evaluation mode."""
    return build_supernet


@pytest.fixture
def evaluate_settings():
    """Evaluation settings small enough for unit tests."""
    from nsa.config import EvaluateConfig, PGDConfig

    return EvaluateConfig(
        batch_size=64,
        samples=6,
        ece_bins=15,
        seed=0,
        seen=2,
        unseen=4,
        unseen_seed_start=50500,
        diversity_samples=3,
        pgd=PGDConfig(attacks=("PGD0-2-1", "PGD4-2-2"), samples=2, subset=20),
    )

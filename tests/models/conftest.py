"""Small supernets for the model tests: the smoke profile's sizes on 28x28 grey images."""

import pytest
import torch
from model_sizes import sizes

from nsa.models import ModelSpec, SuperNet, build_model

VARIANT_NAMES = ("wrn", "wrn-mcdropout", "individual-2", "nsa", "nsa-i", "nsa-id", "nsa-id-aggr")


@pytest.fixture
def make_model():
    """Build a seeded supernet of a variant at smoke sizes (overridable)."""

    def make(variant: str, image_size: int = 28, in_channels: int = 1, **overrides) -> SuperNet:
        torch.manual_seed(0)
        spec = ModelSpec.for_variant(
            variant,
            sizes(**overrides),
            num_classes=10,
            in_channels=in_channels,
            image_size=image_size,
            mean=(0.3,) * in_channels,
            std=(0.4,) * in_channels,
        )
        return build_model(spec)

    return make


def randomise(model: SuperNet, seed: int = 0) -> SuperNet:
    """Give every parameter and running statistic random values, so architectures differ."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point() or name.startswith("normalize."):
                continue
            noise = torch.rand(tensor.shape, generator=generator)
            if name.startswith("aggregation."):
                tensor.copy_(4 * noise - 2)  # gates anywhere in sigmoid(-2)..sigmoid(2)
            elif name.endswith(("running_var", "norm.weight", "bn1.weight", "bn2.weight")):
                tensor.copy_(0.5 + noise)  # norm scales and variances around 1
            else:
                tensor.add_(0.2 * (noise - 0.5))
    return model


@pytest.fixture
def perturb():
    """`randomise`, as a fixture."""
    return randomise

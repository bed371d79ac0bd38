"""Everything needed to rebuild a supernet, as one frozen, serialisable record."""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nsa.arch import Architecture, random_architecture, residual_architecture
from nsa.arch.space import check_nodes, check_p, check_seed
from nsa.models.variants import Variant, parse_variant

# Stage channels are these multiples of the width factor (16w, 32w, 64w as in WRN).
STAGE_CHANNELS = (16, 32, 64)
# Two transitions each halve the maps, so 4x4 is the smallest input that keeps a pixel.
MIN_IMAGE_SIZE = 4


class ModelSizes(Protocol):
    """The model settings `ModelSpec.for_variant` reads (a profile's `model` section)."""

    width: int
    nodes: int
    arch_p: float
    num_archs: int
    dropout: float
    aux_weight: float


@dataclass(frozen=True)
class ModelSpec:
    """A supernet: its variant, the data it sees and its sizes.

    Attributes:
        variant: `wrn`, `wrn-mcdropout`, `individual-S`, `nsa`, `nsa-i`, `nsa-id`, `nsa-id-aggr`.
        num_classes: outputs of the classifier.
        in_channels: channels of the input images.
        image_size: side of the (square) input images, pixels.
        mean: per-channel mean of pixel-space inputs in [0, 1], removed inside the model.
        std: per-channel standard deviation the inputs are divided by.
        width: width factor; the stages have 16, 32 and 64 times this many channels.
        nodes: computation nodes per stage.
        arch_p: edge threshold of the random architectures.
        num_archs: training architectures (seeds 1..num_archs); 1 for single-arch variants.
        dropout: dropout rate in every node (MC dropout only; 0 otherwise).
        aux_head: whether the auxiliary classifier is built.
    """

    variant: str
    num_classes: int
    in_channels: int
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    width: int
    nodes: int
    arch_p: float
    num_archs: int
    dropout: float
    aux_head: bool

    def __post_init__(self) -> None:
        kind, seed = parse_variant(self.variant)
        if seed is not None:
            check_seed(seed)
        check_int("num_classes", self.num_classes, 1)
        check_int("in_channels", self.in_channels, 1)
        check_int("image_size", self.image_size, MIN_IMAGE_SIZE)
        check_channel_stats("mean", self.mean, self.in_channels, positive=False)
        check_channel_stats("std", self.std, self.in_channels, positive=True)
        check_int("width", self.width, 1)
        check_nodes(self.nodes)
        check_p(self.arch_p)
        check_int("num_archs", self.num_archs, 1)
        if kind.single_arch and self.num_archs != 1:
            raise ValueError(f"num_archs must be 1 for {self.variant}, got {self.num_archs}")
        check_dropout(self.dropout, kind, self.variant)
        if not isinstance(self.aux_head, bool):
            raise ValueError(f"aux_head must be True or False, got {self.aux_head!r}")

    @classmethod
    def for_variant(
        cls,
        variant: str,
        model_cfg: ModelSizes,
        *,
        num_classes: int,
        in_channels: int,
        image_size: int,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        num_archs: int | None = None,
    ) -> ModelSpec:
        """The spec of `variant` with the sizes of `model_cfg` for the given data.

        `num_archs` overrides `model_cfg.num_archs` (NSA-i on more architectures); single-arch
        variants always get 1. `mean` and `std` default to no normalisation.
        """
        kind, _ = parse_variant(variant)
        if kind.single_arch:
            if num_archs not in (None, 1):
                raise ValueError(f"num_archs must be 1 (or unset) for {variant}, got {num_archs}")
            num_archs = 1
        elif num_archs is None:
            num_archs = model_cfg.num_archs
        check_real("aux_weight", model_cfg.aux_weight, 0.0, math.inf)
        return cls(
            variant=variant,
            num_classes=num_classes,
            in_channels=in_channels,
            image_size=image_size,
            mean=tuple(float(v) for v in mean) if mean is not None else (0.0,) * in_channels,
            std=tuple(float(v) for v in std) if std is not None else (1.0,) * in_channels,
            width=model_cfg.width,
            nodes=model_cfg.nodes,
            arch_p=model_cfg.arch_p,
            num_archs=num_archs,
            dropout=model_cfg.dropout if kind.mc_dropout else 0.0,
            aux_head=model_cfg.aux_weight > 0,
        )

    @property
    def kind(self) -> Variant:
        """The variant's description (sampling, per-architecture parameters)."""
        return parse_variant(self.variant)[0]

    @property
    def channels(self) -> tuple[int, ...]:
        """Channels of the three stages."""
        return tuple(multiple * self.width for multiple in STAGE_CHANNELS)

    def train_archs(self) -> tuple[Architecture, ...]:
        """The architectures sampled during training, in member order."""
        kind, seed = parse_variant(self.variant)
        if kind.archs == "residual":
            return (residual_architecture(self.nodes),)
        if kind.archs == "random":
            return (random_architecture(seed, self.arch_p, self.nodes),)
        seeds = range(1, self.num_archs + 1)
        return tuple(random_architecture(s, self.arch_p, self.nodes) for s in seeds)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON and checkpoints."""
        data = dataclasses.asdict(self)
        data["mean"], data["std"] = list(self.mean), list(self.std)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Rebuild a spec written by `to_dict`."""
        names = {field.name for field in dataclasses.fields(cls)}
        if set(data) != names:
            raise ValueError(f"model spec keys must be {sorted(names)}, got {sorted(data)}")
        values = dict(data)
        values["mean"], values["std"] = tuple(data["mean"]), tuple(data["std"])
        return cls(**values)


def check_int(name: str, value: Any, minimum: int) -> None:
    """Raise ValueError naming `name` unless `value` is an integer >= `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_real(name: str, value: Any, low: float, high: float) -> None:
    """Raise ValueError naming `name` unless `low <= value < high`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value < high:
        raise ValueError(f"{name} must be a number in [{low}, {high}), got {value!r}")


def check_channel_stats(name: str, values: Any, channels: int, positive: bool) -> None:
    """Raise ValueError unless `values` is a tuple of `channels` finite (positive) numbers."""
    bound = "positive" if positive else "finite"
    message = f"{name} must be a tuple of {channels} {bound} numbers (one per channel)"
    if not isinstance(values, tuple) or len(values) != channels:
        raise ValueError(f"{message}, got {values!r}")
    for value in values:
        ok = isinstance(value, numbers.Real) and math.isfinite(value)
        if not ok or (positive and value <= 0):
            raise ValueError(f"{message}, got {values!r}")


def check_dropout(dropout: Any, kind: Variant, variant: str) -> None:
    """MC dropout needs a rate in (0, 1); every other variant has none."""
    check_real("dropout", dropout, 0.0, 1.0)
    if kind.mc_dropout and dropout == 0:
        raise ValueError(f"dropout must be in (0, 1) for {variant}, got 0")
    if not kind.mc_dropout and dropout != 0:
        raise ValueError(f"dropout must be 0 for {variant} (only wrn-mcdropout uses it)")

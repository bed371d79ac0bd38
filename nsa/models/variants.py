"""The model variants compared in the study, described as data.

A variant fixes which architectures the supernet trains on, how it samples them during
training and which parameters are kept per architecture:

| variant        | architectures   | sampling | per-architecture parameters          |
|----------------|-----------------|----------|--------------------------------------|
| wrn            | residual        | fixed    | aggregation weights (one set)        |
| wrn-mcdropout  | residual        | fixed    | aggregation weights; dropout in nodes|
| individual-S   | random seed S   | fixed    | aggregation weights (one set)        |
| nsa            | seeds 1..N      | batch    | none                                 |
| nsa-i          | seeds 1..N      | instance | none                                 |
| nsa-id         | seeds 1..N      | instance | BN scale and shift; aggregation      |
| nsa-id-aggr    | seeds 1..N      | instance | aggregation weights                  |

`batch` sampling draws one architecture per mini-batch (vanilla NSA), `instance` one per
example. A variant with shared parameters only (nsa, nsa-i) can run any architecture of the
space; the others only those they hold parameters for.
"""

from __future__ import annotations

from dataclasses import dataclass

SAMPLINGS = ("fixed", "batch", "instance")


@dataclass(frozen=True)
class Variant:
    """How one family of models is built.

    Attributes:
        family: the name without a seed (`individual` for every individual-S).
        archs: `residual`, `random` (one seeded architecture) or `seeds` (seeds 1..N).
        sampling: `fixed`, `batch` or `instance`.
        arch_norm: every main-path BN keeps a scale and shift per architecture.
        arch_aggregation: learnable aggregation weights per architecture.
        mc_dropout: dropout (kept on at test time) in every node.
    """

    family: str
    archs: str
    sampling: str
    arch_norm: bool = False
    arch_aggregation: bool = False
    mc_dropout: bool = False

    @property
    def single_arch(self) -> bool:
        """Whether the variant trains exactly one architecture."""
        return self.archs != "seeds"

    @property
    def arch_specific(self) -> bool:
        """Whether some parameters belong to particular architectures."""
        return self.arch_norm or self.arch_aggregation


VARIANTS: dict[str, Variant] = {
    variant.family: variant
    for variant in (
        Variant("wrn", "residual", "fixed", arch_aggregation=True),
        Variant("wrn-mcdropout", "residual", "fixed", arch_aggregation=True, mc_dropout=True),
        Variant("individual", "random", "fixed", arch_aggregation=True),
        Variant("nsa", "seeds", "batch"),
        Variant("nsa-i", "seeds", "instance"),
        Variant("nsa-id", "seeds", "instance", arch_norm=True, arch_aggregation=True),
        Variant("nsa-id-aggr", "seeds", "instance", arch_aggregation=True),
    )
}


def parse_variant(name: str) -> tuple[Variant, int | None]:
    """The variant called `name` and, for `individual-S`, its seed S (else None)."""
    allowed = ", ".join(f"{family}-S" if family == "individual" else family for family in VARIANTS)
    if not isinstance(name, str):
        raise ValueError(f"variant must be a string, one of: {allowed}; got {name!r}")
    if name in VARIANTS and VARIANTS[name].archs != "random":
        return VARIANTS[name], None
    family, _, seed = name.rpartition("-")
    canonical = seed.isascii() and seed.isdigit() and str(int(seed)) == seed
    if family in VARIANTS and VARIANTS[family].archs == "random" and canonical:
        return VARIANTS[family], int(seed)
    raise ValueError(f"unknown variant {name!r}; allowed: {allowed} (S a non-negative integer)")

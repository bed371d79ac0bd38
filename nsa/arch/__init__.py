"""The architecture space of the supernet: stage DAGs as immutable data."""

from nsa.arch.space import (
    NUM_STAGES,
    Architecture,
    random_architecture,
    residual_architecture,
    validate_matrix,
)

__all__ = [
    "NUM_STAGES",
    "Architecture",
    "random_architecture",
    "residual_architecture",
    "validate_matrix",
]

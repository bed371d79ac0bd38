"""The architecture space: a network is three stages, each a small DAG over a chain of nodes.

A stage with `n` nodes is described by an `(n + 1) x (n + 1)` lower-triangular 0/1 matrix.
Let `o_0` be the stage input and `o_{k+1}` the output of node `k`. Row `k < n` lists the
tensors node `k` reads, row `n` the tensors averaged into the stage output; column `j` stands for
`o_j`. The diagonal is always set, so node `k` always reads `o_k` (the chain) and the output
always reads `o_n`. Every consumer takes the mean of its inputs: `Architecture.mixing` divides
each row by its sum.

Two families live here. A random architecture draws, for each stage in turn, a matrix of
uniforms from `numpy.random.RandomState(seed)` and keeps the sub-diagonal entry `(i, j)` when
its uniform exceeds `p` (so a skip edge exists with probability `1 - p`). The residual
architecture links every even-numbered tensor to every later consumer an even distance away,
which with mean aggregation is a pre-activation wide ResNet of two-convolution blocks.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NUM_STAGES = 3

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Architecture:
    """One point of the space: three stage matrices plus how they were made.

    Attributes:
        name: `seed-S` for random architectures, `residual` for the residual one.
        seed: the random seed, or None when the architecture was not drawn.
        p: the edge threshold used when drawing, or None.
        nodes: computation nodes per stage; every matrix is `(nodes + 1)` square.
        stages: three matrices, each a tuple of row tuples of 0/1 ints.
    """

    name: str
    seed: int | None
    p: float | None
    nodes: int
    stages: tuple[Matrix, ...]

    def __post_init__(self) -> None:
        check_nodes(self.nodes)
        if not isinstance(self.stages, tuple) or len(self.stages) != NUM_STAGES:
            raise ValueError(
                f"architecture {self.name!r}: stages must be a tuple of {NUM_STAGES} "
                f"matrices, got {len(self.stages)}"
            )
        for index, matrix in enumerate(self.stages):
            where = f"architecture {self.name!r} stage {index}"
            if not isinstance(matrix, tuple) or not all(isinstance(row, tuple) for row in matrix):
                raise ValueError(f"{where}: must be a tuple of row tuples (see as_matrix)")
            validate_matrix(matrix, self.nodes, where=where)

    def mixing(self) -> np.ndarray:
        """The row-normalised matrices as float32 of shape (3, nodes + 1, nodes + 1)."""
        adjacency = np.asarray(self.stages, dtype=np.float32)
        return adjacency / adjacency.sum(axis=2, keepdims=True)

    def num_edges(self) -> tuple[int, ...]:
        """Edges per stage, the chain included."""
        return tuple(int(np.sum(matrix)) for matrix in self.stages)

    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists, not tuples) for JSON and checkpoints."""
        return {
            "name": self.name,
            "seed": self.seed,
            "p": self.p,
            "nodes": self.nodes,
            "stages": [[list(row) for row in matrix] for matrix in self.stages],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Architecture:
        """Rebuild an architecture written by `to_dict`, checking every matrix."""
        return cls(
            name=str(data["name"]),
            seed=data["seed"],
            p=data["p"],
            nodes=int(data["nodes"]),
            stages=tuple(as_matrix(matrix) for matrix in data["stages"]),
        )


def random_architecture(seed: int, p: float = 0.7, nodes: int = 8) -> Architecture:
    """The random architecture with `seed`: a sub-diagonal edge wherever a uniform exceeds `p`."""
    check_seed(seed)
    check_p(p)
    check_nodes(nodes)
    state = np.random.RandomState(seed)
    below_diagonal = np.tri(nodes + 1, k=-1, dtype=bool)
    stages = []
    for _ in range(NUM_STAGES):
        uniforms = state.rand(nodes + 1, nodes + 1)
        adjacency = ((uniforms > p) & below_diagonal) | np.eye(nodes + 1, dtype=bool)
        stages.append(as_matrix(adjacency.astype(int)))
    return Architecture(f"seed-{seed}", int(seed), float(p), nodes, tuple(stages))


def residual_architecture(nodes: int = 8) -> Architecture:
    """The residual network as a DAG: `A[r, c] = 1` for even `c`, `r >= c`, `r - c` even."""
    check_nodes(nodes)
    rows, cols = np.indices((nodes + 1, nodes + 1))
    residual = (cols % 2 == 0) & (rows >= cols) & ((rows - cols) % 2 == 0)
    adjacency = residual | (rows == cols)
    matrix = as_matrix(adjacency.astype(int))
    return Architecture("residual", None, None, nodes, (matrix,) * NUM_STAGES)


def as_matrix(values: Sequence[Sequence[Any]] | np.ndarray) -> Matrix:
    """A nested sequence of 0/1 values as a hashable tuple of int tuples."""
    return tuple(tuple(int(value) for value in row) for row in values)


def validate_matrix(matrix: Sequence[Sequence[int]], nodes: int, where: str = "matrix") -> None:
    """Raise ValueError unless `matrix` is a valid stage: square, 0/1, lower-triangular, chained."""
    size = nodes + 1
    if len(matrix) != size or any(len(row) != size for row in matrix):
        raise ValueError(f"{where}: must be {size}x{size} for nodes={nodes}")
    for r, row in enumerate(matrix):
        if any(value not in (0, 1) for value in row):
            raise ValueError(f"{where}: row {r} has entries other than 0 and 1: {list(row)}")
        if any(row[r + 1 :]):
            raise ValueError(
                f"{where}: row {r} reads a later tensor; only columns 0..{r} are allowed"
            )
        if not any(row):
            raise ValueError(f"{where}: row {r} is empty; every consumer needs an input")
        if row[r] != 1:
            raise ValueError(
                f"{where}: row {r} must read its chain input o_{r} (diagonal entry must be 1)"
            )


def check_seed(seed: Any) -> None:
    """Raise ValueError unless `seed` is an integer numpy's RandomState accepts."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed}")


def check_p(p: Any) -> None:
    """Raise ValueError unless `p` is a number in [0, 1)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(f"p (arch_p) must be a number in [0, 1), got {p!r}")


def check_nodes(nodes: Any) -> None:
    """Raise ValueError unless `nodes` is a positive integer."""
    if isinstance(nodes, bool) or not isinstance(nodes, numbers.Integral) or nodes < 1:
        raise ValueError(f"nodes must be an integer >= 1, got {nodes!r}")

"""Drawings of an architecture: the DAG of each of its three stages, one above the other.

Each stage is drawn as a row of vertices: the stage input, the nodes 0..n-1 and the stage output.
Chain edges join neighbours with a straight line; skip edges arc above the row, higher the
longer they reach.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from nsa.arch.space import Architecture, Matrix
from nsa.io import atomic_open


def stage_edges(matrix: Matrix) -> list[tuple[int, int]]:
    """Edges `(source, target)` between vertices: 0 = input, v = node v - 1, n + 1 = output.

    Entry `(k, j)` of the matrix (consumer row `k` reads `o_j`) becomes the edge from vertex `j`
    (the producer of `o_j`: the input, or node `j - 1`) to vertex `k + 1` (node `k`, or the
    output when `k = n`).
    """
    return [(j, k + 1) for k, row in enumerate(matrix) for j, value in enumerate(row) if value == 1]


def plot_architecture(arch: Architecture, path: str | os.PathLike) -> Path:
    """Draw the three stage DAGs of `arch` into an image file (format from the suffix)."""
    figure = Figure(figsize=(12, 2.6 * len(arch.stages)), layout="constrained")
    draw_architecture(arch, figure.subplots(len(arch.stages), 1, squeeze=False)[:, 0])
    path = Path(path)
    with atomic_open(path, "wb") as handle:
        figure.savefig(handle, format=path.suffix.lstrip(".") or "png", dpi=120)
    return path


def draw_architecture(arch: Architecture, axes: Sequence[Axes]) -> None:
    """Draw stage `s` of `arch` on `axes[s]`, each titled with its edge count."""
    for index, (matrix, ax) in enumerate(zip(arch.stages, axes, strict=True)):
        draw_stage(ax, matrix)
        ax.set_title(f"{arch.name}: stage {index + 1} ({sum(map(sum, matrix))} edges)")


def draw_stage(ax: Axes, matrix: Matrix) -> None:
    """Draw one stage DAG on the matplotlib axes `ax`."""
    nodes = len(matrix) - 1
    labels = ["in", *(str(k) for k in range(nodes)), "out"]
    for source, target in stage_edges(matrix):
        span = target - source
        # arc3 offsets the control point by `rad` times the span, so long skips arc higher.
        arrow = FancyArrowPatch(
            (source, 0),
            (target, 0),
            connectionstyle=f"arc3,rad={0.0 if span == 1 else -0.35}",
            arrowstyle="-|>",
            mutation_scale=10,
            linewidth=1.2 if span == 1 else 0.8,
            color="black" if span == 1 else "tab:blue",
            shrinkA=9,
            shrinkB=9,
        )
        ax.add_patch(arrow)
    positions = range(len(labels))
    ax.scatter(positions, [0] * len(labels), s=420, color="white", edgecolors="black", zorder=3)
    for position, label in zip(positions, labels, strict=True):
        ax.annotate(label, (position, 0), ha="center", va="center", fontsize=8, zorder=4)
    ax.set_xlim(-0.7, nodes + 1.7)
    ax.set_ylim(-0.6, 0.35 * (nodes + 1) + 0.4)
    ax.axis("off")

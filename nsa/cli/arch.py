"""`nsa arch`: show one architecture of the space, as text, JSON or a drawing."""

from __future__ import annotations

import argparse
import json

from nsa.arch import Architecture, random_architecture, residual_architecture
from nsa.config import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `nsa arch SEED [--p P] [--nodes N] [--json] [--plot FILE]`."""
    parser = subparsers.add_parser(
        "arch", help="print (or draw) the random architecture with a seed, or the residual one"
    )
    parser.add_argument("seed", metavar="SEED", help="architecture seed, or 'residual'")
    parser.add_argument(
        "--p", type=float, default=0.7, help="edge threshold: an edge where u > P (default 0.7)"
    )
    parser.add_argument("--nodes", type=int, default=8, help="nodes per stage (default 8)")
    parser.add_argument("--json", action="store_true", help="print the matrices as JSON")
    parser.add_argument("--plot", metavar="FILE", help="also draw the three stages to FILE")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the architecture; draw it when --plot is given."""
    try:
        arch = make_architecture(args.seed, args.p, args.nodes)
    except ValueError as error:
        raise UsageError(str(error)) from error
    if args.json:
        plain = arch.to_dict()
        print(json.dumps({key: plain[key] for key in ("seed", "p", "nodes", "stages")}))
    else:
        print(format_architecture(arch))
    if args.plot:
        from nsa.arch.plot import plot_architecture

        plot_architecture(arch, args.plot)
    return 0


def make_architecture(seed: str, p: float, nodes: int) -> Architecture:
    """The residual architecture for 'residual', else the random one with integer `seed`."""
    if seed == "residual":
        return residual_architecture(nodes)
    try:
        value = int(seed)
    except ValueError:
        raise ValueError(f"SEED must be an integer or 'residual', got {seed!r}") from None
    return random_architecture(value, p, nodes)


def format_architecture(arch: Architecture) -> str:
    """The matrices as text: one line per consumer, '#' under each tensor it reads."""
    lines = [f"{arch.name}: p={arch.p}, {arch.nodes} nodes per stage, edges {arch.num_edges()}"]
    width = len(f"o{arch.nodes}")
    header = " ".join(f"o{j}".ljust(width) for j in range(arch.nodes + 1))
    for index, matrix in enumerate(arch.stages):
        lines.append(f"stage {index + 1:<6}{header}")
        for k, row in enumerate(matrix):
            consumer = "output" if k == arch.nodes else f"node {k}"
            cells = " ".join(("#" if value else ".").ljust(width) for value in row)
            lines.append(f"  {consumer:<10}{cells}".rstrip())
    return "\n".join(lines)

"""The `nsa` command line: one subcommand per stage of the pipeline.

Each subcommand lives in its own module of this package, which adds its parser with
`add_parser(subparsers)` and sets `run`, a function of the parsed arguments that returns the
exit status. User errors (bad settings, unknown names, missing data) print one line and exit
with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

COMMANDS = ("arch", "model", "prepare", "train", "evaluate", "render", "pipeline")


def add_settings_options(parser: argparse.ArgumentParser, default_profile: str = "paper") -> None:
    """Add --profile and --params, the options of every command that reads settings."""
    parser.add_argument(
        "--profile",
        default=default_profile,
        help=f"profile of the params file to use (default: {default_profile})",
    )
    parser.add_argument(
        "--params", default="params.yaml", help="settings file (default: params.yaml)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="nsa",
        description="Reproduce 'Understanding and Exploring the Network with Stochastic "
        "Architectures' (NeurIPS 2020).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"nsa.cli.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run the chosen subcommand and return its exit status."""
    from nsa.config import UsageError

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    try:
        return int(args.run(args) or 0)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

"""`nsa evaluate PROTOCOL EXPERIMENT`: measure one trained experiment with one protocol."""

from __future__ import annotations

import argparse
import json
import sys

from nsa.cli import add_settings_options
from nsa.config import PROTOCOLS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `evaluate` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="evaluate a trained experiment with one protocol",
        description="Run an evaluation protocol on the final model of an experiment and write "
        "its metrics (JSON) and per-example arrays (.npz) under results/<profile>/.",
    )
    parser.add_argument("protocol", choices=PROTOCOLS, help="evaluation protocol")
    parser.add_argument("experiment", help="experiment name, e.g. cifar10-nsa-id")
    add_settings_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the metrics as JSON on stdout."""
    from nsa.config import load_profile
    from nsa.evaluate import evaluate_experiment
    from nsa.layout import Layout

    profile = load_profile(args.profile, args.params)
    experiment = profile.experiment(args.experiment)
    values = evaluate_experiment(args.protocol, profile, experiment, Layout.for_profile(profile))
    json.dump(values, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0

"""`nsa prepare DATASET`: verify a dataset's published files and write its prepared copy."""

from __future__ import annotations

import argparse

from nsa.cli import add_settings_options
from nsa.config import load_profile
from nsa.data import DATASETS, prepare_dataset
from nsa.layout import Layout


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `prepare` subcommand."""
    parser = subparsers.add_parser(
        "prepare",
        help="verify and prepare a dataset",
        description="Find a dataset's published files (a --source folder, data.sources, the "
        "raw data folder, a system package, or a download when allowed), check their official "
        "checksums and write the prepared arrays with a manifest. Does nothing when an intact "
        "copy prepared from the same files exists.",
    )
    parser.add_argument("dataset", choices=sorted(DATASETS), help="dataset to prepare")
    parser.add_argument(
        "--source",
        metavar="DIR",
        default=None,
        help="folder holding the dataset's raw files (overrides data.sources)",
    )
    add_settings_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Prepare the dataset named on the command line; exit status 0."""
    profile = load_profile(args.profile, args.params)
    prepare_dataset(args.dataset, profile.data, Layout.for_profile(profile), source=args.source)
    return 0

"""`nsa train EXPERIMENT`: train one experiment of a profile, resuming after any crash."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `train`, and `gpu-probe`, the device-claiming check the workflow tests use."""
    from nsa.cli import add_settings_options

    parser = subparsers.add_parser(
        "train",
        help="train one experiment",
        description="Train one experiment of a profile. Rerunning the same command after a "
        "crash resumes from the newest intact checkpoint; it does nothing when the trained "
        "model is already there with the same settings.",
    )
    parser.add_argument("experiment", help="experiment name, e.g. fashion-mnist-nsa-id")
    add_settings_options(parser)
    parser.set_defaults(run=run_train)

    probe = subparsers.add_parser(
        "gpu-probe",
        description="Claim a device the way training does, hold it, and append "
        "'device start end' to a file (checks that concurrent jobs never share a GPU).",
    )
    probe.add_argument("--seconds", type=float, default=1.0, help="how long to hold the device")
    probe.add_argument("--record", required=True, help="file to append 'device start end' to")
    probe.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    probe.set_defaults(run=run_probe)


def run_train(args: argparse.Namespace) -> int:
    """Train the experiment named on the command line."""
    from nsa.config import load_profile
    from nsa.layout import Layout
    from nsa.train import TrainingError, train_experiment

    profile = load_profile(args.profile, args.params)
    experiment = profile.experiment(args.experiment)
    try:
        train_experiment(profile, experiment, Layout.for_profile(profile))
    except TrainingError as error:
        log.error("%s", error)
        return 1
    return 0


def run_probe(args: argparse.Namespace) -> int:
    """Hold a device for `--seconds` and record when."""
    from nsa.train.devices import hold_device

    hold_device(args.seconds, args.record, args.device)
    return 0

"""`nsa pipeline`: inspect the job graph and keep `dvc.yaml` in step with it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nsa.cli import add_settings_options


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `nsa pipeline jobs` and `nsa pipeline dvc`."""
    parser = subparsers.add_parser("pipeline", help="list the jobs of a profile; write dvc.yaml")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    jobs = actions.add_parser("jobs", help="list every job of a profile as JSON lines")
    add_settings_options(jobs)
    jobs.set_defaults(run=list_jobs)

    dvc = actions.add_parser("dvc", help="generate dvc.yaml for every profile of params.yaml")
    dvc.add_argument("--params", default="params.yaml", help="settings file")
    dvc.add_argument("--output", default="dvc.yaml", help="file to write (default: dvc.yaml)")
    dvc.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs from what would be written"
    )
    dvc.set_defaults(run=generate_dvc)


def list_jobs(args: argparse.Namespace) -> int:
    """Print one JSON object per job: stage, name, command, inputs, outputs and params."""
    from nsa.config import load_profile
    from nsa.pipeline import build_jobs

    for job in build_jobs(load_profile(args.profile, args.params), args.params):
        record = {
            "stage": job.stage,
            "name": job.name,
            "command": list(job.command),
            "inputs": list(job.inputs),
            "outputs": list(job.products),
            "params": list(job.params),
        }
        print(json.dumps(record))
    return 0


def generate_dvc(args: argparse.Namespace) -> int:
    """Write dvc.yaml, or with --check report whether it is out of date."""
    import tempfile

    from nsa.config import load_profile, read_params
    from nsa.pipeline import write_dvc_yaml

    names = list(read_params(args.params)["profiles"])
    profiles = [load_profile(name, args.params) for name in names]
    target = Path(args.output)
    if not args.check:
        write_dvc_yaml(profiles, target, args.params)
        print(f"wrote {target} ({', '.join(names)})")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        expected = write_dvc_yaml(profiles, Path(scratch) / "dvc.yaml", args.params)
    if not target.is_file() or target.read_text() != expected:
        print(f"{target} is out of date: run `python -m nsa pipeline dvc`", file=sys.stderr)
        return 1
    print(f"{target} is up to date")
    return 0

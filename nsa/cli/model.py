"""`nsa model`: the size and cost of one model variant on one dataset."""

from __future__ import annotations

import argparse
import json

from nsa.config import ModelConfig, UsageError, load_profile
from nsa.data.catalog import DATASETS, dataset_info
from nsa.models import ModelSpec, build_model
from nsa.models.summary import count_macs, count_parameters, describe, extra_parameters

# Classes and image shape (channels, side) of each dataset the pipeline knows.
# The paper's WRN-28-10 sizes, used when no profile is given.
PAPER_SIZES = ModelConfig(width=10, nodes=8, arch_p=0.7, num_archs=5, dropout=0.2, aux_weight=0.1)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `nsa model VARIANT --dataset DATASET [--profile P] [--json]`."""
    parser = subparsers.add_parser(
        "model", help="print parameters, MACs and layer shapes of a model variant"
    )
    parser.add_argument("variant", metavar="VARIANT", help="e.g. wrn, individual-3, nsa-id")
    parser.add_argument("--dataset", required=True, help=f"one of: {', '.join(DATASETS)}")
    parser.add_argument(
        "--profile", default=None, help="take model sizes from this profile (default: the paper's)"
    )
    parser.add_argument("--params", default="params.yaml", help="settings file for --profile")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the model on the CPU and print its summary."""
    if args.dataset not in DATASETS:
        raise UsageError(f"unknown dataset {args.dataset!r}; known: {', '.join(DATASETS)}")
    sizes = PAPER_SIZES if args.profile is None else load_profile(args.profile, args.params).model
    info = dataset_info(args.dataset)
    classes, (channels, side, _) = len(info.classes), info.image_shape
    try:
        spec = ModelSpec.for_variant(
            args.variant, sizes, num_classes=classes, in_channels=channels, image_size=side
        )
    except ValueError as error:
        raise UsageError(str(error)) from error
    model = build_model(spec)
    summary = {
        "variant": spec.variant,
        "dataset": args.dataset,
        "params": count_parameters(model),
        "macs": count_macs(model),
        "aggregation_params": extra_parameters(model),
        "layers": [
            {"name": row.name, "shape": list(row.shape), "params": row.params}
            for row in describe(model)
        ],
    }
    print(json.dumps(summary) if args.json else format_summary(spec, summary))
    return 0


def format_summary(spec: ModelSpec, summary: dict) -> str:
    """A readable table of the summary."""
    shape = f"{spec.in_channels}x{spec.image_size}x{spec.image_size}"
    lines = [
        f"{spec.variant} on {summary['dataset']} ({shape}, {spec.num_classes} classes): "
        f"width {spec.width}, {spec.nodes} nodes per stage, {spec.num_archs} architecture(s)",
        f"trainable parameters: {summary['params']:,} ({summary['params'] / 1e6:.1f}M, "
        f"auxiliary head included)",
        f"forward MACs per image: {summary['macs']:,} ({summary['macs'] / 1e9:.2f}G, "
        f"auxiliary head excluded)",
        "",
        f"{'layer':<16}{'output':>14}{'params':>12}",
    ]
    for layer in summary["layers"]:
        dims = "x".join(map(str, layer["shape"]))
        lines.append(f"{layer['name']:<16}{dims:>14}{layer['params']:>12,}")
    lines.append(f"{'aggregation':<16}{'':>14}{summary['aggregation_params']:>12,}")
    return "\n".join(lines)

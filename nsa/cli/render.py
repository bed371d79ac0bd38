"""`nsa render`: the tables, figures and report of a profile, from its evaluations."""

from __future__ import annotations

import argparse
import logging

from nsa.cli import add_settings_options

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `nsa render [table NAME | figure NAME | report]`."""
    from nsa.pipeline import FIGURES, TABLES

    parser = subparsers.add_parser(
        "render", help="write tables (LaTeX + Markdown), figures (PDF + PNG) and REPORT.md"
    )
    add_settings_options(parser)
    parser.add_argument(
        "kind",
        nargs="?",
        choices=("table", "figure", "report"),
        help="what to render (default: everything)",
    )
    parser.add_argument(
        "name", nargs="?", choices=sorted(set(TABLES) | set(FIGURES)), help="which table or figure"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Render what was asked for, or everything."""
    from nsa.config import UsageError, load_profile
    from nsa.pipeline import FIGURES, TABLES
    from nsa.render.results import Results, default_layout

    profile = load_profile(args.profile, args.params)
    results = Results(profile, default_layout(profile))
    if args.kind in ("table", "figure") and args.name is None:
        raise UsageError(f"`nsa render {args.kind}` needs a name")
    if args.kind == "table" and args.name not in TABLES:
        raise UsageError(f"unknown table {args.name!r}; tables: {', '.join(TABLES)}")
    if args.kind == "figure" and args.name not in FIGURES:
        raise UsageError(f"unknown figure {args.name!r}; figures: {', '.join(FIGURES)}")

    if args.kind in (None, "table"):
        for name in [args.name] if args.kind else list(TABLES):
            render_table(results, name)
    if args.kind in (None, "figure"):
        for name in [args.name] if args.kind else list(FIGURES):
            render_figure(results, name)
    if args.kind in (None, "report"):
        render_report(results)
    return 0


def render_table(results, name: str) -> None:
    """Write one table as LaTeX and Markdown."""
    from nsa.render.tables import TABLE_BUILDERS, write_table

    layout = results.layout
    write_table(TABLE_BUILDERS[name](results), layout.table(name, "tex"), layout.table(name, "md"))
    log.info("wrote %s", layout.table(name, "tex"))


def render_figure(results, name: str) -> None:
    """Write one figure as PDF and PNG."""
    from nsa.render.figures import FIGURE_BUILDERS, save_figure

    layout = results.layout
    save_figure(
        FIGURE_BUILDERS[name](results), layout.figure(name, "pdf"), layout.figure(name, "png")
    )
    log.info("wrote %s", layout.figure(name, "pdf"))


def render_report(results) -> None:
    """Write REPORT.md."""
    from nsa.io import atomic_open
    from nsa.render.report import build_report

    with atomic_open(results.layout.report, "w") as handle:
        handle.write(build_report(results))
    log.info("wrote %s", results.layout.report)

"""The main job end to end: the smoke profile through Snakemake and through DVC, on real data.

Both runs start from a copy of the repository with no results, prepare Fashion-MNIST and the
digits from the real files, train every experiment, run every evaluation and render every table
and figure. These are the slowest tests of the suite (minutes each).
"""

import json
import re
from pathlib import Path

import pytest
import yaml
from workflow_runs import run

from nsa.config import load_profile
from nsa.layout import Layout
from nsa.pipeline import FIGURES, TABLES, build_jobs

pytestmark = pytest.mark.slow

SMOKE_BUDGET_SECONDS = 15 * 60


def smoke_products(repo: Path) -> list[Path]:
    """Every file and folder the smoke profile's jobs declare."""
    jobs = build_jobs(load_profile("smoke", repo / "params.yaml"))
    return [repo / p for job in jobs for p in job.products]


def test_snakemake_builds_every_table_and_figure_in_time(snakemake_smoke):
    repo, seconds = snakemake_smoke
    assert seconds < SMOKE_BUDGET_SECONDS
    layout = Layout("smoke", root=repo)
    for name in TABLES:
        assert layout.table(name, "tex").read_text().count("\\midrule") == 1
    for name in FIGURES:
        assert layout.figure(name, "png").stat().st_size > 1000
    missing = [p for p in smoke_products(repo) if not p.exists()]
    assert missing == []


def test_smoke_models_learn_far_above_chance(snakemake_smoke):
    repo, _ = snakemake_smoke
    layout = Layout("smoke", root=repo)
    for experiment in load_profile("smoke", repo / "params.yaml").experiments.values():
        if experiment.study != "main":
            continue
        metrics = json.loads(layout.metrics("ensemble", experiment.name).read_text())
        assert metrics["ensemble/error"] < 50.0, experiment.name  # chance is 90%


def test_rendered_tables_show_reproduced_and_paper_numbers(snakemake_smoke):
    repo, _ = snakemake_smoke
    markdown = Layout("smoke", root=repo).table("ensemble", "md").read_text()
    row = next(line for line in markdown.splitlines() if line.startswith("| NSA-id "))
    assert re.search(r"\| \d+\.\d\d \(2\.75\) +\| 0\.\d{4} \(0\.0032\)", row), row


def test_a_pgd_change_reruns_only_what_reads_it(snakemake_smoke):
    repo, _ = snakemake_smoke
    params_path = repo / "params.yaml"
    original = params_path.read_text()
    params = yaml.safe_load(original)
    params["profiles"]["smoke"]["evaluate"]["pgd"]["subset"] += 1
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        dry = run(["snakemake", "all", "-n", "--cores", "2", "--config", "profile=smoke"], repo)
    finally:
        params_path.write_text(original)
    stats = dry.stdout.split("Job stats:")[1]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", stats, re.MULTILINE))
    assert counts == {
        "evaluate": "2",  # the two PGD evaluations
        "render_table": "1",  # the uncertainty table
        "render_figure": "1",  # the mutual-information densities
        "render_report": "1",
        "all": "1",
        "total": "6",
    }
    assert "results/smoke/metrics/pgd/fashion-mnist-nsa-id.json" in dry.stdout
    assert "output: results/smoke/tables/uncertainty.tex" in dry.stdout
    assert "output: results/smoke/tables/ensemble.tex" not in dry.stdout


def test_nothing_reruns_when_nothing_changed(snakemake_smoke):
    repo, _ = snakemake_smoke
    dry = run(["snakemake", "all", "-n", "--cores", "2", "--config", "profile=smoke"], repo)
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_dvc_repro_builds_the_same_outputs(snakemake_smoke, dvc_smoke):
    dvc_repo, _ = dvc_smoke  # DVC runs its stages one at a time: slower, no time budget
    snake_repo, _ = snakemake_smoke
    expected = [p.relative_to(snake_repo) for p in smoke_products(snake_repo)]
    assert [p for p in expected if not (dvc_repo / p).exists()] == []
    for name in TABLES:  # the same seeds and code give the same numbers
        path = Layout("smoke").table(name, "md")
        assert (dvc_repo / path).read_text() == (snake_repo / path).read_text()


def test_dvc_metrics_diff_after_a_parameter_change(dvc_smoke):
    repo, _ = dvc_smoke
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "run"], repo)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    pgd = params["profiles"]["smoke"]["evaluate"]["pgd"]
    pgd["attacks"] = ["PGD1-2-1", "PGD2-3-1", "PGD255-8-64"]  # the last one beats any model
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    reran = run(["dvc", "repro", "--glob", "smoke-*"], repo).stdout
    stages = set(re.findall(r"Running stage '([^']+)'", reran))
    assert {s for s in stages if "-evaluate-" in s} == {
        "smoke-evaluate-pgd-fashion-mnist-wrn-mcdropout",
        "smoke-evaluate-pgd-fashion-mnist-nsa-id",
    }
    assert not any("-train-" in s or "prepare" in s for s in stages)

    metrics = json.loads((repo / "results/smoke/metrics/pgd/fashion-mnist-nsa-id.json").read_text())
    assert metrics["pgd/PGD255-8-64/acc"] == 0.0
    diff = run(["dvc", "metrics", "diff", "--json"], repo).stdout
    changed = json.loads(diff)["results/smoke/metrics/pgd/fashion-mnist-nsa-id.json"]
    assert changed["pgd/PGD255-8-64/acc"]["new"] == 0.0
    assert changed["pgd/PGD3-4-1/acc"]["new"] is None
    shown = run(["dvc", "metrics", "show"], repo).stdout
    row = next(line for line in shown.splitlines() if "pgd/fashion-mnist-nsa-id.json" in line)
    header = next(line for line in shown.splitlines() if line.startswith("Path"))
    column = header.split().index("pgd/PGD255-8-64/acc")
    assert row.split()[column] == "0.0"
    table = (repo / "results/smoke/tables/uncertainty.md").read_text()
    assert "| 0.000 " in table

"""The job graph: one description that Snakemake and DVC both run."""

import subprocess
import sys
from pathlib import Path

import yaml

from nsa.config import load_profile
from nsa.pipeline import build_jobs, fingerprint, output_paths

ROOT = Path(__file__).resolve().parent.parent


def test_dvc_yaml_is_generated_from_params():
    result = subprocess.run(
        [sys.executable, "-m", "nsa", "pipeline", "dvc", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_snakemake_and_dvc_declare_the_same_outputs():
    summary = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "all",
            "--summary",
            "--cores",
            "1",
            "--config",
            "profile=smoke",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    snakemake_outputs = {line.split("\t")[0] for line in summary[1:] if line.strip()}
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    smoke = {k: v for k, v in stages.items() if k.startswith("smoke-")}
    smoke.update(
        {k: v for k, v in stages.items() if k in ("prepare-fashion-mnist", "prepare-digits")}
    )
    assert snakemake_outputs == output_paths(smoke)
    assert len(snakemake_outputs) > 80


def test_every_dvc_stage_declares_the_params_it_reads():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    pgd = stages["smoke-evaluate-pgd-fashion-mnist-nsa-id"]
    keys = pgd["params"][0]["params.yaml"]
    assert "profiles.smoke.evaluate.pgd" in keys
    ensemble = stages["smoke-evaluate-ensemble-fashion-mnist-nsa-id"]
    assert "profiles.smoke.evaluate.pgd" not in ensemble["params"][0]["params.yaml"]
    assert (
        "profiles.smoke.train"
        in stages["smoke-train-fashion-mnist-nsa-id"]["params"][0]["params.yaml"]
    )


def test_a_pgd_setting_changes_only_pgd_fingerprints(tmp_path):
    document = yaml.safe_load((ROOT / "params.yaml").read_text())
    before = {(j.stage, j.name): fingerprint(j) for j in build_jobs(load_profile("smoke"))}
    document["profiles"]["smoke"]["evaluate"]["pgd"]["samples"] += 1
    changed_params = tmp_path / "params.yaml"
    changed_params.write_text(yaml.safe_dump(document))
    after = {
        (j.stage, j.name): fingerprint(j) for j in build_jobs(load_profile("smoke", changed_params))
    }
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {
        ("evaluate", "pgd-fashion-mnist-wrn-mcdropout"),
        ("evaluate", "pgd-fashion-mnist-nsa-id"),
    }


def test_paper_dry_run_lists_every_experiment_and_both_tables():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "all", "-n", "--cores", "8", "--resources", "gpu=2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    jobs = build_jobs(load_profile("paper"))
    for job in jobs:
        if job.stage == "train":
            assert f"results/paper/models/{job.name}/model.pt" in result.stdout
    assert "results/paper/tables/ensemble.tex" in result.stdout
    assert "results/paper/tables/uncertainty.tex" in result.stdout
    assert sum(job.stage == "train" for job in jobs) == 25

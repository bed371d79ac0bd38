"""Bad input stops a workflow with a message naming the problem, before any job starts."""

import subprocess
import sys

import yaml
from workflow_runs import copy_repository, workflow_env


def snakemake(repo, *config: str) -> subprocess.CompletedProcess:
    """`snakemake all` (a real run, not a dry run) with the given --config entries."""
    command = [sys.executable, "-m", "snakemake", "all", "--cores", "1", "--config", *config]
    return subprocess.run(
        command, cwd=repo, env=workflow_env(), capture_output=True, text=True, timeout=300
    )


def test_missing_dataset_offline_fails_before_any_job(tmp_path):
    repo = copy_repository(tmp_path / "repo")
    result = snakemake(repo, "profile=paper")
    assert result.returncode != 0
    assert "dataset cifar10 is not prepared" in result.stderr
    assert "downloads are disabled" in result.stderr
    assert not (repo / "logs").exists() and not (repo / "results").exists()


def test_unknown_profile_and_typo_fail_before_any_job(tmp_path):
    repo = copy_repository(tmp_path / "repo")
    result = snakemake(repo, "profile=smok")
    assert result.returncode != 0
    assert "unknown profile 'smok'; profiles: paper, smoke" in result.stderr

    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["profiles"]["smoke"]["evaluate"]["sample"] = params["profiles"]["smoke"]["evaluate"].pop(
        "samples"
    )
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    result = snakemake(repo, "profile=smoke")
    assert result.returncode != 0
    assert "profiles.smoke.evaluate: unknown key(s) 'sample'" in result.stderr
    assert not (repo / "logs").exists() and not (repo / "data").exists()

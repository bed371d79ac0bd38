"""Session fixtures: the smoke profile run once by Snakemake and once by DVC."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from workflow_runs import copy_repository, run


@pytest.fixture(scope="session")
def snakemake_smoke(tmp_path_factory) -> tuple[Path, float]:
    """The smoke profile run end to end by Snakemake; (repository copy, seconds taken)."""
    repo = copy_repository(tmp_path_factory.mktemp("snakemake-smoke"))
    start = time.monotonic()
    run(["snakemake", "all", "--cores", "2", "--config", "profile=smoke"], repo)
    return repo, time.monotonic() - start


@pytest.fixture(scope="session")
def dvc_smoke(tmp_path_factory) -> tuple[Path, float]:
    """The smoke profile reproduced by DVC in its own repository copy."""
    repo = copy_repository(tmp_path_factory.mktemp("dvc-smoke"))
    start = time.monotonic()
    run(["dvc", "repro", "--glob", "smoke-*"], repo)
    return repo, time.monotonic() - start

"""Helpers that run the real workflows (Snakemake, DVC) on copies of the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def workflow_env() -> dict[str, str]:
    """The environment of a workflow run: this venv first, no downloads, no analytics."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(NSA_OFFLINE="1", DVC_NO_ANALYTICS="1", PYTHONUNBUFFERED="1")
    return env


def run(command: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run a command in a repository copy; fail with its output when it fails."""
    result = subprocess.run(
        command, cwd=cwd, env=workflow_env(), capture_output=True, text=True, **kwargs
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-6000:]}\nstderr:\n{result.stderr[-6000:]}"
        )
    return result


def copy_repository(destination: Path) -> Path:
    """A fresh git repository holding the project's files (committed or not), no outputs."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not name.startswith("results/"):
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]
    subprocess.run(["git", "init", "-q"], cwd=destination, check=True)
    subprocess.run(["git", "add", "-A"], cwd=destination, check=True)
    subprocess.run(git + ["commit", "-qm", "copy"], cwd=destination, check=True)
    return destination

"""`nsa prepare`: the profile's data root, --source, and one-line errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from published_formats import write_svhn

from nsa.cli import prepare
from nsa.data import DataError

PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"


def parse(argv: list[str]) -> argparse.Namespace:
    """Arguments as the `nsa` command line parses them."""
    parser = argparse.ArgumentParser(prog="nsa")
    prepare.add_parser(parser.add_subparsers())
    return parser.parse_args(argv)


def test_prepare_writes_under_the_profile_data_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NSA_OFFLINE", "1")
    args = parse(["prepare", "digits", "--profile", "smoke", "--params", str(PARAMS)])
    assert args.run(args) == 0
    manifest = json.loads((tmp_path / "data/prepared/digits/manifest.json").read_text())
    assert manifest["splits"]["test"]["count"] == 1797


def test_a_source_folder_lacking_the_files_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_svhn(tmp_path / "elsewhere" / "test_32x32.mat", count=2)
    args = parse(["prepare", "svhn", "--source", "mine", "--params", str(PARAMS)])
    with pytest.raises(DataError, match="^mine lacks raw files of svhn: mine/test_32x32.mat"):
        args.run(args)


def test_unknown_datasets_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        parse(["prepare", "mnist"])
    assert "invalid choice: 'mnist'" in capsys.readouterr().err


def test_main_prints_data_errors_in_one_line(tmp_path, monkeypatch, capsys):
    from nsa.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NSA_OFFLINE", "1")
    status = main(["prepare", "cifar10", "--profile", "paper", "--params", str(PARAMS)])
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert status == 2
    assert error.startswith("error: no raw files of cifar10: looked in data/raw/cifar10 and ")

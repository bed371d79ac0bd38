"""`nsa model`: parameters, MACs and shapes of a variant on a dataset."""

import argparse
import json
from pathlib import Path

import pytest

from nsa.cli import model
from nsa.config import UsageError

PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"


def run(argv):
    parser = argparse.ArgumentParser()
    model.add_parser(parser.add_subparsers())
    args = parser.parse_args(["model", *argv])
    return args.run(args)


def test_paper_sizes_by_default(capsys):
    assert run(["nsa-id", "--dataset", "cifar10", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["params"], summary["macs"]) == (39_560_563, 5_771_598_080)
    assert summary["aggregation_params"] == 5 * 243
    assert summary["layers"][0] == {
        "name": "stem",
        "shape": [160, 32, 32],
        "params": 5 * 320 + 4320,
    }


def test_profile_sizes_as_a_table(capsys):
    argv = ["wrn", "--dataset", "fashion-mnist", "--profile", "smoke", "--params", str(PARAMS)]
    assert run(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        "wrn on fashion-mnist (1x28x28, 10 classes): width 1, 3 nodes per stage, 1 architecture(s)",
        "trainable parameters: 265,428 (0.3M, auxiliary head included)",
        "forward MACs per image: 17,173,376 (0.02G, auxiliary head excluded)",
    ]
    assert "transition2             64x7x7       2,176" in lines
    assert lines[-1].split() == ["aggregation", "48"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nsa", "--dataset", "mnist"], "unknown dataset 'mnist'; known: cifar10, cifar100"),
        (["nsa-x", "--dataset", "svhn"], "unknown variant 'nsa-x'"),
        (["individual", "--dataset", "digits"], "unknown variant 'individual'"),
        (["nsa", "--dataset", "svhn", "--profile", "huge", "--params", str(PARAMS)], "huge"),
    ],
)
def test_bad_arguments_are_usage_errors(argv, message):
    with pytest.raises(UsageError, match=message):
        run(argv)

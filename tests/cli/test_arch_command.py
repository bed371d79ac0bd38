"""`nsa arch`: an architecture as text, JSON or a drawing."""

import argparse
import json

import pytest

from nsa.arch import random_architecture
from nsa.cli import arch
from nsa.config import UsageError


def run(argv):
    parser = argparse.ArgumentParser()
    arch.add_parser(parser.add_subparsers())
    args = parser.parse_args(["arch", *argv])
    return args.run(args)


def test_json_gives_the_seeded_matrices(capsys):
    assert run(["1", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record == {
        "seed": 1,
        "p": 0.7,
        "nodes": 8,
        "stages": random_architecture(1).to_dict()["stages"],
    }
    assert record["stages"][0][8] == [0, 1, 0, 0, 1, 0, 1, 1, 1]


def test_text_marks_each_edge(capsys):
    assert run(["residual", "--nodes", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "residual: p=None, 2 nodes per stage, edges (4, 4, 4)",
        *[
            line
            for stage in (1, 2, 3)
            for line in (
                f"stage {stage}     o0 o1 o2",
                "  node 0    #  .  .",
                "  node 1    .  #  .",
                "  output    #  .  #",
            )
        ],
    ]


def test_options_and_plot(tmp_path, capsys):
    target = tmp_path / "seed-5.png"
    assert run(["5", "--p", "0.5", "--nodes", "4", "--json", "--plot", str(target)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["p"], record["nodes"]) == (0.5, 4)
    assert record["stages"] == random_architecture(5, 0.5, 4).to_dict()["stages"]
    assert target.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x"], "SEED must be an integer or 'residual'"),
        (["1", "--p", "1.5"], r"arch_p\) must be a number in \[0, 1\)"),
        (["1", "--nodes", "0"], "nodes must be an integer >= 1"),
    ],
)
def test_bad_arguments_are_usage_errors(argv, message):
    with pytest.raises(UsageError, match=message):
        run(argv)

"""Tables, figures and the report, rendered from evaluation files written by the test."""

import json
from pathlib import Path

import numpy as np
import pytest

from nsa.cli import main
from nsa.config import PROTOCOLS, evaluation_targets, load_profile
from nsa.layout import Layout
from nsa.pipeline import FIGURES
from nsa.render.results import Results
from nsa.render.tables import ensemble_table, uncertainty_table

PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"


def fake_evaluation(protocol: str, family: str, rng: np.random.Generator) -> tuple[dict, dict]:
    """Metrics and arrays shaped like the evaluation protocols' files."""
    n = 40
    if protocol == "ensemble":
        error = {"wrn": 10.0, "nsa-id": 8.5}.get(family, 9.0)
        metrics = {"ensemble/error": error, "ensemble/ece": 0.0125, "model/params": 265428.0}
        arrays = {"confidence": rng.uniform(0, 1, n), "correct": rng.integers(0, 2, n)}
    elif protocol == "individual":
        gap = 0.2 if family == "nsa" else 0.01
        metrics = {"individual/bn_eval/acc_mean": 0.8 - gap, "individual/bn_train/acc_mean": 0.8}
        arrays = {"bn_eval_acc": np.full(3, 0.8 - gap), "bn_train_acc": np.full(3, 0.8)}
    elif protocol == "generalization":
        metrics = {"generalization/seen/acc_mean": 0.8, "generalization/unseen/acc_mean": 0.78}
        arrays = {"seen_acc": rng.uniform(0.7, 0.9, 3), "unseen_acc": rng.uniform(0.7, 0.9, 10)}
    elif protocol == "diversity":
        kl = 0.3 if family == "nsa-id" else 0.1
        metrics = {"diversity/kl": kl}
        arrays = {"pair_kl": np.full((4, 4), kl) - np.diag(np.full(4, kl))}
    elif protocol == "ood":
        metrics = {"ood/digits/auroc_mi": 0.9 if family == "nsa-id" else 0.8}
        arrays = {"mi_in": rng.uniform(0, 0.1, n), "mi_ood": rng.uniform(0, 0.5, n)}
    else:
        metrics = {"pgd/clean/acc": 0.8}
        arrays = {"mi_clean": rng.uniform(0, 0.1, n)}
        for attack in ("PGD1-2-1", "PGD2-3-1", "PGD3-4-1"):
            metrics[f"pgd/{attack}/acc"] = 0.0 if attack == "PGD3-4-1" else 0.5
            metrics[f"pgd/{attack}/auroc_mi"] = 0.6
            arrays[f"mi_{attack}"] = rng.uniform(0, 0.3, n)
    return metrics, arrays


@pytest.fixture
def rendered(tmp_path, monkeypatch):
    """A smoke profile whose every evaluation was faked; returns its Results."""
    monkeypatch.chdir(tmp_path)
    profile = load_profile("smoke", PARAMS)
    layout = Layout.for_profile(profile)
    rng = np.random.default_rng(0)
    for protocol in PROTOCOLS:
        for experiment in evaluation_targets(profile, protocol):
            metrics, arrays = fake_evaluation(protocol, experiment.family, rng)
            layout.metrics(protocol, experiment.name).parent.mkdir(parents=True, exist_ok=True)
            layout.metrics(protocol, experiment.name).write_text(json.dumps(metrics))
            layout.arrays(protocol, experiment.name).parent.mkdir(parents=True, exist_ok=True)
            np.savez(layout.arrays(protocol, experiment.name), **arrays)
    for experiment in profile.experiments:
        log = layout.train_log(experiment)
        log.mkdir(parents=True)
        records = [
            {"epoch": e, "train/loss": 2.0 - e, "test/accuracy": 0.5 + 0.1 * e} for e in (0, 1)
        ]
        (log / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "params.yaml").write_text(PARAMS.read_text())
    return Results(profile, layout)


def test_ensemble_table_puts_the_paper_beside_each_number(rendered):
    table = ensemble_table(rendered)
    rows = {row[0]: row for row in table.rows}
    assert rows["WRN-28-10"] == ("WRN-28-10", "265.4K", "10.00 (2.93)", "0.0125 (0.0140)")
    assert rows["NSA-id"][2:] == ("8.50 (2.75)", "0.0125 (0.0032)")
    assert rows["Average of individuals"][2] == "9.00 (2.97)"
    assert rows["Vanilla NSA"][2] == "9.00"  # not in the paper: nothing beside it
    assert rows["DenseNet-BC (reported)"][2:] == ("3.46", "--")
    assert "reported" in table.caption and "Fashion-MNIST with CIFAR-10" in table.caption


def test_zero_stays_zero_in_tables(rendered):
    rows = {row[0]: row for row in uncertainty_table(rendered).rows}
    assert rows["NSA-id"] == (
        "NSA-id",
        "0.900 (0.970)",
        "0.500 (0.630)",
        "0.600 (0.737)",
        "0.500 (0.401)",
        "0.600 (0.705)",
        "0.000 (0.263)",
        "0.600 (0.618)",
    )
    assert rows["NSA-i"][1] == "0.800"


def test_latex_is_booktabs_and_escaped(rendered):
    latex = ensemble_table(rendered).to_latex()
    assert "\\toprule" in latex and "\\bottomrule" in latex
    assert "error (\\%)" in latex
    assert latex.count("\\\\") == len(ensemble_table(rendered).rows) + 1
    markdown = uncertainty_table(rendered).to_markdown()
    assert "| NSA-id " in markdown and "0.000 (0.263)" in markdown


def test_render_writes_every_product(rendered):
    assert main(["render", "--profile", "smoke"]) == 0
    layout = rendered.layout
    for name in ("ensemble", "uncertainty"):
        assert layout.table(name, "tex").read_text().startswith("% Generated")
        assert layout.table(name, "md").stat().st_size > 0
    for name in FIGURES:
        assert layout.figure(name, "pdf").read_bytes().startswith(b"%PDF")
        assert layout.figure(name, "png").read_bytes().startswith(b"\x89PNG")
    report = layout.report.read_text()
    assert "supported | NSA-i gap 0.01 vs vanilla NSA gap 0.2 (lower is better)" in report
    assert "supported | NSA-id KL 0.3 vs NSA-i KL 0.1 (higher is better)" in report


def test_figures_are_reproducible(rendered):
    layout = rendered.layout
    main(["render", "figure", "uncertainty", "--profile", "smoke"])
    first = layout.figure("uncertainty", "pdf").read_bytes()
    main(["render", "figure", "uncertainty", "--profile", "smoke"])
    assert layout.figure("uncertainty", "pdf").read_bytes() == first


def test_missing_evaluation_names_the_command(rendered, capsys):
    rendered.layout.metrics("pgd", "fashion-mnist-nsa-id").unlink()
    assert main(["render", "table", "uncertainty", "--profile", "smoke"]) == 2
    error = capsys.readouterr().err
    assert "fashion-mnist-nsa-id.json" in error
    assert "nsa evaluate pgd fashion-mnist-nsa-id --profile smoke" in error


def test_paper_numbers_are_matched_by_dataset_name():
    from nsa.render.paper import paper_dataset

    assert paper_dataset(("cifar100", "cifar10"), "cifar100") == "cifar100"
    assert paper_dataset(("cifar100",), "cifar100") == "cifar100"
    assert paper_dataset(("fashion-mnist",), "fashion-mnist") == "cifar10"
    assert paper_dataset(("cifar10", "fashion-mnist"), "fashion-mnist") == "cifar100"
    assert paper_dataset(("cifar10", "cifar100", "svhn"), "svhn") is None

"""End to end: a saved model and a prepared test set in, metrics JSON and arrays .npz out."""

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from nsa.config import UsageError, as_plain, load_profile
from nsa.evaluate import evaluate_experiment
from nsa.layout import Layout
from nsa.models import save_model

PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"
SMALL = {"batch_size": 64, "samples": 3, "seen": 2, "unseen": 3, "diversity_samples": 3}


@pytest.fixture
def profile():
    profile = load_profile("smoke", PARAMS)
    pgd = dataclasses.replace(profile.evaluate.pgd, samples=2, subset=10)
    evaluate = dataclasses.replace(profile.evaluate, pgd=pgd, **SMALL)
    return dataclasses.replace(profile, evaluate=evaluate, threads=1)


@pytest.fixture
def fake_data(monkeypatch):
    """Prepared datasets served from memory: 4 classes of 8x8 grey images."""
    import nsa.data
    from nsa.data import PreparedDataset, Split

    def load_prepared(name, layout, verify=True):
        generator = torch.Generator().manual_seed(len(name))
        count = 30 if name == "fashion-mnist" else 17
        images = torch.randint(0, 256, (count, 1, 8, 8), dtype=torch.uint8, generator=generator)
        test = Split(images, torch.arange(count) % 4)
        return PreparedDataset(name, ("a", "b", "c", "d"), (0.5,), (0.25,), (1, 8, 8), None, test)

    monkeypatch.setattr(nsa.data, "load_prepared", load_prepared)


@pytest.fixture
def layout(tmp_path):
    return Layout("smoke", root=tmp_path)


def save(layout, profile, name, supernet, record=None, variant=None):
    experiment = profile.experiment(name)
    model = supernet(variant or experiment.variant, experiment.num_archs)
    extra = {"experiment": record or as_plain(experiment)}
    save_model(layout.model(name), model, extra)
    return experiment, model


def test_ensemble_writes_metrics_and_arrays(profile, layout, fake_data, supernet):
    experiment, model = save(layout, profile, "fashion-mnist-nsa-id", supernet)
    values = evaluate_experiment("ensemble", profile, experiment, layout)
    written = json.loads(layout.metrics("ensemble", experiment.name).read_text())
    assert written == values
    assert set(written) == {
        "ensemble/error",
        "ensemble/nll",
        "ensemble/ece",
        "ensemble/samples",
        "ensemble/examples",
        "model/params",
    }
    assert written["ensemble/samples"] == 3.0 and written["ensemble/examples"] == 30.0
    assert written["model/params"] == sum(p.numel() for p in model.parameters())
    with np.load(layout.arrays("ensemble", experiment.name), allow_pickle=False) as arrays:
        settings = json.loads(str(arrays["settings"]))
        assert arrays["confidence"].shape == (30,)
        assert 100 * (1 - arrays["correct"].mean()) == pytest.approx(written["ensemble/error"])
    model_file = layout.model(experiment.name).read_bytes()
    assert settings["model_sha256"] == hashlib.sha256(model_file).hexdigest()
    assert settings["profile"] == "smoke" and settings["experiment"]["name"] == experiment.name
    assert settings["evaluate"]["samples"] == 3


def test_the_same_seed_gives_the_same_numbers(profile, layout, fake_data, supernet):
    experiment, _ = save(layout, profile, "fashion-mnist-wrn-mcdropout", supernet)
    first = evaluate_experiment("ood", profile, experiment, layout)
    again = evaluate_experiment("ood", profile, experiment, layout)
    assert first == again
    other = dataclasses.replace(profile, evaluate=dataclasses.replace(profile.evaluate, seed=1))
    assert evaluate_experiment("ood", other, experiment, layout) != first


def test_zero_stays_zero_in_the_json(profile, layout, fake_data, supernet):
    experiment, _ = save(layout, profile, "fashion-mnist-wrn", supernet)
    evaluate_experiment("diversity", profile, experiment, layout)
    text = layout.metrics("diversity", experiment.name).read_text()
    assert json.loads(text)["diversity/kl"] == 0.0 and "NaN" not in text


@pytest.mark.parametrize(
    ("protocol", "name"),
    [
        ("individual", "fashion-mnist-nsa"),
        ("generalization", "fashion-mnist-nsa-i"),
        ("pgd", "fashion-mnist-nsa-id"),
    ],
)
def test_every_protocol_runs_end_to_end(profile, layout, fake_data, supernet, protocol, name):
    experiment, _ = save(layout, profile, name, supernet)
    values = evaluate_experiment(protocol, profile, experiment, layout)
    assert values and all(key.startswith(f"{protocol}/") for key in values)
    assert layout.arrays(protocol, name).is_file()


def test_generalization_on_nsa_id_is_refused_before_any_work(profile, layout):
    # No model file exists: the refusal must come first, from the variant alone.
    experiment = profile.experiment("fashion-mnist-nsa-id")
    with pytest.raises(UsageError, match="parameters per architecture"):
        evaluate_experiment("generalization", profile, experiment, layout)


def test_checkpoint_of_another_variant_is_refused(profile, layout, fake_data, supernet):
    experiment = profile.experiment("fashion-mnist-nsa-id")
    wrong = as_plain(profile.experiment("fashion-mnist-nsa-i"))
    save(layout, profile, experiment.name, supernet, record=wrong, variant="nsa-i")
    with pytest.raises(UsageError, match="another variant or dataset"):
        evaluate_experiment("ensemble", profile, experiment, layout)


def test_checkpoint_of_another_dataset_is_refused(profile, layout, fake_data, supernet):
    experiment = profile.experiment("fashion-mnist-nsa-id")
    record = dict(as_plain(experiment), dataset="cifar10")
    save(layout, profile, experiment.name, supernet, record=record)
    with pytest.raises(UsageError, match="another variant or dataset.*dataset 'cifar10'"):
        evaluate_experiment("ensemble", profile, experiment, layout)


def test_record_that_lies_about_the_model_is_refused(profile, layout, fake_data, supernet):
    # The record says nsa-id but the weights are an nsa-i model.
    experiment = profile.experiment("fashion-mnist-nsa-id")
    save(layout, profile, experiment.name, supernet, variant="nsa-i")
    with pytest.raises(UsageError, match="model variant 'nsa-i'"):
        evaluate_experiment("ensemble", profile, experiment, layout)


def test_nan_predictions_are_an_error(profile, layout, fake_data, supernet):
    experiment = profile.experiment("fashion-mnist-nsa-i")
    model = supernet("nsa-i", 3)
    with torch.no_grad():
        model.classifier.bias.fill_(float("nan"))
    save_model(layout.model(experiment.name), model, {"experiment": as_plain(experiment)})
    with pytest.raises(UsageError, match="NaN"):
        evaluate_experiment("ensemble", profile, experiment, layout)
    assert not layout.metrics("ensemble", experiment.name).exists()


def test_missing_model_names_the_command(profile, layout):
    experiment = profile.experiment("fashion-mnist-nsa-i")
    with pytest.raises(UsageError, match="nsa train fashion-mnist-nsa-i"):
        evaluate_experiment("ensemble", profile, experiment, layout)


def test_unknown_protocol(profile, layout):
    with pytest.raises(UsageError, match="unknown protocol"):
        evaluate_experiment("bleu", profile, profile.experiment("fashion-mnist-wrn"), layout)


def test_command_line(tmp_path, monkeypatch, capsys, fake_data, supernet):
    import argparse

    from nsa.cli import evaluate as command

    params = yaml.safe_load(PARAMS.read_text())
    params["profiles"]["smoke"]["evaluate"].update(SMALL)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    profile = load_profile("smoke", "params.yaml")
    save(Layout.for_profile(profile), profile, "fashion-mnist-nsa", supernet)

    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["evaluate", "ensemble", "fashion-mnist-nsa", "--profile", "smoke"])
    assert args.run(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["ensemble/samples"] == 3.0
    assert Path("results/smoke/metrics/ensemble/fashion-mnist-nsa.json").is_file()
    with pytest.raises(SystemExit):
        parser.parse_args(["evaluate", "nonsense", "fashion-mnist-nsa"])

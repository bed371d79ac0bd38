"""Settings: the profiles of params.yaml, their validation and the experiment matrix."""

from pathlib import Path

import pytest
import yaml

from nsa.config import PROTOCOLS, UsageError, evaluation_targets, load_profile

PARAMS = Path(__file__).resolve().parent.parent / "params.yaml"


def write_params(tmp_path: Path, edit) -> Path:
    """A copy of params.yaml with `edit` applied to its parsed document."""
    document = yaml.safe_load(PARAMS.read_text())
    edit(document)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_paper_profile_lists_every_experiment_of_the_paper():
    profile = load_profile("paper", PARAMS)
    names = set(profile.experiments)
    for dataset in ("cifar10", "cifar100"):
        for variant in ("wrn", "wrn-mcdropout", "nsa", "nsa-i", "nsa-id", "nsa-id-aggr"):
            assert f"{dataset}-{variant}" in names
        for seed in range(1, 6):
            assert f"{dataset}-individual-{seed}" in names
    for archs in (50, 500, 5000):
        assert profile.experiment(f"cifar10-nsa-i-a{archs}").num_archs == archs
    assert len(names) == 2 * 11 + 3
    assert profile.experiment("cifar10-nsa-id").num_archs == 5
    assert profile.experiment("cifar10-individual-3").variant == "individual-3"
    assert profile.experiment("cifar10-wrn").num_archs == 1


def test_paper_recipe_values():
    profile = load_profile("paper", PARAMS)
    assert profile.model.width == 10 and profile.model.nodes == 8
    assert profile.train.epochs == 300 and profile.train.batch_size == 128
    assert profile.train.lr_milestones == (90, 180, 240)
    assert profile.train.lr_gamma == pytest.approx(0.2)
    assert profile.evaluate.samples == 100 and profile.evaluate.ece_bins == 15
    assert profile.evaluate.pgd.attacks == ("PGD1-2-1", "PGD2-3-1", "PGD3-4-1")


def test_protocol_targets_follow_the_evaluation_plan():
    profile = load_profile("paper", PARAMS)
    names = {p: [e.name for e in evaluation_targets(profile, p)] for p in PROTOCOLS}
    assert len(names["ensemble"]) == 22  # both datasets, every main experiment
    assert names["pgd"] == ["cifar10-wrn-mcdropout", "cifar10-nsa-id"]
    assert names["generalization"] == [
        "cifar10-nsa-i",
        "cifar10-nsa-i-a50",
        "cifar10-nsa-i-a500",
        "cifar10-nsa-i-a5000",
    ]
    assert names["individual"] == ["cifar10-nsa", "cifar10-nsa-i"]


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(UsageError, match="unknown profile 'tiny'.*paper, smoke"):
        load_profile("tiny", PARAMS)


def test_unknown_experiment_lists_the_known_ones():
    profile = load_profile("smoke", PARAMS)
    with pytest.raises(UsageError, match="unknown experiment 'mnist-wrn'.*fashion-mnist-wrn"):
        profile.experiment("mnist-wrn")


def test_typo_in_a_key_is_named(tmp_path):
    def typo(doc):
        doc["profiles"]["smoke"]["train"]["epoch"] = doc["profiles"]["smoke"]["train"].pop("epochs")

    with pytest.raises(UsageError) as error:
        load_profile("smoke", write_params(tmp_path, typo))
    assert "profiles.smoke.train" in str(error.value)
    assert "'epoch'" in str(error.value) and "epochs" in str(error.value)


def test_wrong_type_is_named(tmp_path):
    def wrong(doc):
        doc["profiles"]["smoke"]["train"]["epochs"] = "three"

    with pytest.raises(UsageError, match=r"profiles\.smoke\.train\.epochs: 'three' is not of"):
        load_profile("smoke", write_params(tmp_path, wrong))


def test_bad_enum_lists_allowed_values(tmp_path):
    def bad(doc):
        doc["profiles"]["smoke"]["experiments"]["variants"].append("resnet")

    with pytest.raises(UsageError, match=r"variants\.7: 'resnet' is not allowed; allowed.*nsa-id"):
        load_profile("smoke", write_params(tmp_path, bad))


def test_profile_names_cannot_reach_a_shell(tmp_path):
    def bad(doc):
        doc["profiles"]["x; rm -rf ~"] = doc["profiles"]["smoke"]

    with pytest.raises(UsageError, match="does not match"):
        load_profile("smoke", write_params(tmp_path, bad))


def test_arch_p_outside_its_range(tmp_path):
    def bad(doc):
        doc["profiles"]["smoke"]["model"]["arch_p"] = 1.0

    with pytest.raises(UsageError, match=r"model\.arch_p"):
        load_profile("smoke", write_params(tmp_path, bad))


def test_milestones_must_increase(tmp_path):
    def bad(doc):
        doc["profiles"]["smoke"]["train"]["lr_milestones"] = [3, 2]

    with pytest.raises(UsageError, match="lr_milestones: must be strictly increasing"):
        load_profile("smoke", write_params(tmp_path, bad))


def test_evaluating_an_untrained_variant_is_an_error(tmp_path):
    def bad(doc):
        doc["profiles"]["smoke"]["experiments"]["variants"].remove("nsa-id")

    with pytest.raises(UsageError, match=r"evaluations\.\w+: \['nsa-id'\] are not trained"):
        load_profile("smoke", write_params(tmp_path, bad))


def test_offline_switch_forbids_downloads(monkeypatch):
    monkeypatch.delenv("NSA_OFFLINE", raising=False)
    assert load_profile("smoke", PARAMS).data.allow_download is True
    monkeypatch.setenv("NSA_OFFLINE", "1")
    assert load_profile("smoke", PARAMS).data.allow_download is False


def test_missing_params_file(tmp_path):
    with pytest.raises(UsageError, match="settings file not found"):
        load_profile("smoke", tmp_path / "nope.yaml")


def test_a_float_is_not_an_integer(tmp_path):
    def bad(doc):
        doc["profiles"]["smoke"]["train"]["batch_size"] = 64.0

    with pytest.raises(UsageError, match=r"train\.batch_size: 64\.0 is not of type 'integer'"):
        load_profile("smoke", write_params(tmp_path, bad))

"""The evaluation protocols on a tiny real supernet: values, keys and side effects."""

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch

from nsa import metrics
from nsa.arch import random_architecture
from nsa.evaluate import PROTOCOLS, Job, predict


@pytest.fixture
def make_job(supernet, evaluate_settings, images, labels):
    def make(variant, archs=3, ood_images=None, **settings):
        model = supernet(variant, archs)
        ood = ood_images if ood_images is not None else images.flip(2)
        return Job(
            model=model,
            images=images,
            labels=labels,
            settings=dataclasses.replace(evaluate_settings, **settings),
            ood_name="digits",
            load_ood=lambda: (ood, torch.zeros(len(ood), dtype=torch.long)),
            arch_seed=lambda seed: random_architecture(seed, 0.7, 2),
        )

    return make


def run(job, protocol):
    before = copy.deepcopy(job.model.state_dict())
    result = PROTOCOLS[protocol](job)
    # No protocol changes the network, running statistics included.
    for key, value in job.model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert not any(module.training for module in job.model.modules())
    assert all(math.isfinite(value) for value in result.metrics.values())
    assert all(key.startswith(f"{protocol}/") for key in result.metrics)
    return result


def test_ensemble_of_an_nsa_model(make_job, labels):
    job = make_job("nsa-id")
    result = run(job, "ensemble")
    expected = predict(job.model, job.images, job.model.bank(), samples=6, batch_size=64)
    probs = expected.mean_probs
    assert result.metrics["ensemble/error"] == pytest.approx(metrics.error(probs, labels.numpy()))
    assert result.metrics["ensemble/nll"] == pytest.approx(metrics.nll(probs, labels.numpy()))
    assert result.metrics["ensemble/ece"] == pytest.approx(metrics.ece(probs, labels.numpy()))
    assert result.metrics["ensemble/samples"] == 6.0
    assert result.metrics["ensemble/examples"] == 37.0
    arrays = result.arrays
    assert arrays["confidence"].shape == arrays["correct"].shape == (37,)
    assert arrays["bin_counts"].sum() == 37 and len(arrays["bin_edges"]) == 16
    assert 1.0 - arrays["correct"].mean() == pytest.approx(result.metrics["ensemble/error"] / 100)


def test_ensemble_of_a_deterministic_model_takes_one_pass(make_job, labels):
    job = make_job("wrn", archs=1)
    result = run(job, "ensemble")
    assert result.metrics["ensemble/samples"] == 1.0
    x = job.images.float() / 255
    with torch.no_grad():
        logits = job.model(x, *job.model.bank().take(torch.zeros(37, dtype=torch.long)))
    single = torch.softmax(logits.double(), 1).numpy()
    assert result.metrics["ensemble/error"] == pytest.approx(metrics.error(single, labels.numpy()))
    assert np.all(result.arrays["mutual_information"] == 0.0)


def test_mc_dropout_ensemble_samples_masks(make_job):
    result = run(make_job("wrn-mcdropout", archs=1), "ensemble")
    assert result.metrics["ensemble/samples"] == 6.0
    assert result.arrays["mutual_information"].max() > 0


def test_individual_accuracies_in_both_normalisation_modes(make_job, labels):
    job = make_job("nsa", archs=3)
    result = run(job, "individual")
    bank = job.model.bank()
    for arch in range(3):
        alone = predict(job.model, job.images, bank, samples=1, batch_size=64, assign=arch)
        assert result.arrays["bn_eval_acc"][arch] == alone.sample_accuracy(labels.numpy())[0]
    assert result.arrays["arch_seeds"].tolist() == [1, 2, 3]
    assert result.arrays["bn_train_acc"].shape == (3,)
    assert result.metrics["individual/bn_eval/acc_mean"] == pytest.approx(
        result.arrays["bn_eval_acc"].mean()
    )
    assert result.metrics["individual/archs"] == 3.0


def test_batch_statistics_accuracy_matches_a_training_mode_copy(make_job, labels):
    job = make_job("nsa-i", archs=3)
    result = run(job, "individual")
    reference = copy.deepcopy(job.model).train()
    reference.aux_head = None  # only the logits matter here
    x = job.images.float() / 255
    for arch in range(3):
        with torch.no_grad():
            logits = reference(x, *job.model.bank().take(torch.full((37,), arch)))
        accuracy = (logits.argmax(1) == labels).float().mean().item()
        assert result.arrays["bn_train_acc"][arch] == pytest.approx(accuracy)


def test_generalization_seen_and_unseen(make_job, labels):
    job = make_job("nsa-i", archs=3)
    result = run(job, "generalization")
    assert len(result.arrays["seen_acc"]) == 2  # seen=2 of the 3 training architectures
    assert set(result.arrays["seen_seeds"]) <= {1, 2, 3}
    assert result.arrays["unseen_seeds"].tolist() == [50500, 50501, 50502, 50503]
    bank = job.model.bank([random_architecture(50501, 0.7, 2)])
    alone = predict(job.model, job.images, bank, samples=1, batch_size=64, assign=0)
    assert result.arrays["unseen_acc"][1] == alone.sample_accuracy(labels.numpy())[0]
    assert result.metrics["generalization/unseen/count"] == 4.0
    assert result.metrics["generalization/gap"] == pytest.approx(
        result.arrays["seen_acc"].mean() - result.arrays["unseen_acc"].mean()
    )


def test_generalization_uses_every_training_architecture_when_fewer_than_seen(make_job):
    result = run(make_job("nsa-i", archs=3, seen=100), "generalization")
    assert sorted(result.arrays["seen_seeds"].tolist()) == [1, 2, 3]


def test_generalization_skips_unseen_seeds_equal_to_a_training_architecture(make_job):
    # Seeds 2.. overlap the training set 1..3 by seed; they are skipped, not counted as unseen.
    result = run(make_job("nsa-i", archs=3, unseen_seed_start=2), "generalization")
    trained = {random_architecture(s, 0.7, 2).stages for s in (1, 2, 3)}
    unseen = [random_architecture(int(s), 0.7, 2).stages for s in result.arrays["unseen_seeds"]]
    assert len(unseen) == 4 and not set(unseen) & trained
    assert result.arrays["unseen_seeds"][0] >= 4


def test_diversity(make_job):
    result = run(make_job("nsa-id", archs=3), "diversity")
    pair_kl = result.arrays["pair_kl"]
    assert pair_kl.shape == (3, 3) and np.all(np.diag(pair_kl) == 0)
    off = pair_kl[~np.eye(3, dtype=bool)]
    assert result.metrics["diversity/kl"] == pytest.approx(off.mean())
    assert result.arrays["example_kl"].shape == (37,)
    assert result.metrics["diversity/samples"] == 3.0


def test_diversity_of_a_deterministic_model_is_exactly_zero(make_job):
    result = run(make_job("wrn", archs=1), "diversity")
    assert result.metrics["diversity/kl"] == 0.0
    assert result.metrics["diversity/disagreement"] == 0.0


def test_ood_scores_and_conversion_of_foreign_images(make_job):
    colour = torch.randint(0, 256, (11, 3, 5, 5), dtype=torch.uint8)
    job = make_job("nsa-id", archs=3, ood_images=colour)
    result = run(job, "ood")
    mi_in, mi_ood = result.arrays["mi_in"], result.arrays["mi_ood"]
    assert mi_in.shape == (37,) and mi_ood.shape == (11,)
    is_ood = np.r_[np.zeros(37, bool), np.ones(11, bool)]
    assert result.metrics["ood/digits/auroc_mi"] == pytest.approx(
        metrics.auroc(np.r_[mi_in, mi_ood], is_ood)
    )
    assert 0.0 <= result.metrics["ood/digits/auroc_entropy"] <= 1.0
    assert result.metrics["ood/digits/ood_examples"] == 11.0


def test_ood_with_a_deterministic_model_ties_at_one_half(make_job):
    # One pass: mutual information is 0 everywhere, so every pair ties.
    result = run(make_job("wrn", archs=1), "ood")
    assert result.metrics["ood/digits/auroc_mi"] == 0.5


def test_pgd_accuracy_and_detection(make_job, labels):
    job = make_job("nsa-id", archs=3)
    result = run(job, "pgd")
    assert result.metrics["pgd/examples"] == 20.0
    # Radius 0 leaves the images as they are: exactly the clean accuracy.
    assert result.metrics["pgd/PGD0-2-1/acc"] == result.metrics["pgd/clean/acc"]
    assert result.metrics["pgd/PGD0-2-1/auroc_mi"] == 0.5
    assert np.array_equal(result.arrays["mi_PGD0-2-1"], result.arrays["mi_clean"])
    assert result.metrics["pgd/PGD4-2-2/acc"] <= result.metrics["pgd/clean/acc"]
    assert 0.0 <= result.metrics["pgd/PGD4-2-2/auroc_mi"] <= 1.0
    assert result.arrays["correct_PGD4-2-2"].shape == (20,)


def test_generalization_skips_a_trained_architecture_drawn_by_another_seed(make_job):
    trained = {random_architecture(s, 0.7, 2).stages for s in (1, 2, 3)}
    twin = next(s for s in range(4, 100_000) if random_architecture(s, 0.7, 2).stages in trained)
    result = run(make_job("nsa-i", archs=3, unseen_seed_start=twin), "generalization")
    assert twin not in result.arrays["unseen_seeds"].tolist()
    assert result.arrays["unseen_seeds"][0] > twin

"""Metrics against values worked out by hand."""

import math

import numpy as np
import pytest

from nsa import metrics


def test_ece_two_examples_in_the_last_bin():
    # Both confidences (0.95, 1.0) fall in (14/15, 1]: mean confidence 0.975, accuracy 0.5.
    probs = np.array([[0.05, 0.95], [0.0, 1.0]])
    assert metrics.ece(probs, np.array([1, 0])) == pytest.approx(0.475, abs=1e-12)
    bins = metrics.reliability(np.array([0.95, 1.0]), np.array([1, 0]), n_bins=15)
    assert bins.counts.tolist() == [0.0] * 14 + [2.0]
    assert bins.ece() == pytest.approx(0.475, abs=1e-12)


def test_ece_bins_are_closed_on_the_right():
    edge = 2 / 15  # exactly the right edge of the second bin
    bins = metrics.reliability(np.array([edge, 1.0, 0.0]), np.array([1, 1, 0]))
    assert bins.counts[1] == 1 and bins.counts[14] == 1 and bins.counts[0] == 1
    # Confidence 0 in bin 0 (gap 0), 2/15 correct (gap 13/15), 1.0 correct (gap 0).
    assert bins.ece() == pytest.approx((13 / 15) / 3)


def test_ece_of_zero_confidence_does_not_crash():
    assert metrics.reliability(np.array([0.0]), np.array([0])).ece() == 0.0
    assert metrics.reliability(np.array([0.0]), np.array([1])).ece() == 1.0


def test_ece_perfectly_calibrated_bins():
    # Ten examples at confidence 0.7 with seven correct: no gap.
    assert metrics.reliability(np.full(10, 0.7), np.arange(10) < 7).ece() == pytest.approx(0.0)


def test_auroc_counts_ties_as_one_half():
    labels = np.array([0, 1, 1])
    scores = np.array([0.5, 0.9, 0.5])
    assert metrics.auroc(scores, labels == 1) == pytest.approx(0.75)
    assert metrics.auroc(scores, labels == 0) == pytest.approx(0.25)


def test_auroc_perfect_and_reversed():
    assert metrics.auroc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])) == 1.0
    assert metrics.auroc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([0, 0, 1, 1])) == 0.0


def test_auroc_matches_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=200).astype(float)  # many ties
    labels = rng.integers(0, 2, size=200)
    assert metrics.auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0, 0], []])
def test_auroc_with_one_class_is_an_error(labels):
    with pytest.raises(ValueError, match="both classes"):
        metrics.auroc(np.zeros(len(labels)), np.array(labels, dtype=bool))


def test_auroc_rejects_nan_scores():
    with pytest.raises(ValueError, match="NaN"):
        metrics.auroc(np.array([0.1, np.nan]), np.array([0, 1]))


def test_mutual_information_by_hand():
    samples = np.array([[[0.5, 0.5, 0.0]], [[0.9, 0.1, 0.0]]])
    # H([0.7, 0.3]) - (H([0.5, 0.5]) + H([0.9, 0.1])) / 2
    h = lambda *p: -sum(x * math.log(x) for x in p)  # noqa: E731
    expected = h(0.7, 0.3) - (h(0.5, 0.5) + h(0.9, 0.1)) / 2
    value = metrics.mutual_information(samples)
    assert value.shape == (1,)
    assert value[0] == pytest.approx(0.101749, abs=1e-6)
    assert value[0] == pytest.approx(expected, abs=1e-12)


def test_mutual_information_of_identical_samples_is_zero():
    one = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    value = metrics.mutual_information(np.stack([one] * 7))
    # Zero up to the rounding of the mean of seven equal numbers.
    assert value == pytest.approx(np.zeros(3), abs=1e-12)
    assert np.all(value >= 0.0)


def test_mutual_information_is_never_negative_or_nan():
    rng = np.random.default_rng(1)
    for _ in range(20):
        logits = rng.normal(scale=rng.uniform(0.1, 30), size=(5, 50, 10))
        probs = np.exp(logits - logits.max(axis=2, keepdims=True))
        probs /= probs.sum(axis=2, keepdims=True)
        probs[probs < 1e-6] = 0.0  # exact zeros too
        value = metrics.mutual_information(probs)
        assert np.all(value >= 0.0) and np.all(np.isfinite(value))
        # Bounded by the entropy of the mean prediction.
        assert np.all(value <= metrics.entropy(probs.mean(axis=0)) + 1e-12)


def test_entropy_treats_zero_log_zero_as_zero():
    assert metrics.entropy(np.array([1.0, 0.0, 0.0])) == 0.0
    assert metrics.entropy(np.array([0.5, 0.5])) == pytest.approx(math.log(2))


def test_error_accuracy_and_nll():
    probs = np.array([[0.8, 0.2], [0.4, 0.6], [0.5, 0.5], [0.1, 0.9]])
    labels = np.array([0, 0, 0, 1])
    # Predictions 0, 1, 0 (tie -> lowest class), 1: three of four correct.
    assert metrics.accuracy(probs, labels) == 0.75
    assert metrics.error(probs, labels) == 25.0
    expected = -(math.log(0.8) + math.log(0.4) + math.log(0.5) + math.log(0.9)) / 4
    assert metrics.nll(probs, labels) == pytest.approx(expected)


def test_nll_of_a_zero_probability_is_finite():
    assert math.isfinite(metrics.nll(np.array([[1.0, 0.0]]), np.array([1])))


def test_pairwise_kl_by_hand():
    p = np.array([[0.5, 0.5]])
    q = np.array([[0.9, 0.1]])
    matrix = metrics.pairwise_kl(np.stack([p, q]))
    kl_pq = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    kl_qp = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    assert matrix == pytest.approx(np.array([[0.0, kl_pq], [kl_qp, 0.0]]))
    assert metrics.mean_pairwise_kl(np.stack([p, q])) == pytest.approx((kl_pq + kl_qp) / 2)


def test_pairwise_kl_of_identical_samples_is_zero():
    p = np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0]])
    assert metrics.mean_pairwise_kl(np.stack([p, p, p])) == 0.0


def test_disagreement():
    a = np.array([[0.9, 0.1], [0.2, 0.8]])
    b = np.array([[0.1, 0.9], [0.3, 0.7]])
    # Pair (a, b) differs on the first example only, so half of the pairs-examples differ.
    assert metrics.disagreement(np.stack([a, b])) == 0.5


def test_empty_or_nan_probabilities_are_errors():
    with pytest.raises(ValueError, match="empty"):
        metrics.ece(np.zeros((0, 10)), np.zeros(0))
    with pytest.raises(ValueError, match="NaN"):
        metrics.mutual_information(np.full((2, 3, 4), np.nan))

"""Metrics of predictive distributions: error, likelihood, calibration, uncertainty, diversity.

Every function takes numpy arrays of probabilities (rows sum to one) and returns plain floats or
per-example float arrays. Conventions shared by all of them:

- Logarithms are natural, so entropies and divergences are in nats, and `0 * log 0 = 0`.
- The expected calibration error bins the confidence (the top probability) into equal-width
  bins over (0, 1] closed on the right: bin `b` holds confidences in `(b / n, (b + 1) / n]`;
  a confidence of exactly 0 joins the first bin.
- Mutual information between the prediction and the random architecture (or dropout mask) is
  the entropy of the mean prediction minus the mean entropy of the sampled predictions; it is
  non-negative in exact arithmetic, and rounding below zero is clipped.
- The area under the ROC curve is the Mann-Whitney statistic with average ranks, so a tie
  between a positive and a negative counts one half.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

# The smallest positive float64: probabilities are clipped to it before a logarithm, so an
# exact zero costs about 708 nats instead of an infinity.
_TINY = np.finfo(np.float64).tiny


def _as_probs(probs: np.ndarray, ndim: int = 2) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != ndim:
        raise ValueError(f"expected probabilities with {ndim} dimensions, got shape {probs.shape}")
    if probs.shape[-2] == 0 or probs.shape[-1] == 0:
        raise ValueError(f"empty probabilities, shape {probs.shape}")
    if not np.all(np.isfinite(probs)):
        raise ValueError("probabilities contain NaN or infinity")
    return probs


def _as_labels(labels: np.ndarray, count: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (count,):
        raise ValueError(f"expected {count} labels, got shape {labels.shape}")
    return labels.astype(np.int64)


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of examples whose most probable class is the label (ties: lowest class)."""
    probs = _as_probs(probs)
    labels = _as_labels(labels, len(probs))
    return float(np.mean(probs.argmax(axis=1) == labels))


def error(probs: np.ndarray, labels: np.ndarray) -> float:
    """Classification error in percent."""
    return 100.0 * (1.0 - accuracy(probs, labels))


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the labels, in nats."""
    probs = _as_probs(probs)
    labels = _as_labels(labels, len(probs))
    picked = probs[np.arange(len(probs)), labels]
    return float(-np.mean(np.log(np.maximum(picked, _TINY))))


def entropy(probs: np.ndarray) -> np.ndarray:
    """Entropy of each distribution along the last axis, in nats (`0 log 0 = 0`)."""
    probs = np.asarray(probs, dtype=np.float64)
    if not np.all(np.isfinite(probs)):
        raise ValueError("probabilities contain NaN or infinity")
    logs = np.log(np.where(probs > 0, probs, 1.0))
    return -np.sum(probs * logs, axis=-1)


def information_gain(mean_probs: np.ndarray, mean_entropy: np.ndarray) -> np.ndarray:
    """Mutual information from its two moments: H(mean prediction) - mean H(prediction), >= 0."""
    gain = entropy(mean_probs) - np.asarray(mean_entropy, dtype=np.float64)
    return np.maximum(gain, 0.0)


def mutual_information(sample_probs: np.ndarray) -> np.ndarray:
    """Per-example mutual information of sampled predictions shaped (samples, examples, classes)."""
    sample_probs = _as_probs(sample_probs, ndim=3)
    return information_gain(sample_probs.mean(axis=0), entropy(sample_probs).mean(axis=0))


@dataclass(frozen=True)
class Reliability:
    """Per-bin statistics of a reliability diagram (empty bins hold zeros)."""

    edges: np.ndarray  # (bins + 1,) bin edges over [0, 1]
    counts: np.ndarray  # (bins,) examples per bin
    accuracy: np.ndarray  # (bins,) fraction correct per bin
    confidence: np.ndarray  # (bins,) mean confidence per bin

    def ece(self) -> float:
        """Expected calibration error: bin-size-weighted mean |accuracy - confidence|."""
        total = self.counts.sum()
        gaps = np.abs(self.accuracy - self.confidence)
        return float(np.sum(self.counts * gaps) / total)


def reliability(confidences: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> Reliability:
    """Bin confidences into `n_bins` equal bins over (0, 1], closed on the right."""
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if confidences.ndim != 1 or confidences.shape != correct.shape or len(confidences) == 0:
        raise ValueError(
            f"need matching non-empty 1-d confidences and correctness, got shapes "
            f"{confidences.shape} and {correct.shape}"
        )
    if not np.all(np.isfinite(confidences)) or confidences.min() < 0 or confidences.max() > 1:
        raise ValueError("confidences must lie in [0, 1]")
    if n_bins < 1:
        raise ValueError(f"n_bins must be positive, got {n_bins}")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # side="left" puts a confidence equal to an inner edge into the bin that edge closes.
    index = np.searchsorted(edges[1:-1], confidences, side="left")
    counts = np.bincount(index, minlength=n_bins).astype(np.float64)
    hits = np.bincount(index, weights=correct, minlength=n_bins)
    mass = np.bincount(index, weights=confidences, minlength=n_bins)
    safe = np.maximum(counts, 1.0)
    return Reliability(edges, counts, hits / safe, mass / safe)


def ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error of the top-class confidence with `n_bins` bins over (0, 1]."""
    probs = _as_probs(probs)
    labels = _as_labels(labels, len(probs))
    correct = probs.argmax(axis=1) == labels
    return reliability(probs.max(axis=1), correct, n_bins).ece()


def auroc(scores: np.ndarray, is_positive: np.ndarray) -> float:
    """Area under the ROC curve of `scores` ranking positives above negatives; ties count 1/2."""
    scores = np.asarray(scores, dtype=np.float64)
    is_positive = np.asarray(is_positive).astype(bool)
    if scores.ndim != 1 or scores.shape != is_positive.shape:
        raise ValueError(
            f"need matching 1-d scores and labels, got shapes {scores.shape}, {is_positive.shape}"
        )
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores contain NaN or infinity")
    positives = int(is_positive.sum())
    negatives = len(scores) - positives
    if positives == 0 or negatives == 0:
        raise ValueError(
            f"AUROC needs both classes; got {positives} positives and {negatives} negatives"
        )
    ranks = rankdata(scores, method="average")
    wins = ranks[is_positive].sum() - positives * (positives + 1) / 2.0
    return float(wins / (positives * negatives))


def pairwise_kl(sample_probs: np.ndarray, per_example: bool = False) -> np.ndarray:
    """Pairwise KL(p_i || p_j) in nats: (S, S) averaged over examples, or (S, S, N)."""
    sample_probs = _as_probs(sample_probs, ndim=3)
    logs = np.log(np.maximum(sample_probs, _TINY))
    # Row by row, so memory stays at one (S, N, C) array; identical samples give exactly 0.
    rows = [np.sum(sample_probs[i] * (logs[i] - logs), axis=2) for i in range(len(logs))]
    kl = np.stack(rows)  # (S, S, N)
    kl = np.maximum(kl, 0.0)
    return kl if per_example else kl.mean(axis=2)


def mean_pairwise_kl(sample_probs: np.ndarray) -> float:
    """Diversity: KL between two different samples' predictions, averaged over pairs, examples."""
    matrix = pairwise_kl(sample_probs)
    count = len(matrix)
    if count < 2:
        raise ValueError("pairwise KL needs at least two samples")
    return float(matrix[~np.eye(count, dtype=bool)].mean())


def disagreement(sample_probs: np.ndarray) -> float:
    """Fraction of (pair of distinct samples, example) whose top classes differ."""
    sample_probs = _as_probs(sample_probs, ndim=3)
    count = len(sample_probs)
    if count < 2:
        raise ValueError("disagreement needs at least two samples")
    top = sample_probs.argmax(axis=2)  # (S, N)
    differ = top[:, None, :] != top[None, :, :]
    off_diagonal = ~np.eye(count, dtype=bool)
    return float(differ[off_diagonal].mean())

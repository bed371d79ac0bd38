"""The evaluation protocols: what each one measures on a trained network.

Every protocol takes a `Job` (a network in evaluation mode on its device, the test split and
the settings) and returns a `Result`: namespaced scalar metrics for tables and per-example
arrays for figures. Accuracies are fractions in [0, 1]; errors are percentages.

- ensemble: the average of K sampled predictive distributions (a random architecture per
  instance, or fresh dropout masks; K = 1 for a deterministic network): error, NLL and ECE.
- individual: each training architecture alone, with normalisation by running statistics
  (evaluation mode) and by the statistics of each test batch (training mode).
- generalization: accuracy of architectures from the training set against architectures never
  trained, on a network whose parameters are shared by all architectures.
- diversity: KL divergence between the predictive distributions of pairs of sampled passes.
- ood: mutual information and predictive entropy as scores that separate the out-of-
  distribution test set (positive) from the in-distribution one.
- pgd: ensemble accuracy under PGD attacks, and how well mutual information separates attacked
  (positive) from clean images.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from nsa import metrics
from nsa.evaluate.attack import Attack, perturb
from nsa.evaluate.inputs import fit_images
from nsa.evaluate.sampling import Predictions, batch_statistics, model_device, predict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One evaluation: the network, its test data and the settings it runs with."""

    model: nn.Module  # in evaluation mode, on its device
    images: torch.Tensor  # uint8 (N, C, H, W) test images
    labels: torch.Tensor  # int64 (N,)
    settings: Any  # the profile's evaluate settings (EvaluateConfig)
    ood_name: str = ""
    load_ood: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None  # uint8 images
    arch_seed: Callable[[int], Any] | None = None  # seed -> architecture (generalization)

    @property
    def samples(self) -> int:
        """Stochastic passes per image: the profile's K, or 1 for a deterministic network."""
        return self.settings.samples if getattr(self.model, "stochastic", True) else 1

    def bank(self, archs=None):
        """The network's bank of training architectures (or of `archs`) on its device."""
        bank = self.model.bank() if archs is None else self.model.bank(archs)
        return bank.to(model_device(self.model))

    def predict(
        self, images=None, *, samples=None, bank=None, assign="random", keep=False
    ) -> Predictions:
        """Sampled predictions on the test images (or `images`) with the job's settings."""
        return predict(
            self.model,
            self.images if images is None else images,
            self.bank() if bank is None else bank,
            self.samples if samples is None else samples,
            self.settings.batch_size,
            assign=assign,
            seed=self.settings.seed,
            keep=keep,
        )


@dataclass
class Result:
    """Scalar metrics, per-example arrays and protocol-specific settings of one evaluation."""

    metrics: dict[str, float] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def ensemble(job: Job) -> Result:
    """Error (%), NLL and ECE of the prediction averaged over K sampled passes."""
    predictions = job.predict()
    labels = job.labels.numpy()
    probs = predictions.mean_probs
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    bins = metrics.reliability(confidence, correct, job.settings.ece_bins)
    result = Result(settings={"samples": predictions.samples})
    result.metrics = {
        "ensemble/error": metrics.error(probs, labels),
        "ensemble/nll": metrics.nll(probs, labels),
        "ensemble/ece": bins.ece(),
        "ensemble/samples": float(predictions.samples),
        "ensemble/examples": float(len(labels)),
    }
    result.arrays = {
        "confidence": confidence,
        "correct": correct,
        "prediction": probs.argmax(axis=1),
        "labels": labels,
        "mutual_information": predictions.mutual_information(),
        "bin_edges": bins.edges,
        "bin_counts": bins.counts,
        "bin_accuracy": bins.accuracy,
        "bin_confidence": bins.confidence,
    }
    return result


def individual(job: Job) -> Result:
    """Accuracy of every training architecture, normalising by running and by batch statistics."""
    bank = job.bank()
    labels = job.labels.numpy()
    archs = len(bank)
    evaluation = job.predict(bank=bank, samples=archs, assign="each").sample_accuracy(labels)
    with batch_statistics(job.model):
        # One architecture per pass, so every batch's statistics come from that architecture.
        training = np.array(
            [
                job.predict(bank=bank, samples=1, assign=a).sample_accuracy(labels)[0]
                for a in range(archs)
            ]
        )
    result = Result(settings={"archs": archs})
    result.metrics = {"individual/archs": float(archs)}
    result.metrics |= _summary("individual/bn_eval/acc", evaluation)
    result.metrics |= _summary("individual/bn_train/acc", training)
    result.arrays = {
        "arch_seeds": _seeds(getattr(job.model, "train_archs", ())),
        "bn_eval_acc": evaluation,
        "bn_train_acc": training,
    }
    return result


def generalization(job: Job) -> Result:
    """Accuracy of seen (training) architectures against unseen ones."""
    settings = job.settings
    trained = tuple(job.model.train_archs)
    rng = np.random.default_rng(settings.seed)
    count = min(settings.seen, len(trained))
    seen = [trained[i] for i in sorted(rng.choice(len(trained), size=count, replace=False))]
    unseen = _unseen_archs(job, {arch.stages for arch in trained})
    accuracies = {}
    for name, archs in (("seen", seen), ("unseen", unseen)):
        bank = job.bank(archs)
        predictions = job.predict(bank=bank, samples=len(archs), assign="each")
        accuracies[name] = predictions.sample_accuracy(job.labels.numpy())
    result = Result(settings={"seen": len(seen), "unseen": len(unseen)})
    for name, values in accuracies.items():
        result.metrics[f"generalization/{name}/count"] = float(len(values))
        result.metrics |= _summary(f"generalization/{name}/acc", values)
    result.metrics["generalization/gap"] = float(
        accuracies["seen"].mean() - accuracies["unseen"].mean()
    )
    result.arrays = {
        "seen_acc": accuracies["seen"],
        "unseen_acc": accuracies["unseen"],
        "seen_seeds": _seeds(seen),
        "unseen_seeds": _seeds(unseen),
    }
    return result


def _unseen_archs(job: Job, trained: set) -> list:
    """`unseen` architectures from consecutive seeds, skipping any whose stages were trained."""
    settings = job.settings
    archs, seed = [], settings.unseen_seed_start
    while len(archs) < settings.unseen:
        arch = job.arch_seed(seed)
        if arch.stages not in trained:
            archs.append(arch)
        seed += 1
        if seed - settings.unseen_seed_start > 100 * settings.unseen + 1000:
            raise ValueError("could not find enough architectures outside the training set")
    return archs


def diversity(job: Job) -> Result:
    """Mean pairwise KL divergence and disagreement between sampled predictive distributions."""
    samples = job.settings.diversity_samples
    predictions = job.predict(samples=samples, keep=True)
    per_example = metrics.pairwise_kl(predictions.sample_probs, per_example=True)  # (S, S, N)
    pairs = per_example[~np.eye(samples, dtype=bool)]  # (S * (S - 1), N) ordered pairs
    result = Result(settings={"samples": samples})
    result.metrics = {
        "diversity/kl": float(pairs.mean()),
        "diversity/disagreement": metrics.disagreement(predictions.sample_probs),
        "diversity/samples": float(samples),
    }
    result.arrays = {
        "pair_kl": per_example.mean(axis=2),
        "example_kl": pairs.mean(axis=0),
        "sample_acc": predictions.sample_accuracy(job.labels.numpy()),
    }
    return result


def ood(job: Job) -> Result:
    """AUROC of mutual information and predictive entropy with OOD test images as positives."""
    images, _ = job.load_ood()
    images = fit_images(images, tuple(job.images.shape[1:]))
    inside, outside = job.predict(), job.predict(images)
    prefix = f"ood/{job.ood_name}"
    is_ood = np.r_[np.zeros(len(job.labels), bool), np.ones(len(images), bool)]
    mi_in, mi_ood = inside.mutual_information(), outside.mutual_information()
    entropy_in, entropy_ood = inside.entropy(), outside.entropy()
    result = Result(settings={"samples": inside.samples, "ood": job.ood_name})
    result.metrics = {
        f"{prefix}/auroc_mi": metrics.auroc(np.r_[mi_in, mi_ood], is_ood),
        f"{prefix}/auroc_entropy": metrics.auroc(np.r_[entropy_in, entropy_ood], is_ood),
        f"{prefix}/in_examples": float(len(mi_in)),
        f"{prefix}/ood_examples": float(len(mi_ood)),
        "ood/samples": float(inside.samples),
    }
    result.arrays = {
        "mi_in": mi_in,
        "mi_ood": mi_ood,
        "entropy_in": entropy_in,
        "entropy_ood": entropy_ood,
    }
    return result


def pgd(job: Job) -> Result:
    """Ensemble accuracy under each PGD attack, and AUROC of MI for attacked against clean."""
    settings = job.settings
    images, labels = _pgd_subset(job)
    attack_samples = settings.pgd.samples if getattr(job.model, "stochastic", True) else 1
    bank = job.bank()
    clean = job.predict(images, bank=bank)
    mi_clean = clean.mutual_information()
    result = Result(settings={"samples": clean.samples, "attack_samples": attack_samples})
    result.metrics = {
        "pgd/clean/acc": _accuracy(clean, labels),
        "pgd/examples": float(len(labels)),
        "pgd/samples": float(clean.samples),
        "pgd/attack_samples": float(attack_samples),
    }
    result.arrays = {
        "mi_clean": mi_clean,
        "correct_clean": clean.mean_probs.argmax(axis=1) == labels.numpy(),
    }
    for name in settings.pgd.attacks:
        attack = Attack.parse(name)
        adversarial = perturb(
            job.model, images, labels, bank, attack, attack_samples, settings.batch_size,
            seed=settings.seed,
        )  # fmt: skip
        attacked = job.predict(adversarial, bank=bank)
        mi = attacked.mutual_information()
        is_adversarial = np.r_[np.zeros(len(mi_clean), bool), np.ones(len(mi), bool)]
        result.metrics[f"pgd/{name}/acc"] = _accuracy(attacked, labels)
        result.metrics[f"pgd/{name}/auroc_mi"] = metrics.auroc(np.r_[mi_clean, mi], is_adversarial)
        result.arrays[f"mi_{name}"] = mi
        result.arrays[f"correct_{name}"] = attacked.mean_probs.argmax(axis=1) == labels.numpy()
        log.info("%s: accuracy %.4f", name, result.metrics[f"pgd/{name}/acc"])
    return result


def _pgd_subset(job: Job) -> tuple[torch.Tensor, torch.Tensor]:
    count = job.settings.pgd.subset
    if count <= 0 or count >= len(job.labels):
        return job.images, job.labels
    generator = torch.Generator().manual_seed(job.settings.seed)
    index = torch.randperm(len(job.labels), generator=generator)[:count].sort().values
    return job.images[index], job.labels[index]


def _accuracy(predictions: Predictions, labels: torch.Tensor) -> float:
    return metrics.accuracy(predictions.mean_probs, labels.numpy())


def _summary(prefix: str, values: np.ndarray) -> dict[str, float]:
    return {
        f"{prefix}_mean": float(np.mean(values)),
        f"{prefix}_std": float(np.std(values)),
        f"{prefix}_min": float(np.min(values)),
        f"{prefix}_max": float(np.max(values)),
    }


def _seeds(archs) -> np.ndarray:
    """Seeds of architectures, -1 for one without a seed (the residual architecture)."""
    return np.array([-1 if a.seed is None else a.seed for a in archs], dtype=np.int64)


PROTOCOLS: dict[str, Callable[[Job], Result]] = {
    "ensemble": ensemble,
    "individual": individual,
    "generalization": generalization,
    "diversity": diversity,
    "ood": ood,
    "pgd": pgd,
}

# Protocols a network can only run when all architectures share every parameter.
SHARED_ONLY = ("generalization",)

"""Evaluation of trained networks with stochastic architectures.

`predict` folds K sampled architectures (or dropout masks) into the batch and keeps what the
metrics of `nsa.metrics` need; `perturb` runs PGD against the whole stochastic network; the
protocols (`PROTOCOLS`) turn those into the paper's measurements, and `evaluate_experiment` runs
one protocol on one trained experiment and writes its metrics and arrays.
"""

from nsa.evaluate.attack import Attack, attack_gradient, perturb, project
from nsa.evaluate.inputs import fit_images, subset
from nsa.evaluate.protocols import PROTOCOLS, Job, Result
from nsa.evaluate.runner import check_protocol, check_record, evaluate_experiment
from nsa.evaluate.sampling import (
    PredictionError,
    Predictions,
    batch_statistics,
    forward,
    predict,
)

__all__ = [
    "PROTOCOLS",
    "Attack",
    "PredictionError",
    "Job",
    "Predictions",
    "Result",
    "attack_gradient",
    "batch_statistics",
    "check_protocol",
    "check_record",
    "evaluate_experiment",
    "fit_images",
    "forward",
    "perturb",
    "predict",
    "project",
    "subset",
]

"""Training of the supernet variants: the recipe, resumable checkpoints and device claiming."""

from nsa.train.errors import CheckpointError, NonFiniteLossError, TrainingError
from nsa.train.experiment import train_experiment

__all__ = ["CheckpointError", "NonFiniteLossError", "TrainingError", "train_experiment"]

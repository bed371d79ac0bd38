"""Training of the supernet variants: the recipe, resumable checkpoints and device claiming."""

from nsa.train.errors import CheckpointError, NonFiniteLossError, TrainingError


def train_experiment(profile, experiment, layout):
    """Train one experiment and return the final model's path (see nsa.train.experiment)."""
    from nsa.train.experiment import train_experiment as train

    return train(profile, experiment, layout)


__all__ = ["CheckpointError", "NonFiniteLossError", "TrainingError", "train_experiment"]

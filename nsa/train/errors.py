"""Errors that stop a training run."""


class TrainingError(RuntimeError):
    """Training cannot go on; the message says why and what state was kept."""


class CheckpointError(TrainingError):
    """A checkpoint could not be written."""


class NonFiniteLossError(TrainingError):
    """The loss became NaN or infinite."""

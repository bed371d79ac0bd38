"""Model settings shaped like a profile's `model` section, for the model tests."""

from types import SimpleNamespace


def sizes(**overrides) -> SimpleNamespace:
    """Model settings shaped like a profile's `model` section (smoke sizes by default)."""
    values = {
        "width": 1,
        "nodes": 3,
        "arch_p": 0.7,
        "num_archs": 3,
        "dropout": 0.2,
        "aux_weight": 0.1,
    }
    values.update(overrides)
    return SimpleNamespace(**values)

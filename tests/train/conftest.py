"""Fixtures of the training tests: real Fashion-MNIST, prepared once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_settings import FASHION, ROOT

from nsa.config import load_profile
from nsa.data import prepare_dataset
from nsa.layout import Layout


@pytest.fixture(scope="session")
def fashion_data(tmp_path_factory) -> Path:
    """Data root holding Fashion-MNIST prepared from the system copy."""
    if not (FASHION / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST files not installed in {FASHION}")
    root = tmp_path_factory.mktemp("data")
    smoke = load_profile("smoke", ROOT / "params.yaml")
    layout = Layout("tiny", root=root, data_root=Path("."))
    prepare_dataset("fashion-mnist", smoke.data, layout, source=FASHION)
    return root

"""Fixtures of the data tests: a scratch layout and offline data settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from published_formats import data_config

from nsa.config import DataConfig
from nsa.layout import Layout


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    """A layout rooted in the test's scratch folder."""
    return Layout("test", root=tmp_path / "repo")


@pytest.fixture
def config() -> DataConfig:
    """Offline data settings with no named sources."""
    return data_config()

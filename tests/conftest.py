"""Shared test configuration: offline hub, real-data location, and the `slow` marker's skip rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Never reach for the Hugging Face hub from tests: everything is built locally.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from legalret.config import shared_data_dir  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real shared data; tests needing it are skipped (not failed) where it is absent."""
    d = shared_data_dir()
    if d is None:
        pytest.skip("shared data (../shared/data) not present")
    return d


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES

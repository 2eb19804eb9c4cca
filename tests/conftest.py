"""Shared fixtures: where the shared market data and venue vectors live.

They are read in place from ../shared (beside the repository) or from FALCONET_SHARED;
tests that need them skip with the reason when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FALCONET_SHARED", REPO.parent / "shared"))


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared folder not available: {path} (set FALCONET_SHARED)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _require(SHARED / "data")


@pytest.fixture(scope="session")
def shared_vectors() -> Path:
    return _require(SHARED / "vectors")


@pytest.fixture(scope="session")
def shared_spec() -> Path:
    return _require(SHARED / "spec")

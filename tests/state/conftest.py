"""Every test starts and ends with logging unconfigured and no secrets registered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from falconet.observe.log import shutdown
from falconet.observe.redact import clear_secrets


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    shutdown()
    clear_secrets()
    yield
    shutdown()
    clear_secrets()

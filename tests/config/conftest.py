"""Helpers for config tests: config files written into tmp_path, secrets reset per test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from falconet.config import Config, InvalidConfigError, load_config
from falconet.observe.redact import clear_secrets
from tests.config.builders import WriteConfig


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    yield
    clear_secrets()


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a dict as JSON (or a str verbatim) to tmp_path/config.json and return the path."""

    def write(content: dict[str, Any] | str, name: str = "config.json") -> Path:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return path

    return write


@pytest.fixture
def load(write_config: WriteConfig) -> Callable[..., Config]:
    def _load(content: dict[str, Any] | str) -> Config:
        return load_config(write_config(content))

    return _load


@pytest.fixture
def problems(write_config: WriteConfig) -> Callable[..., list[str]]:
    """The error lines for an invalid config, with the tmp directory stripped from them."""

    def _problems(content: dict[str, Any] | str) -> list[str]:
        path = write_config(content)
        with pytest.raises(InvalidConfigError) as info:
            load_config(path)
        return [line.replace(str(path), "config.json") for line in info.value.lines]

    return _problems

"""Where falconet keeps its files: `FALCONET_DATA_DIR`, else `./var/falconet`.

    base = data_dir()                  # from os.environ (or a given mapping)
    store = StateStore(state_path(base))
    journal = Journal(journal_path(base))

Relative directories are relative to the working directory at the time of the call.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

DATA_DIR_VAR = "FALCONET_DATA_DIR"
DEFAULT_DATA_DIR = Path("var") / "falconet"

STATE_FILE = "accumulation_state.json"
LEGACY_STATE_FILE = "accumulated_state.json"  # the seed's flat, symbol-keyed file
JOURNAL_FILE = "journal.sqlite3"


class _DataDirSettings(Protocol):
    """What `data_dir_from_settings` reads (config.EnvSettings has it)."""

    @property
    def data_dir(self) -> Path: ...

    def is_set(self, name: str) -> bool: ...


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`FALCONET_DATA_DIR` from `environ` (default: the process environment), else
    `var/falconet`. An empty value counts as unset."""
    env = os.environ if environ is None else environ
    value = env.get(DATA_DIR_VAR, "").strip()
    return Path(value).expanduser() if value else DEFAULT_DATA_DIR


def data_dir_from_settings(settings: _DataDirSettings) -> Path:
    """The data directory from loaded settings (which also read `.env`)."""
    if settings.is_set(DATA_DIR_VAR):
        return Path(settings.data_dir).expanduser()
    return DEFAULT_DATA_DIR


def state_path(base: Path | None = None) -> Path:
    return (data_dir() if base is None else base) / STATE_FILE


def legacy_state_path(base: Path | None = None) -> Path:
    return (data_dir() if base is None else base) / LEGACY_STATE_FILE


def journal_path(base: Path | None = None) -> Path:
    return (data_dir() if base is None else base) / JOURNAL_FILE


def ensure_dir(path: Path) -> Path:
    """Create `path` (and its parents) if missing; private to the user when created."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path

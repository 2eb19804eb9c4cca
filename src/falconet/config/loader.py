"""Reading a config file: bytes -> JSON -> validated `Config`.

JSON numbers with a fraction or exponent are decoded straight from their literal text into
`Decimal`, so `0.1` in the file is exactly 0.1 and no float ever stands in between.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from falconet.config.fields import JsonObject
from falconet.config.problems import InvalidConfigError
from falconet.config.schema import Config
from falconet.config.sections import parse_config


def _object_with_duplicates(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj = JsonObject()
    repeated: list[str] = []
    for key, value in pairs:
        if key in obj and key not in repeated:
            repeated.append(key)
        obj[key] = value
    obj.duplicate_keys = tuple(repeated)
    return obj


def decode_json(text: str, source: str) -> object:
    """Decode `text`; a syntax error names `source:line:column`."""
    if not text.strip():
        raise InvalidConfigError([f"{source}: file is empty (expected a JSON object)"])
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            # NaN and Infinity are not JSON; decode them so the field check can name them.
            parse_constant=Decimal,
            object_pairs_hook=_object_with_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise InvalidConfigError(
            [f"{source}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}"]
        ) from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise InvalidConfigError([f"{source}: malformed JSON: {exc}"]) from None


def read_config_text(path: str | os.PathLike[str]) -> str:
    source = os.fspath(path)
    try:
        # utf-8-sig: editors on Windows may start the file with a byte-order mark.
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        reason = "file not found"
    except IsADirectoryError:
        reason = "is a directory, not a config file"
    except PermissionError:
        reason = "permission denied"
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text (bad byte at offset {exc.start})"
    except OSError as exc:
        reason = f"cannot read: {exc.strerror or exc}"
    raise InvalidConfigError([f"{source}: {reason}"])


def parse_config_text(text: str, source: str = "<config>") -> Config:
    """Validate the JSON text of a config; `source` names it in error messages."""
    return parse_config(decode_json(text, source), source)


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file. Raises `InvalidConfigError` (a `ConfigError`)
    whose lines each name the file, the field path and the reason."""
    return parse_config_text(read_config_text(path), os.fspath(path))

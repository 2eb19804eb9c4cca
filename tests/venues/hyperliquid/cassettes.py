"""The official SDK's recorded /info answers (../shared/vectors), by request type."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import msgspec


@cache
def _load(path: Path) -> dict[str, list[Any]]:
    data = json.loads((path / "hyperliquid_info_cassettes.json").read_text())
    out: dict[str, list[Any]] = {}
    for cassette in data["cassettes"]:
        for interaction in cassette["interactions"]:
            kind = interaction["request_body"]["type"]
            out.setdefault(kind, []).append(interaction["response_body"])
    return out


def response(vectors: Path, kind: str) -> Any:
    """The first recorded answer to an /info request of this type."""
    return _load(vectors)[kind][0]


def raw(vectors: Path, kind: str) -> bytes:
    """The same answer as the venue's JSON bytes."""
    return msgspec.json.encode(response(vectors, kind))

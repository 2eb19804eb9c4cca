"""What a paper venue keeps on disk, written before it tells the engine anything.

- `paper-venue.json`: the clock, balances, resting orders, each symbol's market chunk and
  the id counters. Replaced whole (temp file + rename) after every step that changed it.
- `paper-fills.jsonl`: every fill, appended (one JSON object a line), so a step with a
  fill costs one small append, not a rewrite of the history. Compacted to the newest
  `keep` fills when it grows past twice that.

Neither is fsynced: they must survive the engine being killed (the OS keeps the written
pages), not the machine losing power, which a paper account can afford.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import msgspec

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.errors import FalconetError
from falconet.core.events import Fill
from falconet.observe.log import get_logger

log = get_logger("paper")

STATE_FILE = "paper-venue.json"
FILLS_FILE = "paper-fills.jsonl"


class PaperVenueError(FalconetError):
    pass


class SavedOrder(msgspec.Struct):
    client_id: str
    venue_order_id: str
    symbol: str
    side: Side
    price: int
    quantity: int
    filled: int
    tif: TimeInForce
    order_type: OrderType = OrderType.LIMIT


class SavedSymbol(msgspec.Struct):
    chunk: int
    chunk_start_ns: int
    start_price: str


class SavedVenue(msgspec.Struct):
    version: int
    sim_now: int
    next_order: int
    next_trade: int
    balances: dict[str, str]
    symbols: dict[str, SavedSymbol]
    orders: list[SavedOrder]


_encode = msgspec.json.Encoder().encode
_decode_fill = msgspec.json.Decoder(Fill).decode


class PaperStore:
    def __init__(self, directory: Path | None, keep: int) -> None:
        self.state_path = directory / STATE_FILE if directory is not None else None
        self.fills_path = directory / FILLS_FILE if directory is not None else None
        self.keep = keep
        self._lines = 0

    def load(self) -> tuple[SavedVenue | None, list[Fill]]:
        if self.state_path is None or not self.state_path.exists():
            return None, []
        try:
            saved = msgspec.json.decode(self.state_path.read_bytes(), type=SavedVenue)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise PaperVenueError(
                f"paper venue state {self.state_path} is unreadable ({exc}); "
                "move it aside to start a fresh paper account"
            ) from None
        return saved, self._load_fills()

    def _load_fills(self) -> list[Fill]:
        if self.fills_path is None or not self.fills_path.exists():
            return []
        fills: list[Fill] = []
        lines = self.fills_path.read_bytes().splitlines()
        for n, line in enumerate(lines, 1):
            try:
                fills.append(_decode_fill(line))
            except (msgspec.DecodeError, msgspec.ValidationError):
                # only the last line can be cut short (killed mid-append): drop it
                if n != len(lines):
                    raise PaperVenueError(
                        f"{self.fills_path}:{n}: unreadable fill; move the file aside"
                    ) from None
                log.warning("dropped a fill cut short by a crash", file=str(self.fills_path))
        self._lines = len(fills)
        return fills[-self.keep :]

    def save(self, snapshot: SavedVenue) -> None:
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_name(f".{self.state_path.name}.tmp")
        tmp.write_bytes(_encode(snapshot))
        os.replace(tmp, self.state_path)

    def append_fills(self, fills: Sequence[Fill], recent: Sequence[Fill]) -> None:
        """Append new fills; `recent` (the venue's memory, newest last) is what a
        compaction keeps."""
        if self.fills_path is None or not fills:
            return
        self.fills_path.parent.mkdir(parents=True, exist_ok=True)
        with self.fills_path.open("ab") as f:
            f.write(b"".join(_encode(fill) + b"\n" for fill in fills))
        self._lines += len(fills)
        if self._lines > 2 * self.keep:
            tmp = self.fills_path.with_name(f".{self.fills_path.name}.tmp")
            tmp.write_bytes(b"".join(_encode(fill) + b"\n" for fill in recent[-self.keep :]))
            os.replace(tmp, self.fills_path)
            self._lines = min(len(recent), self.keep)

"""Client order ids that say what an order is for, in every venue's format.

After a restart or reconnect the engine reads the client id of each resting order and
knows which strategy placed it and why (grid buy, grid sell level 3, MM bid, hedge...).
One `OrderTag` renders into each venue's id format and decodes back; ids the engine did
not create decode to None, so reconciliation can tell foreign orders apart.

Formats:
- HEX128  Hyperliquid cloid: "0x" + 32 lowercase hex (16 bytes).
- HEX32   Kraken cl_ord_id "short UUID": 32 hex, no prefix.
- TEXT    Alpaca client_order_id (<= 128 chars) and IBKR orderRef: readable
          "fn.<strategy>.<intent>.<level>.<seq base36>".
- INT48   Lighter client_order_index: an integer below 2**48.

16-byte layout: magic 0xFA, version 1, strategy, intent, level (2 bytes), 2 reserved
bytes, sequence (8 bytes). 48-bit layout: magic nibble 0xA, strategy (4 bits),
intent (4 bits), level (8 bits), sequence modulo 2**28.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import NewType

from falconet.core.errors import ClientIdError

ClientOrderId = NewType("ClientOrderId", str)

_MAGIC = 0xFA
_VERSION = 1
_MAGIC48 = 0xA
LIGHTER_MAX_CLIENT_INDEX = 2**48 - 1
ALPACA_MAX_CLIENT_ID_LEN = 128
_SEQ48_BITS = 28


class StrategyCode(IntEnum):
    """Which strategy owns an order. Values must stay below 16 (INT48 format)."""

    MANUAL = 0
    GRID = 1
    MM = 2
    HEDGE = 3
    OBI = 4
    AVELLANEDA = 5
    HBT_GRID = 6


class Intent(IntEnum):
    """Why the order exists. Values must stay below 16 (INT48 format)."""

    NONE = 0
    GRID_BUY = 1
    GRID_SELL = 2
    MM_BID = 3
    MM_ASK = 4
    HEDGE_OPEN = 5
    HEDGE_CLOSE = 6
    ENTRY = 7
    EXIT = 8
    EMERGENCY_EXIT = 9
    TAKE_PROFIT = 10
    STOP_LOSS = 11
    QUOTE = 12


class IdFormat(Enum):
    HEX128 = "hex128"
    HEX32 = "hex32"
    TEXT = "text"
    INT48 = "int48"


_HEX128_RE = re.compile(r"0x[0-9a-f]{32}")
_HEX32_RE = re.compile(r"[0-9a-f]{32}")
_TEXT_RE = re.compile(r"fn\.([a-z_]+)\.([a-z_]+)\.(\d{1,5})\.([0-9a-z]{1,14})")


@dataclass(frozen=True, slots=True)
class OrderTag:
    strategy: StrategyCode
    intent: Intent
    seq: int
    level: int = 0  # grid sell level, quote layer; 0..255

    def __post_init__(self) -> None:
        if not 0 <= self.level <= 0xFF:
            raise ClientIdError(f"level {self.level} is outside 0..255")
        if not 0 <= self.seq < 2**64:
            raise ClientIdError(f"sequence {self.seq} is outside 0..2**64-1")

    def encode(self, fmt: IdFormat) -> ClientOrderId:
        if fmt is IdFormat.HEX128:
            return ClientOrderId("0x" + self._bytes().hex())
        if fmt is IdFormat.HEX32:
            return ClientOrderId(self._bytes().hex())
        if fmt is IdFormat.TEXT:
            return ClientOrderId(
                f"fn.{self.strategy.name.lower()}.{self.intent.name.lower()}."
                f"{self.level}.{_base36(self.seq)}"
            )
        value = (
            (_MAGIC48 << 44)
            | (int(self.strategy) << 40)
            | (int(self.intent) << 36)
            | (self.level << _SEQ48_BITS)
            | (self.seq % (1 << _SEQ48_BITS))
        )
        return ClientOrderId(str(value))

    def _bytes(self) -> bytes:
        return bytes(
            (_MAGIC, _VERSION, int(self.strategy), int(self.intent), 0, self.level, 0, 0)
        ) + self.seq.to_bytes(8, "big")


def decode_client_id(text: str | int | None) -> OrderTag | None:
    """The tag an engine-made id carries, or None for any id it did not make."""
    if text is None:
        return None
    if isinstance(text, int):
        return _decode_int48(text)
    s = text.strip()
    if _HEX128_RE.fullmatch(s.lower()):
        return _decode_bytes(bytes.fromhex(s[2:]))
    if _HEX32_RE.fullmatch(s.lower()):
        return _decode_bytes(bytes.fromhex(s))
    m = _TEXT_RE.fullmatch(s)
    if m:
        try:
            return OrderTag(
                strategy=StrategyCode[m.group(1).upper()],
                intent=Intent[m.group(2).upper()],
                level=int(m.group(3)),
                seq=int(m.group(4), 36),
            )
        except (KeyError, ClientIdError):
            return None
    if s.isdigit():
        return _decode_int48(int(s))
    return None


def _decode_bytes(raw: bytes) -> OrderTag | None:
    if raw[0] != _MAGIC or raw[1] != _VERSION:
        return None
    try:
        return OrderTag(
            strategy=StrategyCode(raw[2]),
            intent=Intent(raw[3]),
            level=int.from_bytes(raw[4:6], "big"),
            seq=int.from_bytes(raw[8:16], "big"),
        )
    except (ValueError, ClientIdError):
        return None


def _decode_int48(value: int) -> OrderTag | None:
    if not 0 <= value <= LIGHTER_MAX_CLIENT_INDEX or value >> 44 != _MAGIC48:
        return None
    try:
        return OrderTag(
            strategy=StrategyCode((value >> 40) & 0xF),
            intent=Intent((value >> 36) & 0xF),
            level=(value >> _SEQ48_BITS) & 0xFF,
            seq=value & ((1 << _SEQ48_BITS) - 1),
        )
    except ValueError:
        return None


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(digits[r])
    return "".join(reversed(out))


class ClientIdFactory:
    """Issues tags with strictly increasing sequence numbers.

    The sequence starts at the current time in ms shifted left by 12 bits, so ids stay
    unique across restarts without persisted state (up to 4096 orders per ms). In the
    48-bit Lighter form only the low 28 bits survive, which repeats after 2**28 orders;
    Lighter requires uniqueness among live orders only.
    """

    def __init__(self, start_ms: int) -> None:
        self._counter = itertools.count(start_ms << 12)
        self._lock = threading.Lock()

    def next(self, strategy: StrategyCode, intent: Intent, level: int = 0) -> OrderTag:
        with self._lock:
            seq = next(self._counter)
        return OrderTag(strategy=strategy, intent=intent, level=level, seq=seq)

"""Client order ids: every venue format encodes strategy and intent and decodes back."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from falconet.core.errors import ClientIdError
from falconet.core.ids import (
    ALPACA_MAX_CLIENT_ID_LEN,
    LIGHTER_MAX_CLIENT_INDEX,
    ClientIdFactory,
    IdFormat,
    Intent,
    OrderTag,
    StrategyCode,
    decode_client_id,
)

tags = st.builds(
    OrderTag,
    strategy=st.sampled_from(list(StrategyCode)),
    intent=st.sampled_from(list(Intent)),
    seq=st.integers(0, 2**64 - 1),
    level=st.integers(0, 255),
)

# What each id format must satisfy, stated independently of the encoder (the venues that
# use it in brackets).
FORMAT_RULES = {
    # Hyperliquid cloid
    IdFormat.HEX128: lambda s: re.fullmatch(r"0x[0-9a-f]{32}", s) is not None,
    # Kraken cl_ord_id, short UUID form
    IdFormat.HEX32: lambda s: re.fullmatch(r"[0-9a-f]{32}", s) is not None,
    # Alpaca client_order_id, IBKR orderRef
    IdFormat.TEXT: lambda s: 0 < len(s) <= min(ALPACA_MAX_CLIENT_ID_LEN, 64) and s.isprintable(),
    # Lighter client_order_index
    IdFormat.INT48: lambda s: s.isdigit() and 0 <= int(s) <= LIGHTER_MAX_CLIENT_INDEX,
}


@given(tags, st.sampled_from(list(FORMAT_RULES)))
def test_every_id_format_fits_its_rule_and_decodes_to_the_tag(tag: OrderTag, fmt: IdFormat) -> None:
    cid = tag.encode(fmt)
    assert FORMAT_RULES[fmt](cid), cid
    back = decode_client_id(cid)
    assert back is not None
    assert (back.strategy, back.intent, back.level) == (tag.strategy, tag.intent, tag.level)
    if fmt is IdFormat.INT48:
        assert back.seq == tag.seq % 2**28  # Lighter keeps the low 28 bits
    else:
        assert back.seq == tag.seq


def test_every_format_has_a_rule() -> None:
    assert set(FORMAT_RULES) == set(IdFormat)


@pytest.mark.parametrize(
    "foreign",
    [
        "0x00000000000000000000000000000001",  # someone else's cloid
        "6d1b345e-2821-40e2-ad83-4ecb18a06876",  # a UUID from the venue's UI
        "da8e4ad59b78481c93e589746b0cf91f",
        "my-manual-order",
        "fn.grid.not_an_intent.1.abc",
        "12345",  # a small Lighter index not made by us
        "",
    ],
)
def test_foreign_ids_are_not_mistaken_for_ours(foreign: str) -> None:
    assert decode_client_id(foreign) is None


def test_decode_accepts_upper_case_hex_and_ints() -> None:
    tag = OrderTag(StrategyCode.MM, Intent.MM_BID, seq=42)
    assert decode_client_id(tag.encode(IdFormat.HEX128).upper().replace("0X", "0x")) == tag
    assert decode_client_id(int(tag.encode(IdFormat.INT48))) == OrderTag(
        StrategyCode.MM, Intent.MM_BID, seq=42
    )


def test_text_form_is_readable() -> None:
    tag = OrderTag(StrategyCode.GRID, Intent.GRID_SELL, seq=35, level=3)
    assert tag.encode(IdFormat.TEXT) == "fn.grid.grid_sell.3.z"


def test_factory_sequences_are_unique_and_increasing_across_restarts() -> None:
    first = ClientIdFactory(start_ms=1_700_000_000_000)
    ids = [first.next(StrategyCode.GRID, Intent.GRID_BUY).seq for _ in range(1000)]
    assert ids == sorted(set(ids))
    later = ClientIdFactory(start_ms=1_700_000_000_001)  # a restart one ms later
    # up to 4096 orders per ms stay unique across a restart
    assert later.next(StrategyCode.GRID, Intent.GRID_BUY).seq > ids[-1]


@pytest.mark.parametrize("level", [-1, 256])
def test_out_of_range_level_is_refused(level: int) -> None:
    with pytest.raises(ClientIdError):
        OrderTag(StrategyCode.GRID, Intent.GRID_SELL, seq=1, level=level)


@pytest.mark.parametrize(
    ("strategy", "intent", "level"),
    [
        (StrategyCode.GRID, Intent.GRID_SELL, 3),
        (StrategyCode.MM, Intent.MM_ASK, 0),
        (StrategyCode.HEDGE, Intent.HEDGE_CLOSE, 254),
        (max(StrategyCode), max(Intent), 255),  # every field at its widest
    ],
)
def test_int48_ids_from_the_real_factory_at_the_current_time_fit_and_decode(
    strategy: StrategyCode, intent: Intent, level: int
) -> None:
    now_ms = int(time.time() * 1000)  # as the engine makes its factory
    # and a restart 2**16 ms (65.5 s) later: sequences 2**28 apart, so one of the two
    # sets bit 28, the lowest bit the 48-bit form must drop
    factories = [ClientIdFactory(now_ms), ClientIdFactory(now_ms + 2**16)]
    for i in range(50):
        tag = factories[i % 2].next(strategy, intent, level)
        assert tag.seq >= 2**48  # today's sequences are far wider than Lighter's index
        cid = tag.encode(IdFormat.INT48)
        assert cid.isdigit() and 0 <= int(cid) < 2**48 and int(cid) <= LIGHTER_MAX_CLIENT_INDEX
        assert decode_client_id(cid) == OrderTag(strategy, intent, tag.seq % 2**28, level)
        # the documented layout: magic nibble, strategy, intent, level, seq mod 2**28
        low = tag.seq % 2**28
        assert int(cid) == 0xA << 44 | strategy << 40 | intent << 36 | level << 28 | low
        assert decode_client_id(int(cid)) == decode_client_id(cid)

"""The `trading[]` entries: one instrument on one venue each.

An entry takes the common keys below plus the keys its strategy declares (config/params.py).
Besides each value's own type and range, an entry is checked against where a key applies
(`scope`): a key that would be silently ignored for the entry's venue or strategy is an
error, because a setting that does nothing is a setting the trader thinks is protecting
them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from falconet.config import schema as s
from falconet.config.fields import Field, Parsed, read_object
from falconet.config.params import (
    all_param_fields,
    build_params,
    owners,
    param_fields,
    param_specs,
    params_class,
)
from falconet.config.problems import InvalidValueError, Location, Problems
from falconet.config.risk import parse_entry_risk
from falconet.config.schema import Strategy, TradingEntry
from falconet.config.values import (
    boolean,
    choice,
    decimal_string,
    decimal_value,
    describe,
    nullable,
    text,
)
from falconet.core.enums import Venue

T = TypeVar("T")
_VENUE_NAMES = [venue.value for venue in s.TRADING_VENUES]
_FEE_HINT = " (fees are fractions: 0.0016 means 0.16%)"


def account_label(raw: object, at: Location) -> str:
    """An account label: letters and digits (it is appended to the venue's variable
    names, `HYPERLIQUID_PRIVATE_KEY_<LABEL>`), kept upper case."""
    if not isinstance(raw, str) or not re.fullmatch(r"[A-Za-z0-9]{1,32}", raw):
        raise InvalidValueError(
            f"expected an account label of 1 to 32 letters and digits, got {describe(raw)}"
        )
    return raw.upper()


SYMBOL = Field("symbol", text, required=True)
EXCHANGE = Field(
    "exchange", choice({v.value: v for v in s.TRADING_VENUES}, "exchange", _VENUE_NAMES)
)
QTY = Field("qty", decimal_string(gt="0"), required=True)
STRATEGY = Field(
    "strategy",
    choice(s.STRATEGY_NAMES, "strategy", list(s.STRATEGY_NAMES)),
    required=True,
)
# Bounded so that a percentage typed as a fraction (0.16 for 0.16%) is caught;
# negative values are maker rebates.
MAKER_FEE = Field("maker_fee", nullable(decimal_value(ge="-0.01", le="0.01", hint=_FEE_HINT)))
TAKER_FEE = Field("taker_fee", nullable(decimal_value(ge="-0.01", le="0.01", hint=_FEE_HINT)))
TESTNET = Field("testnet", boolean)
HEDGE = Field("hedge", boolean)
DATA_FEED = Field(
    "data_feed",
    choice({f.value: f for f in s.DataFeed}, "data feed", [f.value for f in s.DataFeed]),
)
RISK = Field("risk", parse_entry_risk)
ACCOUNT = Field("account", account_label)

# The keys every entry takes; a strategy's own keys come from its params class and are
# listed between these and `risk`.
COMMON_FIELDS: tuple[Field[Any], ...] = (
    SYMBOL,
    EXCHANGE,
    QTY,
    STRATEGY,
    MAKER_FEE,
    TAKER_FEE,
    TESTNET,
    HEDGE,
    DATA_FEED,
)

# Keys of newer dio versions that falconet does not implement.
ENTRY_HINTS = {"asset_class": "oracle risk classes are not supported"}


@dataclass(frozen=True)
class Scope:
    """Where a key applies; None means everywhere. `why` explains a refusal per venue."""

    venues: frozenset[Venue] | None = None
    strategies: frozenset[Strategy] | None = None
    why: Mapping[Venue, str] = field(default_factory=dict)


SCOPES: dict[str, Scope] = {
    "testnet": Scope(
        venues=frozenset({Venue.HYPERLIQUID, Venue.LIGHTER, Venue.IBKR, Venue.ALPACA}),
        why={
            Venue.KRAKEN: "Kraken has no testnet",
            Venue.PAPER: "the paper venue is always simulated",
        },
    ),
    "hedge": Scope(venues=frozenset({Venue.HYPERLIQUID})),
    "data_feed": Scope(venues=frozenset({Venue.ALPACA})),
}


def entry_fields(strategy: Strategy | None) -> tuple[Field[Any], ...]:
    """The keys an entry of `strategy` takes (every strategy's when it is not known)."""
    own = param_fields(params_class(strategy)) if strategy is not None else all_param_fields()
    return (*COMMON_FIELDS, *own, RISK, ACCOUNT)


def scope(key: str, strategy: Strategy | None) -> Scope | None:
    """Where `key` applies: a common key's scope, or a strategy key's (its venues as the
    entry's strategy declares them, else as the first strategy that has it does)."""
    if key in SCOPES:
        return SCOPES[key]
    declared_by = owners(key)
    if not declared_by:
        return None
    first = strategy if strategy in declared_by else declared_by[0]
    spec = param_specs(params_class(first))[key]
    return Scope(spec.venues, frozenset(declared_by), spec.why)


def applies(key: str, venue: Venue, strategy: Strategy) -> bool:
    """Whether `key` has an effect on an entry with this venue and strategy."""
    where = scope(key, strategy)
    if where is None:
        return True
    venue_ok = where.venues is None or venue in where.venues
    strategy_ok = where.strategies is None or strategy in where.strategies
    return venue_ok and strategy_ok


def _scope_problem(key: str, venue: Venue | None, strategy: Strategy | None) -> str | None:
    where = scope(key, strategy)
    if where is None:
        return None
    if venue is not None and where.venues is not None and venue not in where.venues:
        allowed = ", ".join(v.value for v in s.TRADING_VENUES if v in where.venues)
        why = f" ({where.why[venue]})" if venue in where.why else ""
        return f"not allowed on exchange {venue.value}{why}; allowed on: {allowed}"
    if strategy is not None and where.strategies is not None and strategy not in where.strategies:
        wanted = " or ".join(st.value for st in s.Strategy if st in where.strategies)
        return f"only applies to strategy {wanted}, but this entry's strategy is {strategy.value}"
    return None


def _quietly(field: Field[T], raw: dict[str, object], at: Location) -> T | None:
    """The field's value, or None if absent or invalid (read_object reports that)."""
    if field.name not in raw:
        return None
    try:
        return field.parse(raw[field.name], Location(at.source, at.path, Problems()))
    except InvalidValueError:
        return None


def _build(p: Parsed, venue: Venue, strategy: Strategy) -> TradingEntry:
    symbol = p.get(SYMBOL)
    qty = p.get(QTY)
    assert symbol is not None and qty is not None  # required keys, checked by read_object
    return TradingEntry(
        symbol=symbol,
        exchange=venue,
        qty=qty,
        strategy=strategy,
        params=build_params(params_class(strategy), p, venue),
        maker_fee=p.get(MAKER_FEE),
        taker_fee=p.get(TAKER_FEE),
        testnet=p.get(TESTNET, False),
        hedge=p.get(HEDGE, False),
        data_feed=p.get(DATA_FEED),
        risk=p.get(RISK),
        account=p.get(ACCOUNT),
    )


def parse_entry(raw: object, at: Location) -> TradingEntry:
    if not isinstance(raw, dict):
        raise InvalidValueError(f"expected a trading entry object, got {describe(raw)}")
    # Where keys apply depends on the venue and strategy; when either is itself invalid,
    # its own error is reported and the checks that depend on it are skipped.
    venue = _quietly(EXCHANGE, raw, at) if "exchange" in raw else s.DEFAULT_EXCHANGE
    strategy = _quietly(STRATEGY, raw, at)
    out_of_scope = []
    for key in raw:
        reason = _scope_problem(key, venue, strategy)
        if reason:
            at.child(key).report(reason)
            out_of_scope.append(key)
    # Keys out of scope are not parsed: the fix is to remove them, whatever their value.
    known = entry_fields(strategy)
    parsed = read_object(raw, at, known, ENTRY_HINTS, skip=out_of_scope)
    if not parsed.ok or venue is None or strategy is None:
        raise InvalidValueError(None)
    return _build(parsed, venue, strategy)


def parse_trading(raw: object, at: Location) -> tuple[TradingEntry, ...]:
    """The `trading` list; every entry is checked even after a bad one."""
    if not isinstance(raw, list):
        raise InvalidValueError(f"expected a list of trading entries, got {describe(raw)}")
    entries: list[TradingEntry] = []
    first_at: dict[tuple[str, Venue, str | None], int] = {}
    ok = True
    for index, item in enumerate(raw):
        try:
            entry = parse_entry(item, at.child(index))
        except InvalidValueError as exc:
            if exc.reason is not None:
                at.child(index).report(exc.reason)
            ok = False
            continue
        earlier = first_at.setdefault(entry.key, index)
        if earlier != index:
            account = f" account {entry.account}" if entry.account else ""
            at.child(index).report(
                f"duplicate entry for {entry.symbol} on {entry.exchange.value}{account} "
                f"(already defined at trading[{earlier}]); one runner per symbol and account"
            )
            ok = False
            continue
        entries.append(entry)
    if not ok:
        raise InvalidValueError(None)
    return tuple(entries)

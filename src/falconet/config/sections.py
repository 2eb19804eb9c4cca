"""The top level of the config file and its small blocks (`engine`, `gc`).

`TOP_LEVEL_FIELDS` is the list of sections. Adding a section (for instance the
mean-reversion engine's settings) means: write its parser, append its `Field` here, add
its attribute to `schema.Config` and fill it in `_build`. Reading the file and reporting
problems stay as they are.
"""

from __future__ import annotations

from typing import Any

from falconet.config import schema as s
from falconet.config.fields import Field, Parsed, read_object
from falconet.config.problems import InvalidValueError, Location, Problems
from falconet.config.risk import RiskSettings, parse_risk
from falconet.config.runtime import (
    HyperliquidSettingsBlock,
    OrderSettings,
    PaperSettings,
    parse_hyperliquid,
    parse_orders,
    parse_paper,
)
from falconet.config.schema import Config, GcSettings
from falconet.config.trading import parse_trading
from falconet.config.values import (
    choice,
    decimal_value,
    describe,
    integer,
    nullable,
)


def _logging_sections(raw: object, at: Location) -> tuple[str, ...]:
    if not isinstance(raw, str):
        raise InvalidValueError(
            f'expected a comma-separated string such as "engine,orders", got {describe(raw)}'
        )
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def _empty_block(raw: object, at: Location) -> None:
    parsed = read_object(raw, at, ())
    if not parsed.ok:
        raise InvalidValueError(None)


# OCaml's Gc.set ranges, so a dio file with a broken value fails here as it did there.
GC_FIELDS: tuple[Field[int], ...] = (
    Field("minor_heap_size", integer(ge=1)),
    Field("space_overhead", integer(ge=1)),
    Field("max_overhead", integer(ge=0)),
    Field("window_size", integer(ge=1, le=50)),
    Field("allocation_policy", integer(ge=0, le=2)),
    Field("major_heap_increment", integer(ge=1)),
)


def _gc_block(raw: object, at: Location) -> GcSettings:
    parsed = read_object(raw, at, GC_FIELDS)
    if not parsed.ok:
        raise InvalidValueError(None)
    return GcSettings(**{field.name: parsed.get(field) for field in GC_FIELDS})


LOGGING_LEVEL = Field(
    "logging_level",
    choice(s.LOG_LEVEL_NAMES, "logging level", list(s.LOG_LEVEL_NAMES)),
)
LOGGING_SECTIONS = Field("logging_sections", _logging_sections)
LOGGING_WIDTH = Field("logging_width", nullable(integer(ge=1)))
CYCLE_MOD = Field("cycle_mod", integer(ge=1))
FNG_CHECK_THRESHOLD = Field("fng_check_threshold", decimal_value(gt="0"))
LATENCY_WINDOW_SECONDS = Field("latency_window_seconds", decimal_value(gt="0"))
ENGINE = Field("engine", _empty_block)
GC = Field("gc", _gc_block)
TRADING = Field("trading", parse_trading, required=True)
PAPER = Field("paper", parse_paper)
ORDERS = Field("orders", parse_orders)
HYPERLIQUID = Field("hyperliquid", parse_hyperliquid)
RISK = Field("risk", parse_risk)

TOP_LEVEL_FIELDS: tuple[Field[Any], ...] = (
    LOGGING_LEVEL,
    LOGGING_SECTIONS,
    LOGGING_WIDTH,
    CYCLE_MOD,
    FNG_CHECK_THRESHOLD,
    LATENCY_WINDOW_SECONDS,
    ENGINE,
    GC,
    TRADING,
    PAPER,
    ORDERS,
    HYPERLIQUID,
    RISK,
)

# Keys of newer dio versions that falconet does not implement.
TOP_LEVEL_HINTS = {
    "classes": "oracle risk classes are not supported",
    "oracle": "the capital oracle is not supported",
}


def _build(p: Parsed, source: str) -> Config:
    latency = p.get(LATENCY_WINDOW_SECONDS)
    return Config(
        source=source,
        logging_level=p.get(LOGGING_LEVEL, s.DEFAULT_LOGGING_LEVEL),
        logging_sections=p.get(LOGGING_SECTIONS, ()),
        logging_width=p.get(LOGGING_WIDTH),
        cycle_mod=p.get(CYCLE_MOD, s.DEFAULT_CYCLE_MOD),
        fng_check_threshold=p.get(FNG_CHECK_THRESHOLD, s.DEFAULT_FNG_CHECK_THRESHOLD),
        # A window length, not an amount: a float is what timers take.
        latency_window_seconds=(
            float(latency) if latency is not None else s.DEFAULT_LATENCY_WINDOW_SECONDS
        ),
        trading=p.get(TRADING, ()),
        gc=p.get(GC),
        paper=p.get(PAPER, PaperSettings()),
        orders=p.get(ORDERS, OrderSettings()),
        hyperliquid=p.get(HYPERLIQUID, HyperliquidSettingsBlock()),
        risk=p.get(RISK, RiskSettings()),
    )


def parse_config(data: object, source: str = "<config>") -> Config:
    """Validate decoded JSON (`dict`/`list`/`str`/numbers/`bool`/`None`) and resolve it.

    Raises `InvalidConfigError` listing every problem found, one line each.
    """
    problems = Problems()
    at = Location(source, (), problems)
    if not isinstance(data, dict):
        at.report(f"expected a JSON object at the top level, got {describe(data)}")
        problems.raise_if_any()
    parsed = read_object(data, at, TOP_LEVEL_FIELDS, TOP_LEVEL_HINTS)
    problems.raise_if_any()
    assert parsed.ok  # every failure above was reported
    return _build(parsed, source)

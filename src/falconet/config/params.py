"""A strategy's own `trading[]` keys: declared by the strategy, read by the config.

Each strategy declares a frozen dataclass (a `StrategyParams`) whose fields are its config
keys, each made with `param(parser, default, doc)`; the parser carries the bounds. The
entry parser (trading.py) never names a strategy's keys: it asks `params_class` which
class the entry's strategy declared and reads those keys with the same checks and
messages as every other key. A new strategy lists its class in
`falconet.strategies.registry.ENTRY_PARAMS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, TypeVar

from falconet.config.fields import Field, Parsed
from falconet.config.schema import Strategy, StrategyParams
from falconet.config.values import Parser
from falconet.core.enums import Venue

T = TypeVar("T")
P = TypeVar("P", bound=StrategyParams)
_SPEC = "falconet.param"


@dataclass(frozen=True)
class ParamSpec:
    """How one key is read: its parser (type and bounds), what it means, and the venues it
    applies to (None: every venue; `why` explains a refusal per venue)."""

    parse: Parser[Any]
    doc: str
    venues: frozenset[Venue] | None = None
    why: Mapping[Venue, str] = field(default_factory=dict)

    def applies_on(self, venue: Venue) -> bool:
        return self.venues is None or venue in self.venues


def param(
    parse: Parser[T],
    default: T,
    doc: str,
    *,
    venues: frozenset[Venue] | None = None,
    why: Mapping[Venue, str] | None = None,
) -> T:
    """A field of a `StrategyParams` class: the config key of the same name. On a venue
    outside `venues` the key is refused and the field is None."""
    spec = ParamSpec(parse, doc, venues, why or {})
    return field(default=default, metadata={_SPEC: spec})


def param_specs(cls: type[StrategyParams]) -> dict[str, ParamSpec]:
    """The keys `cls` declares, in declaration order."""
    return {f.name: f.metadata[_SPEC] for f in fields(cls) if _SPEC in f.metadata}


def param_fields(cls: type[StrategyParams]) -> tuple[Field[Any], ...]:
    """The declared keys as fields for `read_object`."""
    return tuple(Field(name, spec.parse) for name, spec in param_specs(cls).items())


def build_params(cls: type[P], parsed: Parsed, venue: Venue) -> P:
    """`cls` from the values read; absent keys take their default, keys that do not apply
    on `venue` are None."""
    values: dict[str, object] = {}
    for name, spec in param_specs(cls).items():
        key = Field(name, spec.parse)
        if not spec.applies_on(venue):
            values[name] = None
        elif parsed.has(key):
            values[name] = parsed.get(key)
    return cls(**values)


def params_to_values(params: StrategyParams, venue: Venue) -> dict[str, object]:
    """The resolved params by key, leaving out the keys that do not apply on `venue`."""
    return {
        name: getattr(params, name)
        for name, spec in param_specs(type(params)).items()
        if spec.applies_on(venue)
    }


@cache
def registered() -> Mapping[Strategy, type[StrategyParams]]:
    """Every strategy's params class. Imported on first use: the strategy packages import
    the config, so the config cannot import them while it loads."""
    from falconet.strategies.registry import ENTRY_PARAMS  # noqa: PLC0415

    return {cls.strategy: cls for cls in ENTRY_PARAMS}


def params_class(strategy: Strategy) -> type[StrategyParams]:
    return registered()[strategy]


def owners(key: str) -> tuple[Strategy, ...]:
    """The strategies that declare `key`, in registry order."""
    return tuple(s for s, cls in registered().items() if key in param_specs(cls))


def all_param_fields() -> tuple[Field[Any], ...]:
    """Every strategy's keys, first declaration wins: what an entry whose strategy is
    itself invalid is checked against, so its other values are still reported."""
    by_name: dict[str, Field[Any]] = {}
    for cls in registered().values():
        for f in param_fields(cls):
            by_name.setdefault(f.name, f)
    return tuple(by_name.values())

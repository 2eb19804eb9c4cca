"""Reading one JSON object against a table of known keys.

`read_object` is the strict part of the schema: duplicate keys, unknown keys (with the
closest known key suggested) and missing required keys are reported at their exact path,
then every known key is parsed by its own parser. Sections build their typed settings
from the returned `Parsed` values, so a new section is a new table, not new plumbing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast, overload

from falconet.config.problems import InvalidValueError, Location
from falconet.config.values import Parser, closest, describe

T = TypeVar("T")


@dataclass(frozen=True)
class Field(Generic[T]):
    name: str
    parse: Parser[T]
    required: bool = False


class JsonObject(dict[str, Any]):
    """A decoded JSON object that remembers keys the file repeats: `json` keeps only the
    last value silently, and a repeated key is almost always a copy-paste mistake."""

    duplicate_keys: tuple[str, ...] = ()


class Parsed:
    """The values read from one object, by field; `ok` is False if anything was wrong."""

    def __init__(self, values: dict[str, object], ok: bool) -> None:
        self._values = values
        self.ok = ok

    def has(self, field: Field[Any]) -> bool:
        return field.name in self._values

    @overload
    def get(self, field: Field[T]) -> T | None: ...
    @overload
    def get(self, field: Field[T], default: T) -> T: ...
    def get(self, field: Field[T], default: T | None = None) -> T | None:
        if field.name in self._values:
            return cast(T, self._values[field.name])  # stored by field.parse, a Parser[T]
        return default


def unknown_key_reason(key: str, allowed: Sequence[str], hint: str | None = None) -> str:
    if hint:
        return f"unknown key: {hint}"
    if not allowed:
        return "unknown key: this block takes no keys"
    guess = closest(key, list(allowed))
    if guess:
        return f'unknown key (did you mean "{guess}"?)'
    return f"unknown key; allowed keys: {', '.join(allowed)}"


def read_object(
    raw: object,
    at: Location,
    fields: Sequence[Field[Any]],
    hints: Mapping[str, str] | None = None,
    skip: Collection[str] = (),
) -> Parsed:
    """Check `raw` is an object with only known keys and parse each one; report problems
    at `at`. `hints` explains keys that are recognised but not supported; `skip` lists
    keys the caller has already rejected, so they are not reported twice."""
    if not isinstance(raw, dict):
        at.report(f"expected an object, got {describe(raw)}")
        return Parsed({}, ok=False)
    ok = True
    for key in getattr(raw, "duplicate_keys", ()):
        at.child(key).report("key appears more than once (only one value can apply)")
        ok = False
    by_name = {field.name: field for field in fields}
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key in skip:
            ok = False
            continue
        field = by_name.get(key)
        if field is None:
            at.child(key).report(unknown_key_reason(key, list(by_name), (hints or {}).get(key)))
            ok = False
            continue
        try:
            values[key] = field.parse(value, at.child(key))
        except InvalidValueError as exc:
            if exc.reason is not None:
                at.child(key).report(exc.reason)
            ok = False
    for field in fields:
        if field.required and field.name not in raw:
            at.child(field.name).report("required key is missing")
            ok = False
    return Parsed(values, ok)

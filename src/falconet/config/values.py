"""Parsers for single config values.

Each factory returns a parser `(raw, location) -> value` that checks the JSON type and
the range and returns the resolved value, or raises `InvalidValueError(reason)`. Numbers
that must be exact come back as `Decimal`: JSON numbers are decoded from their literal
text (see loader.py) and Python floats through their shortest repr, so `0.1` is
`Decimal("0.1")`, never the binary approximation.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import NamedTuple, TypeVar

from falconet.config.problems import InvalidValueError, Location
from falconet.observe.redact import redact

T = TypeVar("T")
Parser = Callable[[object, Location], T]

# No setting is meaningful beyond this many powers of ten either way, and a value that is
# would cost memory and time to write out (a Decimal keeps any exponent).
MAX_MAGNITUDE = 30
_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_MAX_SHOWN = 40


class DecimalRange(NamedTuple):
    """A `[min, max]` setting; `lo <= hi` always holds."""

    lo: Decimal
    hi: Decimal


def describe(raw: object) -> str:
    """How a raw JSON value is quoted in an error: `"abc"`, `1.5`, `true`, `null`, `[1, 2]`."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        # Redact before shortening: a cut-off secret would no longer match the mask.
        text = redact(raw)
        if len(text) > _MAX_SHOWN:
            text = text[: _MAX_SHOWN - 3] + "..."
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(raw, Decimal):
        # never expand a huge exponent: "1e-99999999" written out is 100 MB
        small = raw.is_finite() and abs(raw.adjusted()) <= MAX_MAGNITUDE
        plain = format(raw, "f") if small else str(raw)
        return plain if len(plain) <= _MAX_SHOWN else str(raw)
    if isinstance(raw, int | float):
        plain = repr(raw)
        return plain if len(plain) <= _MAX_SHOWN else f"{raw:.6g}"
    if isinstance(raw, list):
        inner = "[" + ", ".join(describe(item) for item in raw) + "]"
        return inner if len(inner) <= _MAX_SHOWN else _items(len(raw))
    if isinstance(raw, dict):
        return "an object"
    return type(raw).__name__


def _items(count: int) -> str:
    return f"a list of {count} item{'' if count == 1 else 's'}"


def number_to_decimal(raw: object) -> Decimal | None:
    """The exact Decimal of a JSON number, or None if `raw` is not a number."""
    if isinstance(raw, bool):  # bool is an int subclass; true is not 1 in a config
        return None
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    return None


def _string_to_decimal(raw: str) -> Decimal | None:
    # Decimal() alone would also take "1_000", " 1", "NaN" and "Infinity".
    return Decimal(raw) if _DECIMAL_TEXT.fullmatch(raw) else None


def _bounds_text(
    gt: Decimal | None, ge: Decimal | None, lt: Decimal | None, le: Decimal | None
) -> str:
    parts = []
    if gt is not None:
        parts.append(f"> {gt}")
    if ge is not None:
        parts.append(f">= {ge}")
    if lt is not None:
        parts.append(f"< {lt}")
    if le is not None:
        parts.append(f"<= {le}")
    return " and ".join(parts)


def _check_bounds(
    value: Decimal,
    gt: Decimal | None = None,
    ge: Decimal | None = None,
    lt: Decimal | None = None,
    le: Decimal | None = None,
) -> None:
    if not value.is_finite():
        raise InvalidValueError(f"expected a finite number, got {value}")
    if (
        (gt is not None and not value > gt)
        or (ge is not None and not value >= ge)
        or (lt is not None and not value < lt)
        or (le is not None and not value <= le)
    ):
        raise InvalidValueError(f"must be {_bounds_text(gt, ge, lt, le)}, got {describe(value)}")
    if value and abs(value.adjusted()) > MAX_MAGNITUDE:
        raise InvalidValueError(
            f"out of range: a magnitude between 1e-{MAX_MAGNITUDE} and "
            f"1e{MAX_MAGNITUDE} is expected, got {describe(value)}"
        )


def _dec(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def decimal_string(
    *, gt: str | None = None, ge: str | None = None, le: str | None = None
) -> Parser[Decimal]:
    """A decimal written as a JSON string (`"0.001"`), dio's format for sizes."""
    bounds = (_dec(gt), _dec(ge), None, _dec(le))

    def parse(raw: object, at: Location) -> Decimal:
        if not isinstance(raw, str):
            hint = " (write numbers here as strings so they stay exact)"
            hint = hint if number_to_decimal(raw) is not None else ""
            raise InvalidValueError(
                f'expected a decimal string such as "0.5", got {describe(raw)}{hint}'
            )
        value = _string_to_decimal(raw.strip())
        if value is None or raw != raw.strip():
            raise InvalidValueError(f'expected a decimal string such as "0.5", got {describe(raw)}')
        _check_bounds(value, *bounds)
        return value

    return parse


def decimal_value(
    *,
    gt: str | None = None,
    ge: str | None = None,
    lt: str | None = None,
    le: str | None = None,
    hint: str = "",
) -> Parser[Decimal]:
    """A decimal given either as a JSON number or as a decimal string."""
    bounds = (_dec(gt), _dec(ge), _dec(lt), _dec(le))

    def parse(raw: object, at: Location) -> Decimal:
        value = number_to_decimal(raw)
        if value is None and isinstance(raw, str):
            value = _string_to_decimal(raw)
        if value is None:
            raise InvalidValueError(f"expected a number, got {describe(raw)}")
        try:
            _check_bounds(value, *bounds)
        except InvalidValueError as exc:
            raise InvalidValueError(f"{exc.reason}{hint}") from None
        return value

    return parse


def decimal_range(*, gt: str | None = None, ge: str | None = None) -> Parser[DecimalRange]:
    """`[min, max]` (sorted) or a scalar `x` (promoted to `[x, x]`), as JSON numbers."""
    bounds = (_dec(gt), _dec(ge), None, None)
    expected = "expected a number or a [min, max] list of 2 numbers"

    def parse(raw: object, at: Location) -> DecimalRange:
        if isinstance(raw, list):
            if len(raw) != 2:
                raise InvalidValueError(f"{expected}, got {_items(len(raw))}")
            pair = [number_to_decimal(item) for item in raw]
            if pair[0] is None or pair[1] is None:
                raise InvalidValueError(f"{expected}, got {describe(raw)}")
            lo, hi = sorted((pair[0], pair[1]))
        else:
            scalar = number_to_decimal(raw)
            if scalar is None:
                raise InvalidValueError(f"{expected}, got {describe(raw)}")
            lo = hi = scalar
        _check_bounds(lo, *bounds)
        _check_bounds(hi, *bounds)
        return DecimalRange(lo, hi)

    return parse


def integer(*, ge: int | None = None, le: int | None = None) -> Parser[int]:
    def parse(raw: object, at: Location) -> int:
        value = number_to_decimal(raw)
        # 10 and 1e3 are integers; 10.0 is written as a fraction, so probably not meant as one.
        if value is None or not value.is_finite() or int(value.as_tuple().exponent) < 0:
            raise InvalidValueError(f"expected an integer, got {describe(raw)}")
        _check_bounds(value, ge=_dec(ge), le=_dec(le))
        return int(value)

    return parse


def boolean(raw: object, at: Location) -> bool:
    if not isinstance(raw, bool):
        raise InvalidValueError(f"expected true or false, got {describe(raw)}")
    return raw


def text(raw: object, at: Location) -> str:
    """A non-empty string without surrounding whitespace."""
    if not isinstance(raw, str):
        raise InvalidValueError(f"expected a string, got {describe(raw)}")
    if not raw.strip():
        raise InvalidValueError("must not be empty")
    if raw != raw.strip():
        raise InvalidValueError(f"has leading or trailing whitespace: {describe(raw)}")
    return raw


def closest(word: str, options: list[str]) -> str | None:
    matches = difflib.get_close_matches(word.lower(), options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def choice(options: Mapping[str, T], what: str, listed: list[str]) -> Parser[T]:
    """One of `options` (keys compared case-insensitively); `listed` is what errors show."""
    by_lower = {name.lower(): value for name, value in options.items()}
    spelled = {name.lower(): name for name in options}

    def parse(raw: object, at: Location) -> T:
        if not isinstance(raw, str):
            raise InvalidValueError(
                f"expected the {what} as a string (one of {', '.join(listed)}), got {describe(raw)}"
            )
        found = by_lower.get(raw.lower())
        if found is not None:
            return found
        guess = closest(raw, list(by_lower))
        hint = f' (did you mean "{spelled[guess]}"?)' if guess else ""
        raise InvalidValueError(
            f"unknown {what} {describe(raw)}{hint}; expected one of {', '.join(listed)}"
        )

    return parse


def nullable(parser: Parser[T]) -> Parser[T | None]:
    """`parser`, or JSON null meaning "not set"."""

    def parse(raw: object, at: Location) -> T | None:
        return None if raw is None else parser(raw, at)

    return parse

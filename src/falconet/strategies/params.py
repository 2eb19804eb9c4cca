"""Strategy parameters from text (`--param levels=5`): typed by the constructor's defaults."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from falconet.core.errors import FalconetError


class ParamError(FalconetError):
    """A strategy parameter that is unknown or has the wrong type."""


def parse_params(cls: type, pairs: Sequence[str]) -> dict[str, Any]:
    """`["levels=5", "mode=replace"]` -> keyword arguments for `cls`, converted to the type
    of each parameter's default. Unknown names and bad values are errors naming them."""
    sig = inspect.signature(cls.__init__)  # type: ignore[misc]
    allowed = {n: p for n, p in sig.parameters.items() if n != "self"}
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep:
            raise ParamError(f"--param {pair!r}: expected NAME=VALUE")
        if name not in allowed:
            raise ParamError(
                f"--param {name}: unknown for this strategy (known: {', '.join(allowed)})"
            )
        default = allowed[name].default
        out[name] = _convert(name, text.strip(), default)
    return out


def _convert(name: str, text: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = type(default).__name__
        raise ParamError(f"--param {name}={text}: expected {kind}") from None
    return text


def text_params(pairs: Sequence[str], allowed: Sequence[str], strategy: str) -> dict[str, str]:
    """`["qty=0.01"]` -> `{"qty": "0.01"}` for strategies that parse values themselves."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep:
            raise ParamError(f"--param {pair!r}: expected NAME=VALUE")
        if name not in allowed:
            raise ParamError(
                f"--param {name}: unknown for {strategy} (known: {', '.join(allowed)})"
            )
        out[name] = text.strip()
    return out


def decimal_param(params: dict[str, str], name: str, default: str | None = None) -> Decimal:
    text = params.get(name, default)
    if text is None:
        raise ParamError(f"--param {name}=VALUE is required")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ParamError(f"--param {name}={text}: expected a decimal number") from None
    if not value.is_finite():
        raise ParamError(f"--param {name}={text}: expected a finite number")
    return value

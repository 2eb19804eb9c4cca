"""The kernel's compile decorators: cached on disk, no reference-count runtime.

`_nrt=False`: kernel functions allocate nothing, so numba need not count references to
the arrays they pass around; that removes two atomic operations per array argument per
call on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba as nb

Fn = TypeVar("Fn", bound=Callable[..., Any])


def kernel(fn: Fn) -> Fn:
    return cast(Fn, nb.njit(cache=True, _nrt=False)(fn))  # type: ignore[call-overload]


def inline_kernel(fn: Fn) -> Fn:
    """Compiled into its callers (small functions on the per-row path)."""
    return cast(Fn, nb.njit(cache=True, inline="always", _nrt=False)(fn))  # type: ignore[call-overload]

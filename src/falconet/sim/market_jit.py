"""The market simulator's compile decorator: numba with its default on-disk cache.

numba picks a function's cache folder when the function is decorated, from the global
`numba.config.CACHE_DIR`. The matching kernel (`falconet.sim.kernel`) points that setting
at a folder keyed by its own sources when it is imported; if it was imported first, the
simulator's cache would land there and be recompiled whenever those sources change. So
the setting is held at the user's choice (`NUMBA_CACHE_DIR`, else none: numba's folder
beside the source) while a simulator function is decorated, and restored after.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

Fn = TypeVar("Fn", bound=Callable[..., Any])


def cached_njit(fn: Fn) -> Fn:
    config = numba.config  # its settings are set at run time: untyped for mypy
    saved = getattr(config, "CACHE_DIR")  # noqa: B009
    setattr(config, "CACHE_DIR", os.environ.get("NUMBA_CACHE_DIR", ""))  # noqa: B010
    try:
        return cast(Fn, numba.njit(cache=True)(fn))
    finally:
        setattr(config, "CACHE_DIR", saved)  # noqa: B010

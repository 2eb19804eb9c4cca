"""Compiled simulation kernel (numba, cached on disk): no Python objects, only arrays.

numba keys its on-disk cache by each function's own file, so a cached caller keeps
running a stale copy of a callee edited in another module. The cache therefore lives in
a folder named after a hash of every kernel source file (and layout.py): any edit starts
a fresh cache, and an unchanged kernel loads in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba


def _cache_dir() -> Path:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*here.glob("*.py"), here.parent / "layout.py"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    root = os.environ.get("FALCONET_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "falconet"
    )
    return Path(root) / "numba" / f"kernel-{numba.__version__}-{digest.hexdigest()[:16]}"


CACHE_DIR = _cache_dir()
if not os.environ.get("NUMBA_CACHE_DIR"):
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    setattr(numba.config, "CACHE_DIR", str(CACHE_DIR))  # noqa: B010 - untyped module

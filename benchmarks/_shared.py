"""Where benchmarks find the shared data: ../shared beside the repo, or FALCONET_SHARED."""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FALCONET_SHARED", REPO.parent / "shared"))


def shared_file(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (set FALCONET_SHARED)")
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

"""Reading raw capture files: `<local_receive_ts_ns> <message>` per line, gzip or plain."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

from falconet.core.errors import FalconetError


class CaptureError(FalconetError):
    """A capture file that cannot be read or has a malformed line."""


def iter_capture_lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """Yield (local receive ns, raw message bytes) for every non-empty line."""
    p = Path(path)
    if not p.exists():
        raise CaptureError(f"{p}: no such capture file")
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip(b"\r\n")
            if not line:
                continue
            head, sep, body = line.partition(b" ")
            if not sep or not head.isdigit():
                raise CaptureError(f"{p}:{lineno}: expected '<timestamp_ns> <message>'")
            yield int(head), body

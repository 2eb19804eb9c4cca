"""Crash-safe file replacement: readers see the old file or the new one, never a mix.

temp file in the same directory → write → flush → fsync → rename over the target →
fsync the directory (so the rename itself survives a power cut). A crash at any point
leaves the previous file intact; at worst a stray temp file remains, which
`remove_stale_temps` deletes at the next open.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def temp_path_for(path: Path) -> Path:
    # Hidden and per-process, so two writers never share a temp file and globbing for
    # the target's name does not pick it up.
    return path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = temp_path_for(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename or creation in `directory` durable (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the rename is still atomic
    finally:
        os.close(fd)


def remove_stale_temps(path: Path) -> list[Path]:
    """Delete temp files a crashed writer left beside `path`; returns what was removed."""
    removed = []
    for stale in path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()
            removed.append(stale)
    return removed


def quarantine(path: Path, now: float | None = None) -> Path:
    """Rename an unreadable file to `<name>.corrupt.<unix_ts>` (suffixed `.N` if taken)."""
    stamp = int(time.time() if now is None else now)
    target = path.with_name(f"{path.name}.corrupt.{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt.{stamp}.{n}")
        n += 1
    os.replace(path, target)
    fsync_dir(path.parent)
    return target

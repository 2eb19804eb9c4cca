"""The strategy state store: one JSON file of per-key objects, written off the hot path.

    store = StateStore(state_path())
    state = store.get("Grid:HYPE/USDC:hyperliquid")     # dict or None
    store.put("Grid:HYPE/USDC:hyperliquid", strategy.snapshot_state())
    store.flush()                                      # at shutdown or after bootstrap

`put` updates the in-memory mirror at once and returns; a background thread writes the
whole file a few milliseconds later, so a burst of puts costs one write (latest wins per
key). Values are whatever a strategy's `snapshot_state()` returns; the store does not
interpret them. Decimals are written as strings and read back as strings, and `get`
returns what a restart would read, never an object the caller can still mutate.

File format: `{"<key>": {...}, ...}`, one key per line, keys sorted. Writes are atomic
(see `atomic.py`); an unreadable file is renamed `<name>.corrupt.<unix_ts>` and the
store starts empty (`corrupt_quarantined` says where it went).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec

from falconet.observe.log import get_logger
from falconet.state.atomic import atomic_write_bytes, fsync_dir, quarantine, remove_stale_temps
from falconet.state.keys import legacy_key_map
from falconet.state.paths import ensure_dir

log = get_logger("state")

DEFAULT_COALESCE_S = 0.02
DEFAULT_RETRY_S = 1.0

_FILE_DECODER = msgspec.json.Decoder(dict[str, msgspec.Raw])
_VALUE_DECODER = msgspec.json.Decoder(dict[str, Any])
# The seed wrote plain JSON numbers; reading them as Decimal keeps their exact text.
_LEGACY_DECODER = msgspec.json.Decoder(dict[str, dict[str, Any]], float_hook=Decimal)
_ENCODER = msgspec.json.Encoder()


class StateStoreClosedError(RuntimeError):
    """A write to a store after `close()`."""


class StateStore:
    """Per-key strategy state in one JSON file. Thread-safe; `put` never blocks on I/O."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        coalesce_s: float = DEFAULT_COALESCE_S,
        retry_s: float = DEFAULT_RETRY_S,
    ) -> None:
        self.path = Path(path)
        self.coalesce_s = coalesce_s
        self.retry_s = retry_s
        self.corrupt_quarantined: Path | None = None
        self.writes = 0  # files written: what coalescing saves shows here
        self.write_errors = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._write_lock = threading.Lock()  # one file write at a time, in version order
        self._entries: dict[str, bytes] = {}  # key -> the value's JSON
        self._version = 0  # bumped by every change
        self._written = 0  # the version the file holds
        self._closing = False
        self._stop = threading.Event()  # cuts the coalescing wait short at close
        self._thread: threading.Thread | None = None
        self._load()

    # --- reading ------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        data = self._entries.get(key)
        return None if data is None else _VALUE_DECODER.decode(data)

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    # --- writing ------------------------------------------------------------------------

    def put(self, key: str, state: Mapping[str, Any]) -> None:
        """Replace the state of `key`; the file follows within `coalesce_s` plus a write.

        Raises TypeError at once if `state` is not a JSON-serialisable mapping, so the
        mistake surfaces in the caller, not in the writer thread."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state of {key!r} must be a mapping, got {type(state).__name__}")
        data = _ENCODER.encode(state)
        self._change(key, data)

    def delete(self, key: str) -> bool:
        """Forget `key`; False if it was not there."""
        if key not in self._entries:
            return False
        self._change(key, None)
        return True

    def flush(self) -> bool:
        """Write pending changes now (synchronously). True if a file was written.

        Raises OSError if the write fails; the changes stay pending."""
        return self._write_pending()

    def close(self) -> None:
        """Stop the writer thread and write what is pending. Idempotent."""
        with self._lock:
            self._closing = True
            self._stop.set()
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        self._write_pending()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- legacy -------------------------------------------------------------------------

    def migrate_legacy(
        self, legacy_path: str | os.PathLike[str], keys: Mapping[str, str] | Iterable[str]
    ) -> dict[str, str]:
        """Import the seed's flat, symbol-keyed `accumulated_state.json`.

        `keys`: the configured state keys, or an explicit symbol → key mapping (see
        `legacy_key_map`). Numbers become exact decimal strings, as a strategy's own
        snapshot writes them. Keys that already have state are left alone (the new file
        is newer). The new file is written first, then the legacy file is renamed
        `<name>.migrated`, so a crash in between only repeats a harmless migration.
        Returns symbol → key for what was imported.
        """
        legacy = Path(legacy_path)
        if not legacy.is_file():
            return {}
        try:
            data = _LEGACY_DECODER.decode(legacy.read_bytes())
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            moved = quarantine(legacy)
            log.error(
                "legacy state file unreadable; moved aside",
                path=legacy,
                moved_to=moved,
                reason=str(exc),
            )
            return {}
        imported: dict[str, str] = {}
        for symbol, key in legacy_key_map(data, keys).items():
            if key in self._entries:
                log.warning(
                    "legacy state not imported: key already has state", symbol=symbol, key=key
                )
                continue
            self._change(key, _ENCODER.encode(_numbers_as_text(data[symbol])), wake=False)
            imported[symbol] = key
        self._write_pending()
        done = legacy.with_name(legacy.name + ".migrated")
        os.replace(legacy, done)
        fsync_dir(legacy.parent)
        log.info("legacy state migrated", path=legacy, entries=len(imported), renamed_to=done)
        return imported

    # --- internals ----------------------------------------------------------------------

    def _change(self, key: str, data: bytes | None, *, wake: bool = True) -> None:
        with self._lock:
            if self._closing:
                raise StateStoreClosedError(f"state store {self.path} is closed")
            if data is None:
                self._entries.pop(key, None)
            else:
                self._entries[key] = data
            self._version += 1
            if wake:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="falconet-state-writer", daemon=True
                    )
                    self._thread.start()
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._version == self._written and not self._closing:
                    self._changed.wait()
                if self._closing:
                    return  # close() writes what is left
            self._stop.wait(self.coalesce_s)  # let the rest of a burst arrive
            try:
                self._write_pending()
            except OSError as exc:
                self.write_errors += 1
                log.error(
                    "state file write failed; will retry",
                    path=self.path,
                    error=str(exc),
                    retry_s=self.retry_s,
                )
                self._stop.wait(self.retry_s)

    def _write_pending(self) -> bool:
        with self._write_lock:
            with self._lock:
                if self._version == self._written:
                    return False
                version = self._version
                snapshot = dict(self._entries)
            ensure_dir(self.path.parent)
            atomic_write_bytes(self.path, _render(snapshot))
            with self._lock:
                self._written = version
                self.writes += 1
            return True

    def _load(self) -> None:
        remove_stale_temps(self.path)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        try:
            entries = _FILE_DECODER.decode(raw)
            for value in entries.values():
                _VALUE_DECODER.decode(value)  # every value must be an object
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self.corrupt_quarantined = quarantine(self.path)
            log.error(
                "state file unreadable; moved aside, starting with no state",
                path=self.path,
                moved_to=self.corrupt_quarantined,
                reason=str(exc),
            )
            return
        self._entries = {key: bytes(value) for key, value in entries.items()}


def _render(entries: Mapping[str, bytes]) -> bytes:
    if not entries:
        return b"{}\n"
    lines = [b"  " + _ENCODER.encode(key) + b": " + entries[key] for key in sorted(entries)]
    return b"{\n" + b",\n".join(lines) + b"\n}\n"


def _numbers_as_text(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")  # plain text, never an exponent
    if isinstance(value, dict):
        return {k: _numbers_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_text(v) for v in value]
    return value

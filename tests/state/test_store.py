"""StateStore: atomic writes, crash safety, quarantine, coalescing, thread safety."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from falconet.observe.log import configure, flush
from falconet.state import StateStore, StateStoreClosedError
from falconet.state import atomic as atomic_module

KEY = "Grid:HYPE/USDC:hyperliquid"


def read_json(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def test_put_is_visible_at_once_and_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = StateStore(path)
    store.put(KEY, {"reserved_base": Decimal("0.15"), "accumulated_profit": Decimal("0.4827")})
    # Decimals are stored as strings: get() returns what a restart reads.
    assert store.get(KEY) == {"reserved_base": "0.15", "accumulated_profit": "0.4827"}
    deadline = time.monotonic() + 2
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert read_json(path) == {KEY: {"reserved_base": "0.15", "accumulated_profit": "0.4827"}}
    store.close()
    again = StateStore(path)
    assert again.get(KEY) == {"reserved_base": "0.15", "accumulated_profit": "0.4827"}
    assert again.get("Grid:BTC/USD:kraken") is None
    assert again.keys() == [KEY]


def test_get_returns_a_copy_and_put_snapshots_the_value(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    state: dict[str, object] = {"levels": [["41.5", "0.3"]]}
    store.put(KEY, state)
    state["levels"] = []  # the caller keeps mutating its own dict
    got = store.get(KEY)
    assert got == {"levels": [["41.5", "0.3"]]}
    assert got is not None
    got["levels"] = None
    assert store.get(KEY) == {"levels": [["41.5", "0.3"]]}
    store.close()


def test_bad_values_fail_in_the_caller(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    with pytest.raises(TypeError):
        store.put(KEY, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.put(KEY, {"when": object()})
    assert store.get(KEY) is None
    store.close()
    with pytest.raises(StateStoreClosedError):
        store.put(KEY, {})


def test_coalescing_100_puts_cost_a_few_writes_and_the_last_value_wins(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = StateStore(path, coalesce_s=0.02)
    for i in range(100):
        store.put(KEY, {"seq": i})
        store.put("MM:ETH/USDC:lighter", {"seq": -i})
    time.sleep(0.3)
    assert 1 <= store.writes <= 3
    assert read_json(path) == {KEY: {"seq": 99}, "MM:ETH/USDC:lighter": {"seq": -99}}
    assert store.flush() is False  # nothing left to write
    store.close()
    assert store.writes <= 3


def test_put_does_not_wait_for_the_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow_write = threading.Event()
    real = atomic_module.atomic_write_bytes

    def slow(path: Path, data: bytes) -> None:
        slow_write.wait(2)
        real(path, data)

    monkeypatch.setattr("falconet.state.store.atomic_write_bytes", slow)
    store = StateStore(tmp_path / "state.json", coalesce_s=0)
    store.put(KEY, {"seq": 0})
    time.sleep(0.05)  # the writer thread is now stuck in the write
    started = time.perf_counter()
    for i in range(1, 50):
        store.put(KEY, {"seq": i})
    assert time.perf_counter() - started < 0.05
    assert store.get(KEY) == {"seq": 49}
    slow_write.set()
    store.close()
    assert read_json(tmp_path / "state.json") == {KEY: {"seq": 49}}


def test_flush_writes_synchronously_and_delete_removes(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "state.json"
    store = StateStore(path, coalesce_s=10)  # the thread would wait: flush must not
    store.put(KEY, {"a": 1})
    store.put("other", {"b": 2})
    assert store.flush() is True
    assert read_json(path) == {KEY: {"a": 1}, "other": {"b": 2}}
    assert store.delete("other") is True
    assert store.delete("other") is False
    store.flush()
    assert read_json(path) == {KEY: {"a": 1}}
    store.close()


def test_concurrent_puts_from_threads_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = StateStore(path, coalesce_s=0.001)

    def writer(n: int) -> None:
        for i in range(200):
            store.put(f"S{n}:X/Y:paper", {"i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert read_json(path) == {f"S{n}:X/Y:paper": {"i": 199} for n in range(8)}


def test_failed_rename_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    store = StateStore(path)
    store.put(KEY, {"seq": 1})
    store.flush()
    old = path.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr("falconet.state.atomic.os.replace", crash)
    store.put(KEY, {"seq": 2})
    with pytest.raises(OSError, match="simulated crash"):
        store.flush()
    assert path.read_bytes() == old
    assert list(tmp_path.iterdir()) == [path]  # the temp file was removed
    monkeypatch.undo()
    store.close()  # the change was still pending and is written now
    assert read_json(path) == {KEY: {"seq": 2}}


CRASH_BEFORE_RENAME = """
import os, signal, sys
from falconet.state import StateStore
from falconet.state import atomic

def die(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)  # after the temp file is written and fsynced

store = StateStore(sys.argv[1], coalesce_s=0)
atomic.os.replace = die
store.put("Grid:HYPE/USDC:hyperliquid", {"seq": 2})
store.flush()
"""


def test_killed_between_temp_write_and_rename(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with StateStore(path) as store:
        store.put(KEY, {"seq": 1})
    old = path.read_bytes()
    child = subprocess.run(
        [sys.executable, "-c", CRASH_BEFORE_RENAME, str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert path.read_bytes() == old
    temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(temps) == 1
    assert json.loads(temps[0].read_text()) == {KEY: {"seq": 2}}  # complete, just not renamed
    reopened = StateStore(path)
    assert reopened.get(KEY) == {"seq": 1}
    assert not temps[0].exists()  # stale temp files are removed at open
    reopened.close()


@pytest.mark.parametrize(
    "content",
    [b'{"Grid:HYPE/USDC:hyperliquid": {"reserved_base": "0.1"', b"", b"[1, 2]", b'{"k": 3}'],
    ids=["truncated", "empty", "not-an-object", "value-not-an-object"],
)
def test_corrupt_file_is_quarantined_and_the_store_starts_fresh(
    tmp_path: Path, content: bytes
) -> None:
    stream = io.StringIO()
    configure(stream=stream, color=False, width=0)
    path = tmp_path / "accumulation_state.json"
    path.write_bytes(content)
    before = int(time.time())
    store = StateStore(path)
    moved = store.corrupt_quarantined
    assert moved is not None
    assert moved.parent == tmp_path
    prefix = "accumulation_state.json.corrupt."
    assert moved.name.startswith(prefix)
    assert before <= int(moved.name[len(prefix) :]) <= int(time.time())
    assert moved.read_bytes() == content  # kept for inspection
    assert not path.exists()
    assert store.keys() == []
    store.put(KEY, {"seq": 1})
    store.close()
    assert read_json(path) == {KEY: {"seq": 1}}
    flush()
    log = stream.getvalue()
    assert "ERROR" in log
    assert "state file unreadable" in log
    assert moved.name in log


def test_two_quarantines_in_one_second_keep_both_files(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{")
    first = StateStore(path).corrupt_quarantined
    path.write_text("}")
    second = StateStore(path).corrupt_quarantined
    assert first is not None and second is not None
    assert first != second
    assert first.read_text() == "{"
    assert second.read_text() == "}"


def test_file_format_is_one_sorted_key_per_line(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with StateStore(path) as store:
        store.put("b:X/Y:paper", {"v": "2"})
        store.put("a:X/Y:paper", {"v": "1"})
    assert path.read_text() == '{\n  "a:X/Y:paper": {"v":"1"},\n  "b:X/Y:paper": {"v":"2"}\n}\n'
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)


def test_a_failed_background_write_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    real = atomic_module.atomic_write_bytes
    calls: list[int] = []

    def flaky(target: Path, data: bytes) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("No space left on device")
        real(target, data)

    monkeypatch.setattr("falconet.state.store.atomic_write_bytes", flaky)
    store = StateStore(path, coalesce_s=0.001, retry_s=0.05)
    store.put(KEY, {"seq": 1})
    deadline = time.monotonic() + 2
    while store.writes == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert store.write_errors == 1
    assert store.writes == 1
    assert read_json(path) == {KEY: {"seq": 1}}
    store.close()

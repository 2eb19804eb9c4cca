"""Output off the hot path: nothing lost at flush, shutdown or exit; order kept;
reconfiguration swaps outputs cleanly."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from falconet.observe.levels import INFO, WARNING
from falconet.observe.line import LogLine
from falconet.observe.log import configure, flush, get_logger, shutdown
from falconet.observe.writer import LogWriter, Output

from .helpers import Console, read_jsonl


def wait_for(predicate: object, timeout: float = 5.0) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


def test_shutdown_loses_nothing_from_many_threads(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    per_thread, threads = 5_000, 4

    def produce(worker: int) -> None:
        log = get_logger(f"worker{worker}")
        for i in range(per_thread):
            log.info("tick", i=i)

    pool = [threading.Thread(target=produce, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    shutdown()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == per_thread * threads
    for worker in range(threads):
        seq = [r["i"] for r in records if r["section"] == f"worker{worker}"]
        assert seq == list(range(per_thread))  # each thread's lines in order


def test_lines_appear_without_flush() -> None:
    stream = io.StringIO()
    configure(stream=stream, color=False)
    get_logger("grid").info("background")
    assert wait_for(lambda: "background" in stream.getvalue())


def test_critical_is_written_before_the_call_returns_after_what_was_queued() -> None:
    stream = io.StringIO()
    configure(stream=stream, color=False, width=0)
    log = get_logger("risk")
    log.info("queued first")
    log.critical("kill switch")
    text = stream.getvalue()  # no flush()
    assert text.index("queued first") < text.index("kill switch")


def test_configure_twice_installs_one_handler_and_writes_each_line_once() -> None:
    first = io.StringIO()
    configure(stream=first, color=False)
    second = io.StringIO()
    configure(stream=second, color=False)
    get_logger("grid").info("once")
    flush()
    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1
    ours = [h for h in logging.getLogger().handlers if type(h).__module__.startswith("falconet")]
    assert len(ours) == 1


def test_reconfigure_writes_pending_lines_to_the_old_file_then_switches(tmp_path: Path) -> None:
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    configure(console=False, json_path=old)
    get_logger("grid").info("before")
    configure(console=False, json_path=new, level="debug")
    get_logger("grid").debug("after")
    assert [r["msg"] for r in read_jsonl(old)] == ["before"]
    assert [r["msg"] for r in read_jsonl(new)] == ["after"]


def test_a_rejected_configure_keeps_the_running_one(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    with pytest.raises(ValueError):
        configure(level="chatty", json_path=tmp_path / "other.jsonl")
    with pytest.raises(ValueError):
        configure(width=-1)
    get_logger("grid").info("still here")
    assert [r["msg"] for r in read_jsonl(path)] == ["still here"]
    assert not (tmp_path / "other.jsonl").exists()


def test_the_file_is_appended_to_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    for run in range(2):
        configure(console=False, json_path=path)
        get_logger("grid").info("run", n=run)
        shutdown()
    assert [r["n"] for r in read_jsonl(path)] == [0, 1]


def test_repeated_configure_and_shutdown_never_hangs(tmp_path: Path) -> None:
    # The writer thread must notice close() whatever it is doing at that moment.
    start = time.monotonic()
    for i in range(200):
        configure(console=False, json_path=tmp_path / "e.jsonl")
        get_logger("grid").warning("w", i=i)
        shutdown()
    assert time.monotonic() - start < 20
    assert len(read_jsonl(tmp_path / "e.jsonl")) == 200


def test_process_exit_flushes_without_an_explicit_shutdown(tmp_path: Path) -> None:
    path = tmp_path / "exit.jsonl"
    script = (
        "from falconet.observe.log import configure, get_logger\n"
        f"configure(console=False, json_path={str(path)!r})\n"
        "log = get_logger('grid')\n"
        "for i in range(3000):\n"
        "    log.info('tick', i=i)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert [r["i"] for r in read_jsonl(path)] == list(range(3000))


def test_unconfigured_process_prints_warnings_to_stderr_synchronously(
    capsys: pytest.CaptureFixture[str],
) -> None:
    get_logger("config").info("quiet")
    get_logger("config").warning("missing file", path="config.json")
    err = capsys.readouterr().err
    assert "quiet" not in err
    assert err[13:].rstrip("\n") == "WARN  config               missing file path=config.json"


def test_full_queue_drops_and_reports_instead_of_blocking() -> None:
    stream = io.StringIO()
    writer = LogWriter(
        [Output(stream, lambda line: f"{line.msg}\n")], max_pending=10, linger_s=30.0
    )
    try:
        for i in range(15):
            writer.submit(LogLine(time.time_ns(), INFO, "grid", f"m{i}"))
        writer.flush()
        lines = stream.getvalue().splitlines()
        assert lines[0] == "5 log lines dropped: the log writer could not keep up"
        assert lines[1:] == [f"m{i}" for i in range(10)]
        assert writer.dropped == 5
    finally:
        writer.close()


def test_a_warning_cuts_the_batching_delay_short() -> None:
    stream = io.StringIO()
    writer = LogWriter([Output(stream, lambda line: f"{line.msg}\n")], linger_s=30.0)
    try:
        writer.submit(LogLine(time.time_ns(), INFO, "grid", "info"))
        time.sleep(0.05)
        assert stream.getvalue() == ""  # still lingering
        writer.submit(LogLine(time.time_ns(), WARNING, "grid", "warn"))
        assert wait_for(lambda: stream.getvalue() == "info\nwarn\n")
    finally:
        writer.close()


def test_a_broken_output_does_not_stop_the_others() -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    good = io.StringIO()
    broken = Output(Broken(), lambda line: line.msg)
    writer = LogWriter([broken, Output(good, lambda line: line.msg)], background=False)
    writer.submit(LogLine(time.time_ns(), INFO, "grid", "kept"))
    assert good.getvalue() == "kept"
    assert broken.errors == 1
    writer.close()


def test_console_helper_sanity() -> None:
    out = Console()
    get_logger("grid").info("a")
    assert out.messages() == ["a"]

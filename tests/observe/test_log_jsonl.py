"""The JSON-lines file: one parseable object per record, fields as keys."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from decimal import Decimal
from enum import Enum
from pathlib import Path

from falconet.observe.jsonl import JsonLinesFormatter
from falconet.observe.levels import WARNING
from falconet.observe.line import LogLine
from falconet.observe.log import configure, flush, get_logger

from .helpers import read_jsonl


class Side(Enum):
    BUY = "buy"


def test_each_record_is_one_json_object_with_the_standard_keys(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "engine.jsonl"  # the folder is created
    configure(console=False, json_path=path)
    before = time.time_ns()
    get_logger("grid").info("placed buy", symbol="BTC/USD", px=Decimal("61800.2"), levels=3)
    get_logger("book").warning("gap\nsecond line", seq=41)
    after = time.time_ns()
    first, second = read_jsonl(path)
    assert first == {
        "ts": first["ts"],
        "ts_ns": first["ts_ns"],
        "level": "info",
        "section": "grid",
        "msg": "placed buy",
        "symbol": "BTC/USD",
        "px": "61800.2",
        "levels": 3,
    }
    assert before <= first["ts_ns"] <= after
    assert second["level"] == "warning"
    assert second["msg"] == "gap\nsecond line"
    assert len(path.read_text().splitlines()) == 2


def test_ts_is_iso_8601_utc_with_milliseconds_matching_ts_ns(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    get_logger("grid").info("x")
    (obj,) = read_jsonl(path)
    assert obj["ts"].endswith("Z")
    assert len(obj["ts"]) == len("2025-06-01T14:02:07.315Z")
    parsed = dt.datetime.fromisoformat(obj["ts"].replace("Z", "+00:00"))
    assert parsed.tzinfo == dt.UTC
    assert int(parsed.timestamp() * 1000) == obj["ts_ns"] // 1_000_000


def test_known_instant_renders_exactly() -> None:
    line = LogLine(1_748_786_527_315_482_113, WARNING, "oms", "slow", (("ms", 812.5),))
    assert JsonLinesFormatter().format(line) == (
        '{"ts":"2025-06-01T14:02:07.315Z","ts_ns":1748786527315482113,"level":"warning",'
        '"section":"oms","msg":"slow","ms":812.5}\n'
    )


def test_values_that_json_cannot_carry_become_strings(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    get_logger("grid").info(
        "v", side=Side.BUY, nan=float("nan"), inf=float("inf"), obj=object(), lst=[1, 2], ok=False
    )
    (obj,) = read_jsonl(path)
    assert obj["side"] == "Side.BUY"
    assert obj["nan"] == "nan"
    assert obj["inf"] == "inf"
    assert obj["obj"].startswith("<object object at")
    assert obj["lst"] == "[1, 2]"
    assert obj["ok"] is False


def test_fields_named_like_standard_keys_get_an_underscore(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    get_logger("grid").info("real", msg="field", level="field", ts="field")
    (obj,) = read_jsonl(path)
    assert obj["msg"] == "real"
    assert obj["level"] == "info"
    assert (obj["msg_"], obj["level_"], obj["ts_"]) == ("field", "field", "field")


def test_percent_arguments_are_applied(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    get_logger("book").info("book %s has %d levels", "BTC/USD", 25)
    get_logger("book").info("100% filled")  # no arguments: no formatting
    assert [o["msg"] for o in read_jsonl(path)] == ["book BTC/USD has 25 levels", "100% filled"]


def test_exception_adds_type_and_formatted_traceback(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    log = get_logger("oms")
    try:
        {}["missing"]
    except KeyError as exc:
        log.exception("lookup failed", key="missing")
        log.error("again", exc_info=exc)
    log.error("no exception here", exc_info=True)
    first, second, third = read_jsonl(path)
    assert first["exc_type"] == "KeyError"
    assert first["traceback"].startswith("Traceback (most recent call last):")
    assert "KeyError: 'missing'" in first["traceback"]
    assert first["key"] == "missing"
    assert second["traceback"] == first["traceback"]
    assert "traceback" not in third


def test_console_and_file_together(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    stream = io.StringIO()
    configure(stream=stream, color=False, json_path=path)
    get_logger("grid").info("both")
    assert read_jsonl(path)[0]["msg"] == "both"
    assert stream.getvalue()[40:] == "both\n"
    assert json.loads(path.read_text())["section"] == "grid"


def test_one_record_stays_one_line_for_every_reader(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    tricky = "a\nb\rc\u2028d\u2029e\x85f\x1bg"
    get_logger("kraken").info(tricky, raw=tricky)
    flush()
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 1  # str.splitlines() breaks at U+2028 and friends
    (obj,) = read_jsonl(path)
    assert obj["msg"] == tricky
    assert obj["raw"] == tricky


def test_undecodable_bytes_do_not_lose_the_line(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    configure(console=False, json_path=path)
    raw = b"caf\xe9".decode("utf-8", "surrogateescape")  # a lone surrogate
    get_logger("kraken").warning("bad frame %s", raw, frame=raw)
    get_logger("kraken").info("next")
    first, second = read_jsonl(path)
    assert first["msg"] == "bad frame " + raw
    assert second["msg"] == "next"

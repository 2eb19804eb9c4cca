"""`falconet journal`: fills and PnL as text, JSON and a rich table; errors and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from falconet.cli.journal_cmd import parse_since, render_rich
from falconet.cli.main import main
from falconet.core.enums import Side
from falconet.state import Journal, JournalReader

from .helpers import HYPE, fill

T0 = 1_780_000_000_000_000_000  # 2026-05-28T20:26:40Z


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        ctx = {"venue": "hyperliquid", "strategy": "Grid", "price_decimals": 4, "size_decimals": 2}
        for f in (
            fill("t1", price=400000, size=100, fee="0.04", ts=T0),
            fill("t2", side=Side.SELL, price=420000, size=50, fee="0.021", ts=T0 + 60 * 10**9),
        ):
            journal.record_fill(f, symbol=HYPE, **ctx)  # type: ignore[arg-type]
        btc = fill(
            "k1",
            price=600000,
            size=1,
            fee="0.6",
            ts=T0 + 120 * 10**9,
            instrument_id="BTC/USD@kraken",
            client_id="c-k1",
        )
        journal.record_fill(
            btc,
            venue="kraken",
            strategy="Grid",
            symbol="BTC/USD",
            price_decimals=1,
            size_decimals=2,
        )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["journal", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_text_output_lists_fills_and_pnl(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "--db", str(db))
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{db}: 3 fills"
    assert lines[2].split() == ["time", "venue", "symbol", "side", "price", "size", "fee"]
    assert lines[3].split() == [
        "2026-05-28T20:26:40.000Z",
        "hyperliquid",
        "HYPE/USDC",
        "buy",
        "40",
        "1",
        "0.04",
    ]
    assert lines[4].split() == [
        "2026-05-28T20:27:40.000Z",
        "hyperliquid",
        "HYPE/USDC",
        "sell",
        "42",
        "0.5",
        "0.021",
    ]
    assert lines[5].split()[1:5] == ["kraken", "BTC/USD", "buy", "60000"]
    pnl_header = lines.index("realized PnL per asset (average cost, quote currency, fees included)")
    assert lines[pnl_header + 1].split() == [
        "venue",
        "symbol",
        "fills",
        "bought",
        "sold",
        "fees",
        "realized",
        "position",
        "avg",
        "cost",
    ]
    # HYPE: cost 40.04 for 1; sold 0.5 at 42: 21 - 20.02 - 0.021 = 0.959
    assert lines[pnl_header + 2].split() == [
        "hyperliquid",
        "HYPE/USDC",
        "2",
        "1",
        "0.5",
        "0.061",
        "0.959",
        "0.5",
        "40.04",
    ]
    assert lines[pnl_header + 3].split() == [
        "kraken",
        "BTC/USD",
        "1",
        "0.01",
        "0",
        "0.6",
        "0",
        "0.01",
        "60060",
    ]


def test_symbol_and_since_filters(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(
        capsys, "--db", str(db), "--symbol", "HYPE/USDC", "--since", "2026-05-28T20:27:00Z"
    )
    assert rc == 0
    assert out.splitlines()[0] == f"{db}: 1 fill"
    assert "BTC/USD" not in out
    pnl = out.splitlines()[-1].split()
    assert pnl[:7] == ["hyperliquid", "HYPE/USDC", "1", "0", "0.5", "0.021", "0.959"]


def test_json_output_is_exact(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "--db", str(db), "--json")
    assert rc == 0
    doc = json.loads(out)
    assert doc["journal"] == str(db)
    assert [f["trade_id"] for f in doc["fills"]] == ["t1", "t2", "k1"]
    assert doc["fills"][1] == {
        "ts_ns": T0 + 60 * 10**9,
        "time": "2026-05-28T20:27:40.000Z",
        "venue": "hyperliquid",
        "symbol": HYPE,
        "strategy": "Grid",
        "side": "sell",
        "price": "42",
        "size": "0.5",
        "fee": "0.021",
        "fee_currency": "",
        "liquidity": "taker",
        "trade_id": "t2",
        "client_id": "0xfa010101000000000000000000000001",
        "venue_order_id": "355883830672",
    }
    assert doc["pnl"][0] == {
        "venue": "hyperliquid",
        "symbol": HYPE,
        "fills": 2,
        "bought": "1",
        "sold": "0.5",
        "fees": "0.061",
        "realized": "0.959",
        "position": "0.5",
        "avg_cost": "40.04",
    }


def test_default_path_comes_from_the_data_dir(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FALCONET_DATA_DIR", str(db.parent))
    rc, out, _ = run(capsys)
    assert rc == 0
    assert out.startswith(f"{db}: 3 fills")


def test_empty_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal(path).close()
    rc, out, _ = run(capsys, "--db", str(path))
    assert rc == 0
    assert out.splitlines() == [
        f"{path}: 0 fills",
        "",
        "realized PnL per asset (average cost, quote currency, fees included)",
        "no fills",
    ]


def test_missing_or_bad_journal_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.sqlite3"
    rc, out, err = run(capsys, "--db", str(missing))
    assert (rc, out) == (1, "")
    assert err == f"falconet: error: {missing}: journal not found\n"
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"x" * 4096)
    rc, _, err = run(capsys, "--db", str(garbage))
    assert rc == 1
    assert len(err.splitlines()) == 1
    assert err.startswith(f"falconet: error: {garbage}: ")


def test_bad_since_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["journal", "--db", str(db), "--since", "yesterday"])
    assert exit_info.value.code == 2
    assert "expected an ISO-8601 time" in capsys.readouterr().err


def test_parse_since() -> None:
    assert parse_since("2026-05-28T20:26:40Z") == T0
    assert parse_since("2026-05-28T20:26:40") == T0  # naive means UTC
    assert parse_since("2026-05-28T22:26:40+02:00") == T0
    assert parse_since("2026-05-28T20:26:40.000001Z") == T0 + 1000
    assert parse_since("2026-05-29") == T0 + (3 * 3600 + 33 * 60 + 20) * 10**9


def test_rich_table_on_a_terminal(db: Path) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=160, color_system=None)
    with JournalReader(db) as reader:
        render_rich(console, db, reader.fills(), reader.realized_pnl())
    text = buffer.getvalue()
    assert "3 fills" in text
    assert "realized PnL per asset" in text
    assert "│" in text or "┃" in text  # drawn as a table
    row = next(line for line in text.splitlines() if "HYPE/USDC" in line and "0.959" in line)
    assert "40.04" in row

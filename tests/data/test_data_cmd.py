"""`falconet data convert` and `falconet data info` as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from falconet.cli.main import main
from falconet.data.format import read_events

WS = "l2/hyperliquid/ws_btc_20250126.gz"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_convert_prints_one_paragraph_and_writes_the_file(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "hl.parquet"
    rc, out, err = run(
        capsys, "data", "convert", str(shared_data / WS), "--format", "hyperliquid",
        "--out", str(out_file), "--base-latency", "1.5",
    )  # fmt: skip
    assert rc == 0, err
    assert out.count("\n") == 1 and out.startswith(
        f"Wrote {out_file}: 362 rows for BTC@hyperliquid"
    )
    for part in ("DEPTH 287, TRADE 34, CLEAR 1, SNAPSHOT 40", "2025-01-26 19:14:0", "Gaps: none",
                 "Dropped: 30 trades before first book", "shifted by +0.0015 s"):  # fmt: skip
        assert part in out, part
    table = read_events(out_file)
    assert table.stats["local_time"]["base_latency_ns"] == 1_500_000


def test_info_on_the_synthetic_stream(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = run(capsys, "data", "info", str(shared_data / "synthetic/synth_l2.parquet"))
    assert rc == 0
    for part in (
        "SYNTH@sim (perp, SYNTH/USD): tick 0.01, lot 1",
        "2023-11-14 22:13:20.002013 → 2023-11-14 23:13:05.489661 UTC (59.8 min)",
        "2,000,000: DEPTH 1,820,888, TRADE 178,620, CLEAR 12, SNAPSHOT 480",
        "716,667 distinct exchange times",
        "98.31 – 100.27",
        "p50 1.200 ms, p99 1.396 ms",
        "same order as the file",
        "01883617dcd4c650020657cfb5db59c10a786d8e7171eb3cfeef9b9d13ee2953",
    ):
        assert part in out, part


def test_info_on_a_converted_binance_file(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "usdm.parquet"
    src = shared_data / "l2/binance/usdm_btcusdt_20240808.gz"
    rc, out, err = run(
        capsys, "data", "convert", str(src), "--format", "binance", "--out", str(out_file)
    )
    assert rc == 0, err
    assert "Dropped: 4 depth diffs before bridge" in out
    rc, out, _ = run(capsys, "data", "info", str(out_file))
    assert rc == 0
    for part in ("BTCUSDT@binance (perp, BTC/USDT): tick 0.1, lot 0.001", "TRADE 21,313",
                 "ts_local shifted by +1.27", "rows replay in another order by ts_local",
                 "market", "usdm"):  # fmt: skip
        assert part in out, part


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["data", "convert", "missing.gz", "--format", "binance", "--out", "x.parquet"],
            "missing.gz: no such file",
        ),
        (
            ["data", "convert", "{synth}", "--format", "binance", "--out", "{tmp}/x.parquet"],
            "not a Binance capture: ",
        ),
        (
            [
                "data",
                "convert",
                "{ws}",
                "--format",
                "binance",
                "--market",
                "usdm",
                "--symbol",
                "BTCUSDT",
                "--out",
                "{tmp}/x.parquet",
            ],
            "ws_btc_20250126.gz: line 1:",
        ),
        (
            ["data", "convert", "{ws}", "--format", "hyperliquid", "--out", "{tmp}/x.csv"],
            "the output is a .parquet file",
        ),
        (
            [
                "data",
                "convert",
                "{ws}",
                "--format",
                "hyperliquid",
                "--out",
                "{tmp}/x.parquet",
                "--base-latency",
                "fast",
            ],
            "--base-latency 'fast'",
        ),
        (["data", "info", "{ws}"], "ws_btc_20250126.gz: not a Parquet file"),
        (
            [
                "data",
                "convert",
                "{ws}",
                "--format",
                "hyperliquid",
                "--out",
                "{tmp}/x.parquet",
                "--tick",
                "abc",
            ],
            "--tick 'abc': expected a positive decimal",
        ),
        (
            [
                "data",
                "convert",
                "{ws}",
                "--format",
                "hyperliquid",
                "--out",
                "{tmp}/x.parquet",
                "--market",
                "spot",
            ],
            "--market applies to --format binance only",
        ),
        (
            [
                "data",
                "convert",
                "{ws}",
                "--format",
                "hyperliquid",
                "--out",
                "{tmp}/x.parquet",
                "--tick",
                "7",
            ],
            "x.parquet: row 1: price 105055 is not a multiple of the tick 7",
        ),
    ],
)
def test_errors_are_one_line(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
    message: str,
) -> None:  # fmt: skip
    subst = {"synth": str(shared_data / "synthetic/synth_l2.parquet"), "ws": str(shared_data / WS),
             "tmp": str(tmp_path)}  # fmt: skip
    rc, _, err = run(capsys, *(a.format(**subst) for a in args))
    assert rc == 1
    assert err.count("\n") == 1 and err.startswith("falconet: error:"), err
    assert message in err, err
    assert not list(tmp_path.glob("x.*"))


def test_data_command_is_listed_with_help() -> None:
    for args in (["--help"], ["data", "--help"], ["data", "convert", "--help"]):
        r = subprocess.run([sys.executable, "-m", "falconet", *args], capture_output=True,
                           text=True, timeout=60, check=False)  # fmt: skip
        assert r.returncode == 0 and "data" in r.stdout

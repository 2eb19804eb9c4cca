"""Backtest the Grid and the adaptive MM on the recorded markets of the shared data folder
and print a markdown table of the results (docs/backtests.md holds its last output).

    python scripts/backtest_report.py [--out DIR]   # DIR: also keep HTML reports there

Each run is an ordinary `falconet backtest` command, printed above the table so any row
can be re-run and inspected on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FALCONET_SHARED", REPO.parent / "shared")) / "data"

VENUE = ["--latency-ms", "20", "--partial-fills", "--maker-fee", "0.0001", "--taker-fee", "0.0004"]
BTC = "BTCUSDT spot, Binance, 10.8 min"
GOLD = "XAUUSD futures, top-5 book, 24 h"
RUNS = [
    # market, strategy, params, account
    (BTC, "grid", ["qty=0.001", "interval=0.03", "sell_mult=0.999", "buffer=0"],
     ["--balance", "10000", "--base", "0.02"]),
    (BTC, "mm", ["qty=0.001", "maker_fee=0.0001"], ["--balance", "10000", "--base", "0.001"]),
    (GOLD, "grid", ["qty=1", "interval=0.1", "buffer=0"], ["--balance", "100000", "--base", "5"]),
    (GOLD, "mm", ["qty=1", "maker_fee=0.0001"], ["--balance", "100000", "--base", "1"]),
]  # fmt: skip

MARKETS = {
    BTC: (
        "binance",
        ["l2/binance/spot_btcusdt_20240808.gz", "l2/binance/spot_btcusdt_20240809.gz"],
    ),
    GOLD: (
        "futures-top5",
        [
            "l2/futures_top5/xauusd_28june_quotes_0501.parquet",
            "l2/futures_top5/xauusd_28june_trades_0501.parquet",
        ],
    ),
}


def falconet(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "falconet", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="keep HTML reports here")
    args = ap.parse_args()
    if not SHARED.exists():
        sys.exit(f"shared data folder not found: {SHARED} (set FALCONET_SHARED)")
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, (fmt, sources) in MARKETS.items():
            out = Path(tmp) / f"{fmt}.parquet"
            srcs = [str(SHARED / s) for s in sources]
            falconet("data", "convert", *srcs, "--format", fmt, "--out", str(out), "--quiet")
            files[name] = out
        rows = []
        for market, strategy, params, account in RUNS:
            cmd = ["backtest", "--data", str(files[market]), "--strategy", strategy]
            cmd += [x for p in params for x in ("--param", p)] + VENUE + account
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                cmd += ["--report", str(args.out / f"{strategy}-{files[market].stem}.html")]
            print("falconet " + shlex.join(cmd).replace(tmp, "$DATA"), file=sys.stderr)
            doc = json.loads(falconet(*cmd, "--json", "--no-progress").stdout)
            inst = doc["summary"]["instruments"][0]
            c, pnl = inst["counters"], inst["pnl"]
            rows.append(
                f"| {market} | {strategy} | {c['submits']:,} | {c['amends']:,} | "
                f"{c['cancels']:,} | {c['fills']:,} | {inst['activity']['maker_share']:.0%} | "
                f"{inst['position']['final']} | {pnl['realized']:.2f} | {pnl['fees']:.2f} | "
                f"{pnl['equity_change']:.2f} | {inst['drawdown']['max']:.2f} | "
                f"{doc['wall_s']:.1f} s |"
            )
    print(
        "| market | strategy | orders | amends | cancels | fills | maker | end position "
        "| realized PnL | fees | equity change | max drawdown | run time |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

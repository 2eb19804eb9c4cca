"""The demo's live terminal view (rich): markets and resting orders per entry, recent
fills, balances."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from falconet.demo.tracker import DemoTracker, _money

MAX_SELLS_SHOWN = 3


def _clock(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%H:%M:%S")


def render(
    tracker: DemoTracker,
    *,
    sim_now_ns: int,
    wall_s: float,
    speed: float,
    venue: str = "paper venue",
) -> RenderableType:
    header = Text.assemble(
        ("falconet demo", "bold"),
        f"  {venue}, simulated market x{speed:g}   ",
        f"simulated {_clock(sim_now_ns)} UTC   ",
        f"wall {int(wall_s) // 60:02d}:{int(wall_s) % 60:02d}   ",
        (f"fills {tracker.total_fills}", "bold green"),
        "   Ctrl-C stops (orders canceled, state kept)",
    )
    entries = Table(expand=True, title="Entries", title_justify="left")
    for col, justify in (
        ("symbol", "left"),
        ("strategy", "left"),
        ("bid", "right"),
        ("ask", "right"),
        ("resting buy", "right"),
        ("resting sells", "left"),
        ("fills", "right"),
        ("realized PnL", "right"),
        ("accum. profit", "right"),
        ("reserved base", "right"),
    ):
        entries.add_column(col, justify=justify)  # type: ignore[arg-type]
    for e in tracker.entries():
        sells = ", ".join(e.sells[:MAX_SELLS_SHOWN]) + (
            " …" if len(e.sells) > MAX_SELLS_SHOWN else ""
        )
        pnl_style = "green" if e.realized_pnl > 0 else ("red" if e.realized_pnl < 0 else "")
        entries.add_row(
            e.symbol,
            e.strategy + (f" (restarted {e.restarts}x)" if e.restarts else ""),
            e.bid or "-",
            e.ask or "-",
            ", ".join(e.buys) or "-",
            sells or "-",
            str(e.fills),
            Text(_money(e.realized_pnl), style=pnl_style),
            e.accumulated_profit or "-",
            e.reserved_base or "-",
        )
    fills = Table(expand=True, title="Recent fills", title_justify="left")
    for col in ("time", "symbol", "strategy", "side", "price", "size", "fee", "liquidity"):
        fills.add_column(col)
    for f in reversed(tracker.recent):
        fills.add_row(
            _clock(f.ts_ns),
            f.symbol,
            f.strategy,
            Text(f.side, style="green" if f.side == "buy" else "red"),
            f.price,
            f.size,
            f.fee,
            f.liquidity,
        )
    balances = Table(title="Paper account", title_justify="left")
    balances.add_column("asset")
    balances.add_column("total", justify="right")
    balances.add_column("free", justify="right")
    for asset, (total, free) in tracker.balances().items():
        balances.add_row(asset, f"{total.normalize():f}", f"{free.normalize():f}")
    return Group(Panel(header), entries, fills, balances)

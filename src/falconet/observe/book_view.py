"""Terminal rendering of an L2 book (rich), shared by the demo and the dashboard."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from falconet.core.book import L2Book
from falconet.core.enums import BookSide
from falconet.core.fixed import format_scaled
from falconet.core.instrument import Instrument


def book_table(book: L2Book, inst: Instrument, depth: int = 10, title: str = "") -> Table:
    """Asks above (best at the bottom), bids below (best on top), with a size bar."""
    table = Table(title=title or inst.symbol, expand=False, show_edge=False, pad_edge=False)
    table.add_column("price", justify="right", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("", justify="left", no_wrap=True, min_width=22)
    asks = book.levels(BookSide.ASK, depth)
    bids = book.levels(BookSide.BID, depth)
    biggest = max((q for _, q in asks + bids), default=1) or 1

    def px(units: int) -> str:  # fixed decimals so the column lines up
        return format_scaled(units, inst.price_decimals, strip=False)

    def sz(units: int) -> str:
        return format_scaled(units, inst.size_decimals, strip=False)

    for price, qty in reversed(asks):
        table.add_row(
            Text(px(price), style="red"),
            sz(qty),
            Text("█" * max(1, round(20 * qty / biggest)), style="red"),
        )
    spread = book.spread()
    table.add_row(
        Text("spread", style="dim"),
        Text(px(spread) if spread is not None else "-", style="dim"),
        "",
    )
    for price, qty in bids:
        table.add_row(
            Text(px(price), style="green"),
            sz(qty),
            Text("█" * max(1, round(20 * qty / biggest)), style="green"),
        )
    return table

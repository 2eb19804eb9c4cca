"""The HTML report: sections present, text escaped, well-formed, small for large runs."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from falconet.backtest.report import write_report
from falconet.backtest.runner import BacktestRun
from tests.backtest.helpers import tiny_run

TITLE = "<script>alert(1)</script> & co"


def parse(html: str) -> ET.Element:
    """The document as XML: every tag closed, every '<' and '&' from data escaped."""
    doctype, _, rest = html.partition("\n")
    assert doctype == "<!DOCTYPE html>"
    return ET.fromstring(rest)


def test_report_sections_and_escaping(tmp_path: Path) -> None:
    path = write_report(tiny_run(symbol="T<1>&X"), tmp_path / "r.html", title=TITLE)
    html = path.read_text("utf-8")
    root = parse(html)
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    assert {"summary", "instrument-0"} <= ids
    headings = [e.text for e in root.iter() if e.tag in ("h1", "h2", "h3")]
    assert headings[0] == TITLE
    assert "T<1>&X@sim · script" in headings
    for h in ("Summary", "Simulation", "Last 3 fills", "Last 5 orders"):
        assert h in headings
    charts = [t.text for t in root.iter() if t.tag.endswith("text")]
    for title in ("Equity", "Inventory", "Price and fills"):
        assert title in charts
    assert "<script" not in html and "T<1>" not in html
    # self-contained: nothing loaded from anywhere
    assert not [e for e in root.iter() if e.get("src") or e.get("href")]
    assert "<link" not in html and "url(" not in html
    cells = [e.text for e in root.iter() if e.tag == "td"]
    assert "100.01" in cells and "fn.manual.quote.3.2" in cells
    assert "Realized PnL (average cost)" in cells


@pytest.mark.shared_data
def test_report_of_a_large_run_stays_small(grid_run: BacktestRun, tmp_path: Path) -> None:
    started = time.perf_counter()
    path = write_report(grid_run, tmp_path / "grid.html", title="hbt-grid")
    elapsed = time.perf_counter() - started
    size = path.stat().st_size
    assert size < 2_000_000, size  # 45,596 fills and 35,854 samples
    assert elapsed < 10, elapsed
    root = parse(path.read_text("utf-8"))
    fills_rows = [t for t in root.iter("table")][-2].findall("tr")
    assert len(fills_rows) == 101  # header + the last 100 fills


def test_report_of_a_run_without_trades(tmp_path: Path) -> None:
    from falconet.backtest.runner import run_backtest
    from tests.backtest.helpers import BOOKS, Script, config, market

    run = run_backtest([market(BOOKS)], [Script({})], config())
    html = write_report(run, tmp_path / "idle.html", title="idle").read_text("utf-8")
    parse(html)
    assert "No fills." in html and "No orders." in html

"""`falconet backtest` on inputs with nothing to replay fails loudly instead of printing a
result of NaNs with exit 0; the fee defaults are stated in --help."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from falconet.cli.main import main
from falconet.core.enums import InstrumentKind, Venue
from falconet.core.instrument import Instrument
from falconet.data.format import EventTable, write_events


def test_an_event_file_without_events_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inst = Instrument.with_increments(
        Venue.SIM, "T", "T", "USD", InstrumentKind.PERP, tick="0.01", lot="1"
    )
    z = np.zeros(0, dtype=np.int64)
    i8 = np.zeros(0, dtype=np.int8)
    path = tmp_path / "empty.parquet"
    write_events(path, EventTable(z, z, i8, i8, z, z, z, z, instrument=inst))
    assert main(["backtest", "--data", str(path), "--strategy", "hbt-grid", "--json"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.strip() == f"falconet: error: {path}: no events: nothing to backtest"


def test_help_states_the_fee_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["backtest", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "negative is a rebate (default 0)" in text
        and "--taker-fee TAKER_FEE fraction (default 0)" in text
    )

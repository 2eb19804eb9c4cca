"""The example in docs/config.md is a valid config and uses every venue."""

from __future__ import annotations

import re
from pathlib import Path

from falconet.config import TRADING_VENUES, parse_config_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"


def test_documented_example_is_valid() -> None:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks, "docs/config.md has no ```json example"
    config = parse_config_text(blocks[0], "docs/config.md")
    assert {entry.exchange for entry in config.trading} == set(TRADING_VENUES)

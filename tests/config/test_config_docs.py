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


RISK_DOC = DOC.parent / "risk.md"
RISK_SRC = DOC.parents[1] / "src" / "falconet" / "risk"


def test_the_risk_example_is_a_valid_config() -> None:
    (block,) = re.findall(r"```json\n(.*?)```", RISK_DOC.read_text(encoding="utf-8"), re.DOTALL)
    config = parse_config_text("{" + block + "}", "docs/risk.md")
    assert config.risk.any_set and config.trading[0].risk is not None


def test_every_rule_the_code_can_refuse_with_is_documented() -> None:
    code = "".join(p.read_text(encoding="utf-8") for p in RISK_SRC.glob("*.py"))
    emitted = set(re.findall(r'Refusal\(\s*"([a-z_]+)"', code))
    table = set(re.findall(r"^\| `([a-z_]+)` \|", RISK_DOC.read_text(encoding="utf-8"), re.M))
    assert emitted and emitted <= table, f"undocumented rules: {sorted(emitted - table)}"

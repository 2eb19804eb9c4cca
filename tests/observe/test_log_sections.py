"""Section whitelist, per-section levels, and records of stdlib and library loggers."""

from __future__ import annotations

import logging

import pytest

from falconet.observe.levels import CRITICAL, INFO, WARNING
from falconet.observe.log import get_logger, shutdown
from falconet.observe.sections import SectionRules, parse_sections

from .helpers import Console


def log_each(sections: list[str], level: str = "info") -> None:
    for section in sections:
        getattr(get_logger(section), level)(f"{level} from {section}")


def test_empty_whitelist_lets_every_section_through() -> None:
    out = Console(sections="")
    log_each(["grid", "book", "oms"])
    assert out.sections() == ["grid", "book", "oms"]


def test_whitelist_keeps_only_the_named_sections() -> None:
    out = Console(sections="grid, oms")
    log_each(["grid", "book", "oms", "hyperliquid"])
    assert out.sections() == ["grid", "oms"]


def test_whitelist_entry_with_its_own_level() -> None:
    out = Console(level="info", sections="grid:debug,oms")
    log_each(["grid", "oms", "book"], "debug")
    log_each(["grid", "oms", "book"], "info")
    assert out.messages() == ["debug from grid", "info from grid", "info from oms"]


def test_star_keeps_all_other_sections_at_the_global_level() -> None:
    out = Console(level="warning", sections="*,grid:debug")
    log_each(["grid", "book"], "debug")
    log_each(["grid", "book"], "warning")
    assert out.messages() == ["debug from grid", "warning from grid", "warning from book"]


def test_an_entry_covers_its_dotted_sub_sections_and_the_longest_entry_wins() -> None:
    out = Console(level="info", sections="kraken:warning,kraken.feed:debug")
    log_each(["kraken.feed", "kraken.exec", "krakenx"], "debug")
    log_each(["kraken.feed", "kraken.exec", "krakenx"], "warning")
    assert out.messages() == [
        "debug from kraken.feed",
        "warning from kraken.feed",
        "warning from kraken.exec",
    ]


def test_critical_passes_even_for_a_section_left_out() -> None:
    out = Console(sections="grid")
    log_each(["risk"], "error")
    log_each(["risk"], "critical")
    assert out.messages() == ["critical from risk"]


def test_loggers_obtained_before_configure_follow_every_reconfiguration() -> None:
    log = get_logger("grid")  # as at module import time
    first = Console(level="error")
    log.info("hidden")
    second = Console(level="debug")
    log.debug("shown")
    assert first.messages() == []
    assert second.messages() == ["shown"]
    assert get_logger("grid") is log


def test_section_names_are_checked_and_lower_cased() -> None:
    assert get_logger("Grid") is get_logger("grid")
    for bad in ["", "a b", "-x", "grid:debug"]:
        with pytest.raises(ValueError, match="log section"):
            get_logger(bad)


def test_bad_whitelist_entries_are_errors_naming_the_entry() -> None:
    with pytest.raises(ValueError, match="grid:loud"):
        parse_sections("grid:loud")
    with pytest.raises(ValueError, match="log section"):
        parse_sections("grid,o m s")
    assert parse_sections(" grid , ,oms:WARN") == {"grid": None, "oms": WARNING}
    assert parse_sections(["grid", "oms:debug"]) == {"grid": None, "oms": 10}


def test_threshold_rules() -> None:
    rules = SectionRules(INFO, parse_sections("grid,*:error"))
    assert rules.threshold("grid") == INFO
    assert rules.threshold("book") == 40
    assert SectionRules(INFO, parse_sections("grid")).threshold("book") == CRITICAL


def test_stdlib_loggers_under_falconet_are_sections_too() -> None:
    out = Console(level="info", sections="config")
    logging.getLogger("falconet.config.loader").info("loaded %d entries", 3)
    logging.getLogger("falconet.config.loader").debug("hidden")
    logging.getLogger("falconet.oms").warning("not whitelisted")
    assert out.sections() == ["config.loader"]
    assert out.messages() == ["loaded 3 entries"]


def test_library_loggers_stay_at_warning_unless_named() -> None:
    out = Console(level="debug")
    lib = logging.getLogger("websockets.client")
    lib.debug("frame")
    lib.info("connected")
    lib.warning("slow pong")
    assert out.sections() == ["websockets"]
    assert out.messages() == ["slow pong"]


def test_a_named_library_follows_the_configured_level() -> None:
    out = Console(level="info", sections="grid,websockets:debug")
    logging.getLogger("websockets.client").debug("frame")
    logging.getLogger("urllib3").warning("retrying")
    assert out.messages() == ["frame"]


def test_shutdown_restores_the_root_logger_level() -> None:
    root = logging.getLogger()
    before = root.level
    Console(level="debug", sections="websockets:debug")
    assert root.level == logging.DEBUG
    shutdown()
    assert root.level == before

"""Level names, the "warn" alias and level filtering."""

from __future__ import annotations

import pytest

from falconet.observe.levels import (
    CRITICAL,
    DEBUG,
    ERROR,
    INFO,
    WARNING,
    level_label,
    level_name,
    parse_level,
)
from falconet.observe.log import get_logger

from .helpers import Console


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("debug", DEBUG),
        ("INFO", INFO),
        ("warning", WARNING),
        ("warn", WARNING),
        (" Warn ", WARNING),
        ("error", ERROR),
        ("Critical", CRITICAL),
        (30, WARNING),
    ],
)
def test_parse_level_accepts_names_any_case_and_the_warn_alias(text: str | int, level: int) -> None:
    assert parse_level(text) == level


@pytest.mark.parametrize("bad", ["verbose", "", "fatal", 25, True])
def test_parse_level_rejects_anything_else_naming_the_choices(bad: str | int) -> None:
    with pytest.raises(ValueError, match="log level"):
        parse_level(bad)


def test_labels_are_five_wide_and_json_names_are_lower_case() -> None:
    assert [level_label(lv) for lv in (DEBUG, INFO, WARNING, ERROR, CRITICAL)] == [
        "DEBUG",
        "INFO ",
        "WARN ",
        "ERROR",
        "CRIT ",
    ]
    assert level_name(WARNING) == "warning"
    # Custom library levels fall onto the standard level below them.
    assert level_name(25) == "info"
    assert level_name(5) == "debug"


def test_info_level_drops_debug_and_keeps_the_rest() -> None:
    out = Console(level="info")
    log = get_logger("grid")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    log.critical("c")
    assert out.messages() == ["i", "w", "e", "c"]


def test_warn_alias_in_configure_filters_at_warning() -> None:
    out = Console(level="warn")
    log = get_logger("grid")
    log.info("i")
    log.warning("w")
    log.log("warn", "w2")
    assert out.messages() == ["w", "w2"]
    assert [line[13:18] for line in out.lines()] == ["WARN ", "WARN "]


def test_debug_level_keeps_everything() -> None:
    out = Console(level="debug")
    log = get_logger("grid")
    log.debug("d")
    log.log(INFO, "i")
    assert out.messages() == ["d", "i"]


def test_enabled_for_follows_the_configured_level() -> None:
    Console(level="warning")
    log = get_logger("grid")
    assert not log.enabled_for("debug")
    assert not log.enabled_for(INFO)
    assert log.enabled_for("warn")
    assert log.enabled_for(CRITICAL)


def test_unknown_level_in_configure_is_an_error() -> None:
    with pytest.raises(ValueError, match="loud"):
        Console(level="loud")

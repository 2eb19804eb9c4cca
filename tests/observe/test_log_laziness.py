"""Disabled calls do no work; enabled calls snapshot their arguments on the spot."""

from __future__ import annotations

import pytest

from falconet.observe.log import get_logger

from .helpers import Console


class Counting:
    """Counts every conversion to text; `explode` makes each one raise instead."""

    def __init__(self, *, explode: bool = False) -> None:
        self.explode = explode
        self.calls = 0

    def _convert(self) -> str:
        self.calls += 1
        if self.explode:
            raise AssertionError("converted to text although the level is disabled")
        return "counted"

    def __str__(self) -> str:
        return self._convert()

    def __repr__(self) -> str:
        return self._convert()

    def __format__(self, spec: str) -> str:
        return self._convert()


def test_disabled_level_never_converts_arguments_or_fields() -> None:
    out = Console(level="info")
    bomb = Counting(explode=True)
    log = get_logger("book")
    log.debug("book %s", bomb, depth=bomb)
    log.debug("book %r %s", bomb, bomb, exc_info=True)
    log.log("debug", "book %s", bomb, depth=bomb)
    assert bomb.calls == 0
    assert out.text() == ""


def test_section_outside_the_whitelist_never_converts_anything() -> None:
    out = Console(level="debug", sections="grid")
    bomb = Counting(explode=True)
    get_logger("book").info("book %s", bomb, depth=bomb)
    get_logger("book").error("book %s", bomb, depth=bomb)
    assert bomb.calls == 0
    assert out.text() == ""


def test_enabled_level_converts_each_value_once() -> None:
    out = Console(level="debug")
    counted = Counting()
    get_logger("book").debug("book %s", counted, depth=counted)
    assert out.messages() == ["book counted depth=counted"]
    assert counted.calls == 2


def test_enabled_for_guards_expensive_fields() -> None:
    Console(level="info")
    log = get_logger("book")
    built = []
    if log.enabled_for("debug"):
        built.append("expensive")
    assert built == []


def test_arguments_are_captured_when_logged_not_when_written() -> None:
    out = Console(level="info")
    levels = [61800]
    get_logger("book").info("levels %s", levels, top=levels)
    levels.append(61801)  # the caller keeps mutating its objects
    assert out.messages() == ["levels [61800] top=[61800]"]


def test_bad_format_arguments_do_not_raise_in_the_caller() -> None:
    out = Console(level="info")
    get_logger("book").info("%d levels", "many")
    get_logger("book").info("%s and %s", "one")
    msgs = out.messages()
    assert msgs[0].startswith("%d levels [arguments not formatted: TypeError")
    assert msgs[1].startswith("%s and %s [arguments not formatted: TypeError")


def test_unprintable_field_is_logged_as_a_placeholder() -> None:
    out = Console(level="info")
    get_logger("book").info("x", bad=Counting(explode=True))
    assert out.messages() == ['x bad="<unprintable Counting: AssertionError>"']


@pytest.mark.parametrize("method", ["debug", "info", "warning", "error", "critical"])
def test_message_with_percent_and_no_arguments_is_left_alone(method: str) -> None:
    out = Console(level="debug")
    getattr(get_logger("grid"), method)("50% filled", pct=50)
    assert out.messages() == ["50% filled pct=50"]

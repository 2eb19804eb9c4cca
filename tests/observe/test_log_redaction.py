"""Registered secrets never reach either output, wherever they hide in a record."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from falconet.observe.log import configure, get_logger, shutdown
from falconet.observe.redact import register_secret

from .helpers import Console, read_jsonl

SECRET = "sk-live-4f9a2c77e1b0"


class Credentials:
    def __str__(self) -> str:
        return f"Credentials(key={SECRET})"


def fail_with_secret() -> None:
    raise PermissionError(f"venue rejected key {SECRET}")


@pytest.fixture
def outputs(tmp_path: Path) -> tuple[io.StringIO, Path]:
    register_secret(SECRET)
    stream = io.StringIO()
    path = tmp_path / "engine.jsonl"
    configure(level="debug", stream=stream, color=True, width=70, json_path=path)
    return stream, path


def log_secret_everywhere() -> None:
    log = get_logger("hyperliquid")
    log.info(f"auth with {SECRET}")
    log.info("auth with %s", SECRET)
    log.debug("creds %s", Credentials())
    log.warning("signed", api_key=SECRET, creds=Credentials())
    log.info("key as a field name", **{SECRET: 1})
    try:
        fail_with_secret()
    except PermissionError:
        log.exception("order rejected")
    try:
        fail_with_secret()
    except PermissionError as exc:
        log.critical("halting", error=str(exc), exc_info=exc)


def test_secret_is_absent_from_console_and_json(outputs: tuple[io.StringIO, Path]) -> None:
    stream, path = outputs
    log_secret_everywhere()
    shutdown()
    console = stream.getvalue()
    jsonl = path.read_text(encoding="utf-8")
    # Fragments too: a wrapped line must not leave half a secret on each line.
    for fragment in (SECRET, SECRET[:12], SECRET[8:]):
        assert fragment not in console
        assert fragment not in jsonl
    assert console.count("***") >= 9
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert records[0]["msg"] == "auth with ***"
    assert records[3]["api_key"] == "***"
    assert records[3]["creds"] == "Credentials(key=***)"
    assert "***" in records[4]
    assert "PermissionError: venue rejected key ***" in records[5]["traceback"]
    assert records[6]["error"] == "venue rejected key ***"


def test_secret_that_json_would_escape_is_still_masked(tmp_path: Path) -> None:
    secret = 'qz"xv\\jk9'
    register_secret(secret)
    path = tmp_path / "e.jsonl"
    out = Console(json_path=path)
    get_logger("kraken").info(f"login {secret}", password=secret)
    assert read_jsonl(path)[0]["msg"] == "login ***"
    assert read_jsonl(path)[0]["password"] == "***"
    for text in (path.read_text(), out.text()):
        assert "qz" not in text
        assert "jk9" not in text


def test_secret_logged_before_configure_is_masked_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    register_secret(SECRET)
    get_logger("config").warning(f"bad key {SECRET}", key=SECRET)
    err = capsys.readouterr().err
    assert SECRET not in err
    assert "bad key *** key=***" in err

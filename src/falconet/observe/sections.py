"""Which sections log, and from which level.

`logging_sections` is a comma-separated whitelist. An entry is a section name, optionally
with its own level (`grid:debug`); `*` stands for every section not named. An entry also
covers its dotted sub-sections (`kraken` covers `kraken.feed`). The empty whitelist lets
every section through at the global level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from falconet.observe.levels import CRITICAL, WARNING, parse_level

ANY = "*"
_SECTION_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def check_section(name: str) -> str:
    """Return `name` lower-cased, or raise ValueError if it cannot be a section name."""
    section = name.strip().lower()
    if not _SECTION_RE.fullmatch(section):
        raise ValueError(
            f"invalid log section {name!r}: use letters, digits, '_', '-' or '.',"
            " starting with a letter or digit"
        )
    return section


def parse_sections(spec: str | Iterable[str]) -> dict[str, int | None]:
    """Parse a whitelist into {section: own level or None}. Raises ValueError on a bad
    entry, naming it."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    parsed: dict[str, int | None] = {}
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        name, sep, level_text = item.partition(":")
        name = name.strip()
        section = ANY if name == ANY else check_section(name)
        level: int | None = None
        if sep:
            try:
                level = parse_level(level_text)
            except ValueError as exc:
                raise ValueError(f"log section entry {item!r}: {exc}") from None
        parsed[section] = level
    return parsed


@dataclass(frozen=True)
class SectionRules:
    """The effective filter: a global level plus the parsed whitelist."""

    level: int
    whitelist: Mapping[str, int | None] = field(default_factory=dict)

    def threshold(self, section: str, *, library: bool = False) -> int:
        """Lowest level written for `section`.

        CRITICAL is always written, even for a section left out of the whitelist: it
        announces that trading stops. Third-party libraries (`library=True`) stay at
        WARNING or above unless the whitelist names them, because their debug and info
        output (every websocket frame, every HTTP connection) would drown the engine's.
        """
        if not self.whitelist:
            return max(self.level, WARNING) if library else self.level
        entry = self._match(section)
        if entry is None:
            return CRITICAL
        own = self.whitelist[entry]
        level = self.level if own is None else own
        if library and entry == ANY:
            level = max(level, WARNING)
        return level

    def lowest(self, *, library: bool = False) -> int:
        """Lowest threshold any section can have: the level stdlib loggers must let
        through for the exact check to see their records."""
        if not self.whitelist:
            return self.threshold("", library=library)
        levels = [
            self.level if own is None else own
            for entry, own in self.whitelist.items()
            if not (library and entry == ANY)
        ]
        if library and ANY in self.whitelist:
            own = self.whitelist[ANY]
            levels.append(max(self.level if own is None else own, WARNING))
        return min(levels, default=CRITICAL)

    def _match(self, section: str) -> str | None:
        # The longest entry wins, so `kraken:info,kraken.feed:debug` does what it says.
        best: str | None = None
        for entry in self.whitelist:
            if entry == ANY:
                continue
            if (section == entry or section.startswith(entry + ".")) and (
                best is None or len(entry) > len(best)
            ):
                best = entry
        if best is None and ANY in self.whitelist:
            return ANY
        return best

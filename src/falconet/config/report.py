"""What `falconet config check` shows: the resolved config, the environment with secrets
masked, one line per runner that would start, and warnings that are not errors."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from enum import Enum

from falconet.config.credentials import missing_credentials
from falconet.config.params import params_to_values
from falconet.config.risk import RiskLimits, RiskSettings
from falconet.config.schema import Config, GcSettings, TradingEntry
from falconet.config.secrets import (
    ENV_VARS,
    IBKR_LIVE_PORT,
    IBKR_PAPER_PORT,
    EnvSettings,
    IbkrMode,
)
from falconet.config.trading import COMMON_FIELDS, applies
from falconet.config.values import DecimalRange
from falconet.core.enums import Venue
from falconet.observe.redact import MASK, redact
from falconet.venues.registry import tradable_venues

_LIMIT_NAMES = frozenset(f.name for f in fields(RiskLimits))
GC_NOTE = "gc: accepted for compatibility with dio configs and ignored (no effect in falconet)"


def dump_json(value: object, indent: str = "") -> str:
    """JSON with objects one key per line and short lists kept on one line
    (`"grid_interval": ["0.25", "1.25"]`), which is how config files are written."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {dump_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        items = [f"{inner}{dump_json(item, inner)}" for item in value]
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    return json.dumps(value)


def _plain(value: object) -> object:
    """JSON-ready form; Decimals become exact strings ("0.0002", never 2E-4)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, DecimalRange):
        return [_plain(value.lo), _plain(value.hi)]
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def entry_to_dict(entry: TradingEntry) -> dict[str, object]:
    """The entry under its config key names, its strategy's keys after `strategy`; keys
    that do not apply to it are left out, and so are a `risk` block and an `account`
    label it does not have."""
    common = {
        field.name: _plain(getattr(entry, field.name))
        for field in COMMON_FIELDS
        if applies(field.name, entry.exchange, entry.strategy)
    }
    head = ("symbol", "exchange", "qty", "strategy")
    out = {k: v for k, v in common.items() if k in head}
    out.update(params_dict(entry))
    out.update({k: v for k, v in common.items() if k not in head})
    if entry.risk is not None:
        out["risk"] = _set_values(entry.risk)
    if entry.account is not None:
        out["account"] = entry.account
    return out


def params_dict(entry: TradingEntry) -> dict[str, object]:
    """The strategy's resolved parameters (defaults filled in) under their config keys."""
    return {k: _plain(v) for k, v in params_to_values(entry.params, entry.exchange).items()}


def resolved_params(config: Config) -> list[dict[str, object]]:
    """Per entry, the parameters its strategy runs with."""
    return [
        {"entry": i, "symbol": e.symbol, "strategy": e.strategy.value, "params": params_dict(e)}
        for i, e in enumerate(config.trading)
    ]


def _set_values(limits: RiskLimits) -> dict[str, object]:
    return {
        f.name: _plain(getattr(limits, f.name))
        for f in fields(limits)
        if getattr(limits, f.name) is not None
    }


def risk_to_dict(risk: RiskSettings) -> dict[str, object]:
    """The engine-wide risk block with every key; null means the rule is off."""
    out: dict[str, object] = {
        f.name: _plain(getattr(risk.limits, f.name)) for f in fields(risk.limits)
    }
    for f in fields(risk):
        if f.name != "limits":
            out[f.name] = _plain(getattr(risk, f.name))
    return out


def resolved_limits(config: Config) -> list[dict[str, object]]:
    """Per entry, the pre-trade limits that apply (engine-wide, overridden by its own)."""
    out: list[dict[str, object]] = []
    for i, entry in enumerate(config.trading):
        limits = config.limits_for(entry)
        row: dict[str, object] = {"entry": i, "symbol": entry.symbol}
        row.update({f.name: _plain(getattr(limits, f.name)) for f in fields(limits)})
        out.append(row)
    return out


def _gc_to_dict(gc: GcSettings) -> dict[str, object]:
    return {f.name: getattr(gc, f.name) for f in fields(gc) if getattr(gc, f.name) is not None}


def config_to_dict(config: Config) -> dict[str, object]:
    """The resolved config with every default filled in, under the file's key names."""
    out: dict[str, object] = {
        "logging_level": config.logging_level.value,
        "logging_sections": ",".join(config.logging_sections),
        "logging_width": config.logging_width,
        "cycle_mod": config.cycle_mod,
        "fng_check_threshold": _plain(config.fng_check_threshold),
        "latency_window_seconds": config.latency_window_seconds,
    }
    if config.gc is not None:
        out["gc"] = _gc_to_dict(config.gc)
    out["trading"] = [entry_to_dict(entry) for entry in config.trading]
    out["risk"] = risk_to_dict(config.risk)
    return out


def env_to_dict(env: EnvSettings) -> dict[str, object]:
    """Every variable falconet reads: secrets as `***`, unset ones as None, defaults resolved."""
    resolved: dict[str, object] = {
        "IBKR_GATEWAY_HOST": env.ibkr.gateway_host,
        "IBKR_GATEWAY_PORT": env.ibkr.gateway_port,
        "IBKR_TRADING_MODE": env.ibkr.trading_mode.value,
        "IBKR_CLIENT_ID": env.ibkr.client_id,
        "FALCONET_DATA_DIR": str(env.data_dir),
        "HYPERLIQUID_WALLET_ADDRESS": env.hyperliquid.wallet_address,
        "HYPERLIQUID_AGENT_ADDRESS": env.hyperliquid.agent_address,
        "HYPERLIQUID_VAULT_ADDRESS": env.hyperliquid.vault_address,
        "HYPERLIQUID_BASE_URL": env.hyperliquid.base_url,
        "IBKR_ACCOUNT_ID": env.ibkr.account_id,
        "LIGHTER_API_KEY_INDEX": env.lighter.api_key_index,
        "LIGHTER_ACCOUNT_INDEX": env.lighter.account_index,
        "LIGHTER_SIGNER_LIB_PATH": env.lighter.signer_lib_path,
        "LIGHTER_PROXY_URL": ",".join(env.lighter.proxy_urls) or None,
    }
    out: dict[str, object] = {}
    for var in ENV_VARS:
        if var.secret:
            out[var.name] = MASK if env.is_set(var.name) else None
        else:
            out[var.name] = resolved.get(var.name)
    return out


def entry_mode(entry: TradingEntry, env: EnvSettings) -> str:
    """Where the entry's orders would go: live, testnet, paper or simulated."""
    if entry.exchange is Venue.PAPER:
        return "simulated"
    if entry.exchange is Venue.IBKR:
        # The gateway's mode decides; a live gateway trades live whatever the entry says.
        return env.for_account(entry.account).ibkr.trading_mode.value
    if entry.testnet:
        return "paper" if entry.exchange is Venue.ALPACA else "testnet"
    return "live"


@dataclass(frozen=True)
class RunLine:
    index: int
    symbol: str
    exchange: str
    strategy: str
    qty: str
    interval: str  # percent, "lo-hi"; "-" when the strategy has none
    mode: str
    extras: str
    this_version: str  # "yes", or "not yet": no adapter for the venue in this version

    @classmethod
    def of(cls, index: int, entry: TradingEntry, env: EnvSettings) -> RunLine:
        interval = "-"
        if (spacing := entry.params.interval()) is not None:
            interval = f"{_span(spacing)}%"
        extras = ["hedge"] if entry.hedge else []
        extras += entry.params.highlights()
        return cls(
            index,
            entry.symbol,
            # the account too, when it is a labelled one: two rows may differ only by it
            entry.exchange.value + (f":{entry.account}" if entry.account else ""),
            entry.strategy.value,
            format(entry.qty, "f"),
            interval,
            entry_mode(entry, env),
            ", ".join(extras),
            "yes" if entry.exchange in tradable_venues() else "not yet",
        )


def untradable_warning(config: Config) -> list[str]:
    venues = dict.fromkeys(
        e.exchange.value for e in config.trading if e.exchange not in tradable_venues()
    )
    if not venues:
        return []
    return [
        f"this version cannot trade {', '.join(venues)} yet: `falconet run` refuses these "
        "entries; `falconet run --paper` paper-trades them on the simulated venue"
    ]


def _labelled_url_warnings(config: Config, env: EnvSettings) -> list[str]:
    """A labelled account does not inherit HYPERLIQUID_BASE_URL: with only the plain one
    set (an emulator, say), it would go to the network its entries name."""
    if not env.is_set("HYPERLIQUID_BASE_URL"):
        return []
    labels = dict.fromkeys(
        e.account for e in config.trading if e.account and e.exchange is Venue.HYPERLIQUID
    )
    return [
        f"HYPERLIQUID_BASE_URL is set but HYPERLIQUID_BASE_URL_{label} is not: account "
        f"{label} uses the network its entries name, not that URL"
        for label in labels
        if label and env.for_account(label).hyperliquid.base_url is None
    ]


def config_warnings(config: Config, env: EnvSettings) -> list[str]:
    warnings = untradable_warning(config)
    warnings += [gap.describe(config) for gap in missing_credentials(config, env)]
    if not config.trading:
        warnings.append("trading is empty: nothing would run")
    warnings += _labelled_url_warnings(config, env)
    ibkr = [i for i, e in enumerate(config.trading) if e.exchange is Venue.IBKR]
    live = env.ibkr.trading_mode is IbkrMode.LIVE
    for i in ibkr:
        if live and config.trading[i].testnet:
            warnings.append(
                f"trading[{i}]: testnet is true but IBKR_TRADING_MODE=live; "
                "the gateway decides, so this entry would trade live"
            )
    if ibkr and env.is_set("IBKR_GATEWAY_PORT"):
        expected = IBKR_LIVE_PORT if live else IBKR_PAPER_PORT
        other = IBKR_PAPER_PORT if live else IBKR_LIVE_PORT
        if env.ibkr.gateway_port == other:
            warnings.append(
                f"IBKR_GATEWAY_PORT={other} is the {'paper' if live else 'live'} gateway's "
                f"usual port but IBKR_TRADING_MODE={env.ibkr.trading_mode.value} "
                f"(usual port {expected})"
            )
    for name in env.unrecognised_with(e.account for e in config.trading if e.account):
        warnings.append(f"{name} is set but falconet does not read it (misspelt?)")
    return warnings


@dataclass(frozen=True)
class CheckReport:
    config: Config
    env: EnvSettings

    @property
    def runs(self) -> list[RunLine]:
        return [RunLine.of(i, e, self.env) for i, e in enumerate(self.config.trading)]

    @property
    def notes(self) -> list[str]:
        return [GC_NOTE] if "gc" in self.config.ignored_keys else []

    @property
    def warnings(self) -> list[str]:
        return config_warnings(self.config, self.env)

    def to_json(self) -> str:
        doc = {
            "file": self.config.source,
            "valid": True,
            "config": config_to_dict(self.config),
            "ignored": list(self.config.ignored_keys),
            "environment": env_to_dict(self.env),
            "runs": [asdict(run) for run in self.runs],
            "strategy_params": resolved_params(self.config),
            "risk_limits": resolved_limits(self.config),
            "notes": self.notes,
            "warnings": self.warnings,
        }
        return redact(dump_json(doc))

    def to_text(self) -> str:
        count = len(self.config.trading)
        entries = f"{count} trading {'entry' if count == 1 else 'entries'}"
        lines = [f"{self.config.source}: valid, {entries}", ""]
        lines.append("resolved config:")
        lines.append(dump_json(config_to_dict(self.config)))
        lines += ["", "environment:"]
        env = env_to_dict(self.env)
        width = max(len(name) for name in env)
        for name, value in env.items():
            origin = self.env.origins.get(name) or ("default" if value is not None else "")
            shown = "(not set)" if value is None else str(value)
            suffix = f"  [{origin}]" if origin else ""
            lines.append(f"  {name:<{width}}  {shown}{suffix}")
        lines += ["", "would run:"]
        lines += _table(self.runs) if self.runs else ["  nothing"]
        if self.config.trading:
            lines += ["", "strategy parameters (defaults filled in):", *_params_lines(self.config)]
        lines += ["", "risk limits (off unless shown):", *_risk_lines(self.config)]
        for title, items in (("notes:", self.notes), ("warnings:", self.warnings)):
            if items:
                lines += ["", title, *(f"  {item}" for item in items)]
        return redact("\n".join(lines))


def _span(value: DecimalRange) -> str:
    lo, hi = (format(v, "f") for v in value)
    return lo if lo == hi else f"{lo}-{hi}"


def _shown(value: object) -> str:
    if isinstance(value, DecimalRange):
        return _span(value)
    if isinstance(value, bool):
        return json.dumps(value)
    return "none" if value is None else str(_plain(value))


def _params_lines(config: Config) -> list[str]:
    lines = []
    for i, entry in enumerate(config.trading):
        values = params_to_values(entry.params, entry.exchange)
        shown = ", ".join(f"{k} {_shown(v)}" for k, v in values.items())
        lines.append(f"  #{i} {entry.symbol} {entry.strategy.value}: {shown or 'none'}")
    return lines


def _risk_lines(config: Config) -> list[str]:
    r = config.risk
    engine = {k: v for k, v in risk_to_dict(r).items() if v is not None and k not in _LIMIT_NAMES}
    if r.max_daily_loss is None and r.max_drawdown is None:
        del engine["loss_action"]  # acts on nothing
    if not r.flatten_on_kill:
        del engine["flatten_on_kill"]
    shown = ", ".join(
        f"{k} {json.dumps(v) if isinstance(v, bool) else v}" for k, v in engine.items()
    )
    lines = [f"  engine: {shown or 'none'}"]
    for row in resolved_limits(config):
        set_ = ", ".join(f"{k} {v}" for k, v in row.items() if k in _LIMIT_NAMES and v is not None)
        lines.append(f"  #{row['entry']} {row['symbol']}: {set_ or 'none'}")
    return lines


def _table(runs: list[RunLine]) -> list[str]:
    header = ("#", "symbol", "exchange", "strategy", "qty", "interval", "mode", "tradable", "")
    rows = [
        (
            str(r.index), r.symbol, r.exchange, r.strategy, r.qty, r.interval, r.mode,
            r.this_version, r.extras,
        )
        for r in runs
    ]  # fmt: skip
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    return [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]

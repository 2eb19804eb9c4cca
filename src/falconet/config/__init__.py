"""Configuration: the strict `config.json` schema and credentials from the environment.

config = load_config("config.json")        # raises ConfigError naming file and field
env = load_env_settings()                   # os.environ over ./.env; secrets masked
gaps = missing_credentials(config, env)     # venues that could not trade live
"""

from falconet.config.credentials import LIVE_CREDENTIALS, CredentialGap, missing_credentials
from falconet.config.environment import load_env_settings
from falconet.config.loader import load_config, parse_config_text
from falconet.config.problems import InvalidConfigError
from falconet.config.report import CheckReport, config_to_dict, env_to_dict
from falconet.config.schema import (
    TRADING_VENUES,
    Config,
    DataFeed,
    GcSettings,
    LogLevel,
    Strategy,
    StrategyParams,
    TradingEntry,
)
from falconet.config.secrets import (
    ENV_VARS,
    AlpacaEnv,
    EnvSettings,
    HyperliquidEnv,
    IbkrEnv,
    IbkrMode,
    KrakenEnv,
    LighterEnv,
    Secret,
)
from falconet.config.sections import parse_config
from falconet.config.values import DecimalRange
from falconet.core.errors import ConfigError

__all__ = [
    "ENV_VARS",
    "LIVE_CREDENTIALS",
    "TRADING_VENUES",
    "AlpacaEnv",
    "CheckReport",
    "Config",
    "ConfigError",
    "CredentialGap",
    "DataFeed",
    "DecimalRange",
    "EnvSettings",
    "GcSettings",
    "HyperliquidEnv",
    "IbkrEnv",
    "IbkrMode",
    "InvalidConfigError",
    "KrakenEnv",
    "LighterEnv",
    "LogLevel",
    "Secret",
    "Strategy",
    "StrategyParams",
    "TradingEntry",
    "config_to_dict",
    "env_to_dict",
    "load_config",
    "load_env_settings",
    "missing_credentials",
    "parse_config",
    "parse_config_text",
]

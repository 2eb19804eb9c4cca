"""`falconet config check FILE`: validate a config and show what it would run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from falconet.config.environment import load_env_settings
from falconet.config.loader import load_config
from falconet.config.problems import InvalidConfigError
from falconet.config.report import CheckReport
from falconet.config.schema import Config
from falconet.config.secrets import EnvSettings
from falconet.observe.redact import redact

EXIT_OK = 0
EXIT_INVALID = 1
DEFAULT_ENV_FILE = ".env"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = sub.add_parser(
        "config",
        help="validate configuration",
        description="Inspect and validate falconet configuration.",
    )
    commands = config.add_subparsers(dest="config_command", metavar="SUBCOMMAND", required=True)
    check = commands.add_parser(
        "check",
        help="validate a config file and show what would run",
        description=(
            "Validate FILE and the credentials in the environment and .env, then print the "
            "resolved config (defaults filled in, secrets masked) and one line per trading "
            "entry. Exit status: 0 valid, 1 invalid (one line per problem on stderr)."
        ),
    )
    check.add_argument(
        "file", metavar="FILE", help="config file (JSON; dio config files are accepted)"
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--env-file",
        metavar="PATH",
        help=f"dotenv file with credentials (default: {DEFAULT_ENV_FILE} in the current "
        "directory, if present); variables already set in the environment win",
    )
    check.set_defaults(func=run_check)


def _load(args: argparse.Namespace) -> tuple[Config | None, EnvSettings | None, list[str]]:
    problems: list[str] = []
    env = config = None
    env_file = args.env_file or DEFAULT_ENV_FILE
    if args.env_file and not Path(args.env_file).is_file():
        problems.append(f"{args.env_file}: env file not found")
    # Credentials first: they are registered for masking before any config message is built.
    try:
        env = load_env_settings(dotenv_path=env_file)
    except InvalidConfigError as exc:
        problems += exc.lines
    try:
        config = load_config(args.file)
    except InvalidConfigError as exc:
        problems += exc.lines
    return config, env, problems


def run_check(args: argparse.Namespace) -> int:
    config, env, problems = _load(args)
    if problems or config is None or env is None:
        for line in problems:
            print(f"falconet: error: {redact(line)}", file=sys.stderr)
        if args.json:
            doc = {"file": args.file, "valid": False, "errors": problems}
            print(redact(json.dumps(doc, indent=2)))
        return EXIT_INVALID
    report = CheckReport(config, env)
    print(report.to_json() if args.json else report.to_text())
    return EXIT_OK

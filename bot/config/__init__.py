"""Loading config.yaml: one typed, strict schema; every problem reported with its key path.

`load_config(path)` returns a `LoadedConfig` (the validated `Config`, the folder it came from, the
database URL after the environment override, and the secrets from the environment) or raises
`ConfigError` carrying every problem as `(path, reason)`.
"""
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.config.references import reference_problems
from bot.config.schema import Config
from bot.config.secrets import SECRET_KEYS, FeishuSecrets, load_secrets
from bot.config.sources import SOURCE_KINDS
from bot.errors import ConfigError

DEFAULT_PATH = "config.yaml"
DATABASE_URL_ENV = "YUQING_DATABASE_URL"

__all__ = ["Config", "ConfigError", "LoadedConfig", "load_config", "parse_config", "DEFAULT_PATH"]


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    base_dir: Path
    database_url: str
    secrets: FeishuSecrets

    def resolve_path(self, path: str) -> Path:
        """A path from the config, taken relative to the folder config.yaml is in."""
        p = Path(path)
        return p if p.is_absolute() else self.base_dir / p


def _format_loc(loc: tuple) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        # pydantic puts the tag of a tagged union into the location: sources[2].rss.url → sources[2].url
        if i > 0 and isinstance(loc[i - 1], int) and part in SOURCE_KINDS:
            continue
        # a model_validator's error carries its own sub-path in the message, not in loc
        if part == "__root__":
            continue
        out += f".{part}" if out else str(part)
    return out or "(top level)"


def _reason(err: dict) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        name = str(err["loc"][-1]) if err["loc"] else ""
        if name in SECRET_KEYS:
            return f"secrets are not read from the file; set {SECRET_KEYS[name]} in the environment"
        return "unknown key"
    source_kind = err["loc"][:1] == ("sources",) and err["loc"][-1:] == ("kind",)
    if kind == "union_tag_invalid" or (kind == "literal_error" and source_kind):
        value = err["input"].get("kind") if isinstance(err["input"], dict) else err["input"]
        return f"unknown kind {value!r}, use one of {', '.join(SOURCE_KINDS)}"
    if kind == "union_tag_not_found" or (kind == "missing" and source_kind):
        return f"required: one of {', '.join(SOURCE_KINDS)}"
    if kind == "missing":
        return "required"
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        path = _format_loc(tuple(err["loc"]))
        reason = _reason(dict(err))
        if err["type"].startswith("union_tag"):
            path += ".kind"
        # validators that check across keys name the key themselves: "routes.重大: ..."
        if err["type"] == "value_error" and ": " in reason and not reason.startswith(" "):
            head, _, rest = reason.partition(": ")
            if " " not in head:
                path, reason = (f"{path}.{head}" if path != "(top level)" else head), rest
        problems.append((path, reason))
    return problems


def parse_config(data: object) -> Config:
    """Validate an already-loaded YAML document; raise ConfigError with every problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([("(top level)", "must be a mapping of keys to values")])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems(exc)) from None
    problems = reference_problems(config)
    if problems:
        raise ConfigError(problems)
    return config


def load_config(path: str | os.PathLike = DEFAULT_PATH, env: dict[str, str] | None = None) -> LoadedConfig:
    """Read, parse and validate config.yaml; the environment supplies secrets and may override the database URL."""
    env = dict(os.environ) if env is None else env
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([(str(p), "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([(str(p), f"cannot read: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([(str(p), f"not valid YAML at {where}: {problem}")]) from None
    config = parse_config(data)
    url = env.get(DATABASE_URL_ENV) or config.database.url
    base_dir = p.resolve().parent
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        # a relative SQLite file lives beside config.yaml, not wherever the process was started
        url = f"sqlite:///{base_dir / url[len('sqlite:///'):]}"
    return LoadedConfig(config=config, base_dir=base_dir, database_url=url, secrets=load_secrets(env))

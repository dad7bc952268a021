"""What `yuqing check-config` checks beyond the schema: the machine the config will run on.

Paths exist, the environment variables the config names are set, the database URL's driver is installed,
and the file holds no database password. Each finding is `(key path, sentence, severity)`; with `offline`
(checking a config meant for another machine) the environment-dependent ones are warnings, not errors.
"""
import os
import re
from dataclasses import dataclass
from typing import Literal

from bot.config import LoadedConfig
from bot.config.references import brand_route_problems
from bot.config.sources import FileSource, RssSource, WebhookSource

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Finding:
    path: str
    reason: str
    severity: Literal["error", "warning"] = "error"


def _env_refs(value: object, path: str) -> list[tuple[str, str]]:
    """(key path, variable) for every ${VAR} in the strings of a nested value."""
    if isinstance(value, str):
        return [(path, name) for name in ENV_REF.findall(value)]
    if isinstance(value, dict):
        return [ref for k, v in value.items() for ref in _env_refs(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [ref for i, v in enumerate(value) for ref in _env_refs(v, f"{path}[{i}]")]
    return []


def _driver_problem(url: str) -> str | None:
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"{url.split('://', 1)[0]}://… is not a database URL SQLAlchemy can read"
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        return f"no SQLAlchemy dialect for {parsed.drivername!r}; use sqlite:/// or postgresql+psycopg://"
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        return f"{parsed.get_backend_name()} is not supported; use sqlite:/// or postgresql+psycopg://"
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        return f"the driver for {parsed.drivername!r} is not installed ({exc.name or exc}); use postgresql+psycopg://"
    return None


def environment_findings(loaded: LoadedConfig, env: dict[str, str] | None = None,
                         offline: bool = False) -> list[Finding]:
    env = dict(os.environ) if env is None else env
    config = loaded.config
    level: Literal["error", "warning"] = "warning" if offline else "error"
    found = [Finding(path, reason) for path, reason in brand_route_problems(config)]
    for i, spec in enumerate(config.sources):
        where = f"sources[{i}]"
        if isinstance(spec, (RssSource, FileSource)) and spec.path is not None:
            path = loaded.resolve_path(spec.path)
            want_dir = isinstance(spec, FileSource)
            if not path.exists():
                found.append(Finding(f"{where}.path", f"{path} does not exist", level))
            elif want_dir and not path.is_dir():
                found.append(Finding(f"{where}.path", f"{path} is not a folder", level))
            elif not want_dir and not path.is_file():
                found.append(Finding(f"{where}.path", f"{path} is not a file", level))
        if isinstance(spec, WebhookSource) and not env.get(spec.token_env):
            found.append(Finding(f"{where}.token_env", f"environment variable {spec.token_env} is not set, so "
                                                       f"pushes to /ingest/{spec.name} are refused", level))
        for path_, name in _env_refs(spec.model_dump(exclude={"name", "kind"}), where):
            if not env.get(name):
                found.append(Finding(path_, f"environment variable {name} (from ${{{name}}}) is not set", level))
    problem = _driver_problem(loaded.database_url)
    if problem:
        from_env = env.get("YUQING_DATABASE_URL")
        found.append(Finding("YUQING_DATABASE_URL" if from_env else "database.url", problem))
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(config.database.url).password
    except ArgumentError:
        password = None
    if password:
        found.append(Finding("database.url", "holds a password; leave it out of the file and set "
                                             "YUQING_DATABASE_URL (or PGPASSWORD / ~/.pgpass) in the environment"))
    return found

"""Checks across keys that one model cannot make alone: every chat name a key refers to resolves, names are
unique, and (for check-config) every brand_routes brand is a configured brand.

Each problem is `(key path, reason)`, all of them at once (load_config raises them together).
"""
from bot.config.schema import Config


def _unique(kind: str, names: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    problems = []
    for path, name in names:
        if name in seen:
            problems.append((path, f"{kind} name {name!r} is already used by {seen[name]}"))
        else:
            seen[name] = path
    return problems


def reference_problems(config: Config) -> list[tuple[str, str]]:
    a = config.alerting
    problems: list[tuple[str, str]] = []
    problems += _unique("source", [(f"sources[{i}].name", s.name) for i, s in enumerate(config.sources)])
    problems += _unique("brand", [(f"brands[{i}].name", b.name) for i, b in enumerate(config.brands)])

    def chat(path: str, name: str | None) -> None:
        if name is not None and name not in a.chats:
            known = ", ".join(sorted(a.chats)) or "none defined"
            problems.append((path, f"chat {name!r} is not defined under alerting.chats ({known})"))

    for key, names in a.routes.items():
        for i, name in enumerate(names):
            chat(f"alerting.routes.{key}[{i}]", name)
    for brand, routes in a.brand_routes.items():
        for key, names in routes.items():
            for i, name in enumerate(names):
                chat(f"alerting.brand_routes.{brand}.{key}[{i}]", name)
    chat("scan.ops_chat", config.scan.ops_chat)
    chat("response.digest.chat", config.response.digest.chat)
    return problems


def brand_route_problems(config: Config) -> list[tuple[str, str]]:
    """brand_routes naming no configured brand: harmless at run time (the route is never taken), so only
    `check-config` reports it."""
    brands = {b.name for b in config.brands}
    return [(f"alerting.brand_routes.{brand}",
             f"brand {brand!r} is not one of brands[].name ({', '.join(sorted(brands)) or 'none'}), so this route "
             f"is never taken")
            for brand in config.alerting.brand_routes if brand not in brands]

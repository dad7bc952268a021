"""The command registry: every chat command, its Chinese alias, arguments, required role and help.

A CommandSpec pairs a parser (text → typed arguments, UsageError on bad input) with a handler
(Context + arguments → Reply). Registration order is the order of /help.
"""
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.config.team import Role
from handlers.context import Context, Reply

Parser = Callable[[Context, str], Any]
Handler = Callable[[Context, Any], Reply]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    aliases: tuple[str, ...]
    args: str  # as shown in the usage line, e.g. "ID @成员"
    min_role: Role | None  # None: anyone in the chat
    help: str
    parse: Parser
    run: Handler

    @property
    def usage(self) -> str:
        alias = f"（{' / '.join(self.aliases)}）" if self.aliases else ""
        return f"/{self.name}{' ' + self.args if self.args else ''}{alias}"


class Registry:
    def __init__(self) -> None:
        self._specs: list[CommandSpec] = []
        self._by_word: dict[str, CommandSpec] = {}

    def register(self, spec: CommandSpec) -> CommandSpec:
        for word in (spec.name, *spec.aliases):
            if word.lower() in self._by_word:
                raise ValueError(f"command word {word!r} registered twice")
            self._by_word[word.lower()] = spec
        self._specs.append(spec)
        return spec

    @property
    def specs(self) -> list[CommandSpec]:
        return list(self._specs)

    def lookup(self, word: str) -> CommandSpec | None:
        return self._by_word.get(word.lower())

    def suggest(self, word: str) -> CommandSpec | None:
        """The command the user most likely meant, for "did you mean"."""
        close = difflib.get_close_matches(word.lower(), list(self._by_word), n=1, cutoff=0.5)
        return self._by_word[close[0]] if close else None

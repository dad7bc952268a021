"""The project's exceptions, in one place.

    YuqingError
    ├── ConfigError          config.yaml is unreadable or invalid: carries every (key path, reason)
    ├── SourceError          a source could not be fetched or parsed: carries the source name
    └── DeliveryError        a message could not be handed to Feishu
"""


class YuqingError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigError(YuqingError):
    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {r}" for p, r in problems))

    def render(self) -> str:
        """One line per problem, `key.path: reason`."""
        return "\n".join(f"{p}: {r}" for p, r in self.problems)


class SourceError(YuqingError):
    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"source {source}: {reason}")


class DeliveryError(YuqingError):
    """A delivery could not be handed to Feishu."""

"""Config of where alerts go: named chats and the routes from grade to chats."""
from pydantic import Field, model_validator

from bot.config.base import Strict

GRADES = ("轻微", "一般", "重大")


class AlertingConfig(Strict):
    """Named Feishu chats (name → chat_id) and routes (grade or `default` → chat names)."""

    chats: dict[str, str] = {}
    routes: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _routes_name_known_chats(self) -> "AlertingConfig":
        for key, names in self.routes.items():
            if key != "default" and key not in GRADES:
                raise ValueError(f"routes.{key}: unknown route, use default or one of {', '.join(GRADES)}")
            for name in names:
                if name not in self.chats:
                    raise ValueError(f"routes.{key}: chat {name!r} is not defined under alerting.chats")
        return self

    def chat_ids_for(self, grade: str | None) -> list[str]:
        """The chat ids a message of this grade goes to (the default route when the grade has none)."""
        names = self.routes.get(grade or "", None) or self.routes.get("default", [])
        return [self.chats[n] for n in names]

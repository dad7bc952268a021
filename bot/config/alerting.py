"""Config of alerting: named chats, routes from grade (and brand) to chats, who is @-mentioned, the response
playbook per grade, and the storm-control timings. Defaults are documented once, in config.yaml."""
import re

from pydantic import Field, model_validator

from bot.config.base import OPEN_ID, Strict
from bot.grades import NAMES

GRADES = NAMES
# only config-sourced Feishu open_ids of this shape ever become an <at> in a card

DEFAULT_PLAYBOOK = {
    "重大": ["1 小时内完成研判", "2 小时内发布官方声明", "拉通公关、法务、业务、技术共同处置"],
    "一般": ["公关团队研判", "在相关平台回应、跟进"],
    "轻微": ["客服跟进回复用户"],
}


class AlertingConfig(Strict):
    """Where alerts go and how often; see config.yaml for each key's meaning and default."""

    chats: dict[str, str] = {}
    routes: dict[str, list[str]] = Field(default_factory=dict)
    brand_routes: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    on_call: list[str] = Field(default_factory=list)
    leads: list[str] = Field(default_factory=list)
    mention_grades: list[str] = Field(default_factory=lambda: ["一般", "重大"])
    playbook: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_PLAYBOOK))
    group_wait: int = Field(default=30, ge=0, le=3600)
    group_interval: int = Field(default=60, ge=1, le=86400)
    repeat_interval: int = Field(default=1800, ge=0)
    burst_items: int = Field(default=20, ge=1)
    chat_rate: float = Field(default=3.0, gt=0, le=5)
    chat_burst: int = Field(default=3, ge=1, le=5)
    max_age_hours: float = Field(default=72, gt=0)

    @model_validator(mode="after")
    def _check(self) -> "AlertingConfig":
        tables = [("routes", self.routes)] + [(f"brand_routes.{b}", r) for b, r in self.brand_routes.items()]
        for where, routes in tables:
            for key, names in routes.items():
                if key != "default" and key not in GRADES:
                    raise ValueError(f"{where}.{key}: unknown route, use default or one of {', '.join(GRADES)}")
        # chat names are resolved in bot.config.references, which reports every unknown one
        for key in ("on_call", "leads"):
            for i, open_id in enumerate(getattr(self, key)):
                if not re.fullmatch(OPEN_ID, open_id):
                    raise ValueError(f"{key}[{i}]: {open_id!r} is not a Feishu open_id (ou_…)")
        for key in ("mention_grades", "playbook"):
            unknown = [g for g in getattr(self, key) if g not in GRADES]
            if unknown:
                raise ValueError(f"{key}: unknown grade {unknown[0]!r}, use {', '.join(GRADES)}")
        return self

    def chat_ids_for(self, grade: str | None, brand: str | None = None) -> list[str]:
        """The chat ids a message of this grade (and brand) goes to; see bot.alerting.routing."""
        routes = self.brand_routes.get(brand or "", {})
        names = routes.get(grade or "") or routes.get("default") or self.routes.get(grade or "") \
            or self.routes.get("default", [])
        return [self.chats[n] for n in names]

    def steps_for(self, grade: str | None) -> list[str]:
        """The response playbook of a grade (the configured one, else the response plan's default)."""
        if not grade:
            return []
        return list(self.playbook.get(grade) or DEFAULT_PLAYBOOK.get(grade, []))

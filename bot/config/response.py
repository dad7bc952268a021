"""Config of response discipline (`response:`): the on-call rota, working hours, deadlines per grade,
escalation intervals, the daily digest and follow-up tracking. Defaults follow the response plan and are
documented in config.yaml."""
from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from bot.config.base import OPEN_ID, Strict
from bot.config.team import GRADES

# only open_ids of this shape ever become an @-mention (the same rule as alerting.on_call)
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
OpenId = Annotated[str, Field(pattern=OPEN_ID)]


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class RotaMember(Strict):
    open_id: str = Field(pattern=OPEN_ID)
    name: str = Field(min_length=1)


class RotaOverride(Strict):
    """`member` is on call from `start` at the hand-over time until the hand-over after `end` (dates inclusive)."""

    start: date
    end: date
    member: str = Field(pattern=OPEN_ID)
    name: str | None = None

    @model_validator(mode="after")
    def _order(self) -> "RotaOverride":
        if self.end < self.start:
            raise ValueError("end: must not be before start")
        return self


class RotaConfig(Strict):
    rotation: Literal["daily", "weekly"] = "weekly"
    handover: str = Field(default="09:00", pattern=HHMM)
    # the first member's first shift starts on this date at the hand-over time (2024-01-01 is a Monday)
    start: date = date(2024, 1, 1)
    members: list[RotaMember] = []
    backup: str | None = Field(default=None, pattern=OPEN_ID)
    leads: list[OpenId] = []  # null/empty: alerting.leads
    overrides: list[RotaOverride] = []

    @model_validator(mode="after")
    def _unique(self) -> "RotaConfig":
        seen: set[str] = set()
        for i, m in enumerate(self.members):
            if m.open_id in seen:
                raise ValueError(f"members[{i}].open_id: duplicate {m.open_id!r}")
            seen.add(m.open_id)
        return self


class WorkingHours(Strict):
    days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5], min_length=1)  # ISO weekdays, Monday = 1
    start: str = Field(default="09:00", pattern=HHMM)
    end: str = Field(default="18:00", pattern=HHMM)
    holidays: list[date] = []

    @model_validator(mode="after")
    def _check(self) -> "WorkingHours":
        if any(d < 1 or d > 7 for d in self.days):
            raise ValueError("days: use ISO weekdays 1 (Monday) … 7 (Sunday)")
        if parse_hhmm(self.end) <= parse_hhmm(self.start):
            raise ValueError("end: must be after start")
        return self


class GradeDeadlines(Strict):
    """Minutes from detection (or from reaching the grade) to each response step; null: no such deadline."""

    ack: int | None = Field(default=None, gt=0)
    assess: int | None = Field(default=None, gt=0)
    statement: int | None = Field(default=None, gt=0)
    working_hours: bool = False  # count only working minutes (response.working_hours)


DEFAULT_DEADLINES = {
    "重大": GradeDeadlines(ack=15, assess=60, statement=120),
    "一般": GradeDeadlines(ack=60),
    "轻微": GradeDeadlines(ack=240, working_hours=True),
}


UrgentKind = Literal["none", "app", "sms", "phone"]
DEFAULT_URGENT: tuple[UrgentKind, ...] = ("app", "app", "app")


class EscalationConfig(Strict):
    # minutes after a missed ack deadline: 1st @ the on-call again, 2nd the backup, 3rd the lead(s)
    ack_steps: list[int] = Field(default_factory=lambda: [0, 10, 20], min_length=1, max_length=3)
    # minutes after a missed assessment / statement deadline: 1st the owner (or on-call), 2nd the lead(s)
    reminder_steps: list[int] = Field(default_factory=lambda: [0, 10], min_length=1, max_length=2)
    # Feishu's urgent notification (加急) per ack step, for 重大 incidents nobody acknowledged:
    # none | app (in the Feishu app) | sms | phone (sms and phone need the tenant's permission and cost money)
    urgent: list[UrgentKind] = Field(default_factory=lambda: list(DEFAULT_URGENT), max_length=3)

    @model_validator(mode="after")
    def _urgent_steps(self) -> "EscalationConfig":
        if len(self.urgent) > len(self.ack_steps):
            raise ValueError(f"urgent: {len(self.urgent)} entries for {len(self.ack_steps)} ack_steps")
        return self

    @field_validator("ack_steps", "reminder_steps")
    @classmethod
    def _ascending(cls, v: list[int]) -> list[int]:
        if any(m < 0 for m in v) or v != sorted(v):
            raise ValueError("minutes must be zero or more, in ascending order")
        return v


class DigestConfig(Strict):
    enabled: bool = True
    time: str = Field(default="09:00", pattern=HHMM)
    chat: str | None = None  # a name under alerting.chats; null: the first chat of alerting.routes.default


class FollowUpConfig(Strict):
    """持续监控: thread updates while an incident is open and for a while after it is resolved."""

    enabled: bool = True
    interval_minutes: int = Field(default=60, ge=5)       # one update per interval, only when something is new
    after_resolve_hours: int = Field(default=24, ge=0)    # keep watching this long after 已解决
    resurgence_items: int = Field(default=5, ge=1)        # this many new items after resolution …
    resurgence_window_hours: int = Field(default=2, ge=1)  # … within this window reopen the incident


class ResponseConfig(Strict):
    timezone: str = "Asia/Shanghai"
    rota: RotaConfig = RotaConfig()
    working_hours: WorkingHours = WorkingHours()
    deadlines: dict[str, GradeDeadlines] = Field(default_factory=lambda: dict(DEFAULT_DEADLINES))
    escalation: EscalationConfig = EscalationConfig()
    digest: DigestConfig = DigestConfig()
    follow_up: FollowUpConfig = FollowUpConfig()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Asia/Shanghai)") from None
        return v

    @field_validator("deadlines")
    @classmethod
    def _deadlines(cls, v: dict[str, GradeDeadlines]) -> dict[str, GradeDeadlines]:
        unknown = [g for g in v if g not in GRADES]
        if unknown:
            raise ValueError(f"unknown grade {unknown[0]!r}, use {', '.join(GRADES)}")
        return {**DEFAULT_DEADLINES, **v}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

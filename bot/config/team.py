"""Config of the response team: members by Feishu open_id, with roles (deadlines live under `response.deadlines`)."""
from enum import StrEnum

from pydantic import Field, model_validator

from bot.config.base import Strict
from bot.grades import NAMES

GRADES = NAMES


class Role(StrEnum):
    """What a member may do: responders act on incidents, leads also regrade and silence, admins all."""

    RESPONDER = "responder"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    def allows(self, needed: "Role") -> bool:
        return self.rank >= needed.rank


_RANK = {Role.RESPONDER: 1, Role.LEAD: 2, Role.ADMIN: 3}
_LABELS = {Role.RESPONDER: "处置人员", Role.LEAD: "负责人", Role.ADMIN: "管理员"}


class TeamMember(Strict):
    """One person the bot knows: Feishu open_id (ou_…), display name, role."""

    open_id: str = Field(pattern=r"^ou_\w+$")
    name: str = Field(min_length=1)
    role: Role = Role.RESPONDER


class TeamConfig(Strict):
    """The people the bot knows."""

    members: list[TeamMember] = []

    @model_validator(mode="after")
    def _unique(self) -> "TeamConfig":
        for key in ("open_id", "name"):
            seen: set[str] = set()
            for i, m in enumerate(self.members):
                value = getattr(m, key)
                if value in seen:
                    raise ValueError(f"members[{i}].{key}: duplicate {value!r}")
                seen.add(value)
        return self

    def member(self, open_id: str | None) -> TeamMember | None:
        """The member with this open_id, or None for anyone the config does not name."""
        return next((m for m in self.members if m.open_id == open_id), None)

    def find(self, who: str) -> TeamMember | None:
        """A member by open_id or by name."""
        return next((m for m in self.members if who in (m.open_id, m.name)), None)

    def name_of(self, open_id: str | None) -> str:
        """A display name for an open_id: the member's name, else the id itself."""
        m = self.member(open_id)
        return m.name if m else (open_id or "系统")

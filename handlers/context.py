"""What a command or button handler receives (Context) and returns (Reply)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config.team import Role, TeamMember
from bot.feishu.events import Mention
from bot.incidents.actions import Actor


@dataclass(frozen=True)
class Context:
    session: Session
    now: datetime
    actor: Actor
    member: TeamMember | None
    chat_id: str | None
    thread_incident_id: int | None = None  # the incident whose card thread the message is in
    mentions: tuple[Mention, ...] = ()

    @property
    def role(self) -> Role | None:
        return self.member.role if self.member else None


@dataclass(frozen=True)
class Reply:
    """A text for the chat thread, and for buttons a toast (success / info / warning / error) and the new card."""

    text: str = ""
    card: dict | None = None
    toast: str | None = None
    tone: str = "success"

    @classmethod
    def refused(cls, text: str, tone: str = "warning") -> "Reply":
        return cls(text=text, toast=text, tone=tone)


def authorise(member: TeamMember | None, needed: Role | None, what: str, open_id: str | None = None) -> Reply | None:
    """None when the member may do `what`; otherwise a polite refusal (to a stranger, with their open_id, which
    is what the admin needs to add them)."""
    if needed is None:
        return None
    if member is None:
        who = f"（你的 open_id：{open_id}）" if open_id else ""
        return Reply.refused(f"抱歉，你不在值班团队名单中，不能{what}。请管理员把你加入 config.yaml 的 team.members{who}。")
    if not member.role.allows(needed):
        return Reply.refused(f"抱歉，{what}需要{needed.label}权限，你目前是{member.role.label}。")
    return None


class UsageError(ValueError):
    """A command's arguments do not parse; the message says why (the dispatcher adds the usage)."""

"""Drills (演练): a clearly marked simulated incident that takes the real path — policy snapshot, card,
deadlines, escalation — and is kept out of every real statistic (`real_only`).

`start_drill` is what the `/drill 重大` command calls; `drill_report` is the short review of the team's times.
"""
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm import Session

from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.config import Config
from bot.incidents.deadlines import snapshot_policy
from bot.incidents.review import Review, load_review
from bot.items.store import source_row
from bot.models import Incident, IncidentEvent, Item

PREFIX = "【演练】"
SOURCE = "演练"
SCENARIOS = {
    "重大": ("多名用户集中投诉遭暴力催收，监管部门介入调查", 12),
    "一般": ("用户投诉提前还款手续费不透明", 5),
    "轻微": ("用户反映客服电话难以接通", 2),
}


def real_only(stmt: Select) -> Select:
    """Add to any incident query that feeds statistics: drills never count."""
    return stmt.where(Incident.is_drill.is_(False))



def start_drill(session: Session, config: Config, grade: str, actor: str | None, now: datetime,
                brand: str | None = None) -> Incident:
    """Open a simulated incident of `grade` with fake items, in the caller's transaction, and alert as usual."""
    if grade not in SCENARIOS:
        raise ValueError(f"unknown grade {grade!r}: use 重大, 一般 or 轻微")
    brand = brand or (config.brands[0].name if config.brands else "演练品牌")
    story, n = SCENARIOS[grade]
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    inc = Incident(brand=brand, event_key=f"drill:{stamp}", open_key=f"{brand}:drill:{stamp}",
                   title=f"{PREFIX}{brand}{story}", state="triggered", grade=grade, grade_source="manual",
                   reasons=["演练：模拟事件，非真实舆情"], item_count=n, platforms=["drill"], sources=[SOURCE],
                   topics=[], is_drill=True, policy=snapshot_policy(config, grade), first_seen_at=now,
                   last_seen_at=now, opened_at=now, updated_at=now, sentiment=0.2)
    session.add(inc)
    session.flush()
    sid = source_row(session, SOURCE, "drill", "drill", now).id
    for i in range(n):
        session.add(Item(source_id=sid, external_id=f"drill-{inc.id}-{i}", platform="drill",
                         title=f"{PREFIX}{story}（模拟内容 {i + 1}）", text=f"{PREFIX}{story}", fetched_at=now,
                         published_at=now, brands=[], topics=[], rules=[], regulators=[], sentiment=0.2,
                         negative=True, incident_id=inc.id))
    session.add(IncidentEvent(incident_id=inc.id, at=now, kind="detected", actor=actor, via="command",
                              text=f"演练开始：模拟{grade}事件", detail={"drill": True, "grade": grade}))
    session.flush()
    on_incident_change(session, config, inc, Change(ChangeKind.OPENED), now)
    return inc


def drill_report(session: Session, config: Config, incident_id: int, now: datetime) -> Review | None:
    """The review of a drill: the team's times against the deadlines (None if it is not a drill)."""
    inc = session.get(Incident, incident_id)
    if inc is None or not inc.is_drill:
        return None
    return load_review(session, config, incident_id, now)

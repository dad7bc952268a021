"""Drills (演练): a clearly marked simulated incident that takes the real path — policy snapshot, card,
deadlines, escalation — and is kept out of every real statistic (`real_only`).

`start_drill` is what the `/drill 重大` command calls; `drill_report` is the short review of the team's times.
"""
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm import Session

from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.config import Config
from bot.grades import Grade
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
    inc = _open(session, config, brand, story, n, grade, [], actor, now, f"演练开始：模拟{grade}事件")
    on_incident_change(session, config, inc, Change(ChangeKind.OPENED), now)
    return inc


def drill_report(session: Session, config: Config, incident_id: int, now: datetime) -> Review | None:
    """The review of a drill: the team's times against the deadlines (None if it is not a drill)."""
    inc = session.get(Incident, incident_id)
    if inc is None or not inc.is_drill:
        return None
    return load_review(session, config, incident_id, now)


# -- scenario drills: the new paths (a watched borrower's default, a VIP customer's complaint) ---------------
DEFAULT_STORY = ("债务违约，多笔贷款逾期未还，已被列为被执行人", 8, "重大",
                 [{"name": "违约", "words": ["债务违约"]}, {"name": "逾期", "words": ["逾期"]},
                  {"name": "被执行", "words": ["被执行人"]}])
VIP_STORY = ("VIP 客户投诉遭暴力催收、爆通讯录", 4, "一般", [{"name": "催收", "words": ["暴力催收", "爆通讯录"]}])


class DrillUnavailable(ValueError):
    """The config has nothing to drill this scenario on (no borrower, no VIP customer, an unknown name)."""


def start_scenario_drill(session: Session, config: Config, scenario: str, actor: str | None, now: datetime,
                         name: str | None = None) -> Incident:
    """`违约`: a borrower's default story on a watched borrower (its kind route, its owner mentioned);
    `VIP`: a VIP customer's complaint about the first brand (raised one grade by the tier rule, the tier's chat,
    the relationship manager). Either opens like `start_drill` and then takes the real alerting path."""
    if scenario == "违约":
        borrowers = [e for e in config.watchlist.entities if e.kind == "borrower"]
        entity = next((e for e in borrowers if name in (e.name, *e.aliases)), None) if name else \
            (borrowers[0] if borrowers else None)
        if entity is None:
            raise DrillUnavailable(f"没有名为「{name}」的借款企业" if name else "watchlist.entities 中没有借款企业（borrower）")
        story, n, grade, topics = DEFAULT_STORY
        inc = _open(session, config, entity.name, story, n, grade, topics, actor, now, f"演练开始：{entity.name}违约")
    elif scenario == "VIP":
        vips = [c for c in config.customers if c.tier == "vip"]
        customer = next((c for c in vips if name in c.names), None) if name else (vips[0] if vips else None)
        if customer is None:
            raise DrillUnavailable(f"没有名为「{name}」的 VIP 客户" if name else "customers 中没有 VIP 客户")
        brand = config.brands[0].name if config.brands else "演练品牌"
        story, n, grade, topics = VIP_STORY
        inc = _open(session, config, brand, story, n, grade, topics, actor, now, "演练开始：VIP 客户投诉",
                    customer=(customer.name, customer.tier))
    else:
        raise DrillUnavailable(f"未知演练场景「{scenario}」：用 重大、一般、轻微、违约 或 VIP")
    on_incident_change(session, config, inc, Change(ChangeKind.OPENED), now)
    return inc


def _open(session: Session, config: Config, brand: str, story: str, n: int, grade: str, topics: list, actor: str | None,
          now: datetime, what: str, customer: tuple[str, str] | None = None) -> Incident:
    """The drill incident and its made-up items (flushed; the caller alerts)."""
    from bot.analysis.grading import GradeDecision
    from bot.customers.tiers import bump
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    inc = Incident(brand=brand, event_key=f"drill:{stamp}", open_key=f"{brand}:drill:{stamp}", title=f"{PREFIX}{brand}{story}",
                   state="triggered", grade=grade, grade_source="manual", reasons=["演练：模拟事件，非真实舆情"],
                   item_count=n, platforms=["drill"], sources=[SOURCE], topics=topics, is_drill=True,
                   first_seen_at=now, last_seen_at=now, opened_at=now, updated_at=now, sentiment=0.2, policy={})
    if customer is not None:
        inc.customer, inc.customer_tier = customer
        # the same rule as a real post by the customer: one grade up, the reason on the card
        d = bump(config, inc, n, GradeDecision(Grade(grade), 0.0, tuple(inc.reasons)))
        inc.grade, inc.reasons = (d.grade.value if d.grade else grade), list(d.reasons)
    inc.policy = snapshot_policy(config, inc.grade)
    session.add(inc)
    session.flush()
    sid = source_row(session, SOURCE, "drill", "drill", now).id
    for i in range(n):
        session.add(Item(source_id=sid, external_id=f"drill-{inc.id}-{i}", platform="drill",
                         title=f"{PREFIX}{story}（模拟内容 {i + 1}）", text=f"{PREFIX}{story}", fetched_at=now,
                         published_at=now, brands=[], topics=topics, rules=[], regulators=[], sentiment=0.2,
                         negative=True, incident_id=inc.id))
    session.add(IncidentEvent(incident_id=inc.id, at=now, kind="detected", actor=actor, via="command",
                              text=what, detail={"drill": True, "grade": inc.grade}))
    session.flush()
    return inc


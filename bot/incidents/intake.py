"""What happens to newly stored items: analyse, cluster into incidents, grade, and tell the chats.

Every path that stores items — scheduled scans, `yuqing import`, the push webhook — calls `accept_items`
in the same transaction that stored them. It makes the same calls as `yuqing analyze` (Analyzer.analyze,
clustering.assign, grading.grade_incident, raise_only), with the database as the incident store.
"""
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.alerting.pipeline import Outgoing, submit
from bot.analysis.clustering import ClusterItem, assign
from bot.analysis.grading import authority_for, grade_incident, raise_only
from bot.analysis.pipeline import Analysis, Analyzer, Document, Metrics
from bot.analysis.simhash import bands
from bot.config import Config
from bot.customers.tiers import bump, customer_of_post, mark
from bot.grades import Grade
from bot.incidents.deadlines import snapshot_policy
from bot.incidents.grouping import DbIncidentStore, store_signature
from bot.models import Delivery, Incident, IncidentEvent, Item
from bot.training import deployed_model, latest_model_id
from bot.watchlists.entities import names_company, names_to_match
from bot.watchlists.topics import with_company_topics

log = logging.getLogger(__name__)

_analyzers: dict[int, tuple[Config, int | None, Analyzer]] = {}
_lock = threading.Lock()


def analyzer_for(config: Config, session: Session | None = None) -> Analyzer:
    """The process's Analyzer for this config and the deployment's newest model (`yuqing train`; the shipped one
    when none is stored), built once per model (segmenter and models load slowly)."""
    model_id = latest_model_id(session) if session is not None else None
    with _lock:
        entry = _analyzers.get(id(config))
        if entry is None or entry[0] is not config or entry[1] != model_id:
            model = deployed_model(session)[1] if session is not None and model_id is not None else None
            entry = (config, model_id, Analyzer.from_config(names_to_match(config), config.analysis, model))
            _analyzers[id(config)] = entry
        return entry[2]


@dataclass
class Accepted:
    matched: int = 0
    incidents: int = 0
    alerts: int = 0


def _authority(config: Config, source_name: str) -> float:
    spec = next((s for s in config.sources if s.name == source_name), None)
    return authority_for(source_name, config.analysis.grading, default=spec.authority if spec else 1.0)


def _record_analysis(row: Item, a: Analysis, authority: float) -> None:
    row.brands = [{"name": b.name, "negative": b.negative, "matched": b.matched} for b in a.brands]
    row.topics = [{"name": t.name, "words": list(t.words)} for t in a.topics]
    row.negative, row.sentiment, row.risk_score = a.negative, a.sentiment, a.risk_score
    row.rules, row.regulators, row.event_key, row.authority = list(a.rules), list(a.regulators), a.event_key, authority
    store_signature(row, a.simhash, bands(a.simhash))


def accept_items(session: Session, config: Config, source_name: str, items: list[Item], now: datetime) -> Accepted:
    """Analyse freshly stored items (flushed, in the caller's transaction), group them and alert."""
    result = Accepted()
    analyzer = analyzer_for(config, session)
    store = DbIncidentStore(session, config.analysis.grading, now,
                            timedelta(hours=config.analysis.clustering.window_hours))
    authority = _authority(config, source_name)
    for row in items:
        seen = row.published_at or row.fetched_at
        doc = Document(id=str(row.id), title=row.title, text=row.text, source=source_name, platform=row.platform,
                       authority=authority, published_at=seen,
                       metrics=Metrics(row.views, row.reposts, row.comments, row.likes),
                       target=row.target or "", author=row.author or "")
        a = analyzer.analyze(doc)
        if names_company(config, a):
            a = with_company_topics(analyzer, doc, a)
        _record_analysis(row, a, authority)
        if not a.relevant:
            continue
        result.matched += 1
        brand = a.lead_brand
        incident_id, placement = assign(ClusterItem(str(row.id), brand, a.event_key, a.simhash,
                                                    a.incident_item(doc, seen)), store, config.analysis.clustering)
        if incident_id is None:
            log.info("item %s (%s) is older than the open incident of its event by more than the window: "
                     "kept, not grouped", row.id, seen)
            continue
        if placement.duplicate_of is not None:
            row.duplicate_of_id = int(placement.duplicate_of)
        incident = session.get_one(Incident, incident_id)
        customer = customer_of_post(config, row.author, f"{row.title}\n{row.text}")
        newly_marked = customer is not None and mark(incident, customer)
        is_new = incident_id in store.opened
        store.opened.discard(incident_id)
        if is_new:
            result.incidents += 1
            session.add(IncidentEvent(incident_id=incident_id, at=now, kind="detected", via="system",
                                      text=f"{source_name} 发现「{brand}」相关内容：{placement.reason}",
                                      detail={"item_id": row.id}))
        result.alerts += _regrade(session, config, store, incident, a, is_new, now)
        if newly_marked and not is_new and _alerted(session, incident.id):
            # the customer's tier may name a chat the incident's card is not in yet, whatever its grade
            submit(session, config, Outgoing(Outbound.INCIDENT_CARD, incident), now)
        if is_new:
            # the response policy in force when it opened holds for its whole life, whatever the config says later
            incident.policy = {**(incident.policy or {}), **snapshot_policy(config, incident.grade)}
    return result


def _regrade(session: Session, config: Config, store: DbIncidentStore, incident: Incident, a: Analysis,
             is_new: bool, now: datetime) -> int:
    """Refresh the incident's figures and automatic grade; queue what the chats should see. Returns alerts opened."""
    stats = store.stats(incident.id, now)
    decision = bump(config, incident, stats.negative_count, grade_incident(stats, config.analysis.grading))
    before = Grade(incident.grade) if incident.grade else None
    after = before if incident.grade_source == "manual" else raise_only(before, decision.grade)
    incident.grade = after.value if after else None
    incident.reasons = list(decision.reasons)
    incident.heat = decision.heat
    incident.item_count = stats.item_count
    incident.velocity = round(stats.velocity, 2)
    incident.engagement = stats.engagement
    incident.platforms = sorted(stats.platforms)
    incident.sources = sorted(stats.sources)
    incident.topics = _merge_topics(incident.topics, a)
    incident.sentiment = a.sentiment if incident.sentiment is None else round(
        (incident.sentiment * (stats.item_count - 1) + a.sentiment) / stats.item_count, 4)
    incident.updated_at = now
    if after is not None and after != before:
        session.add(IncidentEvent(incident_id=incident.id, at=now, kind="graded", via="system",
                                  text=f"自动定级 {before.value if before else '无'} → {after.value}",
                                  detail={"from": before.value if before else None, "to": after.value,
                                          "reasons": list(decision.reasons)}))
    session.flush()
    if after is None:
        return 0
    if not _alerted(session, incident.id):
        # history (a backfill, a feed's old entries on its first scan) is stored and graded, not alerted;
        # the first fresh item to join such an incident alerts
        if incident.last_seen_at >= now - timedelta(hours=config.alerting.max_age_hours):
            on_incident_change(session, config, incident, Change(ChangeKind.OPENED), now)
            return 1
        return 0
    if before is not None and after > before:
        on_incident_change(session, config, incident, Change(ChangeKind.GRADE_UP, detail={"from": before.value, "to": after.value}),
                now)
    if not is_new:
        on_incident_change(session, config, incident, Change(ChangeKind.ITEMS_ADDED, detail={"added": 1}), now)
    return 0


def _alerted(session: Session, incident_id: int) -> bool:
    """Whether the incident's card was queued already (the alert, whether or not it went out yet)."""
    return session.scalar(select(Delivery.id).where(Delivery.incident_id == incident_id,
                                                    Delivery.kind == "incident_card").limit(1)) is not None


def _merge_topics(current: list, a: Analysis) -> list:
    merged = {t["name"]: list(t["words"]) for t in current or []}
    # the card's risk topics are evidence of the negative items only (a fix statement's words are no risk)
    for t in a.topics if a.negative else ():
        words = merged.setdefault(t.name, [])
        words.extend(w for w in t.words if w not in words)
    return [{"name": name, "words": words} for name, words in merged.items()]

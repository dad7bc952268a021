"""What happens to newly stored items: analyse, cluster into incidents, grade, and tell the chats.

Every path that stores items — scheduled scans, `yuqing import`, the push webhook — analyses each new item
(`analyse`, before the insert, so its analysis columns go in with it) and calls `accept_items` with the batch
in the transaction that stored it. It makes the same calls as `yuqing analyze` (Analyzer.analyze,
clustering.assign, grading.grade_incident, raise_only), with the database as the incident store, a batch at a
time: one band query, one incident insert and one placement update per batch, each touched incident regraded
and notified once.
"""
import gc
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerting.kinds import Outbound
from bot.alerting.notify import Change, ChangeKind, on_incident_change
from bot.alerting.pipeline import Outgoing, read_ahead, submit
from bot.analysis.clustering import ClusterItem, assign
from bot.analysis.grading import IncidentItem, authority_for, grade_incident, raise_only
from bot.analysis.pipeline import Analysis, Analyzer, Document, Metrics
from bot.analysis.simhash import bands
from bot.config import Config
from bot.customers.tiers import bump, customer_of_post, mark
from bot.grades import Grade
from bot.incidents.deadlines import snapshot_policy
from bot.incidents.grouping import BatchIncidentStore, signature_columns, stored_sums
from bot.items.normalise import NormalisedItem
from bot.models import Delivery, Incident, IncidentEvent
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
            # the models' hundreds of thousands of objects live as long as the process: out of the collector's
            # generations, a full collection during a scan no longer walks them all again
            gc.freeze()
        return entry[2]


@dataclass
class Accepted:
    matched: int = 0
    incidents: int = 0
    alerts: int = 0


@dataclass(frozen=True)
class NewItem:
    """A stored item of the batch with its analysis (computed before the insert, stored with it)."""

    id: int
    item: NormalisedItem
    analysis: Analysis


def authority(config: Config, source_name: str) -> float:
    """The weight of a source's items in grading: its tier's, else the source's `authority`."""
    spec = next((s for s in config.sources if s.name == source_name), None)
    return authority_for(source_name, config.analysis.grading, default=spec.authority if spec else 1.0)


def _document(item: NormalisedItem, source_name: str, weight: float) -> Document:
    return Document(id=item.external_id, title=item.title, text=item.text, source=source_name,
                    platform=item.platform, authority=weight, published_at=item.published_at or item.fetched_at,
                    metrics=Metrics(item.views, item.reposts, item.comments, item.likes),
                    target=item.target or "", author=item.author or "")


def analyse(config: Config, source_name: str, item: NormalisedItem, analyzer: Analyzer | None = None) -> Analysis:
    """The analysis of one item, as `yuqing analyze` makes it (pure: no database), with the watched companies'
    topics when it names one. `analyzer`: the deployment's (`analyzer_for(config, session)`, once per batch)."""
    analyzer = analyzer or analyzer_for(config)
    doc = _document(item, source_name, authority(config, source_name))
    a = analyzer.analyze(doc)
    return with_company_topics(analyzer, doc, a) if names_company(config, a) else a


def analysis_columns(a: Analysis, weight: float) -> dict[str, Any]:
    """The item's analysis columns, written with its insert."""
    return {"brands": [{"name": b.name, "negative": b.negative, "matched": b.matched} for b in a.brands],
            "topics": [{"name": t.name, "words": list(t.words)} for t in a.topics],
            "negative": a.negative, "sentiment": a.sentiment, "risk_score": a.risk_score, "rules": list(a.rules),
            "regulators": list(a.regulators), "event_key": a.event_key, "authority": weight,
            **signature_columns(a.simhash, bands(a.simhash))}


def _brand(a: Analysis) -> str:
    return a.lead_brand


def accept_items(session: Session, config: Config, source_name: str, items: list[NewItem], now: datetime) -> Accepted:
    """Group a batch of freshly stored, analysed items (in the caller's transaction) into incidents, regrade
    each incident it touched once, and tell the chats once per incident."""
    result = Accepted()
    relevant = [n for n in items if n.analysis.relevant]
    result.matched = len(relevant)
    if not relevant:
        return result
    weight = authority(config, source_name)
    clustering = config.analysis.clustering
    window = timedelta(hours=clustering.window_hours)
    store = BatchIncidentStore(session, config.analysis.grading, now, window)
    seen = {n.id: n.item.published_at or n.item.fetched_at for n in relevant}
    store.prefetch([(_brand(n.analysis), bands(n.analysis.simhash)) for n in relevant],
                   min(seen.values()) - window, max(seen.values()) + window)
    reasons: dict[int, str] = {}
    duplicates: dict[int, int] = {}
    graded_items: dict[int, IncidentItem] = {}
    for n in relevant:
        a, brand = n.analysis, _brand(n.analysis)
        # negative about the incident's brand, with its author (complaint patterns count distinct authors)
        graded = graded_items[n.id] = a.incident_item(_document(n.item, source_name, weight), seen[n.id])
        store.titles[str(n.id)] = n.item.title or n.item.text[:60]
        incident_id, placement = assign(ClusterItem(str(n.id), brand, a.event_key, a.simhash, graded), store,
                                        clustering)
        if incident_id is None:
            log.info("item %s (%s) is older than the open incident of its event by more than the window: "
                     "kept, not grouped", n.id, seen[n.id])
            continue
        reasons[n.id] = placement.reason
        if placement.duplicate_of is not None:
            duplicates[n.id] = int(placement.duplicate_of)
    placed = store.flush(duplicates)
    by_incident: dict[int, list[NewItem]] = {}
    for n in relevant:
        if n.id in placed:
            by_incident.setdefault(placed[n.id], []).append(n)
    incidents = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(by_incident)))}
    store.load_tallies(incidents.values(), {i: [graded_items[n.id] for n in batch] for i, batch in by_incident.items()})
    alerted = _alerted(session, [i for i in by_incident if i not in store.opened])
    touched = []
    for incident_id, batch in by_incident.items():
        incident = incidents[incident_id]
        newly_marked = False
        for n in batch:
            customer = customer_of_post(config, n.item.author, f"{n.item.title}\n{n.item.text}")
            newly_marked = (customer is not None and mark(incident, customer)) or newly_marked
        is_new = incident_id in store.opened
        if is_new:
            result.incidents += 1
            first = batch[0]
            session.add(IncidentEvent(incident_id=incident_id, at=now, kind="detected", via="system",
                                      text=f"{source_name} 发现「{_brand(first.analysis)}」相关内容：{reasons[first.id]}",
                                      detail={"item_id": first.id}))
        before = _regrade(session, config, store, incident, [n.analysis for n in batch], now)
        if is_new:
            # the response policy in force when it opened holds for its whole life, whatever the config says later
            incident.policy = {**(incident.policy or {}), **snapshot_policy(config, incident.grade)}
        touched.append((incident, before, is_new, len(batch), newly_marked))
    session.flush()
    with read_ahead(session, [incident.id for incident, *_ in touched], now):
        for incident, before, is_new, added, newly_marked in touched:
            result.alerts += _notify(session, config, incident, before, is_new, incident.id in alerted, added, now)
            if newly_marked and not is_new and incident.id in alerted:
                # the customer's tier may name a chat the incident's card is not in yet, whatever its grade
                submit(session, config, Outgoing(Outbound.INCIDENT_CARD, incident), now)
    return result


def _regrade(session: Session, config: Config, store: BatchIncidentStore, incident: Incident,
             analyses: list[Analysis], now: datetime) -> Grade | None:
    """Refresh the incident's figures and automatic grade from its tally; returns the grade before."""
    stats = store.stats(incident.id, now)
    decision = bump(config, incident, stats.negative_count, grade_incident(stats, config.analysis.grading))
    before = Grade(incident.grade) if incident.grade else None
    after = before if incident.grade_source == "manual" else raise_only(before, decision.grade)
    incident.grade = after.value if after else None
    incident.reasons = list(decision.reasons)
    incident.heat = decision.heat
    count = stats.item_count - len(analyses)
    for a in analyses:
        count += 1
        incident.topics = _merge_topics(incident.topics, a)
        incident.sentiment = a.sentiment if incident.sentiment is None else round(
            (incident.sentiment * (count - 1) + a.sentiment) / count, 4)
    incident.item_count = stats.item_count
    incident.tally = stored_sums(store.tally(incident.id), stats.last_seen)
    incident.velocity = round(stats.velocity, 2)
    incident.engagement = stats.engagement
    incident.platforms = sorted(stats.platforms)
    incident.sources = sorted(stats.sources)
    incident.first_seen_at = min(incident.first_seen_at, stats.first_seen)
    incident.last_seen_at = max(incident.last_seen_at, stats.last_seen)
    incident.updated_at = now
    if after is not None and after != before:
        session.add(IncidentEvent(incident_id=incident.id, at=now, kind="graded", via="system",
                                  text=f"自动定级 {before.value if before else '无'} → {after.value}",
                                  detail={"from": before.value if before else None, "to": after.value,
                                          "reasons": list(decision.reasons)}))
    return before


def _notify(session: Session, config: Config, incident: Incident, before: Grade | None, is_new: bool,
            alerted: bool, added: int, now: datetime) -> int:
    """Queue what the chats should see about the incident after this batch. Returns alerts opened."""
    after = Grade(incident.grade) if incident.grade else None
    if after is None:
        return 0
    if not alerted:
        # history (a backfill, a feed's old entries on its first scan) is stored and graded, not alerted;
        # the first fresh item to join such an incident alerts
        if incident.last_seen_at >= now - timedelta(hours=config.alerting.max_age_hours):
            on_incident_change(session, config, incident, Change(ChangeKind.OPENED), now)
            return 1
        return 0
    if before is not None and after > before:
        on_incident_change(session, config, incident,
                           Change(ChangeKind.GRADE_UP, detail={"from": before.value, "to": after.value}), now)
    if not is_new:
        on_incident_change(session, config, incident, Change(ChangeKind.ITEMS_ADDED, detail={"added": added}), now)
    return 0


def _alerted(session: Session, incident_ids: list[int]) -> set[int]:
    """Those of the incidents whose card was queued already (the alert, whether or not it went out yet)."""
    if not incident_ids:
        return set()
    return set(session.scalars(select(Delivery.incident_id).where(Delivery.incident_id.in_(incident_ids),
                                                                  Delivery.kind == "incident_card").distinct()))


def _merge_topics(current: list, a: Analysis) -> list:
    merged = {t["name"]: list(t["words"]) for t in current or []}
    # the card's risk topics are evidence of the negative items only (a fix statement's words are no risk)
    for t in a.topics if a.negative else ():
        words = merged.setdefault(t.name, [])
        words.extend(w for w in t.words if w not in words)
    return [{"name": name, "words": words} for name, words in merged.items()]

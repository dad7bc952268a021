"""`yuqing analyze`: JSON lines in, one result line per item out, through the same code as the live scan
(Analyzer → clustering over an in-memory IncidentStore → grading).

Input line: {"id", "content", "title"?, "source"?, "platform"?, "published_at"? (ISO 8601), "metrics"? {views,
reposts, comments, likes}, "brands"? [names to look for instead of the configured brands]}.
Output line: {"id", "brands": [{"name", "negative"}], "negative", "sentiment", "topics": [{"name", "words"}],
"rules", "risk_score", "incident", "grade", "reasons"}. A malformed line is reported on stderr and skipped.
"""
import json
import sys
from datetime import datetime, timezone
from typing import IO, Any

from bot.analysis.clustering import ClusterItem, MemoryIncidentStore, assign
from bot.analysis.grading import authority_for, grade_incident, raise_only
from bot.analysis.pipeline import Analysis, Analyzer, Document, Metrics
from bot.grades import Grade

_METRICS = ("views", "reposts", "comments", "likes")


class BadLine(ValueError):
    """An input line that is not a usable item."""


def _text(obj: dict, key: str, required: bool = False) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise BadLine(f"missing {key!r}")
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise BadLine(f"{key!r} must be a string")
    return str(value)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadLine(f"'published_at' is not an ISO 8601 time: {value!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def parse_item(line: str, authority: Any) -> Document:
    """One JSON line → Document; BadLine says what is wrong."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise BadLine("not a JSON object")
    metrics = obj.get("metrics") or {}
    if not isinstance(metrics, dict) or any(
            not isinstance(metrics.get(k, 0), int) or metrics.get(k, 0) < 0 for k in _METRICS):
        raise BadLine("'metrics' must map views/reposts/comments/likes to non-negative integers")
    brands = obj.get("brands")
    if brands is not None and (not isinstance(brands, list) or not all(isinstance(b, str) for b in brands)):
        raise BadLine("'brands' must be a list of names")
    source = _text(obj, "source")
    return Document(
        id=_text(obj, "id", required=True),
        title=_text(obj, "title"),
        text=_text(obj, "content", required=True),
        source=source,
        platform=_text(obj, "platform") or "other",
        authority=authority(source),
        published_at=_time(obj.get("published_at")),
        metrics=Metrics(**{k: metrics.get(k, 0) for k in _METRICS}),
        brands=tuple(brands) if brands is not None else None,
        target=_text(obj, "target"),
        author=_text(obj, "author"),
    )


class OfflineRun:
    """Analysis, clustering and grading of a stream of documents, incidents kept in memory."""

    def __init__(self, analyzer: Analyzer):
        self.analyzer = analyzer
        self.store = MemoryIncidentStore(analyzer.config.grading)
        self.grades: dict[int, Grade | None] = {}
        self.now = datetime.now(timezone.utc)

    def process(self, doc: Document) -> dict:
        a = self.analyzer.analyze(doc)
        self.now = doc.published_at or self.now
        out = {
            "id": doc.id,
            "brands": [{"name": b.name, "negative": b.negative} for b in a.brands],
            "negative": a.negative,
            "sentiment": a.sentiment,
            "topics": [{"name": t.name, "words": list(t.words)} for t in a.topics],
            "rules": list(a.rules),
            "risk_score": a.risk_score,
            "incident": None,
            "grade": None,
            "reasons": ["未匹配到监测品牌"],
        }
        if not a.relevant:
            return out
        incident_id, placement = assign(self._cluster_item(doc, a), self.store, self.analyzer.config.clustering)
        assert incident_id is not None, "the in-memory store always opens an incident"
        grading = self.analyzer.config.grading
        decision = grade_incident(self.store.stats(incident_id, self.now), grading)
        grade = raise_only(self.grades.get(incident_id), decision.grade)
        self.grades[incident_id] = grade
        out.update(incident=incident_id, grade=grade.value if grade else None,
                   reasons=[placement.reason, *decision.reasons])
        return out

    def _cluster_item(self, doc: Document, a: Analysis) -> ClusterItem:
        return ClusterItem(doc.id, a.lead_brand, a.event_key, a.simhash, a.incident_item(doc, self.now))


def analyze_stream(loaded_config: Any, infile: IO[str], outfile: IO[str], errfile: IO[str] | None = None) -> int:
    """Analyse every JSON line of `infile`, write one result line each to `outfile`; return the count written."""
    err = errfile or sys.stderr
    config = loaded_config.config
    analyzer = Analyzer.from_config(config.brands, config.analysis)
    run = OfflineRun(analyzer)
    grading = config.analysis.grading
    count = 0
    for lineno, line in enumerate(infile, start=1):
        if not line.strip():
            continue
        try:
            doc = parse_item(line, lambda source: authority_for(source, grading))
        except BadLine as exc:
            print(f"line {lineno}: skipped, {exc}", file=err)
            continue
        outfile.write(json.dumps(run.process(doc), ensure_ascii=False) + "\n")
        count += 1
    return count

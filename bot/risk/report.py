"""What /risk, `yuqing risk` and `GET /api/risk/{name}` give: an entity's series over a window, and its top
negative stories over that window."""
import csv
import io
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.config import Config
from bot.cards.risk import RiskReport
from bot.config.watchlist import WatchedEntity
from bot.risk.series import as_record, day_start, refresh, top_stories

MAX_DAYS = 365


def risk_report(session: Session, config: Config, entity: WatchedEntity, days: int, now: datetime,
                stories: int = 5) -> RiskReport:
    """Recompute the window (so it reflects every stored item) and read it back with the top stories."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    tz = config.response.tz
    rows = refresh(session, entity.name, days, now, tz)
    since = day_start(now.astimezone(tz).date() - timedelta(days=days - 1), tz)
    return RiskReport(entity, [as_record(r) for r in rows], top_stories(session, entity.name, since, stories))


CSV_COLUMNS = ("day", "index", "volume", "negative", "negative_share", "severity", "authority", "trend", "reasons")


def as_csv(report: RiskReport) -> str:
    """The series as CSV, one day a line (reasons joined with 「；」), for a risk system or a spreadsheet."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("entity", "kind", *CSV_COLUMNS))
    for d in report.series:
        w.writerow((report.entity.name, report.entity.kind, *(d[c] for c in CSV_COLUMNS[:-1]), "；".join(d["reasons"])))
    return out.getvalue()

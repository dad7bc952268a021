"""`graded_at_column` (SQL, for bulk reads) gives the same answers as `graded_at` (the rule, over the timeline)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.incidents.deadlines import graded_at, graded_at_column, load_snapshots
from bot.models import Incident, IncidentEvent
from tests.builders.incidents import make_incident

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)

# (grade now, minutes from T0 to the opening, [(minutes, kind, from, to)])
HISTORIES = [
    ("重大", 0, [(0, "graded", None, "一般"), (60, "graded", "一般", "重大")]),           # a rise: 60
    ("重大", 0, [(0, "graded", None, "重大"), (30, "regrade", "重大", "重大")]),          # same grade again: 0
    ("一般", 0, [(0, "graded", None, "一般"), (20, "regrade", "一般", "重大"),
                 (40, "regrade", "重大", "一般")]),                                       # lowered: the rise at 0
    ("重大", 90, [(0, "graded", None, "一般"), (60, "graded", "一般", "重大")]),          # reopened at 90: none
    ("重大", 90, [(60, "graded", "一般", "重大"), (120, "regrade", "轻微", "重大")]),     # after reopening: 120
    ("轻微", 0, []),                                                                      # no grading rows: none
    ("一般", 0, [(10, "graded", None, "一般"), (15, "detected", None, "一般")]),          # other kinds ignored: 10
    ("一般", 0, [(10, "regrade", "重大", "一般")]),                                        # only a fall: none
]


@pytest.mark.parametrize("grade, opened, history", HISTORIES)
def test_sql_twin_matches_the_rule(sessions, grade, opened, history):
    with sessions() as s, s.begin():
        inc = make_incident(s, T0 + timedelta(minutes=opened), grade=grade)
        events = []
        for minutes, kind, was, to in history:
            at = T0 + timedelta(minutes=minutes)
            s.add(IncidentEvent(incident_id=inc.id, at=at, kind=kind, via="system", text=kind,
                                detail={"from": was, "to": to}))
            if kind in ("graded", "regrade"):
                events.append((at, {"from": was, "to": to}))
        s.flush()
        expected = graded_at(events, grade, inc.opened_at)
        in_sql = s.scalar(select(graded_at_column()).select_from(Incident).where(Incident.id == inc.id))
        assert in_sql == expected
        assert load_snapshots(s, [inc])[inc.id].graded_at == expected  # objects: read by id
        row = s.execute(select(Incident.id, Incident.grade, Incident.state, Incident.opened_at,
                               Incident.acknowledged_at, Incident.assessed_at, Incident.statement_at,
                               Incident.resolved_at, Incident.owner, Incident.title, Incident.is_drill,
                               graded_at_column().label("graded_at")).where(Incident.id == inc.id)).one()
        assert load_snapshots(s, [row])[inc.id].graded_at == expected  # rows: carried with the row

"""Calm under a Feishu outage: one log line per cause (then "recovered"), retries with a capped, jittered
backoff, so a 重大 card waiting through a long outage goes out within 60 s of Feishu coming back."""
import logging

from sqlalchemy import select

from bot.alerting import outbox
from bot.models import Delivery
from tests.alerting.conftest import CRISIS, client, incidents, rt, run_worker  # noqa: F401 (fixtures)


def test_a_major_card_goes_out_within_a_minute_of_recovery(rt, incidents, client, feishu, clock, caplog):
    incidents.open("重大")
    feishu.down()
    with caplog.at_level(logging.DEBUG, logger="jobs.deliver"):
        run_worker(rt, client, clock, seconds=30)
        for _ in range(6 * 60):  # an hour of outage, the worker looking every 10 s
            run_worker(rt, client, clock, seconds=10)
        with rt.sessions() as s:
            attempts = s.scalar(select(Delivery.attempts).where(Delivery.kind == "incident_card"))
        assert feishu.messages == [] and attempts <= 3600 / 20  # backs off: not every look is a try
        feishu.up()
        waited = 0
        while not feishu.posts() and waited < 120:
            run_worker(rt, client, clock, seconds=2)  # the worker's fallback poll
            waited += 2
    assert [m.chat_id for m in feishu.posts()] == [CRISIS] and waited <= 60
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and r.name == "jobs.deliver"]
    failing = [m for m in lines if "failing" in m]
    assert len(failing) == 1 and "recovered" in lines[-1], lines


def test_backoff_is_capped_and_jittered():
    waits = [outbox.backoff(n).total_seconds() for n in range(1, 40)]
    assert max(waits) <= outbox.BACKOFF_MAX and waits[0] <= outbox.BACKOFF_BASE
    capped = [outbox.backoff(30).total_seconds() for _ in range(50)]
    assert len(set(capped)) > 10 and min(capped) >= outbox.BACKOFF_MAX / 2  # spread, not in lockstep

"""The rota as a table: instant → who is primary, backup, and until when."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.config import parse_config
from bot.config.alerting import AlertingConfig
from bot.config.response import RotaConfig
from bot.oncall import current as current_on_call
from bot.rota import next_shift, on_call_at

SH = ZoneInfo("Asia/Shanghai")
A, B, C, D = "ou_a", "ou_b", "ou_c", "ou_d"
MEMBERS = [{"open_id": A, "name": "张三"}, {"open_id": B, "name": "李四"}, {"open_id": C, "name": "王五"}]


def sh(text: str) -> datetime:
    """A Shanghai wall-clock time, e.g. '2026-11-23 09:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def rota(**kw) -> RotaConfig:
    return RotaConfig.model_validate({"members": MEMBERS, "start": "2026-11-23", "leads": [D], **kw})


WEEKLY = rota(rotation="weekly")
DAILY = rota(rotation="daily")
OVERRIDE = rota(rotation="weekly", overrides=[{"start": "2026-11-25", "end": "2026-11-26", "member": D, "name": "赵六"}])
FIXED_BACKUP = rota(rotation="daily", backup=C)


@pytest.mark.parametrize("cfg, at, primary, backup, until", [
    # weekly: shifts start Monday 2026-11-23 09:00 Shanghai
    (WEEKLY, "2026-11-23 09:00", A, B, "2026-11-30 09:00"),
    (WEEKLY, "2026-11-23 08:59", C, A, "2026-11-23 09:00"),  # the minute before the first hand-over: last shift's
    (WEEKLY, "2026-11-30 08:59:59", A, B, "2026-11-30 09:00"),
    (WEEKLY, "2026-11-30 09:00", B, C, "2026-12-07 09:00"),
    (WEEKLY, "2026-12-07 09:00", C, A, "2026-12-14 09:00"),
    (WEEKLY, "2026-12-14 09:00", A, B, "2026-12-21 09:00"),  # wraps around
    # daily
    (DAILY, "2026-11-23 12:00", A, B, "2026-11-24 09:00"),
    (DAILY, "2026-11-24 03:00", A, B, "2026-11-24 09:00"),  # night belongs to the previous day's shift
    (DAILY, "2026-11-24 09:00", B, C, "2026-11-25 09:00"),
    (DAILY, "2026-11-25 23:59", C, A, "2026-11-26 09:00"),
    (DAILY, "2027-03-28 12:00", C, A, "2027-03-29 09:00"),  # 125 days on (125 % 3 = 2): no DST drift
    # override: 赵六 from 11-25 09:00 until 11-27 09:00; the scheduled member becomes the backup
    (OVERRIDE, "2026-11-25 08:59", A, B, "2026-11-25 09:00"),
    (OVERRIDE, "2026-11-25 09:00", D, A, "2026-11-27 09:00"),
    (OVERRIDE, "2026-11-27 08:59", D, A, "2026-11-27 09:00"),
    (OVERRIDE, "2026-11-27 09:00", A, B, "2026-11-30 09:00"),
    # a configured backup wins over the next in the rota, and is never the primary too
    (FIXED_BACKUP, "2026-11-23 12:00", A, C, "2026-11-24 09:00"),
    (FIXED_BACKUP, "2026-11-25 12:00", C, None, "2026-11-26 09:00"),
])
def test_on_call_at(cfg, at, primary, backup, until):
    oc = on_call_at(cfg, sh(at), SH)
    assert oc.primary.open_id == primary
    assert (oc.backup.open_id if oc.backup else None) == backup
    assert oc.until == sh(until).astimezone(timezone.utc)
    assert [m.open_id for m in oc.leads] == [D]


def test_the_answer_does_not_depend_on_the_zone_of_now():
    at = sh("2026-11-30 09:00")
    assert on_call_at(WEEKLY, at, SH) == on_call_at(WEEKLY, at.astimezone(timezone.utc), SH)


def test_next_shift_is_the_one_after_the_current():
    nxt = next_shift(WEEKLY, sh("2026-11-24 15:00"), SH)
    assert nxt.primary.name == "李四" and nxt.until == sh("2026-12-07 09:00").astimezone(timezone.utc)
    assert next_shift(OVERRIDE, sh("2026-11-24 15:00"), SH).primary.name == "赵六"


def test_handover_time_is_configurable():
    late = rota(rotation="daily", handover="18:30")
    assert on_call_at(late, sh("2026-11-23 18:29"), SH).primary.open_id == C
    assert on_call_at(late, sh("2026-11-23 18:30"), SH).primary.open_id == A


needs_alerting_on_call = pytest.mark.skipif("on_call" not in AlertingConfig.model_fields,
                                            reason="alerting.on_call is not in this checkout")


@needs_alerting_on_call
def test_empty_rota_falls_back_to_alerting_on_call():
    config = parse_config({"alerting": {"on_call": ["ou_x", "ou_y"], "leads": ["ou_l"]},
                           "team": {"members": [{"open_id": "ou_x", "name": "甲"}, {"open_id": "ou_l", "name": "组长"}]}})
    oc = current_on_call(config, sh("2026-11-23 12:00"))
    assert (oc.primary.name, oc.backup.open_id, [m.name for m in oc.leads]) == ("甲", "ou_y", ["组长"])
    assert oc.until is None


@needs_alerting_on_call
def test_rota_wins_over_alerting_on_call():
    config = parse_config({"alerting": {"on_call": ["ou_x"]}, "response": {"rota": {"members": MEMBERS,
                                                                                     "start": "2026-11-23"}}})
    assert current_on_call(config, sh("2026-11-23 12:00")).primary.open_id == A


@pytest.mark.parametrize("data, path", [
    ({"rota": {"handover": "9:00"}}, "response.rota.handover"),
    ({"rota": {"members": [{"open_id": "u1", "name": "x"}]}}, "response.rota.members[0].open_id"),
    ({"rota": {"leads": ["@all"]}}, "response.rota.leads[0]"),
    ({"rota": {"rotation": "monthly"}}, "response.rota.rotation"),
    ({"rota": {"overrides": [{"start": "2026-11-02", "end": "2026-11-01", "member": A}]}},
     "response.rota.overrides[0].end"),
    ({"rota": {"members": [MEMBERS[0], MEMBERS[0]]}}, "response.rota.members[1].open_id"),
    ({"timezone": "Mars/Olympus"}, "response.timezone"),
    ({"deadlines": {"严重": {"ack": 5}}}, "response.deadlines"),
    ({"deadlines": {"重大": {"ack": 0}}}, "response.deadlines.重大.ack"),
    ({"working_hours": {"start": "18:00", "end": "09:00"}}, "response.working_hours.end"),
    ({"escalation": {"ack_steps": [10, 0]}}, "response.escalation.ack_steps"),
    ({"digest": {"time": "25:00"}}, "response.digest.time"),
    ({"pager": {}}, "response.pager"),
])
def test_config_errors_name_their_path(data, path):
    from bot.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_config({"response": data})
    assert path in [p for p, _ in err.value.problems], err.value.render()

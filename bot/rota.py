"""Who is on call: a pure function of the rota config and an instant.

Shifts are counted in local wall-clock time from `rota.start` at the hand-over time, one day or one week
long, so a zone with daylight saving would still hand over at 09:00 local (Asia/Shanghai has none).
An override (dates inclusive) puts a member on call from the hand-over on its first day to the hand-over
after its last; meanwhile the scheduled member becomes the backup unless a backup is configured.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.config.response import RotaConfig, parse_hhmm

SHIFT = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


@dataclass(frozen=True)
class Member:
    open_id: str
    name: str


@dataclass(frozen=True)
class OnCall:
    primary: Member | None
    backup: Member | None
    leads: tuple[Member, ...]
    until: datetime | None  # when this answer next changes (UTC); None for an empty rota

    @property
    def open_ids(self) -> list[str]:
        return [self.primary.open_id] if self.primary else []


def _handover(rota: RotaConfig, day: date) -> datetime:
    """The hand-over on `day`, as a local wall-clock time."""
    return datetime.combine(day, parse_hhmm(rota.handover))


def _to_utc(naive_local: datetime, tz: ZoneInfo) -> datetime:
    return naive_local.replace(tzinfo=tz).astimezone(timezone.utc)


def _member(rota: RotaConfig, open_id: str, name: str | None = None) -> Member:
    known = next((m for m in rota.members if m.open_id == open_id), None)
    return Member(open_id, name or (known.name if known else open_id))


def _scheduled(rota: RotaConfig, wall: datetime) -> tuple[int, datetime]:
    """The index of the scheduled member at local wall time `wall`, and when that shift ends (local wall)."""
    anchor = _handover(rota, rota.start)
    length = SHIFT[rota.rotation]
    n = (wall - anchor) // length
    return n % len(rota.members), anchor + (n + 1) * length


def on_call_at(rota: RotaConfig, now: datetime, tz: ZoneInfo = ZoneInfo("Asia/Shanghai"),
               fallback_leads: tuple[str, ...] = ()) -> OnCall:
    """Primary, backup and leads at `now`, and until when that holds."""
    leads = tuple(_member(rota, oid) for oid in (rota.leads or fallback_leads))
    if not rota.members and not rota.overrides:
        return OnCall(None, _member(rota, rota.backup) if rota.backup else None, leads, None)
    wall = now.astimezone(tz).replace(tzinfo=None)
    changes: list[datetime] = []
    primary = backup = None
    if rota.members:
        index, shift_end = _scheduled(rota, wall)
        changes.append(shift_end)
        primary = Member(rota.members[index].open_id, rota.members[index].name)
        if len(rota.members) > 1:
            nxt = rota.members[(index + 1) % len(rota.members)]
            backup = Member(nxt.open_id, nxt.name)
    for ov in rota.overrides:
        begins = _handover(rota, ov.start)
        ends = _handover(rota, ov.end + timedelta(days=1))
        if begins <= wall < ends:
            scheduled = primary
            primary = _member(rota, ov.member, ov.name)
            backup = scheduled if scheduled and scheduled.open_id != ov.member else backup
            changes.append(ends)
        elif begins > wall:
            changes.append(begins)
    if rota.backup:
        backup = _member(rota, rota.backup)
    if backup and primary and backup.open_id == primary.open_id:
        backup = None
    until = _to_utc(min(changes), tz) if changes else None
    return OnCall(primary, backup, leads, until)


def next_shift(rota: RotaConfig, now: datetime, tz: ZoneInfo = ZoneInfo("Asia/Shanghai"),
               fallback_leads: tuple[str, ...] = ()) -> OnCall | None:
    """Who takes over when the current answer ends (None for an empty rota)."""
    current = on_call_at(rota, now, tz, fallback_leads)
    return on_call_at(rota, current.until, tz, fallback_leads) if current.until else None

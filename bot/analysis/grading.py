"""Heat and grade of an incident: a pure function of its stats, the config and an injected `now`.

heat = Σ authority × (1 + log10(1 + engagement)) over the negative items + velocity_weight × velocity.
The grade is the highest of: the heat threshold reached, and each escalation trigger that fires (regulator
named, state media reporting, spread over `min_platforms` platforms, a velocity spike, a complaint pattern). A
regulator or state-media trigger fires only on items negative about the brand (a how-to page naming 银保监会, or
the company's fix reported by 新华社, lifts nothing). A complaint pattern is `complaint_pattern.min_authors`
distinct authors posting negative items about the incident's brand and practice within `window_hours`: the heat
model gives little weight to low-engagement complaints, but six customers with the same fee complaint in ten
hours are a pattern. Reasons are always given.
Automatic grades only rise: `raise_only(current, proposed)`.
"""
import bisect
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from bot.config.analysis import GradingConfig
from bot.grades import Grade


@dataclass(frozen=True)
class IncidentItem:
    """What grading needs to know about one item of an incident."""

    published_at: datetime
    source: str
    platform: str
    authority: float
    engagement: int
    negative: bool  # about the incident's brand
    regulators: tuple[str, ...] = ()
    author: str | None = None


@dataclass(frozen=True)
class IncidentStats:
    item_count: int
    negative_count: int
    first_seen: datetime
    last_seen: datetime
    engagement: int
    weighted_reach: float  # Σ authority × (1 + log10(1 + engagement)) over negative items
    sources: frozenset[str]
    platforms: frozenset[str]
    regulators: tuple[str, ...]
    state_media: tuple[str, ...]
    recent_count: int  # items within spike_window_hours before now
    pattern_authors: int = 0  # most distinct authors of negative items within complaint_pattern.window_hours

    @property
    def span_hours(self) -> float:
        return (self.last_seen - self.first_seen).total_seconds() / 3600

    @property
    def velocity(self) -> float:
        """Items per hour over the incident's life (at least one hour)."""
        return self.item_count / max(1.0, self.span_hours)


@dataclass(frozen=True)
class GradeDecision:
    grade: Grade | None
    heat: float
    reasons: tuple[str, ...]


def authority_for(source: str, config: GradingConfig, default: float = 1.0) -> float:
    """The weight of a source: its configured tier's weight, else `default`."""
    tier = config.source_tiers.get(source)
    return config.authority[tier] if tier else default


class IncidentTally:
    """Running totals of an incident's items, so stats cost O(log n) per new item instead of a re-scan."""

    def __init__(self, config: GradingConfig):
        self._config = config
        self._times: list[datetime] = []
        self.negative_count = 0
        self.engagement = 0
        self.weighted_reach = 0.0
        self.sources: set[str] = set()
        self.platforms: set[str] = set()
        self.regulators: dict[str, None] = {}
        self.state_media: dict[str, None] = {}
        self._authored: list[tuple[datetime, str]] = []  # negative items with an author, by time

    @classmethod
    def of(cls, items: Iterable[IncidentItem], config: GradingConfig) -> "IncidentTally":
        """A tally of these items."""
        tally = cls(config)
        for it in items:
            tally.add(it)
        return tally

    def add(self, it: IncidentItem) -> None:
        bisect.insort(self._times, it.published_at)
        self.negative_count += it.negative
        self.engagement += it.engagement
        if it.negative:
            self.weighted_reach += it.authority * (1 + math.log10(1 + it.engagement))
        if it.source:
            self.sources.add(it.source)
            if it.negative and it.authority >= self._config.authority["state_media"]:
                self.state_media[it.source] = None
        if it.platform:
            self.platforms.add(it.platform)
        if it.negative:
            self.regulators.update(dict.fromkeys(it.regulators))
            if it.author:
                bisect.insort(self._authored, (it.published_at, it.author))

    def _pattern_authors(self) -> int:
        window = timedelta(hours=self._config.complaint_pattern.window_hours)
        best, lo, inside = 0, 0, Counter[str]()
        for t, author in self._authored:
            inside[author] += 1
            while t - self._authored[lo][0] > window:
                gone = self._authored[lo][1]
                inside[gone] -= 1
                if not inside[gone]:
                    del inside[gone]
                lo += 1
            best = max(best, len(inside))
        return best

    def stats(self, now: datetime) -> IncidentStats:
        if not self._times:
            raise ValueError("an incident has at least one item")
        since = now - timedelta(hours=self._config.spike_window_hours)
        return IncidentStats(
            item_count=len(self._times), negative_count=self.negative_count,
            first_seen=self._times[0], last_seen=self._times[-1], engagement=self.engagement,
            weighted_reach=self.weighted_reach, sources=frozenset(self.sources), platforms=frozenset(self.platforms),
            regulators=tuple(self.regulators), state_media=tuple(self.state_media),
            recent_count=len(self._times) - bisect.bisect_left(self._times, since),
            pattern_authors=self._pattern_authors(),
        )


def summarise(items: Iterable[IncidentItem], now: datetime, config: GradingConfig) -> IncidentStats:
    """Fold an incident's items into the stats grading reads."""
    return IncidentTally.of(items, config).stats(now)


def _spike(stats: IncidentStats, config: GradingConfig) -> bool:
    if stats.recent_count < config.spike_min_items:
        return False
    before = stats.item_count - stats.recent_count
    hours_before = max(1.0, stats.span_hours - config.spike_window_hours)
    recent_rate = stats.recent_count / config.spike_window_hours
    return recent_rate >= config.spike_factor * (before / hours_before)


def _hours(h: float) -> str:
    return f"{h:.0f}" if h >= 1 else "1"


def grade_incident(stats: IncidentStats, config: GradingConfig) -> GradeDecision:
    """Heat, grade (None below 轻微 or with no negative item) and the reasons, in Chinese for the card."""
    heat = round(stats.weighted_reach + config.velocity_weight * stats.velocity, 1)
    reasons = [f"{_hours(stats.span_hours)} 小时内 {stats.item_count} 条（负面 {stats.negative_count} 条）",
               f"热度 {heat:g}"]
    if stats.negative_count == 0:
        return GradeDecision(None, heat, (*reasons, "无负面内容"))
    grade: Grade | None = None
    for g in (Grade.MINOR, Grade.MODERATE, Grade.MAJOR):
        if heat >= config.thresholds[g.value]:
            grade = g
    if grade:
        reasons[-1] += f" ≥ {grade.value}阈值 {config.thresholds[grade.value]:g}"
    triggers = config.triggers
    fired: list[tuple[str, str]] = []
    if stats.regulators:
        fired.append((triggers.regulator, "含监管关键词" + "".join(f"「{r}」" for r in stats.regulators[:3])))
    if stats.state_media:
        fired.append((triggers.mainstream_media, "官方媒体报道：" + "、".join(stats.state_media[:3])))
    if len(stats.platforms) >= config.min_platforms:
        fired.append((triggers.platforms, f"{len(stats.platforms)} 个平台（{'、'.join(sorted(stats.platforms))}）"))
    if _spike(stats, config):
        fired.append((triggers.velocity_spike,
                      f"传播加速：近 {config.spike_window_hours:g} 小时 {stats.recent_count} 条"))
    pattern = config.complaint_pattern
    if pattern.min_authors and stats.pattern_authors >= pattern.min_authors:
        fired.append((pattern.grade, f"投诉模式：{pattern.window_hours:g} 小时内 {stats.pattern_authors} 位用户反映同类问题"))
    for level, text in fired:
        grade = raise_only(grade, Grade(level))
        reasons.append(text)
    return GradeDecision(grade, heat, tuple(reasons))


def raise_only(current: Grade | None, proposed: Grade | None) -> Grade | None:
    """The higher of two grades (None is below 轻微): automatic grading never lowers an incident."""
    if current is None:
        return proposed
    if proposed is None:
        return current
    return max(current, proposed)

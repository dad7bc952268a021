"""The daily 舆情 risk index of a watched entity, 0–100: a pure function of that day's items about it and the
negative counts of the seven days before.

    index = 100 × (0.25·V + 0.30·S + 0.25·T + 0.10·A + 0.10·R)

    V  volume     min(1, log10(1 + n) / log10(1 + 50))   n = negative items that day; 50 a day saturates
    S  share      n / N                                 N = all items about the entity that day
    T  severity   the highest severity among the negative items' topics (company topics carry their own,
                  0.4 环保处罚 … 1.0 违约 / 破产重整; any other topic 0.5; a negative item with no topic 0.3)
    A  authority  min(1, (highest source authority among the negative items − 1) / 4)   ordinary 1 → 0, state media 5 → 1
    R  trend      clamp((n − b) / (b + 3), 0, 1)          b = mean negative items a day over the 7 days before

Why these parts and weights: how bad the news is (share and severity, 55 %) matters more for a credit decision
than how loud it is; volume is logarithmic because the first reports of a default say more than the hundredth;
who reports it and whether it is accelerating amplify (10 % each). Only negative items drive the index: a day of
neutral or good news is 0, however loud.
"""
import math
from dataclasses import dataclass
from typing import Iterable

WEIGHTS = {"volume": 0.25, "share": 0.30, "severity": 0.25, "authority": 0.10, "trend": 0.10}
VOLUME_SATURATION = 50
NO_TOPIC_SEVERITY = 0.3
TREND_DAYS = 7


@dataclass(frozen=True)
class DayItem:
    negative: bool
    authority: float
    topics: tuple[str, ...]


@dataclass(frozen=True)
class RiskDay:
    index: float
    volume: int
    negative: int
    severity: float
    authority: float
    trend: float
    reasons: tuple[str, ...]


def risk_of_day(items: Iterable[DayItem], before: list[int], severity_of) -> RiskDay:
    """The index of one day from its items; `before` holds the negative counts of the previous days (oldest
    first, up to TREND_DAYS used); `severity_of(topic)` weighs a topic."""
    items = list(items)
    total = len(items)
    neg = [i for i in items if i.negative]
    n = len(neg)
    if n == 0:
        return RiskDay(0.0, total, 0, 0.0, 0.0, 0.0, (f"共 {total} 条，无负面内容",))
    v = min(1.0, math.log10(1 + n) / math.log10(1 + VOLUME_SATURATION))
    s = n / total
    worst_topic, t = "", NO_TOPIC_SEVERITY
    for it in neg:
        for topic in it.topics:
            w = severity_of(topic)
            if w > t:
                worst_topic, t = topic, w
    top_authority = max(i.authority for i in neg)
    a = min(1.0, max(0.0, (top_authority - 1) / 4))
    window = before[-TREND_DAYS:]
    b = sum(window) / len(window) if window else 0.0
    r = min(1.0, max(0.0, (n - b) / (b + 3)))
    index = 100 * (WEIGHTS["volume"] * v + WEIGHTS["share"] * s + WEIGHTS["severity"] * t
                   + WEIGHTS["authority"] * a + WEIGHTS["trend"] * r)
    reasons = [f"负面 {n} 条 / 共 {total} 条（{s:.0%}）",
               f"最重话题：{worst_topic}（严重度 {t:g}）" if worst_topic else f"负面内容无风险话题（严重度 {t:g}）",
               f"最高来源权重 {top_authority:g}",
               f"前 {len(window)} 日日均负面 {b:.1f} 条" + ("，今日上升" if r > 0 else "，今日未上升")]
    return RiskDay(round(index, 1), total, n, round(t, 3), round(a, 3), round(r, 3), tuple(reasons))

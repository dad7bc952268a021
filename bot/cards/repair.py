"""The trust-repair section of the review card: before / after curves (VChart line chart: negative items a day
and negative share per window), the repair actions with their times, and whether the story calmed down."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cards.text import safe_text
from bot.clock import SHANGHAI

MAX_ACTIONS = 10
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    label: str
    start: datetime
    end: datetime
    volume: int
    negative: int
    complaints: tuple[str, ...]  # the most engaging negative titles not seen in an earlier window
    closed: bool

    @property
    def share(self) -> float:
        return self.negative / self.volume if self.volume else 0.0

    @property
    def negative_per_day(self) -> float:
        return self.negative / ((self.end - self.start) / DAY)


@dataclass(frozen=True)
class RepairAction:
    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class Repair:
    statement_at: datetime
    horizon_weeks: int
    windows: list[Window]  # before, first 24 h, week 1 … week n
    actions: list[RepairAction]
    doubts: bool | None  # None until the first 24 h are over
    report_asked_at: datetime | None
    report_due_at: datetime | None
    report_at: datetime | None
    calm_week: int | None  # the week from which every closed week was calm

    @property
    def before(self) -> Window:
        return self.windows[0]

    @property
    def first(self) -> Window:
        return self.windows[1]

    @property
    def weeks(self) -> list[Window]:
        return self.windows[2:]

    @property
    def over(self) -> bool:
        return self.windows[-1].closed

    @property
    def verdict(self) -> str:
        if self.calm_week is not None:
            return f"第 {self.calm_week} 周起平息（{self.horizon_weeks} 周内）"
        return f"{self.horizon_weeks} 周内未平息" if self.over else "跟踪中"




def repair_chart(r: Repair) -> dict:
    values = []
    for w in r.windows:
        values.append({"window": w.label, "metric": "负面条数/天", "value": round(w.negative_per_day, 1)})
        values.append({"window": w.label, "metric": "负面占比 %", "value": round(100 * w.share, 1)})
    return {"tag": "chart", "aspect_ratio": "16:9", "chart_spec": {
        "type": "line", "data": [{"id": "repair", "values": values}], "xField": "window", "yField": "value",
        "seriesField": "metric", "legends": {"visible": True, "orient": "bottom"},
        "title": {"visible": True, "text": "声明前后：负面声量与占比"}}}


def repair_elements(r: Repair) -> list[dict]:
    lines = [f"声明 {r.statement_at.astimezone(SHANGHAI):%m-%d %H:%M} · 跟踪 {r.horizon_weeks} 周 · **{r.verdict}**"]
    if r.doubts is not None:
        lines.append(f"声明后 24 小时：{'质疑仍在' if r.doubts else '质疑明显减少'}"
                     f"（负面占比 {r.before.share:.0%} → {r.first.share:.0%}）")
    if r.report_asked_at:
        lines.append("补充调查报告：" + (f"{r.report_at.astimezone(SHANGHAI):%m-%d %H:%M} 已提交" if r.report_at
                                       else f"待提交，时限 {r.report_due_at.astimezone(SHANGHAI):%m-%d %H:%M}"
                                       if r.report_due_at else "待提交"))
    actions = [f"· {a.at.astimezone(SHANGHAI):%m-%d %H:%M} {safe_text(a.author, 20)}：{safe_text(a.text, 120)}"
               for a in r.actions[:MAX_ACTIONS]]
    return [{"tag": "markdown", "content": "**信任修复**\n" + "\n".join(lines)}, repair_chart(r),
            {"tag": "div", "text": {"tag": "plain_text", "content": "修复行动：\n" + ("\n".join(actions) or "（无）")}}]

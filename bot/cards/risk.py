"""The /risk card (JSON 2.0): a watched entity's risk index today with its reasons, the trend as a line chart
(the card's `chart` component takes a VChart spec) and the top negative stories. Post titles are untrusted."""
from dataclasses import dataclass
from datetime import datetime

from bot.cards.text import safe_text, safe_url
from bot.config.watchlist import KIND_LABELS, TIER_LABELS, WatchedEntity

URL_LIMIT = 600


@dataclass(frozen=True)
class Story:
    title: str
    url: str | None
    source: str
    published_at: datetime | None
    engagement: int


@dataclass(frozen=True)
class RiskReport:
    entity: WatchedEntity
    series: list[dict]  # oldest first, as `as_record` gives each day
    stories: list[Story]

    @property
    def today(self) -> dict:
        return self.series[-1]

    def as_json(self) -> dict:
        return {"entity": self.entity.name, "kind": self.entity.kind, "kind_label": KIND_LABELS[self.entity.kind],
                "tier": self.entity.tier, "series": self.series,
                "top_stories": [{"title": s.title, "url": s.url, "source": s.source, "engagement": s.engagement,
                                 "published_at": s.published_at.isoformat() if s.published_at else None}
                                for s in self.stories]}




def _md(content: str) -> dict:
    return {"tag": "markdown", "content": content}


def _text(content: str) -> dict:
    return {"tag": "div", "text": {"tag": "plain_text", "content": content}}


def _colour(index: float) -> str:
    return "red" if index >= 60 else "orange" if index >= 30 else "green"


def trend_chart(r: RiskReport) -> dict:
    values = [{"day": d["day"][5:], "index": d["index"]} for d in r.series]
    return {"tag": "chart", "aspect_ratio": "16:9", "chart_spec": {
        "type": "line", "data": [{"id": "risk", "values": values}], "xField": "day", "yField": "index",
        "axes": [{"orient": "left", "min": 0, "max": 100}],
        "title": {"visible": True, "text": f"近 {len(values)} 天舆情风险指数"}}}


def render_risk_card(r: RiskReport) -> dict:
    e, today = r.entity, r.today
    elements = [_md(f"**今日指数 {today['index']:g}** / 100　负面 {today['negative']} 条 · 共 {today['volume']} 条"),
                _text("\n".join(f"· {safe_text(str(x), 100)}" for x in today["reasons"][:5])),
                trend_chart(r), _md(f"**负面热门**（近 {len(r.series)} 天）")]
    if not r.stories:
        elements.append(_text("无"))
    for i, s in enumerate(r.stories, 1):
        link = safe_url(s.url)
        link = link if link and len(link) <= URL_LIMIT else None
        elements.append(_text(f"{i}. {safe_text(s.title, 80) or '（无标题）'}"))
        elements.append(_md(f"<font color='grey'>{safe_text(s.source, 30)} · 互动 {s.engagement}</font>"
                            + (f" · [原文]({link})" if link else "")))
    elements.append(_md("<font color='grey'>指数 = 100 ×（0.25 声量 + 0.30 负面占比 + 0.25 话题严重度 + "
                        "0.10 来源权威 + 0.10 上升趋势），见 README</font>"))
    title = f"舆情风险 · {safe_text(e.name, 30)}（{KIND_LABELS[e.kind]} · {TIER_LABELS[e.tier]}）"
    return {"schema": "2.0", "config": {"update_multi": True},
            "header": {"title": {"tag": "plain_text", "content": title}, "template": _colour(today["index"])},
            "body": {"elements": elements}}

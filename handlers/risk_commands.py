"""/risk 名称 [天数]: a watched entity's 舆情 risk index, its trend as a chart and its top negative stories —
for anyone in the chat (the credit and risk teams read it before a decision)."""
import difflib

from bot.config import Config
from bot.cards.risk import render_risk_card
from bot.config.watchlist import WatchedEntity
from bot.risk.report import MAX_DAYS, risk_report
from bot.watchlists.entities import find_entity
from handlers.args import split_first
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry

DEFAULT_DAYS = 30


def register(registry: Registry, config: Config) -> None:
    names = [e.name for e in config.watchlist.entities]

    def parse(_ctx: Context, text: str) -> tuple[WatchedEntity, int]:
        word, rest = split_first(text)
        if not word:
            raise UsageError("缺少关注对象名称" + (f"（可选：{'、'.join(names[:10])}）" if names else "（config.yaml 的 watchlist.entities 为空）"))
        entity = find_entity(config, word)
        if entity is None:
            close = difflib.get_close_matches(word, names, n=1, cutoff=0.3)
            raise UsageError(f"「{word[:30]}」不是关注对象" + (f"，是不是「{close[0]}」？" if close else ""))
        days = DEFAULT_DAYS
        if rest:
            if not rest.isdigit() or not 1 <= int(rest) <= MAX_DAYS:
                raise UsageError(f"天数应为 1 到 {MAX_DAYS} 的整数，而不是「{rest[:20]}」")
            days = int(rest)
        return entity, days

    def run(ctx: Context, args: tuple[WatchedEntity, int]) -> Reply:
        entity, days = args
        return Reply(card=render_risk_card(risk_report(ctx.session, config, entity, days, ctx.now)))

    registry.register(CommandSpec("risk", ("风险",), "名称 [天数]", None,
                                  "关注对象的舆情风险指数、近 30 天走势图与负面热门", parse, run))

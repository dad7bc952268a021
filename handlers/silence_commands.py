"""/silence, /silences and /unsilence: mutes on a brand, grade, topic, source or keyword (leads only to change
them); /silences also shows what each one held back."""
from dataclasses import dataclass
from datetime import timedelta

from bot.alerting.kinds import Outbound
from bot.alerting.silences import (
    BadSilence, Matcher, active_silences, create_silence, expire_silence, held_by, parse_duration, parse_matcher,
)
from bot.config import Config
from bot.incidents.silencing import release_ended
from bot.clock import SHANGHAI
from bot.config.team import Role, TeamConfig
from handlers.args import split_first
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry


@dataclass(frozen=True)
class SilenceArgs:
    matcher: Matcher
    value: str
    duration: timedelta


def parse_silence(_ctx: Context, text: str) -> SilenceArgs:
    kind, rest = split_first(text)
    parts = rest.rsplit(maxsplit=1)
    if not kind or len(parts) != 2:
        raise UsageError("需要 类型 值 时长，例如 /silence 品牌 星河消费金融 2h")
    try:
        return SilenceArgs(parse_matcher(kind), parts[0], parse_duration(parts[1]))
    except BadSilence as exc:
        raise UsageError(str(exc)) from None


def parse_id(_ctx: Context, text: str) -> int:
    t = text.strip().lstrip("#＃")
    if not t.isdigit():
        raise UsageError("需要屏蔽编号，见 /silences")
    return int(t)


def _label(kind: str) -> str:
    try:
        return Outbound(kind).label
    except ValueError:
        return kind


def held_text(held: dict[str, tuple[int, int]]) -> str:
    """「已拦截 告警卡片 3 条（2 个事件）、认领提醒 1 条」, or that nothing was held yet."""
    if not held:
        return "尚未拦截消息"
    parts = [f"{_label(k)} {n} 条（{i} 个事件）"
             for k, (n, i) in sorted(held.items())]
    return "已拦截 " + "、".join(parts)


def register(registry: Registry, team: TeamConfig, config: Config) -> None:
    def silence(ctx: Context, a: SilenceArgs) -> Reply:
        try:
            row = create_silence(ctx.session, a.matcher, a.value, a.duration, ctx.actor.open_id or ctx.actor.name,
                                 ctx.now)
        except BadSilence as exc:
            raise UsageError(str(exc)) from None
        return Reply(text=f"🔕 已屏蔽 #{row.id}：{a.matcher.label}「{a.value}」至 "
                          f"{row.ends_at.astimezone(SHANGHAI):%m-%d %H:%M}（/unsilence {row.id} 可提前解除）")

    def silences(ctx: Context, _: None) -> Reply:
        rows = active_silences(ctx.session, ctx.now)
        if not rows:
            return Reply(text="当前没有生效的屏蔽")
        held = held_by(ctx.session, [s.id for s in rows])
        return Reply(text="生效中的屏蔽：\n" + "\n".join(
            f"#{s.id} {Matcher(s.matcher).label}「{s.value}」至 {s.ends_at.astimezone(SHANGHAI):%m-%d %H:%M}"
            f"（{team.name_of(s.created_by)}）· {held_text(held.get(s.id, {}))}" for s in rows))

    def unsilence(ctx: Context, silence_id: int) -> Reply:
        try:
            expire_silence(ctx.session, silence_id, ctx.now)
        except BadSilence as exc:
            raise UsageError(str(exc)) from None
        released = release_ended(ctx.session, config, ctx.now)
        more = f"，补发 {released} 条仍待认领事件的告警" if released else ""
        return Reply(text=f"🔔 已解除屏蔽 #{silence_id}{more}")

    def no_args(_ctx: Context, text: str) -> None:
        if text.strip():
            raise UsageError(f"多余的参数「{text.strip()}」")

    registry.register(CommandSpec("silence", ("屏蔽",), "brand|grade|topic|source|关键词 值 时长", Role.LEAD,
                                  "屏蔽某品牌、等级、话题、来源或关键词一段时间（负责人）", parse_silence, silence))
    registry.register(CommandSpec("silences", ("屏蔽列表",), "", None, "生效中的屏蔽", no_args, silences))
    registry.register(CommandSpec("unsilence", ("解除屏蔽",), "编号", Role.LEAD, "提前解除一条屏蔽（负责人）",
                                  parse_id, unsilence))

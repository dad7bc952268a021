"""/ack /assign /resolve /reopen /grade /note /fp /assess /statement → the incident action service."""
import re
from dataclasses import dataclass

from bot.config.team import Role
from bot.grades import Grade
from bot.incidents.actions import IncidentActions, Milestone
from bot.state import Action
from handlers.args import grade_word, incident_target, mentioned_open_id, only_incident, readable, split_first
from handlers.context import Context, Reply, UsageError
from handlers.registry import CommandSpec, Registry

# who may do what, for commands and buttons alike
ROLES: dict[Action, Role] = {
    Action.ACK: Role.RESPONDER, Action.ASSIGN: Role.RESPONDER, Action.RESOLVE: Role.RESPONDER,
    Action.REOPEN: Role.RESPONDER, Action.NOTE: Role.RESPONDER, Action.MARK_FP: Role.RESPONDER,
    Action.REGRADE: Role.LEAD,
}


@dataclass(frozen=True)
class WithText:
    incident_id: int
    text: str


# `/note ID 研判 …` and `/note ID 声明：…` record the milestone, as /assess and /statement do
_MILESTONE_NOTE = re.compile(r"^(研判|声明)(?:[\s:：]+(.*))?$", re.S)
MILESTONE_WORDS = {"研判": Milestone.ASSESSED, "声明": Milestone.STATEMENT}


@dataclass(frozen=True)
class AssignArgs:
    incident_id: int
    assignee: str  # open_id


@dataclass(frozen=True)
class GradeArgs:
    incident_id: int
    grade: Grade


def _with_text(required: str | None):
    def parse(ctx: Context, text: str) -> WithText:
        target = incident_target(ctx, text)
        if required and not target.rest:
            raise UsageError(f"缺少{required}")
        return WithText(target.incident_id, readable(ctx, target.rest))
    return parse


def register(registry: Registry, actions: IncidentActions) -> None:
    team = actions.team

    def parse_assign(ctx: Context, text: str) -> AssignArgs:
        first, rest = split_first(text)
        if ctx.thread_incident_id is not None and (first.startswith("@") or team.find(first)):
            target_id, who = ctx.thread_incident_id, text.strip()
        else:
            target = incident_target(ctx, text)
            target_id, who = target.incident_id, target.rest
        if not who or len(who.split()) != 1:
            raise UsageError("请 @ 一位成员")
        open_id = mentioned_open_id(ctx, who)
        member = team.find(open_id)
        if member is None:
            raise UsageError(f"「{readable(ctx, who)}」不在团队名单中")
        return AssignArgs(target_id, member.open_id)

    def parse_grade(ctx: Context, text: str) -> GradeArgs:
        target = incident_target(ctx, text)
        return GradeArgs(target.incident_id, grade_word(target.rest))

    def done(outcome) -> Reply:
        return Reply(text=outcome.message, toast=outcome.message)

    def note(ctx: Context, a: WithText) -> Reply:
        m = _MILESTONE_NOTE.match(a.text)
        if m:
            return done(actions.record(ctx.session, a.incident_id, ctx.actor, MILESTONE_WORDS[m.group(1)],
                                       (m.group(2) or "").strip(), ctx.now))
        return done(actions.note(ctx.session, a.incident_id, ctx.actor, a.text, ctx.now))

    def milestone(which: Milestone):
        return lambda ctx, a: done(actions.record(ctx.session, a.incident_id, ctx.actor, which, a.text, ctx.now))

    specs = [
        CommandSpec("ack", ("认领",), "[ID]", ROLES[Action.ACK], "认领事件，由你负责跟进", only_incident,
                    lambda ctx, i: done(actions.ack(ctx.session, i, ctx.actor, ctx.now))),
        CommandSpec("assign", ("指派",), "ID @成员", ROLES[Action.ASSIGN], "把事件指派给一位成员", parse_assign,
                    lambda ctx, a: done(actions.assign(ctx.session, a.incident_id, ctx.actor, a.assignee, ctx.now))),
        CommandSpec("resolve", ("解决",), "ID [说明]", ROLES[Action.RESOLVE], "标记事件已解决", _with_text(None),
                    lambda ctx, a: done(actions.resolve(ctx.session, a.incident_id, ctx.actor, ctx.now, a.text))),
        CommandSpec("reopen", ("重开",), "ID", ROLES[Action.REOPEN], "重开已关闭的事件", only_incident,
                    lambda ctx, i: done(actions.reopen(ctx.session, i, ctx.actor, ctx.now))),
        CommandSpec("grade", ("定级",), "ID 重大|一般|轻微", ROLES[Action.REGRADE], "人工定级（负责人）", parse_grade,
                    lambda ctx, a: done(actions.regrade(ctx.session, a.incident_id, ctx.actor, a.grade, ctx.now))),
        CommandSpec("note", ("备注",), "ID 文本", ROLES[Action.NOTE], "在事件时间线上记一笔", _with_text("备注内容"),
                    note),
        CommandSpec("assess", ("研判",), "ID [结论]", ROLES[Action.NOTE], "记录研判结论（首次即完成研判时限，停止提醒）",
                    _with_text(None), milestone(Milestone.ASSESSED)),
        CommandSpec("statement", ("声明",), "ID [文本或链接]", ROLES[Action.NOTE],
                    "记录已发布官方声明（首次即完成声明时限，停止提醒）", _with_text(None), milestone(Milestone.STATEMENT)),
        CommandSpec("fp", ("误报",), "ID [原因]", ROLES[Action.MARK_FP], "标记误报并关闭，反馈给分析规则",
                    _with_text(None),
                    lambda ctx, a: done(actions.mark_fp(ctx.session, a.incident_id, ctx.actor, ctx.now, a.text))),
    ]
    for spec in specs:
        registry.register(spec)

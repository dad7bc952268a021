"""Card buttons → the same action service as the commands → a toast and the incident's new card."""
from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.cards.actions import BadActionValue, CardAction, decode_action
from bot.feishu.events import CardActionEvent
from bot.grades import Grade
from bot.incidents.actions import IncidentActions, Outcome
from bot.state import Action, InvalidTransition, State
from bot.models import Incident
from handlers.context import Context, Reply, authorise
from handlers.incident_commands import ROLES

RenderCard = Callable[[Session, Incident], dict]

ACTIONS = {CardAction.ACK: Action.ACK, CardAction.ASSIGN: Action.ASSIGN, CardAction.RESOLVE: Action.RESOLVE,
           CardAction.FALSE_POSITIVE: Action.MARK_FP, CardAction.REGRADE: Action.REGRADE,
           CardAction.REOPEN: Action.REOPEN}


class CardActions:
    """Handles `card.action.trigger`; `render_card`, when given, draws the updated card for the answer."""

    def __init__(self, actions: IncidentActions, render_card: RenderCard | None = None):
        self.actions, self.render_card = actions, render_card

    def __call__(self, ctx: Context, event: CardActionEvent) -> Reply:
        try:
            value = decode_action(event.value)
        except BadActionValue:
            return Reply.refused("这个按钮已失效，请使用最新的卡片或指令", "error")
        action = ACTIONS[value.action]
        refusal = authorise(ctx.member, ROLES[action], action.label, ctx.actor.open_id)
        if refusal is not None:
            return refusal
        try:
            outcome = self._perform(ctx, action, value.incident_id, value.grade, event.option)
        except InvalidTransition as exc:
            # show the card as it stands now, so the presser sees who got there first
            return Reply(toast=exc.reason, tone="warning", card=self._card(ctx, value.incident_id))
        return Reply(text=outcome.message, toast=outcome.message, card=self._card(ctx, value.incident_id))

    def _perform(self, ctx: Context, action: Action, incident_id: int, grade: str | None,
                 option: str | None) -> Outcome:
        a, s, who, now = self.actions, ctx.session, ctx.actor, ctx.now
        if action is Action.ACK:
            return a.ack(s, incident_id, who, now)
        if action is Action.ASSIGN:  # a select_person gives the choice in `option`; a plain button = "me"
            return a.assign(s, incident_id, who, option or who.open_id or "", now)
        if action is Action.RESOLVE:
            return a.resolve(s, incident_id, who, now)
        if action is Action.MARK_FP:
            return a.mark_fp(s, incident_id, who, now)
        if action is Action.REOPEN:
            return a.reopen(s, incident_id, who, now)
        try:  # a select_static gives the grade in `option`; a plain button carries it in its value
            parsed = Grade.parse(grade or option or "")
        except ValueError:
            raise InvalidTransition(State(a.load(s, incident_id).state), action, "按钮里的级别不对") from None
        return a.regrade(s, incident_id, who, parsed, now)

    def _card(self, ctx: Context, incident_id: int) -> dict | None:
        if self.render_card is None:
            return None
        inc = ctx.session.get(Incident, incident_id)
        return self.render_card(ctx.session, inc) if inc is not None else None

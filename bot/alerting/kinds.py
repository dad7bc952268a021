"""Every kind of message the bot sends, and the one builder of their delivery keys.

The kind is stored on the outbox row (`Delivery.kind`); the transport says how the delivery worker hands
it to Feishu. The key becomes the delivery's uuid (≤ 50 characters, sent to Feishu as the message uuid):
the same key means the same message, so a rerun, a restart or a second replica cannot send it twice.
"""
import hashlib
from enum import StrEnum


class Transport(StrEnum):
    CARD = "card"            # a new incident card in a chat, rendered at send time
    PATCH = "patch"          # re-render and patch every posted card of the incident
    THREAD = "thread"        # a reply in the thread of the incident's card in that chat
    CHAT = "chat"            # a new message in a chat (content in the payload)
    REPLY = "reply"          # the answer to a command, in the command's thread
    URGENT = "urgent"        # Feishu's urgent notification (加急) on a posted message


class Outbound(StrEnum):
    INCIDENT_CARD = "incident_card"
    CARD_UPDATE = "card_update"
    THREAD_NOTICE = "thread_notice"    # new items, grade up, resurgence
    NOTE_RELAY = "note_relay"          # a member's note, relayed to the other chats' threads
    REMINDER = "reminder"              # an unacknowledged incident, every repeat_interval
    ESCALATION = "escalation"          # a missed deadline's escalation step
    URGENT = "urgent"                  # 加急 on an escalation step's message
    FOLLOW_UP = "follow_up"            # 持续监控: what is new since the chat last heard
    DIGEST = "digest"                  # the daily digest card
    OPS_NOTICE = "ops_notice"          # source down / recovered, to the ops chat
    COMMAND_REPLY = "command_reply"    # the answer to a chat command
    REPAIR = "repair"                  # trust repair: a window's reaction, the request for the detailed report
    RISK_JUMP = "risk_jump"            # a watched entity's risk index jumped: its owner is told

    @property
    def transport(self) -> Transport:
        return _TRANSPORT[self]

    @property
    def about_incident(self) -> bool:
        """Messages about one incident: routed by its grade and held back by silences that cover it."""
        return self not in (Outbound.DIGEST, Outbound.OPS_NOTICE, Outbound.COMMAND_REPLY, Outbound.RISK_JUMP)

    @property
    def code(self) -> str:
        return _CODES[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    def key(self, *parts: object, incident_id: int | None = None, chat_id: str | None = None) -> str:
        """The delivery key: incident, kind, what makes this message unique, and the chat."""
        if self is Outbound.DIGEST:  # one a day, whichever chat it goes to
            chat_id = None
        body = "-".join(str(p) for p in parts if p not in (None, ""))
        if len(body) > 16:
            body = digest(body, 12)
        head = [f"i{incident_id}" if incident_id is not None else "", self.code, body,
                digest(chat_id) if chat_id else ""]
        return "-".join(p for p in head if p)[:50]


_TRANSPORT = {
    Outbound.INCIDENT_CARD: Transport.CARD, Outbound.CARD_UPDATE: Transport.PATCH,
    Outbound.THREAD_NOTICE: Transport.THREAD, Outbound.NOTE_RELAY: Transport.THREAD,
    Outbound.REMINDER: Transport.THREAD, Outbound.ESCALATION: Transport.THREAD, Outbound.URGENT: Transport.URGENT,
    Outbound.FOLLOW_UP: Transport.THREAD, Outbound.DIGEST: Transport.CHAT, Outbound.OPS_NOTICE: Transport.CHAT,
    Outbound.COMMAND_REPLY: Transport.REPLY, Outbound.REPAIR: Transport.THREAD, Outbound.RISK_JUMP: Transport.CHAT,
}
# the key prefixes; card and remind are the ones keys had before kinds were an enum
_CODES = {
    Outbound.INCIDENT_CARD: "card", Outbound.CARD_UPDATE: "upd", Outbound.THREAD_NOTICE: "tn",
    Outbound.NOTE_RELAY: "note", Outbound.REMINDER: "remind", Outbound.ESCALATION: "esc", Outbound.URGENT: "urg",
    Outbound.FOLLOW_UP: "fu", Outbound.DIGEST: "digest", Outbound.OPS_NOTICE: "ops", Outbound.COMMAND_REPLY: "r",
    Outbound.REPAIR: "rp", Outbound.RISK_JUMP: "risk",
}
_LABELS = {
    Outbound.INCIDENT_CARD: "告警卡片", Outbound.CARD_UPDATE: "卡片更新", Outbound.THREAD_NOTICE: "跟帖通知",
    Outbound.NOTE_RELAY: "备注转发", Outbound.REMINDER: "认领提醒", Outbound.ESCALATION: "升级提醒",
    Outbound.URGENT: "加急", Outbound.FOLLOW_UP: "持续监控", Outbound.DIGEST: "日报", Outbound.OPS_NOTICE: "运维通知",
    Outbound.COMMAND_REPLY: "指令回复", Outbound.REPAIR: "信任修复", Outbound.RISK_JUMP: "风险指数跳升",
}


def digest(text: str, length: int = 16) -> str:
    """A short stable digest of e.g. a chat id, to build keys that fit the uuid column (50)."""
    return hashlib.sha1(text.encode()).hexdigest()[:length]

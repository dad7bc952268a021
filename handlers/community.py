"""Customer community chats (sources of kind `feishu_chat`): their messages become items, never commands.

Every `im.message.receive_v1` goes through the inbox worker; a message from a chat a `feishu_chat` source lists
is stored as an item of that source (author = the member's open_id, platform community) and takes the same
path as any post: analysed, grouped, graded, alerted in the crisis team's chats. Nothing is answered in the
community chat. Images, files, audio and video are noted in the text (「[图片]」, 「[文件：合同.pdf]」), not
downloaded. A resent event is stored once (by source and message id).
"""
import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone

from bot.config.sources import FeishuChatSource
from bot.feishu.events import MessageEvent
from bot.runtime import Runtime
from jobs.scan import ScanReport, ingest_records

log = logging.getLogger(__name__)

NOTED = {"image": "[图片]", "audio": "[语音]", "media": "[视频]", "sticker": "[表情]", "share_chat": "[群名片]",
         "share_user": "[个人名片]", "location": "[位置]"}


def _post_text(content: dict) -> str:
    """The text of a rich-text (post) message: its title and every text, link and mention run."""
    body = content.get("content")
    if not isinstance(body, list):  # the localised form: {"zh_cn": {"title": …, "content": [...]}}
        body = next((v.get("content") for v in content.values() if isinstance(v, dict)), None)
    if not isinstance(body, list):
        body = []
    lines = [str(content.get("title") or "")]
    for para in body:
        runs = []
        for run in para if isinstance(para, list) else []:
            tag = run.get("tag") if isinstance(run, dict) else None
            if tag in ("text", "a"):
                runs.append(str(run.get("text") or ""))
            elif tag == "at":
                runs.append(f"@{run.get('user_name') or ''}")
            elif tag in ("img", "media"):
                runs.append(NOTED["image" if tag == "img" else "media"])
        lines.append("".join(runs))
    return "\n".join(line for line in lines if line)


def message_text(ev: MessageEvent) -> str:
    """What a message says, as text: attachments noted, @-mention placeholders replaced by the names."""
    if ev.message_type == "text":
        text = ev.text
        for m in ev.mentions:
            text = text.replace(m.key, f"@{m.name}")
        return text
    try:
        content = json.loads(ev.content or "{}")
    except json.JSONDecodeError:
        content = {}
    if not isinstance(content, dict):
        content = {}
    if ev.message_type == "post":
        return _post_text(content)
    if ev.message_type == "file":
        return f"[文件：{content.get('file_name') or '未命名'}]"
    return NOTED.get(ev.message_type, f"[{ev.message_type or '未知'}消息]")


def message_record(ev: MessageEvent) -> dict:
    """The message as an item record (the webhook's default field names)."""
    published = None
    if ev.create_time and str(ev.create_time).isdigit():
        published = datetime.fromtimestamp(int(ev.create_time) / 1000, timezone.utc).isoformat()
    return {"id": ev.message_id, "title": "", "content": message_text(ev), "author": ev.sender_open_id or "",
            "published": published}


class CommunityIntake:
    """The inbox worker's handler: community chat messages → items; every other message → `commands`."""

    def __init__(self, rt: Runtime, commands: Callable[[MessageEvent], object]):
        self.rt = rt
        self.commands = commands
        self.sources: dict[str, FeishuChatSource] = {
            chat: spec for spec in rt.config.sources
            if isinstance(spec, FeishuChatSource) and spec.enabled for chat in spec.chats}

    def __call__(self, ev: MessageEvent) -> object:
        spec = self.sources.get(ev.chat_id)
        if spec is None:
            return self.commands(ev)
        if ev.sender_type != "user":
            return None  # bots (this one included) are not the community's voice
        report = ScanReport(spec.name, fetched=1)
        ingest_records(self.rt, spec, [message_record(ev)], spec.fields, report)
        if report.rejected:
            log.warning("community %s: message %s not stored: %s", spec.name, ev.message_id, report.rejected[0][1])
        return None

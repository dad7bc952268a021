"""`yuqing console`: play a team member and talk to the bot against the local database, in the terminal.

Each line goes through the same dispatcher as a Feishu message (as if @-mentioning the bot in a group)
and the reply is printed; `/button ack 12` presses a card button. Works on a pipe for scripted use.
"""
import shlex
import sys
from typing import TextIO

from bot.cards.actions import CardAction, encode_action
from bot.cards.terminal import render_terminal
from bot.config.team import TeamMember
from bot.feishu.events import CardActionEvent, MessageEvent
from handlers.app import ChatOps
from handlers.context import Reply
from handlers.dispatch import new_event_id

CHAT_ID = "console"
PROMPT = "yuqing> "


class Console:
    def __init__(self, chat: ChatOps, member: TeamMember | None, open_id: str | None, out: TextIO):
        self.chat, self.member, self.open_id, self.out = chat, member, open_id, out

    def run_line(self, line: str) -> Reply | None:
        line = line.strip()
        if not line:
            return None
        if line.split()[0] in ("/button", "/按钮"):
            return self._button(line)
        event = MessageEvent(event_id=new_event_id(), message_id=new_event_id(), chat_id=CHAT_ID, chat_type="p2p",
                             sender_open_id=self.open_id, sender_type="user", message_type="text", text=line)
        return self.chat.dispatcher.handle_message(event, via="console", deliver=False)

    def _button(self, line: str) -> Reply:
        parts = shlex.split(line)[1:]
        usage = Reply.refused("用法：/button ack|assign|resolve|fp|reopen|grade ID [级别或成员]")
        if len(parts) < 2 or not parts[1].lstrip("#").isdigit():
            return usage
        try:
            action = CardAction(parts[0])
        except ValueError:
            return usage
        extra = parts[2] if len(parts) > 2 else None
        member = self.chat.actions.team.find(extra) if extra and action is CardAction.ASSIGN else None
        value = encode_action(action, int(parts[1].lstrip("#")), extra if action is CardAction.REGRADE else None)
        event = CardActionEvent(event_id=new_event_id(), operator_open_id=self.open_id, value=value, chat_id=CHAT_ID,
                                message_id=None, option=member.open_id if member else None)
        return self.chat.dispatcher.handle_card(event, via="console")

    def show(self, reply: Reply | None) -> None:
        if reply is None:
            return
        if reply.text:
            print(reply.text, file=self.out)
        elif reply.toast:
            print(f"〔{reply.toast}〕", file=self.out)
        if reply.card is not None:
            print(render_terminal("interactive", reply.card), file=self.out)
        self.out.flush()

    def loop(self, stdin: TextIO) -> None:
        interactive = stdin.isatty()
        who = f"{self.member.name}（{self.member.role.label}）" if self.member else f"{self.open_id}（非团队成员）"
        print(f"以 {who} 的身份与舆情机器人对话；/help 查看指令，Ctrl-D 退出。", file=self.out)
        while True:
            if interactive:
                print(PROMPT, end="", file=self.out, flush=True)
            line = stdin.readline()
            if not line:
                return
            if not interactive and line.strip():
                print(f"{PROMPT}{line.strip()}", file=self.out)
            self.show(self.run_line(line))


def run_console(chat: ChatOps, who: str | None, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Play the member named by `who` (open_id or name; the first member when omitted)."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    team = chat.actions.team
    member = team.find(who) if who else (team.members[0] if team.members else None)
    if who and member is None and not who.startswith("ou_"):
        print(f"--as {who}: no such member in team.members (give a name or an open_id)", file=sys.stderr)
        return 2
    Console(chat, member, member.open_id if member else (who or "ou_console"), out).loop(stdin)
    return 0

"""Config of the response team: members by Feishu open_id, with roles."""
from bot.config.base import Strict


class TeamConfig(Strict):
    """The people the bot knows."""

"""Config of trust repair (信任修复): how long and how the public reaction is followed after a statement."""
from pydantic import Field

from bot.config.base import Strict


class RepairConfig(Strict):
    """Windows after an incident's official statement; see config.yaml for each key's meaning."""

    enabled: bool = True
    horizon_weeks: int = Field(default=4, ge=1, le=12)
    # doubts persist when the first 24 h's negative share is not below the day before's by at least this much
    doubt_margin: float = Field(default=0.1, ge=0, le=1)
    report_deadline_hours: int = Field(default=72, ge=1, le=720)
    # a week is calm when its negative items a day are at most this share of the day before the statement's
    calm_ratio: float = Field(default=0.1, ge=0, le=1)

"""Shared base for every config model: strict (unknown keys are errors), frozen."""
from pydantic import BaseModel, ConfigDict


# A Feishu open_id as the bot accepts it anywhere (config, mentions): nothing else may be @-mentioned
OPEN_ID = r"^ou_[0-9a-zA-Z_-]+$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

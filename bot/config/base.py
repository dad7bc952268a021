"""Shared base for every config model: strict (unknown keys are errors), frozen."""
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


# A Feishu open_id as the bot accepts it anywhere (config, mentions): nothing else may be @-mentioned
OPEN_ID = r"^ou_[0-9a-zA-Z_-]+$"


def _open_id(v: str) -> str:
    if not re.fullmatch(OPEN_ID, v):
        raise ValueError(f"{v!r} is not a Feishu open_id (ou_…)")
    return v


OpenId = Annotated[str, AfterValidator(_open_id)]  # a config key holding someone to @-mention


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

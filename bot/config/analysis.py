"""Config of the analysis: monitored brands (and later rules, topics, sentiment, grading)."""
from pydantic import Field, field_validator

from bot.config.base import Strict


class BrandSpec(Strict):
    """A monitored brand: its name, the other names people use for it, and contexts that rule a hit out."""

    name: str = Field(min_length=1)
    aliases: list[str] = []
    exclude: list[str] = []

    @field_validator("aliases", "exclude")
    @classmethod
    def _no_blank(cls, v: list[str]) -> list[str]:
        if any(not s.strip() for s in v):
            raise ValueError("must not contain empty names")
        return v


class AnalysisConfig(Strict):
    """Everything the analysis reads besides the brands."""

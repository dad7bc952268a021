"""Config of the sources the scan jobs read."""
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bot.config.base import Strict

Platform = Literal["news", "weibo", "forum", "complaint", "video", "other"]

SOURCE_KINDS = ("rss",)


class SourceBase(Strict):
    name: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    platform: Platform = "news"
    interval: int = 300
    authority: float = Field(default=1.0, ge=0)
    enabled: bool = True

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: int) -> int:
        if v < 30:
            raise ValueError("must be at least 30 seconds")
        return v


class RssSource(SourceBase):
    """An RSS 0.9x/1.0/2.0 or Atom feed, from a URL or a local file (relative to config.yaml)."""

    kind: Literal["rss"]
    url: str | None = None
    path: str | None = None

    @model_validator(mode="after")
    def _one_location(self) -> "RssSource":
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of url or path")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return self


# A tagged union over the kinds once there is more than one; the kind is the tag.
SourceSpec = RssSource


class ScanConfig(Strict):
    """How the scan jobs talk to sources."""

    user_agent: str = "yuqing/0.1 (+public-opinion monitor)"
    timeout: float = Field(default=15.0, gt=0)
    max_body_bytes: int = Field(default=5_000_000, gt=0)

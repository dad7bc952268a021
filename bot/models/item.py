from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class Item(Base):
    """One fetched post or article, normalised, with what the analysis found in it."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str] = mapped_column(String(300))
    # sha1 of the canonical URL: a unique key that fits any index, however long the URL
    url_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(200))
    target: Mapped[str | None] = mapped_column(String(200))  # a complaint record's 投诉对象
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    reposts: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
    likes: Mapped[int] = mapped_column(default=0)
    brands: Mapped[list] = mapped_column(JSON, default=list)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    negative: Mapped[bool] = mapped_column(default=False)
    sentiment: Mapped[float | None]
    risk_score: Mapped[float] = mapped_column(default=0.0)
    authority: Mapped[float] = mapped_column(default=1.0)
    event_key: Mapped[str | None] = mapped_column(String(100), index=True)
    rules: Mapped[list] = mapped_column(JSON, default=list)
    regulators: Mapped[list] = mapped_column(JSON, default=list)
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    simhash_b0: Mapped[int | None]
    simhash_b1: Mapped[int | None]
    simhash_b2: Mapped[int | None]
    simhash_b3: Mapped[int | None]
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)


# when the item was seen (published, else fetched): the clustering window, the 24-hour volume of /status and the digest
Index("ix_items_seen_at", func.coalesce(Item.published_at, Item.fetched_at))
# an incident's recent items (the spike window of grading), counted without reading its older ones
Index("ix_items_incident_seen", Item.incident_id, func.coalesce(Item.published_at, Item.fetched_at))
# each SimHash band with when the item was seen: the band query reads only the items inside the clustering window
for _band in range(4):
    Index(f"ix_items_band{_band}_seen", getattr(Item, f"simhash_b{_band}"),
          func.coalesce(Item.published_at, Item.fetched_at))

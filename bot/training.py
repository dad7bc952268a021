"""`yuqing train`: the shipped model's word counts plus the team's labels (/fp, /miss), measured before and after
on a held-out fifth of the labels, stored in the database beside everything else the deployment owns.

The newest stored model is what every replica analyses with (`deployed_model`), so it survives an upgrade of the
package; with none stored, the shipped model is used.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analysis.learning import Labelled, Scores, add_labels, score
from bot.analysis.pipeline import Analyzer
from bot.analysis.sentiment import SentimentModel
from bot.config import Config
from bot.labels import all_labels
from bot.models import TrainedModel

MIN_LABELS = 5
HELD_OUT = 5  # every fifth label, by a hash of its text, is kept out of training to measure on


class TrainingError(ValueError):
    """Training cannot run; the message says why."""


@dataclass(frozen=True)
class TrainReport:
    model_id: int
    labels: int
    trained_on: int
    held_out: int
    before: Scores
    after: Scores


def latest_model_id(session: Session) -> int | None:
    return session.scalar(select(TrainedModel.id).order_by(TrainedModel.id.desc()).limit(1))


def deployed_model(session: Session) -> tuple[int | None, SentimentModel | None]:
    """The newest model `yuqing train` stored, with its id; (None, None) when the shipped model is in use."""
    row = session.scalar(select(TrainedModel).order_by(TrainedModel.id.desc()).limit(1))
    return (row.id, SentimentModel.from_dict(row.model)) if row else (None, None)


def _split(labelled: list[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    keyed = sorted(labelled, key=lambda ex: hashlib.sha1(ex.text.encode("utf-8")).hexdigest())
    held = keyed[::HELD_OUT]
    train = [ex for i, ex in enumerate(keyed) if i % HELD_OUT]
    return train, held


def train(session: Session, config: Config, now: datetime) -> TrainReport:
    """Fit, measure, store; raises TrainingError when there are too few labels."""
    latest: dict[str, Labelled] = {}
    for row in all_labels(session):
        latest[row.text.strip()] = Labelled(row.text, row.negative)  # a later label of the same text wins
    labelled = list(latest.values())
    if len(labelled) < MIN_LABELS:
        raise TrainingError(f"需要至少 {MIN_LABELS} 条标注（现有 {len(labelled)} 条）：用 /fp 标记误报、/miss 标记漏报")
    train_part, held = _split(labelled)
    shipped = SentimentModel.load()
    _, current = deployed_model(session)
    analyzer = Analyzer.from_config(config.brands, config.analysis)
    weight = config.analysis.sentiment.label_weight
    before = score(analyzer, current or shipped, held)
    after = score(analyzer, add_labels(analyzer, shipped, train_part, weight), held)
    final = add_labels(analyzer, shipped, labelled, weight)
    report = {"labels": len(labelled), "trained_on": len(train_part), "held_out": len(held), "label_weight": weight,
              "before": before.as_dict(), "after": after.as_dict()}
    stored = TrainedModel(created_at=now, labels=len(labelled), report=report,
                          model=final.to_dict(f"shipped model + {len(labelled)} team labels x {weight:g}, {now:%Y-%m-%d}"))
    session.add(stored)
    session.flush()
    return TrainReport(stored.id, len(labelled), len(train_part), len(held), before, after)

"""The company risk topics and their severity, as shipped in company_topics.yaml (no analysis imports, so
the risk index can weigh topics without loading the segmenter)."""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TOPICS_FILE = Path(__file__).with_name("company_topics.yaml")
# a topic outside this table (the consumer-finance ones) counts as this severe in the risk index
OTHER_SEVERITY = 0.5


@dataclass(frozen=True)
class CompanyTopics:
    words: dict[str, list[str]]
    severity: dict[str, float]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.words)


@lru_cache(maxsize=1)
def company_topics() -> CompanyTopics:
    raw = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    return CompanyTopics({k: list(v["words"]) for k, v in raw.items()}, {k: float(v["severity"]) for k, v in raw.items()})


def severity(topic: str) -> float:
    """How severe a topic is for a lender: the company topics' own weight, else OTHER_SEVERITY."""
    return company_topics().severity.get(topic, OTHER_SEVERITY)

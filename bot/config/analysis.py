"""Config of the analysis: monitored brands, keyword rules, topics, sentiment, clustering and grading.

Every key has a default, so an empty `analysis:` works. Rule expressions are parsed here, so
`yuqing check-config` reports `analysis.rules[0].expr: unexpected ')' at position 7`.
"""
from pydantic import Field, field_validator, model_validator

from bot.analysis.rulesyntax import RuleSyntaxError, parse_rule
from bot.config.base import Strict
from bot.grades import NAMES

GRADE_NAMES = NAMES
AUTHORITY_TIERS = ("state_media", "industry_media", "large_account", "ordinary")


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


class RuleSpec(Strict):
    """A named keyword rule: `(催收 | 暴力催收) & !招聘`, `"714 高炮"`, `砍头息 NEAR/10 平台`."""

    name: str = Field(min_length=1)
    expr: str

    @field_validator("expr")
    @classmethod
    def _parses(cls, v: str) -> str:
        try:
            parse_rule(v)
        except RuleSyntaxError as exc:
            raise ValueError(str(exc)) from None
        return v


class SentimentConfig(Strict):
    """When an item counts as negative, and how far a brand may sit from the risk words about it."""

    threshold: float = Field(default=0.6, gt=0, lt=1)
    # with no un-negated risk word the model may be asked to be surer; 0.6 since the model learned everyday
    # complaint language (reviews dev F1 0.845 vs 0.540 at 0.8, finance train CV equal; docs/analysis.md)
    threshold_without_risk_words: float = Field(default=0.6, gt=0, le=1)
    # risk words that occur only negated or in excused passages (「没有乱收费」, 「若遇暴力催收可举报」): surer still
    threshold_negated_risk: float = Field(default=0.8, gt=0, le=1)
    brand_context_chars: int = Field(default=100, ge=0)
    # an item from a `platform: complaint` source is a complaint about its target unless it praises it
    complaint_platform_prior: bool = True
    # `yuqing train`: each team label (/fp, /miss) counts as this many training texts
    label_weight: float = Field(default=10.0, gt=0)
    extra_risk_words: list[str] = []


class ClusteringConfig(Strict):
    """Joining items into incidents: time window and near-duplicate distance."""

    window_hours: float = Field(default=48.0, gt=0)
    max_distance: int = Field(default=3, ge=0, le=3)


class TriggerGrades(Strict):
    """The grade each escalation trigger lifts an incident to (at least)."""

    regulator: str = "一般"
    mainstream_media: str = "一般"
    platforms: str = "一般"
    velocity_spike: str = "一般"

    @model_validator(mode="after")
    def _known_grades(self) -> "TriggerGrades":
        for key, value in self.model_dump().items():
            if value not in GRADE_NAMES:
                raise ValueError(f"{key}: unknown grade {value!r}, use one of {', '.join(GRADE_NAMES)}")
        return self


class ComplaintPattern(Strict):
    """Several distinct customers complaining about the same practice of one brand: a pattern, not one complaint."""

    min_authors: int = Field(default=5, ge=0)  # 0 switches the trigger off
    window_hours: float = Field(default=12.0, gt=0)
    grade: str = "一般"

    @field_validator("grade")
    @classmethod
    def _known_grade(cls, v: str) -> str:
        if v not in GRADE_NAMES:
            raise ValueError(f"unknown grade {v!r}, use one of {', '.join(GRADE_NAMES)}")
        return v


class GradingConfig(Strict):
    """Heat (authority × engagement + velocity), grade thresholds on heat, and escalation triggers."""

    authority: dict[str, float] = {
        "state_media": 5.0, "industry_media": 3.0, "large_account": 2.0, "ordinary": 1.0,
    }
    source_tiers: dict[str, str] = {}
    thresholds: dict[str, float] = {"轻微": 3.0, "一般": 30.0, "重大": 100.0}
    velocity_weight: float = Field(default=2.0, ge=0)
    triggers: TriggerGrades = TriggerGrades()
    complaint_pattern: ComplaintPattern = ComplaintPattern()
    regulator_words: list[str] = [
        "金融监管总局", "国家金融监督管理总局", "银保监会", "银保监", "银监会", "证监会", "人民银行", "央行",
        "12378", "互金协会", "金融办", "地方金融监督管理局", "网信办",
    ]
    min_platforms: int = Field(default=3, ge=2)
    spike_window_hours: float = Field(default=1.0, gt=0)
    spike_min_items: int = Field(default=5, ge=1)
    spike_factor: float = Field(default=3.0, ge=1)

    @field_validator("authority")
    @classmethod
    def _tiers(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [t for t in AUTHORITY_TIERS if t not in v]
        unknown = [t for t in v if t not in AUTHORITY_TIERS]
        if missing or unknown:
            raise ValueError(f"needs exactly the tiers {', '.join(AUTHORITY_TIERS)}")
        if any(w <= 0 for w in v.values()):
            raise ValueError("weights must be positive")
        return v

    @field_validator("source_tiers")
    @classmethod
    def _known_tier(cls, v: dict[str, str]) -> dict[str, str]:
        for source, tier in v.items():
            if tier not in AUTHORITY_TIERS:
                raise ValueError(f"{source}: unknown tier {tier!r}, use one of {', '.join(AUTHORITY_TIERS)}")
        return v

    @field_validator("thresholds")
    @classmethod
    def _ordered(cls, v: dict[str, float]) -> dict[str, float]:
        if sorted(v) != sorted(GRADE_NAMES):
            raise ValueError(f"needs exactly the grades {', '.join(GRADE_NAMES)}")
        if not v["轻微"] <= v["一般"] <= v["重大"]:
            raise ValueError("must rise: 轻微 ≤ 一般 ≤ 重大")
        return v


class AnalysisConfig(Strict):
    """Everything the analysis reads besides the brands.

    `topics` replaces a shipped topic lexicon by name or adds a new topic; an empty list switches one off.
    """

    rules: list[RuleSpec] = []
    topics: dict[str, list[str]] = {}
    # longer organisation names a brand name must not be matched inside, besides the shipped list
    organisations: list[str] = []
    sentiment: SentimentConfig = SentimentConfig()
    clustering: ClusteringConfig = ClusteringConfig()
    grading: GradingConfig = GradingConfig()

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, v: list[RuleSpec]) -> list[RuleSpec]:
        seen: set[str] = set()
        for rule in v:
            if rule.name in seen:
                raise ValueError(f"duplicate rule name {rule.name!r}")
            seen.add(rule.name)
        return v

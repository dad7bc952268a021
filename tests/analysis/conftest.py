import pytest

from bot.analysis.pipeline import Analyzer
from bot.config.analysis import AnalysisConfig, BrandSpec, RuleSpec

BRANDS = [
    BrandSpec(name="安逸花", aliases=["马上消费", "马上金融"], exclude=["安逸花园"]),
    BrandSpec(name="360借条", aliases=["360"], exclude=["招聘"]),
    BrandSpec(name="众车在线", aliases=[]),
    BrandSpec(name="众车", aliases=[]),
]
RULES = [RuleSpec(name="催收", expr="(催收 | 暴力催收) & !招聘")]


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """Built once per test session: jieba and the model load only here."""
    return Analyzer.from_config(BRANDS, AnalysisConfig(rules=RULES))

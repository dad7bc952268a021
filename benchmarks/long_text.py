"""Analysis time of one huge item against one ordinary item, same analyzer, same run.

    .venv/bin/python benchmarks/long_text.py

A 2 MB text (a news paragraph naming two brands and risk words, repeated) and a 500-character one; the
analysis reads at most bot.analysis.pipeline.MAX_TEXT_CHARS of a text, so the huge item costs about what a
10,000-character article does, whatever its length.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analysis.pipeline import MAX_TEXT_CHARS, Analyzer, Document  # noqa: E402
from bot.config.analysis import AnalysisConfig, BrandSpec  # noqa: E402

CHUNK = "星河消费金融被曝暴力催收，多名用户投诉不断，青橙分期也被点名，监管部门已介入调查。"


def timed(analyzer: Analyzer, text: str, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        analyzer.analyze(Document("x", "标题", text))
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    analyzer = Analyzer.from_config([BrandSpec(name="星河消费金融"), BrandSpec(name="青橙分期")], AnalysisConfig())
    small = (CHUNK * 20)[:500]
    huge = (CHUNK * (2_000_000 // len(CHUNK) + 1))[:2_000_000]
    analyzer.analyze(Document("warm", "t", small))
    t_small, t_huge = timed(analyzer, small, 20), timed(analyzer, huge, 3)
    print(f"500 chars: {t_small * 1000:.1f} ms; 2,000,000 chars (read up to {MAX_TEXT_CHARS}): "
          f"{t_huge * 1000:.1f} ms; ratio {t_huge / t_small:.1f}x")


if __name__ == "__main__":
    main()

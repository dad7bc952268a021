"""Throughput of the whole analysis against bare jieba.lcut over the same 10,000 texts, in the same run.

    .venv/bin/python benchmarks/throughput.py [--data DIR] [--items 10000]

Items are the finnsp-bdci2019 texts (train + eval), repeated with small variations (a repost prefix, a tag)
so near-duplicate lookups and incident joins happen as in a live scan. The 60 most-named entities are
configured as brands, with three rules. Each item goes through analysis, the banded SimHash lookup,
clustering into incidents and grading (bot.analysis.offline.OfflineRun, the `yuqing analyze` path).
"""
import argparse
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import jieba
from datasets import data_dir, finnsp

from bot.analysis.offline import OfflineRun
from bot.analysis.pipeline import Analyzer, Document, Metrics
from bot.config.analysis import AnalysisConfig, BrandSpec, RuleSpec

PLATFORMS = ("微博", "黑猫投诉", "知乎", "新闻", "论坛")


def workload(rows, n: int) -> list[Document]:
    t0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
    docs = []
    for i in range(n):
        r = rows[i % len(rows)]
        round_ = i // len(rows)
        text = r.doc.text if round_ == 0 else (f"转发{round_}：" + r.doc.text + f" #{PLATFORMS[round_ % 5]}#")
        docs.append(Document(id=str(i), title=r.doc.title, text=text, source=f"user{i % 300}",
                             platform=PLATFORMS[i % 5], published_at=t0 + timedelta(minutes=i),
                             metrics=Metrics(reposts=i % 50, likes=i % 200)))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--items", type=int, default=10_000)
    args = ap.parse_args()
    root = data_dir(args.data)
    rows = finnsp(root, "train") + finnsp(root, "eval")
    top = [e for e, _ in Counter(e for r in rows for e in r.entities).most_common(60)]
    brands = [BrandSpec(name=e) for e in top]
    rules = [RuleSpec(name="催收", expr="(催收 | 暴力催收) & !招聘"), RuleSpec(name="兑付", expr="兑付 NEAR/10 逾期"),
             RuleSpec(name="监管", expr='"金融监管总局" | 银保监 | 证监会 | 立案')]
    docs = workload(rows, args.items)
    texts = [d.text if not d.title or d.title in d.text else f"{d.title}\n{d.text}" for d in docs]

    jieba.initialize()
    analyzer = Analyzer.from_config(brands, AnalysisConfig(rules=rules))
    analyzer.analyze(docs[0])  # warm up caches outside the timing

    t0 = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
    jieba_s = time.perf_counter() - t0

    run = OfflineRun(analyzer)
    t0 = time.perf_counter()
    results = [run.process(d) for d in docs]
    full_s = time.perf_counter() - t0

    incidents = {r["incident"] for r in results if r["incident"]}
    chars = sum(len(t) for t in texts)
    print(f"{len(docs):,} items, {chars / len(docs):.0f} chars on average, {len(brands)} brands, {len(rules)} rules; "
          f"{sum(r['negative'] for r in results):,} negative, {len(incidents):,} incidents\n")
    print("| run | seconds | items/s |\n| --- | --- | --- |")
    print(f"| bare jieba.lcut | {jieba_s:.2f} | {len(docs) / jieba_s:,.0f} |")
    print(f"| full analysis + clustering + grading | {full_s:.2f} | {len(docs) / full_s:,.0f} |")
    print(f"\nratio: {jieba_s / full_s:.2f} × the jieba-only rate (target ≥ 0.5)")


if __name__ == "__main__":
    main()

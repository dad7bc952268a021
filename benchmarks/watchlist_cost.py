"""What watching companies costs the analysis: items/s with the 60 most-named entities as brands, against the
same 60 brands plus the next 300 entities as watched borrowers (matched by the same matcher, and read for the
company risk topics whenever one is named), over the same texts in the same run.

    .venv/bin/python benchmarks/watchlist_cost.py [--data DIR] [--items 10000]

Texts: finnsp-bdci2019 train + eval (see benchmarks/datasets.py for provenance), repeated as in throughput.py.
"""
import argparse
import time
from collections import Counter

from datasets import data_dir, finnsp
from throughput import workload

from bot.analysis.pipeline import Analyzer
from bot.config import parse_config
from bot.watchlists.entities import names_company, names_to_match
from bot.watchlists.topics import with_company_topics


def rate(config, docs) -> tuple[float, int]:
    analyzer = Analyzer.from_config(names_to_match(config), config.analysis)
    analyzer.analyze(docs[0])  # warm up outside the timing
    company = 0
    t0 = time.perf_counter()
    for d in docs:
        a = analyzer.analyze(d)
        if names_company(config, a):
            company += 1
            with_company_topics(analyzer, d, a)
    return len(docs) / (time.perf_counter() - t0), company


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--items", type=int, default=10_000)
    args = ap.parse_args()
    rows = finnsp(data_dir(args.data), "train") + finnsp(data_dir(args.data), "eval")
    named = [e for e, _ in Counter(e for r in rows for e in r.entities).most_common(360)]
    brands = [{"name": e} for e in named[:60]]
    watched = [{"name": e, "kind": "borrower"} for e in named[60:]]
    docs = workload(rows, args.items)
    base_rate, _ = rate(parse_config({"brands": brands}), docs)
    watch_rate, company = rate(parse_config({"brands": brands, "watchlist": {"entities": watched}}), docs)
    print(f"{len(docs):,} items; {len(brands)} brands; {len(watched)} watched borrowers named in {company:,} items\n")
    print("| run | items/s |\n| --- | --- |")
    print(f"| 60 brands | {base_rate:,.0f} |")
    print(f"| 60 brands + {len(watched)} watched borrowers (+ company topics) | {watch_rate:,.0f} |")
    print(f"\nratio: {watch_rate / base_rate:.2f} × the brands-only rate")


if __name__ == "__main__":
    main()

"""Secondary sentiment check on finfe-bbt eval_list.json (investor posts: 0 negative, 1 neutral, 2 positive).

    .venv/bin/python benchmarks/finfe_eval.py [--data DIR]

Not the product's domain (stock-forum mood, not lenders) and nothing is fitted on it. Printed: negative-class
precision / recall / F1 (label 0 against 1 + 2), and accuracy of `sentiment ≥ 0.5` on the positive and negative
posts only, for plain snownlp, the plain risk lexicon and the project's Analyzer.
"""
import argparse

from datasets import data_dir, finfe
from finnsp_eval import binary

from bot.analysis.pipeline import Analyzer, Document
from bot.analysis.segment import read_word_list
from bot.analysis.textform import normalise
from bot.config.analysis import AnalysisConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    args = ap.parse_args()
    rows = finfe(data_dir(args.data), "eval")
    gold_neg = [y == 0 for _, y in rows]
    polar = [i for i, (_, y) in enumerate(rows) if y != 1]
    print(f"finfe-bbt eval_list.json: {len(rows)} posts, {sum(gold_neg)} negative, {len(polar)} polar\n")
    print("| model | neg. precision | neg. recall | neg. F1 | pos/neg accuracy |\n| --- | --- | --- | --- | --- |")

    from snownlp import SnowNLP
    snow = [SnowNLP(t).sentiments for t, _ in rows]
    words = [normalise(w) for w in read_word_list("risk_words.txt")]
    lex = [any(w in n for w in words) for n in (normalise(t) for t, _ in rows)]
    analyzer = Analyzer.from_config([], AnalysisConfig())
    ours = [analyzer.analyze(Document(id=str(i), title="", text=t)) for i, (t, _) in enumerate(rows)]

    def line(name, negative, positive_score):
        p, r, f = binary(negative, gold_neg)
        acc = "n/a" if positive_score is None else \
            f"{sum((positive_score[i] >= 0.5) == (rows[i][1] == 2) for i in polar) / len(polar):.3f}"
        print(f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} | {acc} |")

    line("snownlp out of the box (< 0.5)", [s < 0.5 for s in snow], snow)
    line("plain risk lexicon (any hit)", lex, None)
    line("yuqing Analyzer", [a.negative for a in ours], [a.sentiment for a in ours])


if __name__ == "__main__":
    main()

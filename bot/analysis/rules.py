"""Keyword rules compiled once: one Aho-Corasick scan finds every term of every rule, then each rule that has a
term present is evaluated over the set of hits (no per-rule regex scan of the text)."""
from collections import defaultdict
from dataclasses import dataclass

from bot.analysis.phrases import PhraseMatcher
from bot.analysis.rulesyntax import And, Near, Node, Not, Or, Term, parse_rule, terms_of
from bot.analysis.textform import normalise_term as normalise


@dataclass(frozen=True)
class CompiledRule:
    name: str
    tree: Node
    terms: frozenset[str]


def _normalised_tree(node: Node) -> Node:
    if isinstance(node, Term):
        return Term(normalise(node.text))
    if isinstance(node, Near):
        return Near(Term(normalise(node.left.text)), Term(normalise(node.right.text)), node.distance)
    if isinstance(node, Not):
        return Not(_normalised_tree(node.child))
    return type(node)(tuple(_normalised_tree(c) for c in node.children))


def _near(a: list[tuple[int, int]], b: list[tuple[int, int]], distance: int) -> bool:
    # occurrences are (start, end); the gap between them, in either order, must be ≤ distance
    return any(max(sb - ea, sa - eb) <= distance for sa, ea in a for sb, eb in b)


def _holds(node: Node, hits: dict[str, list[tuple[int, int]]]) -> bool:
    if isinstance(node, Term):
        return node.text in hits
    if isinstance(node, Near):
        a, b = hits.get(node.left.text, []), hits.get(node.right.text, [])
        return bool(a and b) and _near(a, b, node.distance)
    if isinstance(node, Not):
        return not _holds(node.child, hits)
    if isinstance(node, And):
        return all(_holds(c, hits) for c in node.children)
    return any(_holds(c, hits) for c in node.children)


class RuleSet:
    """The configured rules, ready to match normalised text."""

    def __init__(self, rules: list[tuple[str, str]]):
        self._rules: list[CompiledRule] = []
        for name, expr in rules:
            tree = _normalised_tree(parse_rule(expr))
            self._rules.append(CompiledRule(name, tree, frozenset(terms_of(tree))))
        self._matcher = PhraseMatcher(t for r in self._rules for t in r.terms)

    def __len__(self) -> int:
        return len(self._rules)

    def match(self, normalised: str) -> tuple[str, ...]:
        """Names of the rules that hold for this text, in config order."""
        if not self._rules:
            return ()
        hits: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for h in self._matcher.find_all(normalised):
            hits[h.phrase].append((h.start, h.end))
        if not hits:
            return ()
        present = hits.keys()
        # parse_rule guarantees a rule cannot hold when none of its terms is present
        return tuple(r.name for r in self._rules if not r.terms.isdisjoint(present) and _holds(r.tree, hits))

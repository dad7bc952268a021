"""The keyword-rule language: parse a rule into a tree, or fail with a message that names the position.

    expr  := or
    or    := and  (('|' | OR)  and)*
    and   := unary (('&' | AND) unary)*
    unary := ('!' | NOT) unary | near
    near  := atom (NEAR/n atom)?          both sides plain terms or "quoted phrases"
    atom  := term | "quoted phrase" | '(' expr ')'

`a NEAR/n b` holds when a and b occur, in either order, with at most n characters between them. Positions in
messages count characters from 1. This module imports nothing from the project, so the config schema can use it.
"""
import re
from dataclasses import dataclass

_NEAR = re.compile(r"NEAR/(\d+)$")
_SPECIAL = set('()|&!"')
_KEYWORDS = {"AND": "&", "OR": "|", "NOT": "!"}


class RuleSyntaxError(ValueError):
    """A rule that does not parse; the message names what and where (1-based)."""


@dataclass(frozen=True)
class Term:
    text: str


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Near:
    left: Term
    right: Term
    distance: int


Node = Term | Not | And | Or | Near


@dataclass(frozen=True)
class _Tok:
    kind: str  # term, phrase, ( ) | & ! near, end
    text: str
    pos: int  # 1-based
    distance: int = 0


def _lex(expr: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c.isspace():
            i += 1
        elif c == '"':
            close = expr.find('"', i + 1)
            if close < 0:
                raise RuleSyntaxError(f"unterminated quote at position {i + 1}")
            if not expr[i + 1:close].strip():
                raise RuleSyntaxError(f"empty phrase at position {i + 1}")
            toks.append(_Tok("phrase", expr[i + 1:close], i + 1))
            i = close + 1
        elif c in _SPECIAL:
            toks.append(_Tok(c, c, i + 1))
            i += 1
        else:
            j = i
            while j < n and not expr[j].isspace() and expr[j] not in _SPECIAL:
                j += 1
            word = expr[i:j]
            if word in _KEYWORDS:
                toks.append(_Tok(_KEYWORDS[word], word, i + 1))
            elif word.startswith("NEAR"):
                m = _NEAR.match(word)
                if not m or int(m.group(1)) == 0:
                    raise RuleSyntaxError(f"NEAR needs a distance such as NEAR/5 at position {i + 1}")
                toks.append(_Tok("near", word, i + 1, int(m.group(1))))
            else:
                toks.append(_Tok("term", word, i + 1))
            i = j
    toks.append(_Tok("end", "", n + 1))
    return toks


class _Parser:
    def __init__(self, toks: list[_Tok]):
        self.toks, self.i = toks, 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise _unexpected(tok, "expected an operator")
        return node

    def _chain(self, op: str, operand, node: type[And] | type[Or]) -> Node:
        parts = [operand()]
        while self.peek().kind == op:
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else node(tuple(parts))

    def or_(self) -> Node:
        return self._chain("|", self.and_, Or)

    def and_(self) -> Node:
        return self._chain("&", self.unary, And)

    def unary(self) -> Node:
        if self.peek().kind == "!":
            self.take()
            return Not(self.unary())
        left = self.atom()
        if self.peek().kind != "near":
            return left
        op = self.take()
        right = self.atom()
        if not (isinstance(left, Term) and isinstance(right, Term)):
            raise RuleSyntaxError(f"{op.text} joins two terms, not groups, at position {op.pos}")
        return Near(left, right, op.distance)

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind in ("term", "phrase"):
            return Term(tok.text)
        if tok.kind == "(":
            node = self.or_()
            close = self.take()
            if close.kind != ")":
                if close.kind == "end":
                    raise RuleSyntaxError(f"unclosed '(' at position {tok.pos}")
                raise _unexpected(close, "expected ')'")
            return node
        raise _unexpected(tok, "expected a term")


def _unexpected(tok: _Tok, hint: str) -> RuleSyntaxError:
    if tok.kind == "end":
        return RuleSyntaxError(f"unexpected end of rule at position {tok.pos}, {hint}")
    return RuleSyntaxError(f"unexpected '{tok.text}' at position {tok.pos}")


def terms_of(node: Node) -> set[str]:
    """Every literal term in the tree."""
    if isinstance(node, Term):
        return {node.text}
    if isinstance(node, Near):
        return {node.left.text, node.right.text}
    if isinstance(node, Not):
        return terms_of(node.child)
    return set().union(*(terms_of(c) for c in node.children))


def holds_on_empty(node: Node) -> bool:
    """Whether the rule matches a text that contains none of its terms."""
    if isinstance(node, (Term, Near)):
        return False
    if isinstance(node, Not):
        return not holds_on_empty(node.child)
    results = [holds_on_empty(c) for c in node.children]
    return all(results) if isinstance(node, And) else any(results)


def parse_rule(expr: str) -> Node:
    """Parse a rule; raise RuleSyntaxError naming the problem and its position."""
    if not expr.strip():
        raise RuleSyntaxError("empty rule")
    node = _Parser(_lex(expr)).parse()
    if holds_on_empty(node):
        # such a rule would flag nearly every item; it is almost always a misplaced '!'
        raise RuleSyntaxError("matches text that contains none of its terms; add a term that is not negated")
    return node

"""`elig fmt`: the canonical layout of a criteria file, with every comment kept in place.

    format_source(text, path) -> str      raises CompileError when the text does not parse

The layout is a function of the tokens and comments alone, never of the old whitespace (so formatting
twice gives what formatting once gave), apart from one thing: a blank line between declarations, or
before a comment between them, is kept (several become one).

- Declarations start in column 1, with their bodies indented by 4: a criterion's logic always on the
  lines below its header, a definition on the header's line when it all fits in 100 columns, a code
  set's or table's entries below the header (on one line when they fit, else one per line). A
  description, or a table's `source`, that does not fit goes on the next line.
- A long `and` / `or` chain puts each operand on a line of its own, the operators leading, aligned
  with the first operand (inside parentheses: after the parenthesis); `implies` never breaks. A query
  that does not fit puts each clause that does not fit (`where`, `during`, `allowing gaps of`, `have`)
  on a line of its own, indented 4 from the line the query starts on. Lists and function arguments
  break after their commas, aligned after the bracket; an `if` chain breaks before each `else`.
- Comments are attached to tokens by position, as Cedar's formatter does: a comment on the line of a
  token trails it (two spaces, then the comment, and the line ends there); a comment on a line of its
  own leads the next token and is printed on its own line, at the indentation where that token goes.
  Indented comments right after a declaration (before the next one) stay with it, indented.

Tokens are written as they were (a multiplication sign or `≥` stays as typed, texts keep their escapes): formatting
changes layout only, never the syntax tree (``tests/test_format.py`` states these laws).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from ..diagnostics import CompileError
from . import syntax
from .layout import Align, BlankLine, Doc, Group, HardLine, Leading, Line, Nest, Trailing, concat, render

WIDTH = 100
INDENT = 4

__all__ = ["WIDTH", "format_source"]


@functools.cache
def _parser() -> Lark:
    # The language's grammar with every token kept (keywords, punctuation), so that the layout can be
    # written from the tree; comments are read from the text between tokens.
    return Lark(syntax.grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=True, keep_all_tokens=True, cache=True)


def format_source(text: str, path: str = "<text>") -> str:
    """The canonical layout of ``text``; raises :class:`CompileError` (the syntax diagnostics) when it
    does not parse."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    errors = [d for d in syntax.parse(text, path).diagnostics if d.severity == "error"]
    if errors:
        raise CompileError(errors, {path: text})
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:  # not expected once `parse` accepted the text; still a diagnostic
        raise CompileError([syntax.syntax_diagnostic(err, text, path)], {path: text}) from None
    return _Formatter(text, tree).document()


def check_formatted(text: str, path: str = "<text>") -> bool:
    """Whether ``text`` is already in the canonical layout."""
    return format_source(text, path) == text


# ------------------------------------------------------------------------------------------ comments

_COMMENT = re.compile(r"#[^\n]*")


class _Comments:
    """Every comment of a file, attached to a token: trailing (same line, after it), leading (own lines,
    before it) or, for indented comments after a declaration, closing that declaration."""

    def __init__(self, text: str, tokens: list[Token], decl_starts: set[int]):
        self.trailing: dict[int, str] = {}
        self.leading: dict[int, list[tuple[str, bool]]] = {}  # token index -> [(comment, blank line before)]
        self.closing: dict[int, list[str]] = {}  # index of a declaration's first token -> comments after it
        self.end: list[tuple[str, bool]] = []  # comments after the last declaration
        self.blank_after: dict[int, bool] = {}  # token index -> an empty line between its comments and it
        bounds = [0, *[t.end_pos for t in tokens]]
        for i in range(len(tokens) + 1):
            lo = bounds[i]
            hi = tokens[i].start_pos if i < len(tokens) else len(text)
            self._gap(text, lo, hi, i, tokens, decl_starts)

    def _gap(self, text: str, lo: int, hi: int, i: int, tokens: list[Token], decl_starts: set[int]) -> None:
        """The comments between token ``i - 1`` and token ``i`` (the file's start and end at either side)."""
        at_end = i == len(tokens)
        closing = i > 0 and (at_end or i in decl_starts)  # may still close the previous declaration
        previous_end, first = lo, True
        for m in _COMMENT.finditer(text, lo, hi):
            comment = m.group(0).rstrip()
            newlines = text.count("\n", previous_end, m.start())
            previous_end = m.end()
            if first and i > 0 and newlines == 0:
                self.trailing[i - 1] = comment
                first = False
                continue
            first = False
            indented = m.start() > text.rfind("\n", 0, m.start()) + 1
            if closing and indented and newlines == 1:
                self.closing.setdefault(i, []).append(comment)
                continue
            closing = False
            (self.end if at_end else self.leading.setdefault(i, [])).append((comment, newlines >= 2))
        if previous_end > lo and not at_end:
            self.blank_after[i] = text.count("\n", previous_end, hi) >= 2


# ------------------------------------------------------------------------------------------ layout

_NO_SPACE_AFTER = {"(", "["}
_NO_SPACE_BEFORE = {")", "]", ",", ":"}
_CLAUSES = {"where", "during", "allowing", "have", "over", "starting"}  # `over`: `highest daily total of A over Q`


class Part(NamedTuple):
    """A child laid out: its document, the text of its first and last tokens, whether it is one token."""

    doc: Doc
    first: str
    last: str
    token: bool = False

    def is_(self, text: str) -> bool:
        return self.token and self.first == text


class _Formatter:
    def __init__(self, text: str, tree: Tree):
        self.text = text
        self.tree = tree
        self.tokens: list[Token] = sorted(_leaves(tree), key=lambda t: t.start_pos)
        self.index = {id(t): i for i, t in enumerate(self.tokens)}
        decl_starts = {self.index[id(_first_leaf(d))] for d in tree.children}
        self.comments = _Comments(text, self.tokens, decl_starts)

    def tok(self, t: Token) -> Doc:
        """A token with its comments."""
        i = self.index[id(t)]
        leading = self.comments.leading.get(i)
        trailing = self.comments.trailing.get(i)
        return concat(Leading(tuple(c for c, _ in leading)) if leading else None, str(t),
                      Trailing(trailing) if trailing is not None else None)

    def document(self) -> str:
        parts: list[Doc | str | None] = []
        for n, decl in enumerate(self.tree.children):
            first = self.index[id(_first_leaf(decl))]
            leading = self.comments.leading.pop(first, [])
            if n:
                parts.append(BlankLine() if _blank_before(self.text, self.tokens, first, leading) else HardLine())
            parts.extend(_comment_lines(leading, self.comments.blank_after.get(first, False)))
            parts.append(self.build(decl))
            closing = self.comments.closing.get(first + len(_leaves(decl)))
            if closing:
                parts.append(Nest(INDENT, concat(*[concat(HardLine(), c) for c in closing])))
        end = self.comments.end
        if end:
            if parts:
                parts.append(BlankLine() if end[0][1] else HardLine())
            parts.extend(_comment_lines(end))
        return render(concat(*parts), WIDTH)

    def build(self, root: Tree) -> Doc:
        """The document of a subtree, built bottom-up without recursion."""
        done: dict[int, list[Part]] = {}
        stack: list[tuple[Tree, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if not expanded:
                stack.append((node, True))
                stack.extend((c, False) for c in node.children if isinstance(c, Tree))
                continue
            parts: list[Part] = []
            for c in node.children:
                if isinstance(c, Tree):
                    parts.extend(done.pop(id(c)))
                elif c is not None:
                    parts.append(Part(self.tok(c), str(c), str(c), True))
            made = _RULES.get(node.data, _words)(parts)
            done[id(node)] = made if isinstance(made, list) else [Part(made, parts[0].first, parts[-1].last)]
        return done[id(root)][0].doc


def _comment_lines(comments: list[tuple[str, bool]], blank_after: bool = False) -> list[Doc]:
    """Comments on lines of their own, keeping an empty line where the source had one."""
    out: list[Doc] = []
    for n, (comment, _blank) in enumerate(comments):
        blank_next = comments[n + 1][1] if n + 1 < len(comments) else blank_after
        out.append(concat(comment, BlankLine() if blank_next else HardLine()))
    return out


def _blank_before(text: str, tokens: list[Token], first: int, leading: list[tuple[str, bool]]) -> bool:
    """Whether the source had an empty line before this declaration (or before its first comment)."""
    if leading:
        return leading[0][1]
    lo = tokens[first - 1].end_pos if first else 0
    gap = _COMMENT.sub("", text[lo:tokens[first].start_pos])
    return gap.count("\n") >= 2


def _leaves(tree: Tree) -> list[Token]:
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        for c in node.children:
            if isinstance(c, Tree):
                stack.append(c)
            elif c is not None:
                out.append(c)
    return out


def _first_leaf(tree: Tree) -> Token:
    return min(_leaves(tree), key=lambda t: t.start_pos)


# ------------------------------------------------------------------------------- one rule per construct

def _words(parts: list[Part]) -> Doc:
    """Tokens and subtrees separated by single spaces, none inside brackets or before `,` and `:`."""
    out: list = []
    previous = None
    for p in parts:
        if previous is not None and previous not in _NO_SPACE_AFTER and p.first not in _NO_SPACE_BEFORE:
            out.append(" ")
        out.append(p.doc)
        previous = p.last
    return concat(*out)


def _separated(parts: list[Part], separator: str) -> Doc:
    """Items separated by `separator` tokens, breaking after each separator."""
    out: list = []
    for p in parts:
        out += [p.doc, Line()] if p.is_(separator) else [p.doc]
    return concat(*out)


def _colon(parts: list[Part]) -> int:
    return next(n for n, p in enumerate(parts) if p.is_(":"))


def _criterion(parts: list[Part]) -> Doc:
    """`include ID "text":` and the logic on the lines below, indented."""
    colon = _colon(parts)
    return concat(_words(parts[:colon + 1]), Nest(INDENT, concat(HardLine(), _words(parts[colon + 1:]))))


def _define(parts: list[Part]) -> Doc:
    """`define NAME: EXPR` on one line when it fits, else the expression indented below."""
    colon = _colon(parts)
    return Group(concat(_words(parts[:colon + 1]), Nest(INDENT, concat(Line(), _words(parts[colon + 1:])))))


def _function(parts: list[Part]) -> Doc:
    """`function NAME(P: T, ...): EXPR` (formulas, lang11a): the parameters as a call's arguments, the body
    as a definition's."""
    close = next(n for n, p in enumerate(parts) if p.is_(")"))
    head = concat(_words(parts[:2]), Group(concat(parts[2].doc, Align(_separated(parts[3:close], ",")),
                                                  parts[close].doc)))
    return Group(concat(head, _words(parts[close + 1:close + 2]),
                        Nest(INDENT, concat(Line(), _words(parts[close + 2:])))))


def _operation(parts: list[Part]) -> Doc:
    """`a + b`, `a * b` (formulas, lang11a): flat when the operation itself fits, else a line break before
    the operator, aligned with the first operand, so that a long formula reads one term per line. What
    follows the operation does not count (an empty fill group ends the measure), so an operation that
    fits never breaks for the text after it."""
    if len(parts) != 3:
        return _words(parts)
    return concat(Group(Align(concat(parts[0].doc, Line(), parts[1].doc, " ", parts[2].doc))),
                  Group(concat(), fill=True))


def _entries(parts: list[Part]) -> Doc:
    """`codeset`, `table`: the entries below the header, indented, on one line when they fit, else one
    per line; a table's `source` text goes below its header when the header does not fit."""
    colon = _colon(parts)
    head = parts[:colon]
    source = next((n for n, p in enumerate(head) if p.is_("source")), None)
    header = _words(head) if source is None else Group(concat(
        _words(head[:source]), Nest(INDENT, concat(Line(), _words(head[source:])))))
    body = Group(_separated(parts[colon + 1:], ","))
    return concat(header, parts[colon].doc, Nest(INDENT, concat(HardLine(), body)))


def _with_description(parts: list[Part]) -> Doc:
    """`fact NAME: TYPE "description"`, `anchor NAME "description"`: the description goes to the next
    line when the declaration does not fit."""
    if len(parts) > 2 and parts[-1].first.startswith('"') and not parts[-2].is_(":"):
        return Group(concat(_words(parts[:-1]), Nest(INDENT, concat(Line(), parts[-1].doc))))
    return _words(parts)


def _text(parts: list[Part]) -> Doc:
    """Adjacent texts: one line when they fit, else one per line."""
    out: list = [parts[0].doc]
    for p in parts[1:]:
        out += [Line(), p.doc]
    return Group(Nest(INDENT, concat(*out)))


def _score(parts: list[Part]) -> Doc:
    """`score NAME "text":` / `category "text":` and their items, one per line."""
    colon = _colon(parts)
    body: list = []
    for p in parts[colon + 1:]:
        body += [HardLine(), p.doc]
    return concat(_words(parts[:colon + 1]), Nest(INDENT, concat(*body)))


def _chain(parts: list[Part]) -> Doc:
    """`a or b or c`, `a implies b`: flat when it fits, else one operand per line, operators leading."""
    out: list = [parts[0].doc]
    n = 1
    while n < len(parts):
        out += [Line(), parts[n].doc, " ", parts[n + 1].doc]
        n += 2
    return Group(Align(concat(*out)))


def _splice(parts: list[Part]) -> list[Part]:
    """A query (or `allowing gaps of D`): its parts go to the aggregate around it, which lays them out."""
    return parts


def _aggregate(parts: list[Part]) -> Doc:
    """`exists C in S where F during W` (and `count`, `all ... have`, `stable ... allowing gaps of`): when
    it does not fit, each clause (`where`, `during`, `allowing gaps`, `have`) that does not fit on the
    line goes to a line of its own, indented 4 from the line the query starts on."""
    head: list[Part] = []
    clauses: list[list[Part]] = []
    for p in parts:
        if p.token and p.first in _CLAUSES and not (clauses and clauses[-1][-1].is_("starting")):
            clauses.append([p])  # `starting during W` is one clause
        elif clauses:
            clauses[-1].append(p)
        else:
            head.append(p)
    docs = [Group(concat(Line(), _words(clause)), fill=True) for clause in clauses]
    return Group(concat(_words(head), Nest(INDENT, concat(*docs))))


def _bracketed(parts: list[Part]) -> Doc:
    """`[a, b]`, `max(a, b)`: breaking after the commas, aligned after the bracket."""
    opener = next(n for n, p in enumerate(parts) if p.is_("(") or p.is_("["))
    inner = _separated(parts[opener + 1:-1], ",")
    return Group(concat(_words(parts[:opener]), parts[opener].doc, Align(inner), parts[-1].doc))


def _lookup(parts: list[Part]) -> Doc:
    """`table[code]`."""
    return concat(parts[0].doc, _words(parts[1:]))


def _parenthesised(parts: list[Part]) -> Doc:
    if len(parts) == 3 and parts[0].is_("("):
        return concat(parts[0].doc, Align(parts[1].doc), parts[2].doc)
    return _words(parts)


def _negation(parts: list[Part]) -> Doc:
    return concat(parts[0].doc, parts[1].doc)


class _Conditional(Group):
    """An `if`, with its pieces kept so that an `else if` chain lays out as one."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list):
        super().__init__(Align(concat(*pieces)))
        self.pieces = pieces


def _conditional(parts: list[Part]) -> Doc:
    """`if C then A else B`: flat, or each `else` on a line of its own, aligned with the `if` (an
    `else if` chain as one)."""
    out: list = []
    for n, p in enumerate(parts):
        if p.is_("else"):
            out += [Line(), p.doc, " "]
            last = parts[-1].doc
            out += last.pieces if isinstance(last, _Conditional) else [last]
            break
        out += [" " if n else None, p.doc]
    return _Conditional(out)


_RULES = {
    "include_decl": _criterion, "exclude_decl": _criterion,
    "define_decl": _define, "function_decl": _function, "codeset_decl": _entries, "table_decl": _entries,
    "score_decl": _score, "score_category": _score,
    "fact_decl": _with_description, "anchor_decl": _with_description,
    "text": _text,
    "or_": _chain, "and_": _chain,
    "exists": _aggregate, "count": _aggregate, "all": _aggregate, "latest": _aggregate, "earliest": _aggregate,
    "days_on": _aggregate, "stable": _aggregate, "continuous": _aggregate, "change": _aggregate,
    "daily_total": _aggregate,
    "item_count": _aggregate, "item_pick": _splice,  # counting over items (lang11b)
    "extreme_of": _aggregate, "extreme_word": _splice,  # sequences (lang11b)
    "query": _splice, "gaps": _splice, "starting": _splice,
    "list": _bracketed, "call": _bracketed, "lookup": _lookup,
    "atom": _parenthesised,
    "neg": _negation,
    "add": _operation, "sub": _operation, "mul": _operation, "div": _operation,
    "conditional": _conditional,
}

"""Mutants of a trial's numbers, shared by the mutation checks (tests/test_mutation.py for the flagship trial
against tests/boundaries.py, tests/test_mutation_examples.py for the example trials against their suites).

The numbers are found by parsing the trial file itself: every number or quantity literal inside a criterion
or a ``define`` body (optionally also inside a score's conditions and a ``function`` body), never score
weights, code strings, texts, the version, nor anything of an imported library. A mutant is the source text
with that one literal's number moved by one unit of its last written digit (``50`` -> 49 and 51, ``1.25`` ->
1.24 and 1.26).
"""

from __future__ import annotations

import re
from decimal import Decimal

import attrs

from eligibility_dsl.language import ast as A
from eligibility_dsl.language.syntax import parse

NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")


@attrs.frozen
class Literal:
    owner: str  # criterion id, definition, function or score name
    line: int
    column: int
    start: int  # offset of the number in the source text
    end: int
    text: str  # the whole literal as written, e.g. `35 days`
    number: str  # its number, e.g. `35`


@attrs.frozen
class Mutant:
    literal: Literal
    number: str  # the replacement number

    @property
    def where(self) -> str:
        return f"{self.literal.line}:{self.literal.column}"

    @property
    def mutated(self) -> str:
        """The literal as the mutant writes it, e.g. `34 days`."""
        return self.number + self.literal.text[len(self.literal.number):]

    def source(self, text: str) -> str:
        return text[:self.literal.start] + self.number + text[self.literal.end:]


def _literals_in(node, owner: str, text: str):
    if isinstance(node, (A.NumberLit, A.QuantityLit)):
        span = node.span
        m = NUMBER.match(text, span.start)
        assert m and Decimal(m.group(0)) == node.value, f"no number at {span}: {text[span.start:span.end]!r}"
        yield Literal(owner, span.line, span.column, m.start(), m.end(), text[span.start:span.end], m.group(0))
        return
    if isinstance(node, tuple):
        for item in node:
            yield from _literals_in(item, owner, text)
        return
    if attrs.has(type(node)):
        for f in attrs.fields(type(node)):
            value = getattr(node, f.name)
            if isinstance(value, (A.Node, tuple)):
                yield from _literals_in(value, owner, text)


def _score_conditions(decl: A.ScoreDecl) -> tuple:
    # The conditions only: a weight is a number of the score's published table, not a threshold of the trial.
    return tuple(item.condition for category in decl.categories for item in category.items)


def trial_literals(text: str, path: str, *, scores: bool = False) -> list[Literal]:
    """The number and quantity literals in the bodies of the file's criteria and definitions; with ``scores``
    also in its score conditions and function bodies."""
    result = parse(text, path)
    assert not result.diagnostics, result.diagnostics
    out = []
    for decl in result.module.decls:
        if isinstance(decl, A.Criterion):
            out += _literals_in(decl.expr, decl.id, text)
        elif isinstance(decl, A.DefineDecl):
            out += _literals_in(decl.expr, decl.name, text)
        elif scores and isinstance(decl, A.FunctionDecl):
            out += _literals_in(decl.expr, decl.name, text)
        elif scores and isinstance(decl, A.ScoreDecl):
            out += _literals_in(_score_conditions(decl), decl.name, text)
    return out


def neighbours(number: str) -> tuple[str, str]:
    """One unit of the last written digit down and up: `50` -> 49, 51; `1.25` -> 1.24, 1.26; `0` -> -1, 1."""
    places = len(number.partition(".")[2])
    step = Decimal(1).scaleb(-places)
    value = Decimal(number)
    return tuple(f"{value + d:.{places}f}" for d in (-step, step))


def mutants(literals: list[Literal]) -> list[Mutant]:
    return [Mutant(lit, n) for lit in literals for n in neighbours(lit.number)]

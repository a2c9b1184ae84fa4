"""The checked intermediate representation: what a criterion means, independent of any backend.

The checker builds it from the AST once names, types and units are resolved;
the Python compiler (and, later, other backends such as SQL) consume it.  Every
node has its ``type`` and the ``span`` of the source it came from (excluded from
equality, like the AST's).  Constants hold runtime values (``Decimal``,
``Quantity``, ``date``, ``str``, ``True``/``False``/``None``).
"""

from __future__ import annotations

from typing import Any

import attrs

from .diagnostics import Span
from .types import Type


@attrs.frozen
class Node:
    type: Type
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()


@attrs.frozen
class Const(Node):
    value: Any


@attrs.frozen
class Fact(Node):
    """A value from the patient record: a declared fact or a built-in field."""

    name: str


@attrs.frozen
class Anchor(Node):
    name: str


@attrs.frozen
class DefRef(Node):
    name: str


@attrs.frozen
class Not(Node):
    operand: Node

    def children(self):
        return (self.operand,)


@attrs.frozen
class And(Node):
    operands: tuple[Node, ...]

    def children(self):
        return self.operands


@attrs.frozen
class Or(Node):
    operands: tuple[Node, ...]

    def children(self):
        return self.operands


@attrs.frozen
class Implies(Node):
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@attrs.frozen
class Compare(Node):
    op: str
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@attrs.frozen
class Between(Node):
    """Inclusive at both ends."""

    operand: Node
    low: Node
    high: Node
    negated: bool = False

    def children(self):
        return (self.operand, self.low, self.high)


@attrs.frozen
class Member(Node):
    operand: Node
    items: tuple[Node, ...]
    negated: bool = False

    def children(self):
        return (self.operand, *self.items)


@attrs.frozen
class Arith(Node):
    """`op` is + - * /; `kind` says which values meet: number, quantity, scale (number and
    quantity), date_shift (date and duration)."""

    op: str
    kind: str
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@attrs.frozen
class Neg(Node):
    operand: Node

    def children(self):
        return (self.operand,)


@attrs.frozen
class Extremum(Node):
    func: str  # max | min
    args: tuple[Node, ...]

    def children(self):
        return self.args


@attrs.frozen
class Age(Node):
    """Completed years from the record's birth date to ``at``."""

    at: Node

    def children(self):
        return (self.at,)


@attrs.frozen
class DurationBetween(Node):
    unit: str  # years | months | weeks | days
    start: Node
    end: Node

    def children(self):
        return (self.start, self.end)


@attrs.frozen
class Conditional(Node):
    cond: Node
    then: Node
    otherwise: Node

    def children(self):
        return (self.cond, self.then, self.otherwise)


@attrs.frozen
class Definition:
    name: str
    expr: Node
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Criterion:
    kind: str  # include | exclude
    id: str
    text: str
    expr: Node
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class FactSpec:
    name: str
    type: Type
    description: str | None = None
    builtin: bool = False


@attrs.frozen
class CheckedTrial:
    """A trial whose every name, type and unit is resolved: the input of every backend."""

    registry_id: str
    title: str
    version: str | None
    anchors: dict[str, str | None]
    facts: dict[str, FactSpec]
    definitions: dict[str, Definition]
    criteria: tuple[Criterion, ...]
    file: str
    source: str = attrs.field(eq=False, repr=False)

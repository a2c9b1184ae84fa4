"""W0122 / W0123: a condition that can never be true, or is true whatever the value, found by interval
reasoning over the bounds one expression is compared with.

``age at screening >= 80 years and age at screening <= 75 years`` can never be met: the values the first
comparison allows (80 years and up) and those the second allows (75 years and down) do not meet.
``hba1c <= 9 % or hba1c > 9 %`` is true whenever the value is known: it tests nothing. Both are almost
always a slip (a reversed bound, a wrong unit, a copied line), so ``elig check`` warns, at the `and` / `or`
(or `between`) that holds them.

The domain is small and exact, and needs no solver: for each expression compared with constants (numbers,
quantities, dates), the set of its values a condition allows, as a union of intervals (each end open or
closed, or unbounded). A comparison gives one or two intervals; `not` complements; `and` intersects the
sets of operands that constrain the same expression; `or` unites them. Values are compared as the runtime
compares them (a quantity in g against one in mg, converted); bounds that cannot be compared (different
dimensions: the checker reports those) leave the expression alone. The reasoning is over a continuum, so a
set it calls empty is empty for whole numbers too (``count > 2 and count < 3`` is not reported: it is
empty only for whole numbers). An unknown value makes no condition true, so "always true" means "true
whenever the value is known".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from ..diagnostics import Diagnostic, Span
from ..runtime.quantity import Quantity
from ..runtime.units import UnitMismatch
from . import ir

__all__ = ["IntervalSet", "interval_warnings"]

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_HELP_NEVER = "check the bounds: one of them is probably reversed, in the wrong unit or copied from another line"
_HELP_ALWAYS = "the comparisons leave no value out: check the bounds, or drop the test if it is not needed"


def _lt(a, b) -> bool:
    return a < b


class IntervalSet:
    """A union of disjoint intervals, sorted; each ``(low, low_closed, high, high_closed)``, None: unbounded.
    Immutable."""

    __slots__ = ("parts",)

    def __init__(self, parts=()):
        self.parts = tuple(_normalise(list(parts)))

    @classmethod
    def full(cls) -> IntervalSet:
        return cls([(None, False, None, False)])

    @classmethod
    def compare(cls, op: str, value) -> IntervalSet:
        """The values ``x`` with ``x OP value``."""
        return cls({"<": [(None, False, value, False)], "<=": [(None, False, value, True)],
                    ">": [(value, False, None, False)], ">=": [(value, True, None, False)],
                    "=": [(value, True, value, True)],
                    "!=": [(None, False, value, False), (value, False, None, False)]}[op])

    def is_empty(self) -> bool:
        return not self.parts

    def is_full(self) -> bool:
        return self.parts == ((None, False, None, False),)

    def __and__(self, other: IntervalSet) -> IntervalSet:
        out = []
        for a in self.parts:
            for b in other.parts:
                low, low_closed = _max_low(a[0], a[1], b[0], b[1])
                high, high_closed = _min_high(a[2], a[3], b[2], b[3])
                out.append((low, low_closed, high, high_closed))
        return IntervalSet(out)

    def __or__(self, other: IntervalSet) -> IntervalSet:
        return IntervalSet([*self.parts, *other.parts])

    def complement(self) -> IntervalSet:
        out, low, low_closed = [], None, False
        for a_low, a_low_closed, a_high, a_high_closed in self.parts:
            if a_low is not None:  # the gap before this part
                out.append((low, low_closed, a_low, not a_low_closed))
            if a_high is None:
                return IntervalSet(out)
            low, low_closed = a_high, not a_high_closed
        out.append((low, low_closed, None, False))
        return IntervalSet(out)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntervalSet) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __repr__(self) -> str:
        return f"IntervalSet({list(self.parts)!r})"


def _empty(p) -> bool:
    low, low_closed, high, high_closed = p
    if low is None or high is None:
        return False
    if _lt(high, low):
        return True
    return not _lt(low, high) and not (low_closed and high_closed)


def _max_low(a, ac, b, bc):
    if a is None:
        return b, bc
    if b is None:
        return a, ac
    if _lt(a, b):
        return b, bc
    if _lt(b, a):
        return a, ac
    return a, ac and bc


def _min_high(a, ac, b, bc):
    if a is None:
        return b, bc
    if b is None:
        return a, ac
    if _lt(a, b):
        return a, ac
    if _lt(b, a):
        return b, bc
    return a, ac and bc


def _normalise(parts: list) -> list:
    """Drop empty parts, sort by low end, merge parts that overlap or touch."""
    parts = [p for p in parts if not _empty(p)]

    def low_key(p):
        return (0,) if p[0] is None else (1, p[0], not p[1])

    parts.sort(key=lambda p: _SortKey(low_key(p)))
    out: list = []
    for p in parts:
        if out:
            last = out[-1]
            if last[2] is None:
                continue
            if p[0] is None or _lt(p[0], last[2]) or (not _lt(last[2], p[0]) and (last[3] or p[1])):
                high, high_closed = _max_high(last[2], last[3], p[2], p[3])
                out[-1] = (last[0], last[1], high, high_closed)
                continue
        out.append(p)
    return out


def _max_high(a, ac, b, bc):
    if a is None or b is None:
        return None, False
    if _lt(a, b):
        return b, bc
    if _lt(b, a):
        return a, ac
    return a, ac or bc


class _SortKey:
    """Orders low-end keys with the runtime's comparison (quantities in different units included)."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __lt__(self, other: _SortKey) -> bool:
        a, b = self.k, other.k
        if a[0] != b[0]:
            return a[0] < b[0]
        if a[0] == 0:
            return False
        if _lt(a[1], b[1]):
            return True
        if _lt(b[1], a[1]):
            return False
        return a[2] < b[2]


# ------------------------------------------------------------------ the analysis

_ORDERED = (Decimal, Quantity, date)


def _bound(node: ir.Node):
    """The constant a comparison bounds by, or None."""
    if isinstance(node, ir.Const) and isinstance(node.value, _ORDERED) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ir.Neg) and isinstance(node.operand, ir.Const) and isinstance(node.operand.value, Decimal):
        return -node.operand.value
    return None


def _atom(node: ir.Node):
    """(the expression compared, the set of its values that make ``node`` true) for a single comparison."""
    if isinstance(node, ir.Compare) and node.op in _FLIP:
        right, left = _bound(node.right), _bound(node.left)
        if right is not None and left is None:
            return node.left, IntervalSet.compare(node.op, right)
        if left is not None and right is None:
            return node.right, IntervalSet.compare(_FLIP[node.op], left)
    if isinstance(node, ir.Between):
        low, high = _bound(node.low), _bound(node.high)
        if low is not None and high is not None and _bound(node.operand) is None:
            inside = IntervalSet.compare(">=", low) & IntervalSet.compare("<=", high)
            return node.operand, inside.complement() if node.negated else inside
    return None


def _constraint(node: ir.Node):
    """(expression, value set) when ``node`` constrains one expression only, else None."""
    atom = _atom(node)
    if atom is not None:
        return atom
    if isinstance(node, ir.Not):
        inner = _constraint(node.operand)
        return None if inner is None else (inner[0], inner[1].complement())
    if isinstance(node, ir.And | ir.Or):
        found = [_constraint(op) for op in node.operands]
        if any(f is None for f in found) or len({f[0] for f in found}) != 1:
            return None
        combined = found[0][1]
        for _, values in found[1:]:
            combined = combined & values if isinstance(node, ir.And) else combined | values
        return found[0][0], combined
    return None


def _grouped(node: ir.And | ir.Or) -> Iterator[tuple[ir.Node, IntervalSet]]:
    """For each expression some operands constrain alone: their values combined (`and`: intersected)."""
    groups: dict[ir.Node, list[IntervalSet]] = {}
    for op in node.operands:
        found = _constraint(op)
        if found is not None:
            groups.setdefault(found[0], []).append(found[1])
    for expr, sets in groups.items():
        if len(sets) < 2:
            continue
        combined = sets[0]
        for s in sets[1:]:
            combined = combined & s if isinstance(node, ir.And) else combined | s
        yield expr, combined


def _walk(node: ir.Node) -> Iterator[ir.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


def _text(trial: ir.CheckedTrial, span: Span | None, fallback: str) -> str:
    if span is None or span.end <= span.start:
        return fallback
    text = trial.sources.get(span.file, trial.source if span.file == trial.file else "")
    return " ".join(text[span.start:span.end].split()) or fallback


def _findings(trial: ir.CheckedTrial, root: ir.Node) -> Iterator[Diagnostic]:
    for node in _walk(root):
        try:
            if isinstance(node, ir.And | ir.Or):
                for expr, values in _grouped(node):
                    name = _text(trial, expr.span, type(expr).__name__)
                    if isinstance(node, ir.And) and values.is_empty():
                        yield Diagnostic("W0122", f"`{_text(trial, node.span, 'this condition')}` can never be "
                                         f"true: no value of `{name}` meets all its bounds", node.span,
                                         _HELP_NEVER, severity="warning")
                    elif isinstance(node, ir.Or) and values.is_full():
                        yield Diagnostic("W0123", f"`{_text(trial, node.span, 'this condition')}` is always true "
                                         f"when `{name}` is known: its bounds leave no value out", node.span,
                                         _HELP_ALWAYS, severity="warning")
            elif isinstance(node, ir.Between):
                atom = _atom(node)
                if atom is not None and (atom[1].is_empty() or atom[1].is_full()):
                    never = atom[1].is_empty()
                    what = "can never be true" if never else "is always true when its value is known"
                    yield Diagnostic("W0122" if never else "W0123",
                                     f"`{_text(trial, node.span, 'this condition')}` {what}: its low bound is above "
                                     "its high bound", node.span, _HELP_NEVER, severity="warning")
        except (TypeError, ArithmeticError, ValueError, UnitMismatch):
            continue  # bounds the runtime cannot compare (different dimensions): the checker says so


def interval_warnings(trial: ir.CheckedTrial) -> list[Diagnostic]:
    """W0122 / W0123 over every criterion, definition and score condition of the trial's own files."""
    roots = [c.expr for c in trial.criteria] + [d.expr for d in trial.definitions.values()]
    roots += [cond for s in trial.scores.values() for _, items in s.categories for _, cond in items]
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    for root in roots:
        for d in _findings(trial, root):
            key = (d.code, d.span.file if d.span else None, d.span.start if d.span else None)
            if key not in seen and (d.span is None or d.span.file == trial.file):
                seen.add(key)
                out.append(d)
    return out

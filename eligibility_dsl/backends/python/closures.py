"""Compile: checked IR to Python closures, once per trial; evaluation then does no lookup or parsing.

Every IR node becomes two closures: a fast one returning the value, and a traced
one returning a :class:`~eligibility_dsl.trace.TraceNode`.  Both get their
meaning from the same value functions (``values.VALUE``), so a trace always
agrees with the fast result.  Values: ``True``/``False``/``None`` (unknown) for
conditions, ``Decimal``, ``Quantity``, ``date``, ``str``.

Semantics stated once, here:

- Kleene logic; an operation on an unknown operand is unknown, except where
  Kleene logic decides (`unknown or true` is true, `unknown and false` false).
- The fast evaluator stops an `and`/`or` at the first decisive operand; it
  never stops at an unknown one, so the facts it reports as missing are all
  the facts that could still change the result.  The traced evaluator shows
  every operand but reports as missing only what the fast one reads.
- `x < max(a, b)` is `x < a or x < b` (and the like for `<=`, `>`, `>=`, `min`):
  a bound that is already decisive decides even when the other is unknown.
- `between` is inclusive at both ends: `low <= x and x <= high`.
- Division by zero is unknown (the data cannot answer the question), and so is a date
  moved outside the years 1 to 9999; either is reported as a problem, so an UNKNOWN
  always says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...check import ir
from ...explain.trace import TraceNode
from ...language import types as T
from ...runtime import calendar
from ...runtime import quantity as Q
from ...runtime.bounded import Bounded
from ...runtime.ops import (
    ARITH,
    CMP,
    EXTREMUM_COMBINE,
    EXTREMUM_NOTE,
    FLIP,
    PERIOD_UNITS,
    age_value,
    and_values,
    compare_dynamic,
    compare_value,
    conditional_value,
    guarded_call,
    junction,
    not_value,
    show,
)
from ...runtime.units import UnitMismatch
from .history import _FAST as _HISTORY_FAST
from .history import _TRACED as _HISTORY_TRACED
from .history import HistoryCompiler, memoized
from .values import arith_problem, value_fn

Fast = Callable[["Ctx"], Any]
Traced = Callable[["Ctx"], TraceNode]


class Ctx:
    """One evaluation: the record's facts and events, the anchors, and what was found missing."""

    __slots__ = ("anchors", "coverage", "current", "defs", "events", "facts", "missing", "problems")

    def __init__(self, facts: dict[str, Any], anchors: dict[str, Any], events: dict[str, list] | None = None,
                 coverage: dict[str, Any] | None = None):
        self.facts = facts
        self.anchors = anchors
        self.events = events or {}
        self.coverage = coverage or {}
        self.current = None  # the event a query's filter is looking at
        self.missing: set[str] = set()
        self.problems: set[str] = set()  # data that could not be compared (a dose in IU against mg)
        self.defs: dict[Any, tuple[Any, frozenset[str], frozenset[str]]] = {}  # see memoized()


def _unwrap_trace(t: TraceNode) -> TraceNode:
    while isinstance(t.node, ir.DefRef):
        t = t.children[0]
    return t


def _unknown_extremum(t: TraceNode) -> bool:
    """Whether a side of a lowered comparison is a max/min (through definitions, nested max/min) that
    is itself unknown: then the max/min rule, not the plain comparison, decided.  A max/min deeper
    inside (an argument of an arithmetic) is not lowered and says nothing here."""
    t = _unwrap_trace(t)
    return isinstance(t.node, ir.Extremum) and (t.value is None or any(_unknown_extremum(c) for c in t.children))


# ------------------------------------------------------------------- compiler


class Compiler(HistoryCompiler):
    def __init__(self, trial: ir.CheckedTrial):
        self.trial = trial
        self._fast_defs: dict[str, Fast] = {}
        self._score_cache: dict[tuple[str, bool], list] = {}
        self._traced_defs: dict[str, Traced] = {}
        self.codesets = self._build_codesets()

    def _resolve(self, node: ir.Node) -> ir.Node:
        while isinstance(node, ir.DefRef):
            node = self.trial.definitions[node.name].expr
        return node

    def _has_extremum(self, *nodes: ir.Node) -> bool:
        return any(isinstance(self._resolve(n), ir.Extremum) for n in nodes)

    def _lowered(self, op: str, left: ir.Node, right: ir.Node) -> Fast:
        """`left op right` with max/min on either side (directly, nested, or through definitions):
        `x < max(a, b)` is `x < a or x < b`, `max(a, b) < y` is `a < y and b < y`, and so on, so a
        bound that is already decisive decides even when another argument is unknown."""
        lhs, rhs = self._resolve(left), self._resolve(right)
        if isinstance(rhs, ir.Extremum):
            parts = [self._lowered(op, left, a) for a in rhs.args]
            decisive = EXTREMUM_COMBINE[(rhs.func, op)]
        elif isinstance(lhs, ir.Extremum):
            parts = [self._lowered(op, a, right) for a in lhs.args]
            decisive = EXTREMUM_COMBINE[(lhs.func, FLIP[op])]
        else:
            lf, rf = self.fast(left), self.fast(right)
            if T.is_dynamic(left.type) or T.is_dynamic(right.type):  # an observation's value: any type
                return lambda ctx: compare_dynamic(op, lf(ctx), rf(ctx), ctx)
            return lambda ctx: compare_value(op, lf(ctx), rf(ctx))
        return lambda ctx: junction([p(ctx) for p in parts], decisive)

    def _lowered_node(self, node: ir.Node) -> Fast | None:
        """The lowered closure for an ordering comparison or a `between` with a max/min on a side."""
        if isinstance(node, ir.Compare) and node.op not in ("=", "!=") and self._has_extremum(node.left, node.right):
            return self._lowered(node.op, node.left, node.right)
        if isinstance(node, ir.Between) and self._has_extremum(node.operand, node.low, node.high):
            low = self._lowered(">=", node.operand, node.low)
            high = self._lowered("<=", node.operand, node.high)
            if node.negated:
                return lambda ctx: not_value(and_values((low(ctx), high(ctx))))
            return lambda ctx: and_values((low(ctx), high(ctx)))
        return None

    def fast(self, node: ir.Node) -> Fast:
        lowered = self._lowered_node(node)
        if lowered is not None:
            return lowered
        special = _FAST_SPECIAL.get(type(node)) or _HISTORY_FAST.get(type(node))
        if special is not None:
            return special(self, node)
        value = self._value_fn(node)
        kids = [self.fast(k) for k in node.children()]
        if any(T.is_dynamic(k.type) for k in node.children()):
            def guarded(ctx: Ctx):
                return guarded_call(ctx, value, [k(ctx) for k in kids])
            return guarded
        if len(kids) == 1:
            (k0,) = kids
            return lambda ctx: value(k0(ctx))
        if len(kids) == 2:
            k0, k1 = kids
            return lambda ctx: value(k0(ctx), k1(ctx))
        return lambda ctx: value(*[k(ctx) for k in kids])

    def _fast_fact(self, node: ir.Fact) -> Fast:
        name = node.name

        def read(ctx: Ctx):
            v = ctx.facts[name]
            if v is None:
                ctx.missing.add(name)
            return v
        return read

    def _fast_anchor(self, node: ir.Anchor) -> Fast:
        name = node.name
        return lambda ctx: ctx.anchors[name]

    def _fast_defref(self, node: ir.DefRef) -> Fast:
        name = node.name
        body = self._fast_definition(name)

        return lambda ctx: memoized(ctx, name, body)

    def _fast_definition(self, name: str) -> Fast:
        # Compiled once and shared by every reference (the checker rejects cycles).
        if name not in self._fast_defs:
            self._fast_defs[name] = self.fast(self.trial.definitions[name].expr)
        return self._fast_defs[name]

    def _fast_junction(self, node: ir.And | ir.Or) -> Fast:
        """`and`/`or`, stopping at the first decisive operand (never at an unknown one, so every
        fact that could still decide is read and, when missing, reported)."""
        kids = tuple(self.fast(k) for k in node.operands)
        decisive = isinstance(node, ir.Or)

        def f(ctx: Ctx):
            result = not decisive
            for k in kids:
                v = k(ctx)
                if v is decisive:
                    return decisive
                if v is None:
                    result = None
            return result
        return f

    def _may_be_bounded(self, node: ir.Node) -> bool:
        """Whether a node can evaluate to a Bounded value (a count or exposure from an
        incomplete history, a score with unknown items)."""
        node = self._resolve(node)
        if isinstance(node, ir.Aggregate):
            return node.kind in ("count", "days_on")
        if isinstance(node, ir.Conditional):
            return self._may_be_bounded(node.then) or self._may_be_bounded(node.otherwise)
        return isinstance(node, ir.ScoreRef)

    def _fast_age_compare(self, node: ir.Compare) -> Fast | None:
        """`age at X OP N years` with a whole N: compare whole years as integers (the same answer,
        without building quantities; the traced evaluator keeps the general path)."""
        right = node.right
        if not (isinstance(node.left, ir.Age) and isinstance(right, ir.Const) and isinstance(right.value, Q.Quantity)):
            return None
        years = right.value.to(PERIOD_UNITS["years"][1]).value
        if years != years.to_integral_value():
            return None
        n, op = int(years), CMP[node.op]
        at = self.fast(node.left.at)
        birth = self._fast_fact(ir.Fact(T.DATE, "birth_date"))

        def f(ctx: Ctx):
            b, a = birth(ctx), at(ctx)
            return None if b is None or a is None else op(calendar.age_in_years(b, a), n)
        return f

    def _fast_compare(self, node: ir.Compare) -> Fast:
        special = self._fast_age_compare(node)
        if special is not None:
            return special
        if T.is_dynamic(node.left.type) or T.is_dynamic(node.right.type):
            left, right, op_name = self.fast(node.left), self.fast(node.right), node.op
            return lambda ctx: compare_dynamic(op_name, left(ctx), right(ctx), ctx)
        if self._may_be_bounded(node.left) or self._may_be_bounded(node.right):
            left, right, op_name = self.fast(node.left), self.fast(node.right), node.op
            return lambda ctx: compare_value(op_name, left(ctx), right(ctx))
        op = CMP[node.op]
        left = self.fast(node.left)
        if isinstance(node.right, ir.Const) and node.right.value is not None:
            const = node.right.value

            def f(ctx: Ctx):
                a = left(ctx)
                return None if a is None else op(a, const)
            return f
        right = self.fast(node.right)

        def g(ctx: Ctx):
            a, b = left(ctx), right(ctx)
            return None if a is None or b is None else op(a, b)
        return g

    def _fast_conditional(self, node: ir.Conditional) -> Fast:
        cond, then, otherwise = self.fast(node.cond), self.fast(node.then), self.fast(node.otherwise)

        def f(ctx: Ctx):
            c = cond(ctx)
            if c is None:  # both branches, so that every fact that could decide is reported missing
                return conditional_value(None, then(ctx), otherwise(ctx))
            return then(ctx) if c else otherwise(ctx)
        return f

    def _arith_value(self, node: ir.Arith) -> Callable[[Ctx, Any, Any], Any]:
        """Arithmetic on two operand values.  When both are known but the result is not (a division
        by zero, a date beyond year 9999) or they cannot be combined (run-time types), the reason is
        reported as a problem, so an UNKNOWN always says why."""
        value = ARITH[node.kind](node.op)  # the operands are checked here, once
        dynamic = T.is_dynamic(node.left.type) or T.is_dynamic(node.right.type)

        def f(ctx: Ctx, a, b):
            if a is None or b is None or type(a) is Bounded or type(b) is Bounded:
                return None
            if not dynamic:
                v = value(a, b)
            else:
                try:
                    v = value(a, b)
                except (UnitMismatch, TypeError, AttributeError, ArithmeticError):
                    ctx.problems.add(f"cannot combine {show(a)}, {show(b)}")
                    return None
            if v is None:
                ctx.problems.add(arith_problem(node, a, b))
            return v
        return f

    def _fast_arith(self, node: ir.Arith) -> Fast:
        value, left, right = self._arith_value(node), self.fast(node.left), self.fast(node.right)
        return lambda ctx: value(ctx, left(ctx), right(ctx))

    def _traced_arith(self, node: ir.Arith) -> Traced:
        value, left, right = self._arith_value(node), self.traced(node.left), self.traced(node.right)

        def t(ctx: Ctx) -> TraceNode:
            a, b = left(ctx), right(ctx)
            return TraceNode(node, value(ctx, a.value, b.value), (a, b))
        return t

    def _fast_age(self, node: ir.Age) -> Fast:
        at = self.fast(node.at)
        birth = self._fast_fact(ir.Fact(T.DATE, "birth_date"))
        return lambda ctx: age_value(birth(ctx), at(ctx))

    # traced closures ---------------------------------------------------------

    def _value_fn(self, node: ir.Node) -> Callable[..., Any]:
        if isinstance(node, ir.InCodeset):
            return self._in_codeset_fn(node)
        return value_fn(node)

    def _fast_lookup(self, node: ir.Lookup) -> Fast:
        look, key = self._lookup_fn(node), self.fast(node.key)
        return lambda ctx: look(ctx, key(ctx))

    def _traced_lookup(self, node: ir.Lookup) -> Traced:
        look, key = self._lookup_fn(node), self.traced(node.key)

        def t(ctx: Ctx) -> TraceNode:
            k = key(ctx)
            return TraceNode(node, look(ctx, k.value), (k,), self._lookup_note(node, k.value))
        return t

    def _fast_const(self, node: ir.Const) -> Fast:
        value = node.value
        if value is None and node.type.kind == "boolean":  # the literal `unknown`: say so in `missing`
            where = f"`unknown` written at line {node.span.line}" if node.span else "`unknown` written in the trial"

            def unknown(ctx: Ctx):
                ctx.missing.add(where)
                return None
            return unknown
        return lambda ctx: value

    def traced(self, node: ir.Node) -> Traced:
        special = _TRACED_SPECIAL.get(type(node)) or _HISTORY_TRACED.get(type(node))
        if special is not None:
            return special(self, node)
        kids = [self.traced(k) for k in node.children()]
        lowered = self._lowered_node(node)
        if lowered is not None:
            def t_lowered(ctx: Ctx) -> TraceNode:
                # The children are traced for the reader; what is missing is what the lowered
                # comparison reads (an argument that cannot decide is not needed).
                missing, problems = set(ctx.missing), set(ctx.problems)
                ts = tuple(k(ctx) for k in kids)
                ctx.missing &= missing
                ctx.problems &= problems
                unknown_bound = any(_unknown_extremum(t) for t in ts)
                return TraceNode(node, lowered(ctx), ts, EXTREMUM_NOTE if unknown_bound else None)
            return t_lowered
        if isinstance(node, ir.Compare) and (T.is_dynamic(node.left.type) or T.is_dynamic(node.right.type)):
            def t_dynamic(ctx: Ctx) -> TraceNode:
                ts = tuple(k(ctx) for k in kids)
                return TraceNode(node, compare_dynamic(node.op, ts[0].value, ts[1].value, ctx), ts)
            return t_dynamic
        value = self._value_fn(node)
        dynamic = any(T.is_dynamic(k.type) for k in node.children())

        def t(ctx: Ctx) -> TraceNode:
            ts = tuple(k(ctx) for k in kids)
            args = [c.value for c in ts]
            return TraceNode(node, guarded_call(ctx, value, args) if dynamic else value(*args), ts)
        return t

    def _traced_junction(self, node: ir.And | ir.Or) -> Traced:
        """`and`/`or` traced: every operand is shown, but what is missing (and any data problem) is
        only what the fast evaluator reads: the operands up to the first decisive one."""
        kids = tuple(self.traced(k) for k in node.operands)
        decisive = isinstance(node, ir.Or)

        def t(ctx: Ctx) -> TraceNode:
            ts, seen = [], None
            for k in kids:
                tk = k(ctx)
                ts.append(tk)
                if seen is None and tk.value is decisive:
                    seen = set(ctx.missing), set(ctx.problems)
            if seen is not None:
                ctx.missing &= seen[0]
                ctx.problems &= seen[1]
            return TraceNode(node, junction([c.value for c in ts], decisive), tuple(ts))
        return t

    def _traced_leaf(self, node: ir.Node) -> Traced:
        fast = self.fast(node)
        return lambda ctx: TraceNode(node, fast(ctx))

    def _traced_defref(self, node: ir.DefRef) -> Traced:
        name = node.name
        if name not in self._traced_defs:
            self._traced_defs[name] = self.traced(self.trial.definitions[name].expr)
        body = self._traced_defs[name]

        def t(ctx: Ctx) -> TraceNode:
            inner = body(ctx)
            return TraceNode(node, inner.value, (inner,))
        return t

    def _traced_age(self, node: ir.Age) -> Traced:
        at = self.traced(node.at)
        birth_node = ir.Fact(T.DATE, "birth_date")  # implicit in `age at`: no source of its own
        birth = self._fast_fact(birth_node)

        def t(ctx: Ctx) -> TraceNode:
            b, a = TraceNode(birth_node, birth(ctx)), at(ctx)
            return TraceNode(node, age_value(b.value, a.value), (b, a))
        return t

    def _traced_conditional(self, node: ir.Conditional) -> Traced:
        cond, then, otherwise = self.traced(node.cond), self.traced(node.then), self.traced(node.otherwise)

        def t(ctx: Ctx) -> TraceNode:
            c = cond(ctx)
            if c.value is None:
                a, b = then(ctx), otherwise(ctx)
                return TraceNode(node, conditional_value(None, a.value, b.value), (c, a, b),
                                 "the condition is unknown: both branches were evaluated")
            branch = then(ctx) if c.value else otherwise(ctx)
            return TraceNode(node, branch.value, (c, branch), f"took the `{'then' if c.value else 'else'}` branch")
        return t


_FAST_SPECIAL: dict[type, Callable[[Compiler, Any], Fast]] = {
    ir.Const: Compiler._fast_const,
    ir.Fact: Compiler._fast_fact,
    ir.Anchor: Compiler._fast_anchor,
    ir.DefRef: Compiler._fast_defref,
    ir.And: Compiler._fast_junction,
    ir.Or: Compiler._fast_junction,
    ir.Compare: Compiler._fast_compare,
    ir.Conditional: Compiler._fast_conditional,
    ir.Age: Compiler._fast_age,
    ir.Arith: Compiler._fast_arith,
    ir.Lookup: Compiler._fast_lookup,
}

_TRACED_SPECIAL: dict[type, Callable[[Compiler, Any], Traced]] = {
    ir.Const: Compiler._traced_leaf,
    ir.Fact: Compiler._traced_leaf,
    ir.FieldRef: Compiler._traced_leaf,
    ir.Anchor: Compiler._traced_leaf,
    ir.DefRef: Compiler._traced_defref,
    ir.And: Compiler._traced_junction,
    ir.Or: Compiler._traced_junction,
    ir.Age: Compiler._traced_age,
    ir.Arith: Compiler._traced_arith,
    ir.Conditional: Compiler._traced_conditional,
    ir.Lookup: Compiler._traced_lookup,
}

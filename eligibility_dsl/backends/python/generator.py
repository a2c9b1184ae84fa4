"""Generate Python from the checked IR: one module per trial, straight-line code per criterion.

Every IR node is emitted twice over, by two sets of rules sharing this class:

- *fast* (``fast(node) -> name``): statements computing the node's value into a fresh local, appending
  what is missing to ``M`` and data problems to ``P``. Kleene logic is inlined: ``and``/``or`` stop at the
  first decisive operand (never at an unknown one, so every fact that could still decide is read and,
  when missing, reported), and an operand that cannot be missing needs no ``None`` test.
- *traced* (``traced(node) -> name``): statements building the :class:`~eligibility_dsl.explain.trace.
  TraceNode` of the node (its value and its children's traces). A traced evaluation shows every operand;
  what is missing and the problems always come from the fast evaluation, so a trace never changes them.

The generated functions share one signature of state, ``F, E, C, B, BP, M, P, D`` (facts, events by
collection, coverage, batch constants and their problems, missing, problems, the per-record memo of
definitions and scores), and ``ev`` first for the functions a query runs on each event (its filter, the
condition of ``all``).

Work that depends only on the anchors (the anchors themselves, every window's bounds) is *hoisted*: it
is computed once per batch by the generated ``prepare`` function into ``B``; a criterion reads ``B[k]``.

Semantics are the ones stated in ``support.py`` and ``runtime/ops.py``; the reference interpreter in
``tests/reference_interpreter.py`` is the independent oracle the tests compare against.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from ...check import ir
from ...check.fact_range import out_of_range
from ...explain.trace import TraceNode
from ...language import types as T
from ...runtime import calendar
from ...runtime import quantity as Q
from ...runtime.bounded import Bounded
from ...runtime.ops import ARITH, CMP, EXTREMUM_COMBINE, EXTREMUM_NOTE, FLIP, PERIOD_UNITS, conditional_value
from . import support as S
from .emitter import Emitter, Module
from .generator_datetimes import DATETIME_FAST, DATETIME_NAMES, DATETIME_TRACED
from .generator_formulas import FORMULA_FAST, FORMULA_NAMES, FORMULA_TRACED
from .generator_history import AGGREGATE_CALLS, HISTORY_FAST, HISTORY_NAMES, HISTORY_TRACED, HistoryRules
from .generator_items import ITEM_AGGREGATE_CALLS, ITEM_NAMES
from .generator_labs import LAB_FAST, LAB_NAMES, LAB_TRACED
from .values import arith_problem, value_fn

ENV = "F, E, C, B, BP, M, P, D"
EV_ENV = "ev, " + ENV
# Deeper than this many blocks, a sub-expression becomes a function of its own (Python's parser limits
# indentation to 100 levels; IR may nest up to MAX_NESTING = 100).
MAX_DEPTH = 24
_PY_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_BIRTH = ir.Fact(T.DATE, "birth_date")  # implicit in `age at`: no source of its own


class TV(NamedTuple):
    """What a traced rule gives: the local holding the trace, and the expression of its value."""

    t: str
    v: str


def _unwrap_trace(t: TraceNode) -> TraceNode:
    while isinstance(t.node, ir.DefRef):
        t = t.children[0]
    return t


def unknown_extremum(t: TraceNode) -> bool:
    """Whether a side of a lowered comparison is a max/min (through definitions, nested max/min) that is
    itself unknown: then the max/min rule, not the plain comparison, decided."""
    t = _unwrap_trace(t)
    return isinstance(t.node, ir.Extremum) and (t.value is None or any(unknown_extremum(c) for c in t.children))


def lowered_note(children: tuple) -> str | None:
    return EXTREMUM_NOTE if any(unknown_extremum(t) for t in children) else None


class Generator(HistoryRules):
    """Generates one trial's module. ``run`` gives each criterion's value, missing and problems;
    ``t<i>`` each criterion's trace; ``prepare`` the batch constants."""

    def __init__(self, trial: ir.CheckedTrial):
        self.trial = trial
        self.module = Module()
        self.e = Emitter(self.module)
        self.mode = "run"  # run | prepare (computing the batch constants: anchors come from A, nothing hoisted)
        self.slots: list[ir.Node] = []  # batch constants, in B order
        self._slot_index: dict[Any, int] = {}
        self._constant: dict[int, bool] = {}
        self._functions: dict[tuple, str] = {}  # (kind, key) -> generated function name
        self.memo_size = 0
        self._memo_index: dict[tuple, int] = {}
        self.codesets = self.build_codesets()

    # ---------------------------------------------------------------- helpers

    def c(self, value: Any) -> str:
        return self.e.const(value)

    def tmp(self) -> str:
        return self.e.name()

    def line(self, text: str) -> None:
        self.e.line(text)

    @contextlib.contextmanager
    def function(self, name: str, params: str = EV_ENV, criterion: str | None = None, span=None) -> Iterator[None]:
        """Emit a new top-level function; generation inside goes to it."""
        outer = self.e
        self.e = Emitter(self.module, criterion if criterion is not None else outer.criterion, span or outer.span)
        try:
            with self.e.block(f"def {name}({params}):"):
                yield
            self.module.functions.append(self.e)
        finally:
            self.e = outer

    def memo_slot(self, key: tuple) -> int:
        if key not in self._memo_index:
            self._memo_index[key] = self.memo_size
            self.memo_size += 1
        return self._memo_index[key]

    def resolve(self, node: ir.Node) -> ir.Node:
        while isinstance(node, ir.DefRef):
            node = self.trial.definitions[node.name].expr
        return node

    # ------------------------------------------------------- batch constants

    def is_constant(self, node: ir.Node) -> bool:
        """Whether the node's value depends only on the anchors and literals (then it is the same for
        every record of a batch)."""
        key = id(node)
        if key not in self._constant:
            if isinstance(node, ir.Anchor | ir.AnchorTime):
                found = True
            elif isinstance(node, ir.Const):
                found = node.value is not None or node.type.kind != "boolean"  # `unknown` reports itself
            elif isinstance(node, ir.DefRef):
                found = self.is_constant(self.trial.definitions[node.name].expr)
            elif isinstance(node, ir.Arith | ir.Neg | ir.Extremum | ir.DurationBetween | ir.Formula):
                found = all(self.is_constant(k) for k in node.children())
            else:
                found = False
            self._constant[key] = found
        return self._constant[key]

    def _may_have_problems(self, node: ir.Node) -> bool:
        node = self.resolve(node)
        return isinstance(node, ir.Arith | ir.Formula) or any(self._may_have_problems(k) for k in node.children())

    def slot(self, node: ir.Node) -> int:
        key = ("anchor", node.name) if isinstance(node, ir.Anchor) else node
        if key not in self._slot_index:
            self._slot_index[key] = len(self.slots)
            self.slots.append(node)
        return self._slot_index[key]

    def read_slot(self, node: ir.Node) -> str:
        k = self.slot(node)
        out = self.tmp()
        self.line(f"{out} = B[{k}]")
        if self._may_have_problems(node):
            with self.e.block(f"if BP[{k}]:"):
                self.line(f"P.extend(BP[{k}])")
        return out

    # ------------------------------------------------------------- fast rules

    def fast(self, node: ir.Node) -> str:
        with self.e.at(node.span):
            if self.e.depth > MAX_DEPTH:
                return self.call_out(node, self.fast)
            if self.mode == "run" and not isinstance(node, ir.Const) and self.is_constant(node):
                return self.read_slot(node)
            lowered = self.lowered_node(node)
            if lowered is not None:
                return lowered
            rule = FAST_RULES.get(type(node))
            if rule is not None:
                return rule(self, node)
            return self.fast_generic(node)

    def call_out(self, node: ir.Node, rule: Callable[[ir.Node], str]) -> str:
        """A sub-expression too deeply nested to inline: a function of its own."""
        key = (rule.__name__, self.mode, id(node))
        name = self._functions.get(key)
        if name is None:
            name = self._functions[key] = self.e.name("h")
            with self.function(name):
                self.line(f"return {rule(node)}")
        return self.call(name)

    def call(self, function: str) -> str:
        out = self.tmp()
        self.line(f"{out} = {function}({EV_ENV})")
        return out

    def fast_generic(self, node: ir.Node) -> str:
        """A node whose meaning is a value function of its children's values (`runtime.ops`)."""
        fn = self.c(self._value_fn(node))
        args = [self.fast(k) for k in node.children()]
        out = self.tmp()
        if any(T.is_dynamic(k.type) for k in node.children()):
            self.line(f"{out} = _guarded(P, {fn}, ({', '.join(args)},))")
        else:
            self.line(f"{out} = {fn}({', '.join(args)})")
        return out

    def _value_fn(self, node: ir.Node) -> Callable:
        if isinstance(node, ir.InCodeset):
            codeset, negated = self.codesets[node.codeset], node.negated
            return lambda value: S.in_codeset(value, codeset, negated)
        return value_fn(node)

    def fast_const(self, node: ir.Const) -> str:
        if node.value is None and node.type.kind == "boolean":  # the literal `unknown`: say so in `missing`
            where = f"`unknown` written at line {node.span.line}" if node.span else "`unknown` written in the trial"
            self.line(f"M.append({self.c(where)})")
            return "None"
        return self.c(node.value)

    def fast_fact(self, node: ir.Fact) -> str:
        out, name = self.tmp(), self.c(node.name)
        self.line(f"{out} = F[{name}]")
        with self.e.block(f"if {out} is None:"):
            self.line(f"M.append({name})")
        outside = self.range_check(node.name)
        if outside is not None:  # a value outside the declared scale: a problem, and unknown
            with self.e.block(f"elif {outside}({out}) is not None:"):
                self.line(f"P.append({outside}({out}))")
                self.line(f"{out} = None")
        return out

    def range_check(self, name: str) -> str | None:
        spec = self.trial.facts.get(name)
        if spec is None or spec.range is None:
            return None
        return self.c(out_of_range(name, *spec.range))

    def fast_anchor(self, node: ir.Anchor) -> str:
        if self.mode == "prepare":
            out = self.tmp()
            self.line(f"{out} = A[{self.c(node.name)}]")
            return out
        return self.read_slot(node)

    def fast_defref(self, node: ir.DefRef) -> str:
        if self.mode == "prepare":  # a batch constant: computed once per batch, no memo needed
            return self.fast(self.trial.definitions[node.name].expr)
        name = self.definition_function(node.name)
        return self.memo_read(("define", node.name), name)

    def memo_read(self, key: tuple, function: str) -> str:
        """A definition or score, computed once per record and shared by every criterion that reads it;
        what it found missing and its problems are kept with the value and reported at each reading."""
        k = self.memo_slot(key)
        hit, out = self.tmp(), self.tmp()
        self.line(f"{hit} = D[{k}] or {function}({EV_ENV})")
        with self.e.block(f"if {hit}[1]:"):
            self.line(f"M.extend({hit}[1])")
        with self.e.block(f"if {hit}[2]:"):
            self.line(f"P.extend({hit}[2])")
        self.line(f"{out} = {hit}[0]")
        return out

    def memo_function(self, key: tuple, name: str, compute: Callable[[], str], span) -> None:
        k = self.memo_slot(key)
        with self.function(name, span=span):
            self.line("M, P = [], []")
            value = compute()
            self.line(f"hit = D[{k}] = ({value}, tuple(M), tuple(P))")
            self.line("return hit")

    def definition_function(self, name: str) -> str:
        key = ("define", name)
        if key not in self._functions:
            fname = self._functions[key] = self.e.name("d")
            definition = self.trial.definitions[name]
            self.memo_function(key, fname, lambda: self.fast(definition.expr), definition.span)
        return self._functions[key]

    def fast_junction(self, node: ir.And | ir.Or) -> str:
        """`and` / `or`: every operand at one level, each guarded by the result so far, so a long chain
        nests no deeper than a short one."""
        decisive = "True" if isinstance(node, ir.Or) else "False"
        out = self.tmp()
        self.line(f"{out} = {'False' if decisive == 'True' else 'True'}")
        for i, operand in enumerate(node.operands):
            guard = self.e.block(f"if {out} is not {decisive}:") if i else contextlib.nullcontext()
            with guard:
                v = self.fast(operand)
                with self.e.block(f"if {v} is {decisive}:"):
                    self.line(f"{out} = {decisive}")
                with self.e.block(f"elif {v} is None:"):
                    self.line(f"{out} = None")
        return out

    def fast_not(self, node: ir.Not) -> str:
        v, out = self.fast(node.operand), self.tmp()
        self.line(f"{out} = None if {v} is None else not {v}")
        return out

    def fast_implies(self, node: ir.Implies) -> str:
        # Both sides are always evaluated (as the value function does), so what is missing and the
        # problems do not depend on the left side's value.
        a, b, out = self.fast(node.left), self.fast(node.right), self.tmp()
        self.line(f"{out} = True if {a} is False or {b} is True else None if {a} is None or {b} is None else False")
        return out

    def may_be_bounded(self, node: ir.Node) -> bool:
        """Whether a node can evaluate to a Bounded value (a count or exposure from an incomplete
        history, a score with unknown items)."""
        node = self.resolve(node)
        if isinstance(node, ir.Aggregate):
            return node.kind in ("count", "days_on")
        if isinstance(node, ir.DailyTotal | ir.ItemCount | ir.Extreme | ir.AgeIn):  # from below, or between bounds
            return True
        if isinstance(node, ir.Conditional):
            return self.may_be_bounded(node.then) or self.may_be_bounded(node.otherwise)
        return isinstance(node, ir.ScoreRef)

    def _age_compare(self, node: ir.Compare) -> str | None:
        """`age at X OP N years` with a whole N: whole years compared as integers."""
        right = node.right
        if not (isinstance(node.left, ir.Age) and isinstance(right, ir.Const) and isinstance(right.value, Q.Quantity)):
            return None
        years = right.value.to(PERIOD_UNITS["years"][1]).value
        if years != years.to_integral_value():
            return None
        birth, at, out = self.fast_fact(_BIRTH), self.fast(node.left.at), self.tmp()
        self.line(f"{out} = None if {birth} is None or {at} is None else "
                  f"_age_in_years({birth}, {at}) {_PY_OPS[node.op]} {int(years)}")
        return out

    def fast_compare(self, node: ir.Compare) -> str:
        special = self._age_compare(node)
        if special is not None:
            return special
        a, b, out = self.fast(node.left), self.fast(node.right), self.tmp()
        self.line(f"{out} = {self.compare_expr(node, a, b)}")
        return out

    def compare_expr(self, node: ir.Compare, a: str, b: str) -> str:
        """The value of `a op b`, inline where the types allow (no run-time types, no ranges)."""
        if T.is_dynamic(node.left.type) or T.is_dynamic(node.right.type):
            return f"_compare_dynamic({self.c(node.op)}, {a}, {b}, P)"
        if self.may_be_bounded(node.left) or self.may_be_bounded(node.right):
            return f"_compare_value({self.c(node.op)}, {a}, {b})"
        known = [x for x in (a, b) if x not in self.module.constants]
        test = " or ".join(f"{x} is None" for x in known)
        expr = f"{a} {_PY_OPS[node.op]} {b}"
        return f"None if {test} else {expr}" if test else expr

    def fast_conditional(self, node: ir.Conditional) -> str:
        """`if C then A else B`: an unknown condition evaluates both branches (so every fact that could
        decide is reported), and is unknown unless they agree."""
        cond, out = self.fast(node.cond), self.tmp()
        then = other = "None"
        with self.e.block(f"if {cond} is not False:"):
            then = self.fast(node.then)
        with self.e.block(f"if {cond} is not True:"):
            other = self.fast(node.otherwise)
        self.line(f"{out} = _conditional({cond}, {then} if {cond} is not False else None, "
                  f"{other} if {cond} is not True else None)")
        return out

    def fast_arith(self, node: ir.Arith) -> str:
        a, b, out = self.fast(node.left), self.fast(node.right), self.tmp()
        fn = self.c(ARITH[node.kind](node.op))
        why = self.c(lambda x, y, node=node: arith_problem(node, x, y))
        dynamic = T.is_dynamic(node.left.type) or T.is_dynamic(node.right.type)
        self.line(f"{out} = _arith({fn}, {a}, {b}, {dynamic}, P, {why})")
        return out

    def fast_age(self, node: ir.Age) -> str:
        birth, at, out = self.fast_fact(_BIRTH), self.fast(node.at), self.tmp()
        self.line(f"{out} = _age_value({birth}, {at})")
        return out

    # ------------------------------------------------- max/min in comparisons

    def lowered_node(self, node: ir.Node) -> str | None:
        """An ordering comparison or a `between` with a max/min on a side (directly, nested, or through
        definitions): `x < max(a, b)` is `x < a or x < b`, `max(a, b) < y` is `a < y and b < y`, so a
        bound that is already decisive decides even when another argument is unknown."""
        if isinstance(node, ir.Compare) and node.op not in ("=", "!=") and self._has_extremum(node.left, node.right):
            return self.lowered(node.op, node.left, node.right, {})
        if isinstance(node, ir.Between) and self._has_extremum(node.operand, node.low, node.high):
            seen: dict[int, str] = {}
            low = self.lowered(">=", node.operand, node.low, seen)
            high = self.lowered("<=", node.operand, node.high, seen)
            out = self.tmp()
            inside = (f"(False if {low} is False or {high} is False else "
                      f"None if {low} is None or {high} is None else True)")
            self.line(f"{out} = " + (f"(None if {inside} is None else not {inside})" if node.negated else inside))
            return out
        return None

    def _has_extremum(self, *nodes: ir.Node) -> bool:
        return any(isinstance(self.resolve(n), ir.Extremum) for n in nodes)

    def lowered(self, op: str, left: ir.Node, right: ir.Node, seen: dict[int, str]) -> str:
        lhs, rhs = self.resolve(left), self.resolve(right)
        if isinstance(rhs, ir.Extremum):
            parts = [self.lowered(op, left, a, seen) for a in rhs.args]
            decisive = EXTREMUM_COMBINE[(rhs.func, op)]
        elif isinstance(lhs, ir.Extremum):
            parts = [self.lowered(op, a, right, seen) for a in lhs.args]
            decisive = EXTREMUM_COMBINE[(lhs.func, FLIP[op])]
        else:
            a, b, out = self._once(left, seen), self._once(right, seen), self.tmp()
            if T.is_dynamic(left.type) or T.is_dynamic(right.type):
                self.line(f"{out} = _compare_dynamic({self.c(op)}, {a}, {b}, P)")
            else:
                self.line(f"{out} = _compare_value({self.c(op)}, {a}, {b})")
            return out
        out = self.tmp()
        self.line(f"{out} = _junction(({', '.join(parts)},), {decisive})")
        return out

    def _once(self, node: ir.Node, seen: dict[int, str]) -> str:
        """Each operand of a lowered comparison is evaluated once (evaluation is pure)."""
        key = id(node)
        if key not in seen:
            seen[key] = self.fast(node)
        return seen[key]

    # ------------------------------------------------------------ traced rules

    def traced(self, node: ir.Node) -> TV:
        with self.e.at(node.span):
            if self.e.depth > MAX_DEPTH:
                return self.value_of(self.call_out(node, self.traced_function_body))
            rule = TRACED_RULES.get(type(node))
            if rule is not None:
                return rule(self, node)
            return self.traced_generic(node)

    def traced_function_body(self, node: ir.Node) -> str:
        return self.traced(node).t

    def value_of(self, trace: str) -> TV:
        """A trace a function returned, with its value in a local (read once)."""
        value = self.tmp()
        self.line(f"{value} = {trace}.value")
        return TV(trace, value)

    def node_ref(self, node: ir.Node) -> str:
        return self.c(node)

    def trace_leaf(self, node: ir.Node, value: str, *children: TV, note: str = "None") -> TV:
        out = self.tmp()
        kids = f"({''.join(k.t + ', ' for k in children)})" if children else "()"
        self.line(f"{out} = _Trace(_TN, ({self.node_ref(node)}, {value}, {kids}, {note}, None, None, ()))")
        return TV(out, value)

    def traced_leaf(self, node: ir.Node) -> TV:
        if isinstance(node, ir.Const) and not (node.value is None and node.type.kind == "boolean"):
            # A literal's trace is the same for every record: made once, when compiling.
            return TV(self.c(TraceNode(node, node.value)), self.c(node.value))
        value = FAST_RULES[type(node)](self, node)
        outside = self.range_check(node.name) if isinstance(node, ir.Fact) else None
        if outside is not None:  # the trace says why a recorded value is not used
            raw = f"F[{self.c(node.name)}]"
            return self.trace_leaf(node, value, note=f"(None if {raw} is None else {outside}({raw}))")
        return self.trace_leaf(node, value)

    def traced_generic(self, node: ir.Node) -> TV:
        kids = [self.traced(k) for k in node.children()]
        values = [k.v for k in kids]
        lowered = self.lowered_node(node)
        if lowered is not None:  # the children are traced for the reader; the value is the lowered comparison's
            return self.trace_leaf(node, lowered, *kids, note=f"_lowered_note(({''.join(k.t + ', ' for k in kids)}))")
        out = self.tmp()
        if isinstance(node, ir.Compare):
            self.line(f"{out} = {self.compare_expr(node, values[0], values[1])}")
        elif isinstance(node, ir.Not):
            self.line(f"{out} = None if {values[0]} is None else not {values[0]}")
        elif any(T.is_dynamic(k.type) for k in node.children()):
            self.line(f"{out} = _guarded(P, {self.c(self._value_fn(node))}, ({', '.join(values)},))")
        else:
            self.line(f"{out} = {self.c(self._value_fn(node))}({', '.join(values)})")
        return self.trace_leaf(node, out, *kids)

    def traced_junction(self, node: ir.And | ir.Or) -> TV:
        kids = [self.traced(k) for k in node.operands]
        decisive, other = ("True", "False") if isinstance(node, ir.Or) else ("False", "True")
        out = self.tmp()
        self.line(f"{out} = {decisive} if {' or '.join(f'{k.v} is {decisive}' for k in kids)} else None if "
                  f"{' or '.join(f'{k.v} is None' for k in kids)} else {other}")
        return self.trace_leaf(node, out, *kids)

    def traced_defref(self, node: ir.DefRef) -> TV:
        key = ("traced-define", node.name)
        if key not in self._functions:
            name = self._functions[key] = self.e.name("td")
            definition = self.trial.definitions[node.name]
            with self.function(name, span=definition.span):
                self.line(f"return {self.traced(definition.expr).t}")
        inner = self.value_of(self.call(self._functions[key]))
        return self.trace_leaf(node, inner.v, inner)

    def traced_age(self, node: ir.Age) -> TV:
        at = self.traced(node.at)
        birth = self.trace_leaf(_BIRTH, self.fast_fact(_BIRTH))
        out = self.tmp()
        self.line(f"{out} = _age_value({birth.v}, {at.v})")
        return self.trace_leaf(node, out, birth, at)

    def traced_arith(self, node: ir.Arith) -> TV:
        a, b, out = self.traced(node.left), self.traced(node.right), self.tmp()
        fn = self.c(ARITH[node.kind](node.op))
        why = self.c(lambda x, y, node=node: arith_problem(node, x, y))
        dynamic = T.is_dynamic(node.left.type) or T.is_dynamic(node.right.type)
        self.line(f"{out} = _arith({fn}, {a.v}, {b.v}, {dynamic}, P, {why})")
        return self.trace_leaf(node, out, a, b)

    def traced_conditional(self, node: ir.Conditional) -> TV:
        cond, out, value, n = self.traced(node.cond), self.tmp(), self.tmp(), self.node_ref(node)
        with self.e.block(f"if {cond.v} is not False:"):
            a = self.traced(node.then)
        with self.e.block(f"if {cond.v} is not True:"):
            b = self.traced(node.otherwise)
        with self.e.block(f"if {cond.v} is None:"):
            self.line(f"{value} = _conditional(None, {a.v}, {b.v})")
            self.line(f"{out} = _Trace(_TN, ({n}, {value}, ({cond.t}, {a.t}, {b.t}), "
                      f"{self.c('the condition is unknown: both branches were evaluated')}, None, None, ()))")
        with self.e.block(f"elif {cond.v}:"):
            self.line(f"{value} = {a.v}")
            self.line(f"{out} = _Trace(_TN, ({n}, {value}, ({cond.t}, {a.t}), {self.c('took the `then` branch')}, "
                      "None, None, ()))")
        with self.e.block("else:"):
            self.line(f"{value} = {b.v}")
            self.line(f"{out} = _Trace(_TN, ({n}, {value}, ({cond.t}, {b.t}), {self.c('took the `else` branch')}, "
                      "None, None, ()))")
        return TV(out, value)


FAST_RULES: dict[type, Callable[[Generator, Any], str]] = {
    ir.Const: Generator.fast_const,
    ir.Fact: Generator.fast_fact,
    ir.Anchor: Generator.fast_anchor,
    ir.DefRef: Generator.fast_defref,
    ir.And: Generator.fast_junction,
    ir.Or: Generator.fast_junction,
    ir.Not: Generator.fast_not,
    ir.Implies: Generator.fast_implies,
    ir.Compare: Generator.fast_compare,
    ir.Conditional: Generator.fast_conditional,
    ir.Age: Generator.fast_age,
    ir.Arith: Generator.fast_arith,
}

TRACED_RULES: dict[type, Callable[[Generator, Any], TV]] = {
    ir.Const: Generator.traced_leaf,
    ir.Fact: Generator.traced_leaf,
    ir.Anchor: Generator.traced_leaf,
    ir.DefRef: Generator.traced_defref,
    ir.And: Generator.traced_junction,
    ir.Or: Generator.traced_junction,
    ir.Age: Generator.traced_age,
    ir.Arith: Generator.traced_arith,
    ir.Conditional: Generator.traced_conditional,
}

# Names every generated module sees (bound in its namespace; the source refers to them, never to user text).
RUNTIME_NAMES: dict[str, Any] = {
    "_Trace": tuple.__new__,  # _Trace(_TN, fields): a TraceNode at the cost of a tuple
    "_TN": TraceNode,
    "_Bounded": Bounded,
    "_guarded": S.guarded,
    "_compare_dynamic": S.compare_dynamic,
    "_compare_value": S.compare_value,
    "_arith": S.arith,
    "_junction": S.junction,
    "_conditional": conditional_value,
    "_age_value": S.age_value,
    "_age_in_years": calendar.age_in_years,
    "_lowered_note": lowered_note,
    "_CMP": CMP,
    **HISTORY_NAMES,
    **LAB_NAMES,
    **FORMULA_NAMES,
    **ITEM_NAMES,
    **DATETIME_NAMES,
}
FAST_RULES.update(HISTORY_FAST)
TRACED_RULES.update(HISTORY_TRACED)
FAST_RULES.update(LAB_FAST)
TRACED_RULES.update(LAB_TRACED)
FAST_RULES.update(FORMULA_FAST)
TRACED_RULES.update(FORMULA_TRACED)
FAST_RULES.update(DATETIME_FAST)
TRACED_RULES.update(DATETIME_TRACED)
AGGREGATE_CALLS.update(ITEM_AGGREGATE_CALLS)  # counting over items (lang11b)

"""A reference interpreter for the checked IR, written for clarity, not speed.

It re-derives the evaluation semantics from the README (and the semantics stated in the docstrings of
``compile.py`` / ``compile_history.py``) by direct recursive interpretation of ``ir`` nodes, sharing no
code with the compiled evaluator: only runtime *value* classes and calendar helpers (Quantity, Coding,
CodeSet.contains, calendar.shift/between/age_in_years), which have their own unit tests.

Values: True/False/None (unknown), Decimal, Quantity, date, str, Coding or a tuple of codings, and
``Range`` for a value known only between bounds (a count or exposure from an incomplete history, a
score with unknown items).  Comparisons with a Range use interval reasoning: decided only when every
value in the range(s) gives the same answer.

Deliberate choices where the documents are silent (each is the sound, "unknown" side):
- arithmetic, negation and max/min *as values* of a Range are unknown (only comparisons use ranges);
- values of different kinds (an observation's 50 % against `true`, mg against IU) cannot be compared:
  unknown, for `=` as for `<`; only numbers, quantities of one dimension and dates are ordered;
- arithmetic that cannot be carried out on the run-time values (a coding times 2, a date shifted past
  year 9999) is unknown.
"""

from __future__ import annotations

import datetime
import functools
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, Overflow
from fractions import Fraction
from typing import NamedTuple

import attrs
from reference_datetimes import _as_datetime as _day_time
from reference_datetimes import _before, age_in, event_in, exact_bounds, same_day_pick
from reference_formulas import formula
from reference_labs import NO_TOTAL, censored, censored_compare, result_is, titre_compare

from eligibility_dsl.check import ir
from eligibility_dsl.records.model import COLLECTIONS
from eligibility_dsl.runtime import calendar
from eligibility_dsl.runtime import quantity as Q
from eligibility_dsl.runtime.codes import CodeSet, Coding
from eligibility_dsl.runtime.datetimes import BIRTH_TIME, DateTime, is_datetime_text, parse_datetime
from eligibility_dsl.runtime.quantity import Quantity
from eligibility_dsl.runtime.titre import Titre
from eligibility_dsl.runtime.units import BASE_DIMENSIONS, UnitMismatch

EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation, Overflow])  # + - *: exact
DIVIDE = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])  # the one rounding


class IllFormed(Exception):
    """The IR cannot be interpreted (e.g. an event field read outside any query)."""


@attrs.frozen
class Range:
    low: Decimal | Quantity
    high: Decimal | Quantity | None  # None: no upper bound ("at least low")


def make_range(low, high):
    return low if high is not None and order(low, high) == 0 else Range(low, high)


# ------------------------------------------------------------------ logic

def k_not(a):
    return None if a is None else not a


def k_and(values):
    values = list(values)
    return False if False in values else None if None in values else True


def k_or(values):
    values = list(values)
    return True if True in values else None if None in values else False


# ------------------------------------------------------------- comparison

_KINDS = ((bool, "boolean"), (Decimal, "number"), (Quantity, "quantity"), (datetime.date, "date"), (str, "text"),
          ((Coding, tuple), "coding"))


def kind(v) -> str:
    return next((name for cls, name in _KINDS if isinstance(v, cls)), None) or _ill(f"unexpected value {v!r}")


def _ill(message: str):
    raise IllFormed(message)


def order(a, b) -> int | None:
    """-1, 0, 1, or None when the two are not ordered with each other."""
    ka, kb = kind(a), kind(b)
    if ka != kb or ka not in ("number", "quantity", "date"):
        return None
    if ka == "quantity":
        if a.unit.dims != b.unit.dims:
            return _analyte_order(a, b)
        a, b = a.base, b.base  # exact Fractions in base units
    return (a > b) - (a < b)


def _analyte_order(a, b) -> int | None:
    """A laboratory result of a known analyte against a quantity in the other concentration kind
    (docs/units.md): mass = amount x molar mass; HbA1c NGSP % = IFCC mmol/mol / 10.929 + 2.15."""
    analytes = {x.analyte for x in (a, b) if getattr(x, "analyte", None) is not None}
    if len(analytes) != 1:
        return None
    analyte = analytes.pop()

    def mass_like(q):  # a concentration in g/m3 whatever its kind, or an HbA1c in NGSP %
        names = dict(zip(BASE_DIMENSIONS, q.unit.dims, strict=True))
        if analyte.kind == "hba1c":
            if names["percent"] == 1 and not any(v for k, v in names.items() if k != "percent"):
                return q.base
            if not any(q.unit.dims):
                return q.base * 1000 / Fraction("10.929") + Fraction("2.15")
            return None
        if names["amount"] == 1 and names["mass"] == 0:
            return q.base * analyte.molar_mass, {**names, "amount": 0, "mass": 1}
        return q.base, names

    x, y = mass_like(a), mass_like(b)
    if x is None or y is None:
        return None
    if analyte.kind != "hba1c":
        if x[1] != y[1]:
            return None
        x, y = x[0], y[0]
    return (x > y) - (x < y)


def equal(a, b) -> bool | None:
    ka, kb = kind(a), kind(b)
    if ka != kb:  # e.g. an observation's value 50 % against `true`: cannot be compared, so unknown
        # but a number against a quantity, a text or a coding (the value's kind is not the constant's):
        # never equal (docs/language.md, the value of an observation)
        numeric = {"number", "quantity"}
        if (ka in numeric or kb in numeric) and {ka, kb} <= numeric | {"text", "coding"}:
            return False
        return None
    if ka in ("number", "quantity", "date"):
        o = order(a, b)
        return None if o is None else o == 0
    return a == b


def _bound_order(x, y):
    """Order of two interval ends, None meaning +infinity (an open upper end)."""
    if x is None or y is None:
        return (x is None) - (y is None)
    return order(x, y)


def _interval_compare(op, a, b):
    (al, ah), (bl, bh) = ((v.low, v.high) if isinstance(v, Range) else (v, v) for v in (a, b))
    if op in (">", ">="):
        return _interval_compare({">": "<", ">=": "<="}[op], b, a)
    if op == "!=":
        return k_not(_interval_compare("=", a, b))
    try:
        if op == "<":
            can_true, can_false = _bound_order(al, bh) < 0, _bound_order(ah, bl) >= 0
        elif op == "<=":
            can_true, can_false = _bound_order(al, bh) <= 0, _bound_order(ah, bl) > 0
        else:  # =
            can_true = _bound_order(al, bh) <= 0 and _bound_order(bl, ah) <= 0
            can_false = not (ah is not None and bh is not None and order(al, ah) == 0 == order(bl, bh) == order(al, bl))
    except TypeError:  # an end was incomparable (None from order)
        return None
    return None if can_true == can_false else can_true


def compare(op: str, a, b):
    if a is None or b is None:
        return None
    if a is NO_TOTAL or b is NO_TOTAL:
        def zero_like(other):
            other = other.low if isinstance(other, Range) else other
            return Quantity(0, other.unit) if isinstance(other, Quantity) else Decimal(0)
        a, b = (Decimal(0), Decimal(0)) if a is b else (zero_like(b), b) if a is NO_TOTAL else (a, zero_like(a))
    if isinstance(a, Titre) or isinstance(b, Titre):
        return titre_compare(op, a, b)
    if isinstance(a, str) != isinstance(b, str) and not isinstance(a, Range) and not isinstance(b, Range):
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
        if isinstance(a, str) and censored(a) is not None and not isinstance(b, bool):
            return censored_compare(op, censored(a), b)
        if isinstance(b, str) and censored(b) is not None and not isinstance(a, bool):
            return censored_compare(flipped[op], censored(b), a)
    if isinstance(a, Range) or isinstance(b, Range):
        return _interval_compare(op, a, b)
    if op in ("=", "!="):
        same = equal(a, b)
        return same if op == "=" else k_not(same)
    o = order(a, b)
    if o is None:
        return None
    return {"<": o < 0, "<=": o <= 0, ">": o > 0, ">=": o >= 0}[op]


# `x OP max(a, b)` is `x OP a` combined with `or` (True) or `and` (False); likewise for the
# extremum on the left: `max(a, b) < y` is `a < y and b < y`.
RIGHT_COMBINE = {("max", "<"): True, ("max", "<="): True, ("max", ">"): False, ("max", ">="): False,
                 ("min", "<"): False, ("min", "<="): False, ("min", ">"): True, ("min", ">="): True}


# ------------------------------------------------------------- arithmetic

def arith(op: str, how: str, a, b):
    """`how` is the IR's kind: number, quantity, scale (number and quantity) or date_shift."""
    if a is None or b is None or isinstance(a, Range) or isinstance(b, Range) or NO_TOTAL in (a, b):
        return None
    kinds = (kind(a), kind(b))
    try:
        if how == "number" and kinds == ("number", "number"):
            if op == "/":
                return None if b == 0 else DIVIDE.divide(a, b)
            return {"+": EXACT.add, "-": EXACT.subtract, "*": EXACT.multiply}[op](a, b)
        if how == "quantity" and kinds == ("quantity", "quantity"):
            if op == "/":
                return None if b.value == 0 else Q.div(a, b)
            return {"+": Q.add, "-": Q.sub, "*": Q.mul}[op](a, b)
        if how == "scale" and sorted(kinds) == ["number", "quantity"]:
            if op == "/":
                return None if b == 0 else Q.divide_by_number(a, b)
            return Q.scale(a, b) if kinds[0] == "quantity" else Q.scale(b, a)
        if how in ("quantity", "scale") and "number" in kinds and set(kinds) <= {"number", "quantity"}:
            # A run-time number (an observation's value) in quantity arithmetic is the quantity `1`
            # times itself, so `72 / 1 kg * 1 mL/min` is 72 mL/min, computed exactly.
            return _number_in_quantity_arith(op, a, b)
        if how == "date_shift" and sorted(kinds) == ["date", "quantity"]:
            d, q = (a, b) if kinds[0] == "date" else (b, a)
            return calendar.shift(d, q, -1 if op == "-" else 1)
    except (UnitMismatch, OverflowError, ValueError):
        return None
    return None  # run-time values of kinds the operation cannot combine (an observation's coding times 2)


def _number_in_quantity_arith(op: str, a, b):
    """Exact arithmetic of plain numbers with quantities, by exact bases (independent of quantity.py's
    own promotion): a dimensionless result is a number, a sum needs a dimensionless quantity."""
    if kind(a) == kind(b) == "number":
        return arith(op, "number", a, b)
    qa = a if kind(a) == "quantity" else Quantity(a, "1")
    qb = b if kind(b) == "quantity" else Quantity(b, "1")
    if op in "+-":
        if qa.unit.dims != qb.unit.dims or any(qa.unit.dims):
            return None
        total = qa.base + qb.base if op == "+" else qa.base - qb.base
        return DIVIDE.divide(Decimal(total.numerator), Decimal(total.denominator))
    if op == "/" and qb.value == 0:
        return None
    unit = qa.unit.mul(qb.unit) if op == "*" else qa.unit.div(qb.unit)
    amount = qa.base * qb.base if op == "*" else qa.base / qb.base
    value = amount / unit.factor
    shown = DIVIDE.divide(Decimal(value.numerator), Decimal(value.denominator))
    return shown if not any(unit.dims) else Quantity(shown, unit)


# ---------------------------------------------------------------- queries

class Selection(NamedTuple):  # a query's window (first and last whole day as ordinals; None: unbounded)
    first: int | None  # and the events it selects: matched (filter true) and undecided (filter unknown)
    last: int | None
    matched: tuple
    undecided: tuple
    covered: bool  # whether stated coverage makes an absence in the window count as "no"


def _codings(value) -> tuple:
    return () if value is None else value if isinstance(value, tuple) else (value,)


def _span(event, first, last) -> tuple[int, int] | None:
    """The event's days clipped to the window (an ongoing event runs to the window's last day)."""
    s = event.start.toordinal()
    e = event.end.toordinal() if event.end is not None else last
    if first is not None:
        s = max(s, first)
    if e is not None and last is not None:
        e = min(e, last)
    return None if e is not None and s > e else (s, e)


def _merged(events, first, last) -> list[tuple[int, int]]:
    spans = sorted(s for s in (_span(e, first, last) for e in events) if s is not None)
    out: list[list[int]] = []
    for s, e in spans:
        if out and s <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [tuple(x) for x in out]


def day_count(events, first, last) -> int:
    return sum(e - s + 1 for s, e in _merged(events, first, last))


def continuous(events, first, last, gap_days: int) -> bool:
    """Every day of [first, last] covered apart from runs of at most gap_days uncovered days."""
    if first > last:
        return True
    cursor = first  # first day not yet accounted for
    for s, e in _merged(events, first, last):
        if s - cursor > gap_days:
            return False
        cursor = e + 1
    return last - cursor + 1 <= gap_days


# ------------------------------------------------------------ interpreter

class Interpreter:
    def __init__(self, trial: ir.CheckedTrial, bound, anchors: dict):
        self.trial, self.facts, self.events, self.coverage = trial, bound.facts, bound.events, bound.coverage
        self.anchor_times = {k: v if isinstance(v, DateTime) else parse_datetime(v) for k, v in anchors.items()
                             if isinstance(v, DateTime) or is_datetime_text(v)}
        self.anchor_times.update(getattr(anchors, "times", {}))
        self.anchors = {k: v if isinstance(v, datetime.date) else v.date if isinstance(v, DateTime)
                        else calendar.parse_date(v[:10] if is_datetime_text(v) else v) for k, v in anchors.items()}
        self.own_codesets = {name: CodeSet(name, [(s, c) for s, c, _ in spec.codes])
                             for name, spec in trial.codesets.items()}
        self.memo: dict = {}
        self.pending = None  # (as_of, horizon) ordinals: read "nothing changes" between them (pending_values)

    def in_codeset(self, name: str, codings) -> bool:
        spec = self.trial.codesets[name]
        return any(self.own_codesets[name].contains(c) for c in codings) or any(
            self.in_codeset(inner, codings) for inner in spec.includes)

    def resolve(self, node):
        while isinstance(node, ir.DefRef):
            node = self.trial.definitions[node.name].expr
        return node

    def compare_nodes(self, op, left, right, event):
        """A comparison; ordering comparisons with max/min on either side are decomposed (recursively)."""
        if op not in ("=", "!="):
            r, lf = self.resolve(right), self.resolve(left)
            if isinstance(r, ir.Extremum):
                parts = [self.compare_nodes(op, left, a, event) for a in r.args]
                return k_or(parts) if RIGHT_COMBINE[(r.func, op)] else k_and(parts)
            if isinstance(lf, ir.Extremum):  # max(a, b) < y is y > max(a, b): the same rule, mirrored
                parts = [self.compare_nodes(op, a, right, event) for a in lf.args]
                flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
                return k_or(parts) if RIGHT_COMBINE[(lf.func, flipped)] else k_and(parts)
        return compare(op, self.ev(left, event), self.ev(right, event))

    def fact(self, name):
        """A fact's value; one outside the fact's declared scale (`between LOW and HIGH`) is not used."""
        value = self.facts.get(name)
        spec = self.trial.facts.get(name)
        if value is None or spec is None or spec.range is None:
            return value
        low, high = spec.range
        return value if compare(">=", value, low) is True and compare("<=", value, high) is True else None

    def ev(self, node, event=None):
        match node:
            case ir.Const(value=v):
                return v
            case ir.Fact(name=name):
                return self.fact(name)
            case ir.Anchor(name=name):
                return self.anchors[name]
            case ir.DefRef(name=name):
                key = ("define", name, id(event))
                if key not in self.memo:
                    self.memo[key] = self.ev(self.trial.definitions[name].expr, event)
                return self.memo[key]
            case ir.FieldRef(name=name):
                if event is None:
                    raise IllFormed(f"field `{name}` read outside a query")
                return event.fields.get(name)
            case ir.Not(operand=o):
                return k_not(self.ev(o, event))
            case ir.And(operands=ops):
                return k_and(self.ev(o, event) for o in ops)
            case ir.Or(operands=ops):
                return k_or(self.ev(o, event) for o in ops)
            case ir.Implies(left=a, right=b):
                return k_or([k_not(self.ev(a, event)), self.ev(b, event)])
            case ir.Compare(op=op, left=a, right=b):
                return self.compare_nodes(op, a, b, event)
            case ir.Between(operand=x, low=lo, high=hi, negated=neg):
                inside = k_and([self.compare_nodes("<=", lo, x, event), self.compare_nodes("<=", x, hi, event)])
                return k_not(inside) if neg else inside
            case ir.Member(operand=x, items=items, negated=neg):
                found = k_or(self.compare_nodes("=", x, i, event) for i in items)
                return k_not(found) if neg else found
            case ir.Arith(op=op, kind=how, left=a, right=b):
                return arith(op, how, self.ev(a, event), self.ev(b, event))
            case ir.Neg(operand=o):
                v = self.ev(o, event)
                return -v if isinstance(v, Quantity) else v.copy_negate() if isinstance(v, Decimal) else None
            case ir.Extremum(func=func, args=args):
                values = [self.ev(a, event) for a in args]
                if any(v is None or isinstance(v, Range) or order(v, values[0]) is None for v in values):
                    return None
                return (max if func == "max" else min)(values, key=functools.cmp_to_key(order))
            case ir.Formula(func=func, args=args):  # formulas: tests/reference_formulas.py
                values = [self.ev(a, event) for a in args]
                return None if any(isinstance(v, Range) or v is NO_TOTAL for v in values) else formula(func, values)
            case ir.Age(at=at):
                birth, when = self.facts.get("birth_date"), self.ev(at, event)
                return None if None in (birth, when) else Quantity(calendar.age_in_years(birth, when), "year")
            case ir.AgeIn(unit=unit, at=at, instant=instant):  # date-times: tests/reference_datetimes.py
                birth = self.facts.get(BIRTH_TIME) or self.facts.get("birth_date")
                when = self.ev(instant, event) if instant is not None else None
                return age_in(unit, birth, when if when is not None else self.ev(at, event), make_range)
            case ir.AnchorTime(name=name):
                return self.anchor_times.get(name)
            case ir.DurationBetween(unit=unit, start=a, end=b):
                a, b = self.ev(a, event), self.ev(b, event)
                return None if a is None or b is None else Quantity(Decimal(calendar.between(unit, a, b)), unit)
            case ir.Conditional(cond=c, then=t, otherwise=o):
                c = self.ev(c, event)
                if c is not None:
                    return self.ev(t if c else o, event)
                a, b = self.ev(t, event), self.ev(o, event)
                return a if a is not None and b is not None and _same_value(a, b) else None
            case ir.InCodeset(operand=x, codeset=name, negated=neg):
                v = self.ev(x, event)
                if v is None:
                    return None
                codes = _codings(v) if kind(v) == "coding" else ()  # only codings belong to code sets
                if not self.in_codeset(name, codes) and any(c.problem is not None for c in codes):
                    return None  # a malformed code may be a garbled code of the set
                return self.in_codeset(name, codes) != neg
            case ir.Lookup(table=table, key=key):
                codes = _codings(self.ev(key, event))
                return next((value for name, value in self.trial.tables[table].entries
                             if self.in_codeset(name, codes)), None)
            case ir.ScoreRef(name=name):
                return self.score(name, event)
            case ir.ResultIs(word=word):
                if event is None:
                    raise IllFormed("`value is ...` read outside a query")
                return result_is(word, event.fields, compare)
            case ir.Aggregate() | ir.All() | ir.Pick() | ir.Change() | ir.Stable() | ir.DailyTotal() | ir.ItemCount() \
                    | ir.Extreme() | ir.PickTime():
                sel = self.select(node.query, event)
                return None if sel is None else self.history(node, sel, event)
        raise IllFormed(f"no rule for {type(node).__name__}")

    def score(self, name, event):
        low = high = Decimal(0)
        for _, items in self.trial.scores[name].categories:
            values = [(w, self.ev(c, event)) for w, c in items]
            low += max([w for w, v in values if v is True], default=Decimal(0))
            high += max([w for w, v in values if v is not False], default=Decimal(0))
        return make_range(low, high)

    def select(self, q: ir.Query, outer) -> Selection | None:
        w = q.window
        low_node, high_node = (w.low, w.high) if w is not None else (None, None)
        lo = None if low_node is None else self.ev(low_node, outer)
        hi = None if high_node is None else self.ev(high_node, outer)
        if (low_node is not None and lo is None) or (high_node is not None and hi is None):
            return None  # the window itself is unknown
        # hours on a date-time anchor, event date-time or `latest date of Q` (issue 11)
        exact = exact_bounds(w, self.anchor_times, self.anchors, outer, lambda n: self.ev(n, outer))
        if exact is not None:  # the window's days are the days its instants fall on
            lo, hi = (None if b is None else b.date for b in exact)
        closed = (w.low_closed, w.high_closed) if exact is None and w is not None else (True, True)  # whole days
        first = None if lo is None else lo.toordinal() + (0 if closed[0] else 1)
        last = None if hi is None else hi.toordinal() - (0 if closed[1] else 1)
        empty = first is not None and last is not None and first > last
        matched, undecided = [], []
        for e in self.events.get(q.collection, ()):
            inside = True if exact is None else event_in(exact, w, e)
            if empty or inside is False:
                continue
            if exact is None and ((last is not None and e.start.toordinal() > last) or (
                    first is not None and e.end is not None and e.end.toordinal() < first)):
                continue  # outside the window
            if w is not None and w.starts_only and first is not None and e.start.toordinal() < first:
                continue  # `starting during`: started before the window
            if q.codeset is not None:
                codes = _codings(e.fields.get("code"))
                if not codes:  # uncoded: may or may not belong
                    undecided.append(e)
                    continue
                if not self.in_codeset(q.codeset, codes):
                    # A malformed code may be a garbled code of the set: undecided, unless the filter rules
                    # the event out (docs/terminology.md).
                    if not any(c.problem is not None for c in codes) or (
                            q.filter is not None and self.ev(q.filter, e) is False):
                        continue
                    undecided.append(e)
                    continue
            v = True if q.filter is None else self.ev(q.filter, e)
            if v is True and inside is True:
                matched.append(e)
            elif v is not False:
                undecided.append(e)
        # Absence counts where coverage is stated over the whole window, and in an empty window, which
        # no event can overlap whatever the record.
        cov = self.coverage.get(q.collection)
        covered = empty or (cov is not None and last is not None and last <= cov.high.toordinal() and (
            cov.low is None or (first is not None and first >= cov.low.toordinal())))
        if not covered and cov is not None and self.pending is not None and last is not None:
            # Records taken before the last anchor: a window ending after the as-of day (and by the last
            # anchor) counts as covered if the coverage holds every day of it up to the as-of day, or, for
            # a window starting later, reaches the as-of day; nothing changes afterwards.
            as_of, horizon = self.pending
            covered = as_of < last <= horizon and cov.high.toordinal() >= as_of and (
                (first is not None and first > as_of) or cov.low is None
                or (first is not None and first >= cov.low.toordinal()))
        return Selection(first, last, tuple(matched), tuple(undecided), covered)

    def history(self, node, sel: Selection, outer):
        matched, undecided, covered = sel.matched, sel.undecided, sel.covered
        match node:
            case ir.Aggregate(kind="exists"):
                return True if matched else None if undecided or not covered else False
            case ir.Aggregate(kind="count"):
                n = Decimal(len(matched))
                return make_range(n, n + len(undecided) if covered else None)
            case ir.Aggregate(kind="days_on"):
                low = Quantity(Decimal(day_count(matched, sel.first, sel.last)), "day")
                high = Quantity(Decimal(day_count(matched + undecided, sel.first, sel.last)), "day")
                return make_range(low, high if covered else None)
            case ir.All(condition=cond):
                values = [self.ev(cond, e) for e in matched]
                values += [True if self.ev(cond, e) is True else None for e in undecided]  # filter implies cond
                result = k_and(values)
                return None if result is True and not covered else result
            case ir.PickTime(which=which):  # `latest date of Q` as a date-time (issue 11)
                pick = ir.Pick(node.type, which, "date", node.query)
                if self.history(pick, sel, outer) is None:
                    return None
                key = lambda e: (e.start, e.id)
                best = same_day_pick((max if which == "latest" else min)(matched, key=key), matched, undecided,
                                     which == "latest")
                return None if best is None else best.instant or _day_time(best.start)
            case ir.Pick(which=which, field=field, word=word):
                group = _last_group(which == "latest", sel)
                if group is None:
                    return None
                if word is not None:  # `latest value of Q is positive`: the word of that observation
                    return _agreed([result_is(word, e.fields, compare) for e in group], "boolean")
                values, kind = [e.fields.get(field) for e in group], _kind_of(node.query.collection, field)
                agreed = _agreed(values, kind)
                if agreed is None and kind == "any" and None not in values:
                    return _ranged(values)  # results that differ only in their number: their range
                return agreed
            case ir.Change(field=field):
                if undecided or not covered:
                    return None
                ordered = sorted(matched, key=lambda e: (e.start, e.id))
                if len(ordered) < 2:
                    return None
                earliest = same_day_pick(ordered[0], matched, (), False)
                latest = same_day_pick(ordered[-1], matched, (), True)
                if earliest is None or latest is None or earliest.start == latest.start:
                    return None
                kind = _kind_of(node.query.collection, field)
                last = _agreed([e.fields.get(field) for e in _same_place(latest, matched, ())], kind)
                first = _agreed([e.fields.get(field) for e in _same_place(earliest, matched, ())], kind)
                if last is None or first is None:
                    return None
                return arith("-", "number" if isinstance(last, Decimal) else "quantity", last, first)
            case ir.DailyTotal(amount=amount):
                return self.daily_total(amount, sel, node.type)
            case ir.Extreme(which=which, field=field):  # the worst / best value in a window (lang11b)
                return _extreme(which, field, sel)
            case ir.ItemCount(which=which, condition=cond):  # counting over items (lang11b)
                return _item_count(self, which, cond, sel)
            case ir.Stable(field=field, gap=gap):
                values = [e.fields.get(field) if field else True for e in matched]
                known = [v for v in values if v is not None]
                if any(equal(a, b) is False for a in known for b in known):
                    return False
                if undecided or len(known) < len(values) or any(equal(a, b) is None for a in known for b in known):
                    return None
                # The allowance in whole days, as a range: unknown is "0 or more"; `days on` from an
                # incomplete history is a range too.  Continuity only grows with the allowance.
                g = self.ev(gap, outer) if gap is not None else Quantity(0, "day")
                low, high = (g.low, g.high) if isinstance(g, Range) else (None, None) if g is None else (g, g)
                low = 0 if low is None else int(low.base / 86400)  # whole days, truncated
                high = None if high is None else int(high.base / 86400)  # None: no upper end
                if low < 0:
                    return None  # a negative allowance (computed from data) means nothing

                def holds(days):
                    return bool(matched) and (days is None or continuous(matched, sel.first, sel.last, days))
                # With a field, the values are the same only on what is recorded: as `all ... have`,
                # true needs the history complete (an unrecorded record could have another value).
                if holds(low):
                    return True if field is None or covered else None
                return False if covered and not holds(high) else None
        raise IllFormed(f"no rule for {node!r}")


# ------------------------------------------------------------ daily totals

def _active(e, day: int) -> bool:
    return e.start.toordinal() <= day and (e.end is None or day <= e.end.toordinal())


def _daily_total(self, amount, sel: Selection, node_type):
    """Day by day over the window: the sum of the amounts of the matched records active that day; the
    value is the largest such sum.  Unknown amounts, undecided records and an uncovered history can only
    add, so the value is then known from below (a Range with no top), or unknown when nothing is known."""
    amounts = [(e, self.ev(amount, e)) for e in sel.matched]
    incomplete = bool(sel.undecided) or not sel.covered
    known = []
    for e, a in amounts:
        if a is None or isinstance(a, Range):
            incomplete = True
        elif order(a, Quantity(0, a.unit) if isinstance(a, Quantity) else Decimal(0)) is None:
            return None  # not a number or a quantity
        elif order(a, Quantity(0, a.unit) if isinstance(a, Quantity) else Decimal(0)) < 0:
            return None  # a negative amount
        else:
            known.append((e, a))
    peak = None
    for day in range(sel.first, sel.last + 1):
        total = None
        for e, a in known:
            if _active(e, day):
                total = a if total is None else arith("+", "number" if kind(a) == "number" else "quantity", total, a)
                if total is None:
                    return None  # amounts that cannot be added (mg and IU)
        if total is not None and (peak is None or order(total, peak) is None or order(total, peak) > 0):
            if peak is not None and order(total, peak) is None:
                return None
            peak = total
    if peak is None:
        if incomplete:
            return None
        t = node_type  # the checker's type: 0 in its unit where it has one
        return Decimal(0) if t.kind == "number" else Quantity(0, t.unit) if t.unit is not None else NO_TOTAL
    return Range(peak, None) if incomplete else peak


Interpreter.daily_total = _daily_total


def _extreme(which: str, field: str, sel: Selection):
    """The largest (smallest) known value; `highest` from an incomplete selection is "at least" it, `lowest`
    unknown; values that cannot be ordered together are unknown."""
    values = [e.fields.get(field) for e in sel.matched]
    known = [v for v in values if isinstance(v, Decimal | Quantity) and not isinstance(v, bool)]
    if not known:
        return None
    best = known[0]
    for v in known[1:]:
        o = order(v, best)
        if o is None:
            return None
        if (o > 0) if which == "highest" else (o < 0):
            best = v
    if len(known) == len(values) and not sel.undecided and sel.covered:
        return best
    return Range(best, None) if which == "highest" else None


class _Item(NamedTuple):  # one item of an assessment, as a condition sees it
    fields: dict


def _item_count(self, which: str, cond, sel: Selection):
    """The items of the latest (earliest) assessment that satisfy ``cond``: between those that surely do
    and those that may; unknown when that assessment is not certain or lists no items."""
    group = _last_group(which == "latest", sel)
    items = None if group is None else _agreed([e.fields.get("items") for e in group], "list")
    if items is None:
        return None
    best = group[0]
    values = [self.ev(cond, _Item({"item": name, "score": score})) for name, score in best.fields["items"]]
    return make_range(Decimal(sum(v is True for v in values)), Decimal(sum(v is not False for v in values)))


def _last_group(latest: bool, sel: Selection):
    """The latest (earliest) event with the events no order tells from it (one day, no times; or one
    instant), or None when which events those are is not known."""
    if not sel.covered or not sel.matched:
        return None
    days = [e.start for e in sel.matched]
    day = max(days) if latest else min(days)
    if any((e.start > day) if latest else (e.start < day) for e in sel.undecided):
        return None  # an undecided record could be the latest (earliest) one
    on_day = sorted((e for e in sel.matched if e.start == day), key=lambda e: e.id)
    best = same_day_pick(on_day[-1] if latest else on_day[0], sel.matched, sel.undecided, latest)  # times
    return None if best is None else _same_place(best, sel.matched, sel.undecided)


def _same_place(best, matched, undecided) -> list:
    if best.instant is None:
        return [best] + [e for e in list(matched) + list(undecided) if e is not best and e.start == best.start]
    return [best] + [e for e in matched if e is not best and e.start == best.start and e.instant is not None
                     and _before(e.instant, best.instant, False) is True
                     and _before(best.instant, e.instant, False) is True]


def _kind_of(collection: str, field: str) -> str:
    spec = COLLECTIONS[collection].fields.get(field)
    return spec.type.kind if spec is not None else "any"


def _agreed(values: list, kind: str):
    """The value tied events all have, or None (a missing one, or two that differ; coded values of an
    observation never count as agreeing)."""
    if any(v is None for v in values):
        return None
    if len(values) == 1:
        return values[0]
    if kind == "any":
        keys = [_plain(v) for v in values]
        if any(k is None for k in keys) or any(k != keys[0] for k in keys):
            return None
    elif any(v != values[0] for v in values):
        return None
    return values[0]


def _ranged(values: list):
    """Numbers, or quantities written in one unit: the range from the least to the greatest; else None."""
    if all(isinstance(v, Decimal) and not isinstance(v, bool) for v in values):
        return make_range(min(values), max(values))
    if all(isinstance(v, Quantity) for v in values) and len({str(v.unit) for v in values}) == 1:
        numbers = sorted(v.value for v in values)
        return make_range(Quantity(numbers[0], values[0].unit), Quantity(numbers[-1], values[0].unit))
    return None


def _plain(v):
    """An observation's value as (kind, parts): a number by value, a quantity by value and unit as written,
    a censored text by comparator and bound; None for a coded value."""
    if isinstance(v, Coding) or (isinstance(v, tuple) and v and isinstance(v[0], Coding)):
        return None
    if isinstance(v, bool):
        return ("boolean", v)
    if isinstance(v, Quantity):
        return ("quantity", v.value, str(v.unit))
    if isinstance(v, Decimal):
        return ("number", v)
    if isinstance(v, str):
        c = censored(v)
        if c is not None:
            op, bound = c
            return ("censored", op) + (("quantity", bound.value, str(bound.unit)) if isinstance(bound, Quantity)
                                       else ("number", bound))
        return ("text", v)
    return ("other", v)


def _same_value(a, b) -> bool:
    if isinstance(a, Range) or isinstance(b, Range):
        return isinstance(a, Range) and isinstance(b, Range) and equal(a.low, b.low) is True and (
            (a.high is None and b.high is None) or (None not in (a.high, b.high) and equal(a.high, b.high) is True))
    return equal(a, b) is True


# ------------------------------------------------------------ entry points

def evaluate(trial: ir.CheckedTrial, bound, anchors: dict) -> dict[str, bool | None]:
    """Every criterion's value: True (MET), False (NOT_MET) or None (UNKNOWN)."""
    interp = Interpreter(trial, bound, anchors)
    return {c.id: interp.ev(c.expr) for c in trial.criteria}


def pending_values(trial: ir.CheckedTrial, bound, anchors: dict) -> dict[str, bool | None]:
    """Every criterion's value if nothing changes from the record's as-of date to the last anchor (the
    provisional reading of a record taken at screening); the plain values when the record has no as-of date
    or no anchor falls after it."""
    interp = Interpreter(trial, bound, anchors)
    if bound.as_of is not None and interp.anchors and max(interp.anchors.values()) > bound.as_of:
        interp.pending = (bound.as_of.toordinal(), max(interp.anchors.values()).toordinal())
    return {c.id: interp.ev(c.expr) for c in trial.criteria}


def decide(trial: ir.CheckedTrial, values: dict[str, bool | None]) -> str:
    kinds = {c.id: c.kind for c in trial.criteria}
    if any(v is (kinds[cid] == "exclude") for cid, v in values.items()):
        return "INELIGIBLE"
    if all(v is (kinds[cid] == "include") for cid, v in values.items()):
        return "ELIGIBLE"
    return "INDETERMINATE"


STATUS = {True: "MET", False: "NOT_MET", None: "UNKNOWN"}

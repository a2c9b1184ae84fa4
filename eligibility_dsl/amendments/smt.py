"""Two versions of a criterion, compared with z3 over three-valued logic.

Every value is encoded with whether it is known: a condition is a pair of z3 booleans (true, false),
never both, and unknown when neither; a number, quantity (in its dimension's base unit, exactly), date
(a day number), code or text is a pair (known, value).  The connectives follow the language's Kleene
logic (`and` is false if any side is false, true if all are true, else unknown); a comparison is known
only when both sides are.

The solver's fragment: constants, facts, anchors, definitions (inlined), `not`/`and`/`or`/`implies`,
comparisons, `between`, membership in a list, `+ - * /` over numbers and quantities, unary minus,
`max`/`min`, `if`, `age at` (completed years, an integer) and dates shifted by days or weeks.
Anything else (queries over histories, code-set membership, tables, scores, calendar shifts by months
or years, `days between`, event fields) is abstracted: one free, possibly unknown, variable per distinct
sub-expression, shared by both versions when they write it alike.  A verdict reached over an
abstraction that both versions share is sound (it holds whatever value the abstracted term takes);
when the versions differ inside an abstraction, the solver cannot relate them, and the caller searches
real records at random instead (see :mod:`.search`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from ..check import ir
from ..runtime.quantity import Quantity

_DAY = Fraction(86400)  # seconds, the base unit of exact time
_EPOCH = datetime.date(2000, 1, 1)
_CMP = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _real(x: Fraction | Decimal | int) -> z3.ArithRef:
    f = Fraction(x)
    return z3.RealVal(f"{f.numerator}/{f.denominator}")


class Encoder:
    """Encodes IR nodes of one trial pair into z3 terms; opaque sub-expressions become shared variables."""

    def __init__(self):
        self.facts: dict[str, tuple] = {}
        self.opaque: dict[Any, tuple] = {}  # sub-expression -> its variables
        self.opaque_names: dict[Any, str] = {}
        self.constraints: list = []
        self.abstracted: list[str] = []  # the kinds of construct abstracted, for the report
        self.definitions: dict[str, ir.Definition] = {}
        self.side = "old"
        self.sides: dict[Any, set[str]] = {}  # abstracted sub-expression -> the versions that use it
        self.units: dict[str, Any] = {}  # quantity facts' declared units, to show examples in them
        self._count = 0

    def _fresh(self, kind: str, label: str) -> tuple:
        self._count += 1
        name = f"{label}#{self._count}"
        if kind == "boolean":
            t, f = z3.Bool(name + ".true"), z3.Bool(name + ".false")
            self.constraints.append(z3.Not(z3.And(t, f)))
            return ("bool", t, f)
        known = z3.Bool(name + ".known")
        sort = {"date": z3.Int, "code": z3.String, "text": z3.String}.get(kind, z3.Real)
        return ("value", known, sort(name))

    def _abstract(self, node: ir.Node, why: str) -> tuple:
        try:
            key = node
            hash(key)
        except TypeError:
            key = repr(node)
        self.sides.setdefault(key, set()).add(self.side)
        if key not in self.opaque:
            kind = node.type.kind if node.type.kind in ("boolean", "date", "code", "text") else "number"
            self.opaque[key] = self._fresh(kind, why)
            self.opaque_names[key] = f"{why} #{len(self.opaque)}"
            if why not in self.abstracted:
                self.abstracted.append(why)
        return self.opaque[key]

    # -------------------------------------------------------------- values

    def encode(self, node: ir.Node) -> tuple:
        method = getattr(self, "_" + type(node).__name__.lower(), None)
        if method is None:
            return self._abstract(node, _WHAT.get(type(node).__name__, type(node).__name__))
        return method(node)

    def _const(self, n: ir.Const):
        v = n.value
        if n.type.kind == "boolean":
            return ("bool", z3.BoolVal(v is True), z3.BoolVal(v is False))
        if v is None:
            return ("value", z3.BoolVal(False), z3.RealVal(0))
        if isinstance(v, Quantity):
            return ("value", z3.BoolVal(True), _real(Fraction(v.value) * v.unit.factor))
        if isinstance(v, datetime.date):
            return ("value", z3.BoolVal(True), z3.IntVal((v - _EPOCH).days))
        if isinstance(v, str):
            return ("value", z3.BoolVal(True), z3.StringVal(v))
        if isinstance(v, Decimal | int):
            return ("value", z3.BoolVal(True), _real(v))
        return self._abstract(n, "a constant of another kind")

    def _fact(self, n: ir.Fact):
        if n.type.unit is not None:
            self.units[n.name] = n.type.unit
        fresh = n.name not in self.facts
        var = self._fact_var(n.name, n.type.kind)
        if fresh and n.type.kind == "code" and n.type.values:  # a code fact takes one of its declared values
            self.constraints.append(z3.Implies(var[1], z3.Or(*[var[2] == z3.StringVal(v) for v in n.type.values])))
        return var

    def _fact_var(self, name: str, kind: str) -> tuple:
        if name not in self.facts:
            self.facts[name] = self._fresh(kind if kind in ("boolean", "date", "code", "text") else "number", name)
        return self.facts[name]

    def _anchor(self, n: ir.Anchor):
        _, _, day = self._fact_var("anchor:" + n.name, "date")
        return ("value", z3.BoolVal(True), day)

    def _defref(self, n: ir.DefRef):
        d = self.definitions.get(n.name)
        return self.encode(d.expr) if d is not None else self._abstract(n, "a definition")

    def _age(self, n: ir.Age):
        if not isinstance(n.at, ir.Anchor):
            return self._abstract(n, "`age at` a date other than an anchor")
        _, known, years = self._fact_var("age at " + n.at.name, "date")  # an integer count of years
        self.constraints.append(z3.Implies(known, years >= 0))
        return ("value", known, z3.ToReal(years) * 12)  # calendar durations are counted in months

    def _neg(self, n: ir.Neg):
        _, k, v = self.encode(n.operand)
        return ("value", k, -v)

    def _arith(self, n: ir.Arith):
        _, kl, lv = self.encode(n.left)
        if n.kind == "date_shift":
            right = n.right
            if isinstance(right, ir.Const) and isinstance(right.value, Quantity) and right.value.unit.dims[2] == 1 \
                    and sum(map(abs, right.value.unit.dims)) == 1:
                days = Fraction(right.value.value) * right.value.unit.factor / _DAY
                if days.denominator == 1:
                    shift = z3.IntVal(int(days))
                    return ("value", kl, lv + shift if n.op == "+" else lv - shift)
            return self._abstract(n, "a date shifted by months or years")
        _, kr, r = self.encode(n.right)
        if n.op == "/":
            return ("value", z3.And(kl, kr, r != 0), lv / r)
        op = {"+": lambda: lv + r, "-": lambda: lv - r, "*": lambda: lv * r}[n.op]
        return ("value", z3.And(kl, kr), op())

    def _extremum(self, n: ir.Extremum):
        args = [self.encode(a) for a in n.args]
        known = z3.And(*[a[1] for a in args])
        best = args[0][2]
        for _, _, v in args[1:]:
            best = z3.If(v > best, v, best) if n.func == "max" else z3.If(v < best, v, best)
        return ("value", known, best)

    def _conditional(self, n: ir.Conditional):
        _, ct, cf = self.encode(n.cond)
        a, b = self.encode(n.then), self.encode(n.otherwise)
        if a[0] == "bool":  # unknown condition: unknown unless both branches agree
            t = z3.Or(z3.And(ct, a[1]), z3.And(cf, b[1]), z3.And(a[1], b[1]))
            f = z3.Or(z3.And(ct, a[2]), z3.And(cf, b[2]), z3.And(a[2], b[2]))
            return ("bool", t, f)
        known = z3.Or(z3.And(ct, a[1]), z3.And(cf, b[1]), z3.And(a[1], b[1], a[2] == b[2]))
        return ("value", known, z3.If(ct, a[2], b[2]))

    # ----------------------------------------------------------- conditions

    def condition(self, node: ir.Node) -> tuple:
        enc = self.encode(node)
        if enc[0] != "bool":
            return self._abstract(node, "a condition of another kind")
        return enc

    def _not(self, n: ir.Not):
        _, t, f = self.condition(n.operand)
        return ("bool", f, t)

    def _and(self, n: ir.And):
        parts = [self.condition(o) for o in n.operands]
        return ("bool", z3.And(*[p[1] for p in parts]), z3.Or(*[p[2] for p in parts]))

    def _or(self, n: ir.Or):
        parts = [self.condition(o) for o in n.operands]
        return ("bool", z3.Or(*[p[1] for p in parts]), z3.And(*[p[2] for p in parts]))

    def _implies(self, n: ir.Implies):
        _, lt, lf = self.condition(n.left)
        _, rt, rf = self.condition(n.right)
        return ("bool", z3.Or(lf, rt), z3.And(lt, rf))

    def _known_test(self, known, test) -> tuple:
        return ("bool", z3.And(known, test), z3.And(known, z3.Not(test)))

    def _compare(self, n: ir.Compare):
        left, right = self.encode(n.left), self.encode(n.right)
        if left[0] == "bool" or right[0] == "bool" or left[2].sort() != right[2].sort():
            return self._abstract(n, "a comparison of conditions or mixed kinds")
        return self._known_test(z3.And(left[1], right[1]), _CMP[n.op](left[2], right[2]))

    def _between(self, n: ir.Between):
        x, lo, hi = self.encode(n.operand), self.encode(n.low), self.encode(n.high)
        if any(p[0] == "bool" for p in (x, lo, hi)) or len({p[2].sort() for p in (x, lo, hi)}) != 1:
            return self._abstract(n, "`between` over mixed kinds")
        test = z3.And(lo[2] <= x[2], x[2] <= hi[2])
        return self._known_test(z3.And(x[1], lo[1], hi[1]), z3.Not(test) if n.negated else test)

    def _member(self, n: ir.Member):
        x = self.encode(n.operand)
        items = [self.encode(i) for i in n.items]
        if x[0] == "bool" or any(i[0] == "bool" or i[2].sort() != x[2].sort() for i in items):
            return self._abstract(n, "membership over mixed kinds")
        test = z3.Or(*[x[2] == i[2] for i in items])
        return self._known_test(z3.And(x[1], *[i[1] for i in items]), z3.Not(test) if n.negated else test)


_WHAT = {"Aggregate": "a query over the record's history (`exists`, `count`, `days on`)",
         "Pick": "the latest or earliest value of a query", "Stable": "`stable`/`continuous`",
         "Change": "`change in`", "All": "`all ... have`", "InCodeset": "code-set membership",
         "Lookup": "a table lookup", "ScoreRef": "a score", "FieldRef": "an event field",
         "DurationBetween": "a duration between two dates",
         "AgeIn": "an age in hours or minutes (date-times)",
         "Formula": "a formula (`sqrt`, `ln`, `exp`, `round`, `^`)"}  # formulas (lang11a): not encoded


def favour(kind: str, cond: tuple) -> z3.ArithRef:
    """How well a status serves the patient: 2 passes the criterion, 1 unknown, 0 fails it."""
    _, t, f = cond
    good, bad = (t, f) if kind == "include" else (f, t)
    return z3.If(good, 2, z3.If(bad, 0, 1))


def compare(kind: str, old: ir.Node, new: ir.Node, old_defs: dict, new_defs: dict) -> dict:
    """The verdict on one changed criterion: equivalent, stricter (the new version passes fewer patients),
    looser, or neither, with a model (an assignment showing each direction) and what was abstracted."""
    enc = Encoder()
    enc.definitions = old_defs
    old_cond = enc.condition(old)
    enc.definitions, enc.side = new_defs, "new"
    new_cond = enc.condition(new)
    fo, fn = favour(kind, old_cond), favour(kind, new_cond)
    witnesses = {}
    for direction, test in (("stricter", fn < fo), ("looser", fn > fo)):
        solver = z3.Solver()
        solver.set("timeout", 5000)
        solver.add(*enc.constraints, test)
        result = solver.check()
        if result == z3.sat:
            witnesses[direction] = _example(enc, solver.model(), old_cond, new_cond)
        elif result == z3.unknown:
            witnesses[direction] = None  # the solver gave up: say so
    if not witnesses:
        verdict = "equivalent"
    elif len(witnesses) == 2:
        verdict = "neither"
    else:
        verdict = next(iter(witnesses))
    differing = sorted({enc.opaque_names[k].rsplit(" #", 1)[0] for k, sides in enc.sides.items() if len(sides) == 1})
    return {"verdict": verdict, "method": "solver", "examples": witnesses, "abstracted": list(enc.abstracted),
            "differing_outside_fragment": differing,
            "solver_gave_up": [d for d, w in witnesses.items() if w is None]}


def _status(model, cond) -> str:
    _, t, f = cond
    if z3.is_true(model.eval(t, model_completion=True)):
        return "MET"
    return "NOT_MET" if z3.is_true(model.eval(f, model_completion=True)) else "UNKNOWN"


def _value(model, term) -> str:
    v = model.eval(term, model_completion=True)
    if z3.is_string_value(v):
        return v.as_string()
    if z3.is_rational_value(v):
        f = Fraction(v.numerator_as_long(), v.denominator_as_long())
        return str(f.numerator) if f.denominator == 1 else str(Decimal(f.numerator) / Decimal(f.denominator))
    return str(v)


def _example(enc: Encoder, model, old_cond, new_cond) -> dict:
    """The patient the model describes: each fact's value (or unknown) and the statuses under both."""
    values = {}
    for name, var in list(enc.facts.items()) + [(enc.opaque_names[k], v) for k, v in enc.opaque.items()]:
        if var[0] == "bool":
            values[name] = _status(model, var).replace("MET", "true").replace("NOT_true", "false") \
                .replace("UNKNOWN", "unknown")
        elif z3.is_true(model.eval(var[1], model_completion=True)):
            unit = enc.units.get(name)
            text = _value(model, var[2] / _real(unit.factor) if unit is not None else var[2])
            text += f" {unit.symbol}" if unit is not None else ""
            if name.startswith("anchor:") or var[2].sort() == z3.IntSort():
                text = (_EPOCH + datetime.timedelta(days=int(text))).isoformat() if not name.startswith("age at") \
                    else f"{text} years"
            values[name] = text
        else:
            values[name] = "unknown"
    return {"values": values, "old": _status(model, old_cond), "new": _status(model, new_cond)}

"""Hypothesis strategies for eligibility_dsl: dates, exact numbers and quantities, patient records,
well-typed expressions and whole trials.  Import them from any test (``tests/`` is on ``sys.path``)::

    from strategies import dates, decimals, quantities, records, restated, trials, typed_expressions

Rules kept throughout:

- No float anywhere: numbers are ``Decimal`` (or ``int``/decimal text in JSON records).
- Everything generated is valid by construction: ``trials()`` compile, ``records(trial)`` bind.  Both
  are checked as properties in ``tests/test_laws.py``; a failure there is a bug in this module or in
  the library, never an expected rejection.
- Values cluster where the interesting cases are: month ends and leap days, window boundaries
  near the anchors, thresholds shared between literals and fact values.
"""

from __future__ import annotations

import copy
import functools
import math
import re
import weakref
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from eligibility_dsl.check import ir
from eligibility_dsl.language import types as T
from eligibility_dsl.records.model import COLLECTIONS, MRSS_SITES
from eligibility_dsl.runtime.quantity import Quantity
from eligibility_dsl.runtime.units import parse_unit

__all__ = [
    "DEFAULT_ANCHORS",
    "UNIT_FAMILIES",
    "completions",
    "dates",
    "decimals",
    "fact_values",
    "family_of",
    "less_informed",
    "near",
    "quantities",
    "quantity_literals",
    "records",
    "restated",
    "restatements",
    "trial_queries",
    "trials",
    "typed_expressions",
]

# The anchors of trials/tests/ssc_telitacicept/base.json; random trials declare `screening` only.
DEFAULT_ANCHORS: dict[str, date] = {"screening": date(2025, 9, 11), "first_dose": date(2025, 9, 25)}

# Compatible spellings per dimension.  Every spelling is a bare unit the grammar lexes after a number.
UNIT_FAMILIES: dict[str, list[str]] = {
    "mass": ["mg", "g", "ug", "kg", "[lb_av]"],
    "time": ["h", "day", "days", "week", "min", "wk", "hours"],
    "mass/time": ["mg/day", "g/day", "mg/wk", "g/wk"],
    "percent": ["%"],
    "calendar": ["months", "years", "month", "year"],
    "pressure": ["mm[Hg]", "kPa", "mmHg", "Pa"],  # UCUM brackets and prefixes (docs/units.md)
}


# ------------------------------------------------------------------------------------------ dates

def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def _add_months(d: date, n: int) -> date:
    """Calendar months with clamping to month end (written here, not taken from the library)."""
    index = d.year * 12 + d.month - 1 + n
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(d.day, _month_end(year, month0 + 1).day))


def _special(year: int, kind: str, month: int, lo: date, hi: date) -> date:
    if kind == "leap_day":
        leaps = [y for y in range(year - 4, year + 5) if _is_leap(y) and lo.year <= y <= hi.year]
        d = date(min(leaps, key=lambda y: abs(y - year)), 2, 29) if leaps else date(year, 2, 28)
    else:
        d = {"month_end": lambda: _month_end(year, month), "month_start": lambda: date(year, month, 1),
             "feb28": lambda: date(year, 2, 28), "mar1": lambda: date(year, 3, 1),
             "dec31": lambda: date(year, 12, 31), "jan1": lambda: date(year, 1, 1)}[kind]()
    return min(max(d, lo), hi)


@functools.cache
def dates(min_value: date = date(1900, 1, 1), max_value: date = date(2100, 12, 31)) -> st.SearchStrategy[date]:
    """Dates in [min_value, max_value], strongly biased to month ends, leap days, 28 Feb / 1 Mar,
    31 Dec / 1 Jan and the bounds themselves."""
    if min_value > max_value:
        raise ValueError(f"empty date range {min_value} .. {max_value}")
    special = st.builds(_special, st.integers(min_value.year, max_value.year),
                        st.sampled_from(("month_end", "leap_day", "feb28", "mar1", "dec31", "jan1", "month_end",
                                         "month_start")),
                        st.integers(1, 12), st.just(min_value), st.just(max_value))
    return st.one_of(special, special, st.dates(min_value, max_value), st.sampled_from((min_value, max_value)))


@functools.cache
def near(anchor: date, *, days_before: int = 800, days_after: int = 60) -> st.SearchStrategy[date]:
    """Dates around an anchor, biased to the window boundaries criteria use (1 year, 6 / 3 / 1 months,
    35 / 30 / 28 / 14 days before or after, give or take a day)."""
    boundary = st.builds(
        lambda months, days, sign, slack: _add_months(anchor, sign * months) + timedelta(days=sign * days + slack),
        st.sampled_from((0, 1, 3, 6, 12, 18, 24)), st.sampled_from((0, 0, 14, 28, 30, 35)),
        st.sampled_from((-1, -1, 1)), st.integers(-1, 1))
    spread = st.integers(-days_before, days_after).map(lambda n: anchor + timedelta(days=n))
    return st.one_of(boundary, spread, dates(anchor - timedelta(days=days_before), anchor + timedelta(days=days_after)))


# ------------------------------------------------------------------------------ numbers, units

def _dec(value: Any) -> Decimal:
    if isinstance(value, float):
        raise TypeError("no floats: pass a Decimal, an int or decimal text")
    return value if isinstance(value, Decimal) else Decimal(str(value))


@functools.cache
def decimals(min_value: Any = 0, max_value: Any = 1000, places: int = 2) -> st.SearchStrategy[Decimal]:
    """Exact Decimals in [min_value, max_value] with at most ``places`` decimal places: whole numbers,
    the bounds, and values with exactly ``places`` places (Decimal('7.50'): trailing zeros kept)."""
    lo, hi = _dec(min_value), _dec(max_value)
    if lo > hi:
        raise ValueError(f"empty range {lo} .. {hi}")
    parts = [st.decimals(lo, hi, places=places, allow_nan=False, allow_infinity=False)]
    if math.ceil(lo) <= math.floor(hi):
        parts.insert(0, st.integers(math.ceil(lo), math.floor(hi)).map(Decimal))
    ends = [b for b in (lo, hi) if -b.as_tuple().exponent <= places]
    if ends:
        parts.append(st.sampled_from(tuple(ends)))
    return st.one_of(parts)


def _text(d: Decimal) -> str:
    """Plain decimal text, never an exponent."""
    return format(d, "f")


def _family_dims() -> dict[tuple[int, ...], str]:
    return {parse_unit(units[0]).dims: name for name, units in UNIT_FAMILIES.items()}


def family_of(unit_or_type: Any) -> str | None:
    """The UNIT_FAMILIES key for a unit text, a Unit, a Quantity or a quantity Type (None if not listed)."""
    if isinstance(unit_or_type, Quantity):
        dims = unit_or_type.unit.dims
    elif isinstance(unit_or_type, T.Type):
        dims = unit_or_type.dims
    elif isinstance(unit_or_type, str):
        dims = parse_unit(unit_or_type).dims
    else:
        dims = unit_or_type.dims
    return _family_dims().get(dims)


def _units_like(dims: tuple[int, ...], fallback: str) -> list[str]:
    family = _family_dims().get(dims)
    return UNIT_FAMILIES[family] if family else [fallback]


@functools.cache
def quantities(family: str, min_value: Any = 0, max_value: Any = 1000, places: int = 2) -> st.SearchStrategy[Quantity]:
    """A Quantity with an exact Decimal value in one of the family's units."""
    units = UNIT_FAMILIES[family]
    return st.builds(Quantity, decimals(min_value, max_value, places), st.sampled_from(tuple(units)))


def _exact_decimal(value: Fraction) -> Decimal | None:
    """The exact Decimal equal to ``value`` (shortest form, no exponent), or None if it never ends."""
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    shift = max(twos, fives)
    scaled = value.numerator * (10 ** shift // value.denominator)
    sign = 1 if scaled < 0 else 0
    digits = str(abs(scaled))
    while shift > 0 and digits.endswith("0") and len(digits) > 1:
        digits, shift = digits[:-1], shift - 1
    return Decimal((sign, tuple(int(c) for c in digits), -shift))


def restatements(q: Quantity) -> list[Quantity]:
    """Every exact restatement of ``q`` in the units of its family: other units first, then the same
    unit written with a trailing zero (so a one-unit family such as `%` still has a restatement)."""
    units = _units_like(q.unit.dims, q.unit.symbol)
    amount = Fraction(q.value) * q.unit.factor
    out = []
    for u in units:
        unit = parse_unit(u)
        if unit.symbol == q.unit.symbol:
            continue
        value = _exact_decimal(amount / unit.factor)
        if value is not None:
            out.append(Quantity(value, unit))
    padded = Decimal(_text(q.value) + ("0" if "." in _text(q.value) else ".0"))
    out.append(Quantity(padded, q.unit))
    return out


def restated(q: Quantity) -> st.SearchStrategy[Quantity]:
    """Quantities EQUAL to ``q`` exactly, in another unit of its family where the conversion has an
    exact decimal (mg -> g always; h -> day only when divisible), else in its own unit re-spelled."""
    return st.sampled_from(tuple(restatements(q)))


# ----------------------------------------------------------------------------------- fact values

# Values shared by literals and records, so that comparisons often land on a boundary.
_PIVOTS = [0, 1, 2, 5, 10, 12, 14, 18, 24, 28, 30, 35, 50, 100]


@functools.cache
def _magnitudes(max_value: int = 200) -> st.SearchStrategy[Decimal]:
    return st.one_of(st.sampled_from(tuple([Decimal(p) for p in _PIVOTS if p <= max_value])),
                     decimals(0, max_value, places=2))


@functools.cache
def _json_number(d: Decimal) -> st.SearchStrategy[Any]:
    """A number as JSON: decimal text always; an int too when it is whole."""
    forms = [st.just(_text(d))]
    if d == d.to_integral_value():
        forms.append(st.just(int(d)))
    return st.one_of(forms)


def _json_quantity(q: Quantity) -> st.SearchStrategy[Any]:
    return st.one_of(_json_number(q.value).map(lambda v: {"value": v, "unit": q.unit.symbol}),
                     st.just(f"{_text(q.value)} {q.unit.symbol}"))


def fact_values(t: T.Type) -> st.SearchStrategy[Any]:
    """JSON-ready values for a fact of type ``t``: booleans; numbers as decimal text or int;
    quantities as {"value", "unit"} or "48 %" in any unit of the type's family; dates "YYYY-MM-DD";
    codes from t.values; short texts."""
    # Types compare equal whatever their unit spelling and code values: cache on all of them.
    return _fact_values(t.kind, t.dims, t.unit.symbol if t.unit is not None else None, t.values)


@functools.cache
def _fact_values(kind: str, dims, unit: str | None, values) -> st.SearchStrategy[Any]:
    if kind == "boolean":
        return st.booleans()
    if kind == "number":
        signed = st.tuples(_magnitudes(), st.sampled_from((1, 1, 1, -1))).map(lambda p: p[0] * p[1])
        return signed.flatmap(_json_number)
    if kind == "quantity":
        units = _units_like(dims, unit) if unit is not None else ["mg"]
        return st.builds(Quantity, _magnitudes(), st.sampled_from(tuple(units))).flatmap(_json_quantity)
    if kind == "date":
        return st.one_of(near(DEFAULT_ANCHORS["screening"], days_before=3000, days_after=400),
                         dates()).map(date.isoformat)
    if kind == "code":
        if values:
            return st.sampled_from(tuple(values))
        return st.text("abcxyz", min_size=1, max_size=4)
    if kind == "text":
        return st.text("abc xyz", max_size=6)
    raise ValueError(f"no JSON values for a fact of kind {kind}")


# ------------------------------------------------------------------------------- typed expressions

_ORDERED_OPS = ["<", "<=", ">", ">=", "=", "!="]


def _kind_of(t: T.Type | str) -> str:
    """'boolean' | 'number' | 'date' | a UNIT_FAMILIES key."""
    if isinstance(t, str):
        if t in ("boolean", "number", "date") or t in UNIT_FAMILIES:
            return t
        raise ValueError(f"unknown target type `{t}`: boolean, number, date or one of {sorted(UNIT_FAMILIES)}")
    if t.kind in ("boolean", "number", "date"):
        return t.kind
    if t.kind == "quantity":
        family = family_of(t)
        if family is None:
            raise ValueError(f"no unit family for {t.describe()}")
        return family
    raise ValueError(f"cannot generate expressions of type {t.describe()}")


def _facts_of(env: Mapping[str, T.Type], kind: str) -> list[str]:
    out = []
    for name, t in sorted(env.items()):
        try:
            if t.kind in ("boolean", "number", "date", "quantity") and _kind_of(t) == kind:
                out.append(name)
        except ValueError:
            continue
    return out


def _p(text: str) -> str:
    return f"({text})"


class _Expressions:
    """Source text of well-typed expressions over ``env`` (facts) and ``anchors``, depth-limited."""

    def __init__(self, env: Mapping[str, T.Type], anchors: tuple[str, ...], allow_unknown: bool,
                 duration_names: frozenset[str] | None = None):
        self.env = dict(env)
        self.duration_names = duration_names
        self.anchors = anchors
        self.allow_unknown = allow_unknown
        self.codes = [(n, t) for n, t in sorted(self.env.items()) if t.kind in ("code", "text")]
        # Families with something to compare; numbers, dates and every family always have literals.
        self.kinds = ["number", "date", *UNIT_FAMILIES]

    # leaves -----------------------------------------------------------------------------------
    def literal(self, draw, kind: str) -> str:
        if kind == "boolean":
            return draw(st.sampled_from(("true", "false", "unknown") if self.allow_unknown else ["true", "false"]))
        if kind == "number":
            return _text(draw(_magnitudes()))
        if kind == "date":
            return draw(st.one_of(near(DEFAULT_ANCHORS["screening"], days_before=3000), dates())).isoformat()
        unit = draw(st.sampled_from(tuple(UNIT_FAMILIES[kind])))
        return f"{_text(draw(_magnitudes()))} {unit}"

    def leaf(self, draw, kind: str, *, duration: bool = False) -> str:
        options = ["literal"]
        facts = _facts_of(self.env, kind)
        if duration and self.duration_names is not None:
            facts = [f for f in facts if f in self.duration_names]
        if facts:
            options += ["fact", "fact"]
        if kind == "date" and self.anchors:
            options += ["anchor", "anchor"]
        if kind == "calendar" and self.anchors:
            options.append("age")
        choice = draw(st.sampled_from(tuple(options)))
        if choice == "fact":
            return draw(st.sampled_from(tuple(facts)))
        if choice == "anchor":
            return draw(st.sampled_from(self.anchors))
        if choice == "age":
            return _p(f"age at {draw(st.sampled_from(self.anchors))}")
        return self.literal(draw, kind)

    # compound ---------------------------------------------------------------------------------
    def expr(self, draw, kind: str, depth: int) -> str:
        if depth <= 0 or draw(st.integers(0, 3)) == 0:
            return self.leaf(draw, kind)
        return {"boolean": self.boolean, "number": self.number, "date": self.date}.get(kind, self.quantity)(
            draw, kind, depth - 1)

    def boolean(self, draw, kind: str, depth: int) -> str:
        form = draw(st.sampled_from(("compare", "compare", "and", "or", "not", "implies", "between", "member",
                                     "if", "code")))
        sub = lambda: self.expr(draw, "boolean", depth)
        if form == "and" or form == "or":
            n = draw(st.integers(2, 3))
            return f" {form} ".join(_p(sub()) for _ in range(n))
        if form == "not":
            return f"not {_p(sub())}"
        if form == "implies":
            return f"{_p(sub())} implies {_p(sub())}"
        if form == "if":
            return _p(f"if {sub()} then {sub()} else {sub()}")
        if form == "code":
            if not self.codes:
                return sub()
            name, t = draw(st.sampled_from(tuple(self.codes)))
            values = list(t.values) if t.values else ["a", "b", "x"]
            lit = st.sampled_from(tuple(values)).map(lambda v: f'"{v}"')
            if draw(st.booleans()):
                return f"{name} {draw(st.sampled_from(('=', '!=')))} {draw(lit)}"
            items = draw(st.lists(lit, min_size=1, max_size=3))
            neg = draw(st.sampled_from(("", "not ")))
            return f"{name} {neg}in [{', '.join(items)}]"
        operand_kind = draw(st.sampled_from(tuple(self.kinds)))
        x = lambda: _p(self.expr(draw, operand_kind, depth))
        if form == "compare":
            return f"{x()} {draw(st.sampled_from(tuple(_ORDERED_OPS)))} {x()}"
        if form == "between":
            neg = draw(st.sampled_from(("", "not ")))
            return f"{x()} {neg}between {x()} and {x()}"
        items = [x() for _ in range(draw(st.integers(1, 3)))]
        neg = draw(st.sampled_from(("", "not ")))
        return f"{x()} {neg}in [{', '.join(items)}]"

    def number(self, draw, kind: str, depth: int) -> str:
        form = draw(st.sampled_from(("+", "-", "*", "/", "max", "min", "neg", "if", "formula")))
        sub = lambda: _p(self.expr(draw, "number", depth))
        if form == "formula":  # formulas (lang11a): domain errors (sqrt of a negative, ln of 0) are unknown
            func = draw(st.sampled_from(("sqrt", "ln", "exp", "round", "^")))
            if func == "round":
                return f"round({self.expr(draw, 'number', depth)}, {draw(st.integers(0, 3))})"
            if func == "^":
                exponent = draw(st.one_of(st.sampled_from(("2", "-1", "0.5", "-1.200", "(-2)")), st.just(sub())))
                return f"{sub()} ^ {exponent}"
            return f"{func}({self.expr(draw, 'number', depth)})"
        if form in ("max", "min"):
            return f"{form}({', '.join(self.expr(draw, 'number', depth) for _ in range(draw(st.integers(2, 3))))})"
        if form == "neg":
            return f"-{sub()}"
        if form == "if":
            return _p(f"if {self.expr(draw, 'boolean', depth)} then {sub()} else {sub()}")
        return f"{sub()} {form} {sub()}"  # a number divisor may be zero: division by zero is unknown

    def quantity(self, draw, kind: str, depth: int) -> str:
        forms = ["+", "-", "scale", "scale_left", "divide", "max", "min", "neg", "if"]
        if kind == "calendar" and self.anchors:
            forms += ["years_between", "months_between"]
        if kind == "time":
            forms += ["days_between", "weeks_between"]
        form = draw(st.sampled_from(tuple(forms)))
        sub = lambda: _p(self.expr(draw, kind, depth))
        if form in ("+", "-"):
            return f"{sub()} {form} {sub()}"
        if form == "scale":
            return f"{sub()} * {_p(self.expr(draw, 'number', depth))}"
        if form == "scale_left":
            return f"{_p(self.expr(draw, 'number', depth))} * {sub()}"
        if form == "divide":
            # Only divisors with a finite decimal reciprocal: then q / n is exact in every unit, and
            # restating q in another unit cannot change a comparison (division rounds otherwise).
            return f"{sub()} / {draw(st.sampled_from(('2', '4', '5', '8', '10', '0.5', '0.25', '1.25', '100')))}"
        if form in ("max", "min"):
            args = [self.expr(draw, kind, depth) for _ in range(draw(st.integers(2, 3)))]
            return f"{form}({', '.join(args)})"
        if form == "neg":
            return f"-{sub()}"
        if form == "if":
            return _p(f"if {self.expr(draw, 'boolean', depth)} then {sub()} else {sub()}")
        unit = form.split("_")[0]
        a, b = (_p(self.expr(draw, "date", depth)) for _ in range(2))
        return _p(f"{unit} between {a} and {b}")

    def date(self, draw, kind: str, depth: int) -> str:
        form = draw(st.sampled_from(("shift", "shift", "shift_left", "max", "min", "if")))
        sub = lambda: _p(self.expr(draw, "date", depth))
        if form in ("shift", "shift_left"):
            # Durations are leaves (literal, fact, age): date arithmetic stays inside years 1..9999.
            duration = self.leaf(draw, draw(st.sampled_from(("time", "calendar"))), duration=True)
            if form == "shift_left":
                return f"{_p(duration)} + {sub()}"
            return f"{sub()} {draw(st.sampled_from(('+', '-')))} {_p(duration)}"
        if form in ("max", "min"):
            return f"{form}({', '.join(self.expr(draw, 'date', depth) for _ in range(2))})"
        return _p(f"if {self.expr(draw, 'boolean', depth)} then {sub()} else {sub()}")


@st.composite
def _typed(draw, env_items: tuple, kind: str, depth: int, anchors: tuple[str, ...], allow_unknown: bool,
           duration_names: frozenset[str] | None) -> str:
    return _Expressions(dict(env_items), anchors, allow_unknown, duration_names).expr(draw, kind, depth)


def typed_expressions(env: Mapping[str, T.Type], type: T.Type | str = T.BOOLEAN, *, depth: int = 3,
                      anchors: Iterable[str] = ("screening",), allow_unknown: bool = False,
                      duration_names: Iterable[str] | None = None) -> st.SearchStrategy[str]:
    """Source text of expressions WELL-TYPED BY CONSTRUCTION for ``env`` (fact name -> Type) and the
    target ``type`` (a Type, or "boolean", "number", "date" or a UNIT_FAMILIES key).

    Forms: literals, facts, anchors; and/or/not/implies; comparisons across compatible units;
    `between`, `in [..]`; + - of one dimension, * and / by numbers; max/min; if-then-else;
    date ± duration; `days/weeks/months/years between`; `age at ANCHOR`.  Every compound
    sub-expression is parenthesised.  ``allow_unknown`` adds the literal `unknown`.

    A date is shifted only by a leaf duration (a literal, `age at`, or a name in ``duration_names``,
    default every name of ``env``), so that date arithmetic stays within years 1 to 9999: pass the
    declared facts, not definitions, whose values are not bounded.
    """
    kind = _kind_of(type)
    env_items = tuple(sorted(env.items(), key=lambda kv: kv[0]))
    names = None if duration_names is None else frozenset(duration_names)
    return _typed(env_items, kind, depth, tuple(anchors), allow_unknown, names)


# ------------------------------------------------------------------------------------------ trials

_FACT_TYPES = ["boolean", "boolean", "number", "date", "code", "text", *UNIT_FAMILIES]


def _fact_decl(kind: str, draw) -> tuple[str, T.Type]:
    """A fact's type as declared; a number or quantity sometimes with a declared scale (`between -100 and
    100`), which some generated values fall outside of (those are a problem, and the fact unknown)."""
    ranged = kind == "number" or kind in UNIT_FAMILIES
    scale = draw(st.sampled_from((None, None, None, None, None, (-100, 100), (0, 150)))) if ranged else None
    if kind in UNIT_FAMILIES:
        unit = draw(st.sampled_from(tuple(UNIT_FAMILIES[kind])))
        where = f" between {scale[0]} {unit} and {scale[1]} {unit}" if scale else ""
        return f"quantity in {unit}{where}", T.quantity_of(unit)
    if scale:
        return f"number between {scale[0]} and {scale[1]}", T.NUMBER
    if kind == "code":
        values = tuple(draw(st.lists(st.sampled_from(("a", "b", "c", "none")), min_size=1, max_size=3, unique=True)))
        return "code of [" + ", ".join(f'"{v}"' for v in values) + "]", T.code(values)
    return kind, {"boolean": T.BOOLEAN, "number": T.NUMBER, "date": T.DATE, "text": T.TEXT}[kind]


@st.composite
def trials(draw, *, min_facts: int = 2, max_facts: int = 6, max_criteria: int = 5, depth: int = 3,
           allow_unknown: bool = False) -> tuple[str, dict[str, T.Type]]:
    """A whole trial as source text, and its facts: a header, anchor `screening`, 2-6 facts of
    assorted types, 0-2 definitions, 1-5 include/exclude criteria whose logic comes from
    ``typed_expressions``.  Every generated trial compiles without error."""
    n_facts = draw(st.integers(min_facts, max_facts))
    kinds = draw(st.lists(st.sampled_from(tuple(_FACT_TYPES)), min_size=n_facts, max_size=n_facts))
    env: dict[str, T.Type] = {}
    lines = [f'trial NCT{draw(st.integers(0, 99999999)):08d} "a generated trial"', 'version "1"', "anchor screening"]
    for i, kind in enumerate(kinds):
        name = f"f{i}_{kind.replace('/', '_per_')}"
        decl, typ = _fact_decl(kind, draw)
        env[name] = typ
        lines.append(f"fact {name}: {decl}")
    # Definitions, usable by later expressions: a quantity (e.g. a washout `max(...)`) or a condition.
    scope = dict(env)
    for j in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(("boolean", "number", "date", *UNIT_FAMILIES)))
        name = f"d{j}_{kind.replace('/', '_per_')}"
        body = draw(typed_expressions(scope, kind, depth=depth - 1, allow_unknown=allow_unknown,
                                      duration_names=env))
        lines.append(f"define {name}: {body}")
        scope[name] = T.quantity_of(UNIT_FAMILIES[kind][0]) if kind in UNIT_FAMILIES else \
            {"boolean": T.BOOLEAN, "number": T.NUMBER, "date": T.DATE}[kind]
    for k in range(draw(st.integers(1, max_criteria))):
        kind = draw(st.sampled_from(("include", "exclude")))
        body = draw(typed_expressions(scope, T.BOOLEAN, depth=depth, allow_unknown=allow_unknown,
                                      duration_names=env))
        cid = f"{'I' if kind == 'include' else 'E'}{k + 1}"
        lines.append(f'{kind} {cid} "criterion {k + 1}":\n    {body}')
    return "\n".join(lines) + "\n", env


# ----------------------------------------------------------------------------------------- records

_QUERIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def trial_queries(trial) -> dict[str, set[str | None]]:
    """The event collections a compiled trial's queries read, each with the code sets it filters by
    (None: no code set), from criteria, definitions and scores; plus the tables' code sets, which
    key on the codes of the same events."""
    if trial in _QUERIES:
        return _QUERIES[trial]
    out: dict[str, set[str | None]] = {}
    checked = trial.checked
    seen: set[int] = set()

    def visit(node: Any) -> None:
        if node is None or id(node) in seen:
            return
        seen.add(id(node))
        query = getattr(node, "query", None)
        if isinstance(query, ir.Query):
            out.setdefault(query.collection, set()).add(query.codeset)
            if query.filter is not None:
                visit(query.filter)
            for bound in (query.window.bounds() if query.window else ()):
                visit(bound)
        if isinstance(node, ir.All):
            visit(node.condition)
        if isinstance(node, ir.Lookup):
            for name, _ in checked.tables[node.table].entries:
                for coll in out:
                    out[coll].add(name)
        if isinstance(node, ir.Stable) and node.gap is not None:
            visit(node.gap)
        if isinstance(node, ir.Node):
            for child in node.children():
                visit(child)

    for _ in range(2):  # twice: a table met before its collection is attached on the second pass
        seen.clear()
        for d in checked.definitions.values():
            visit(d.expr)
        for s in checked.scores.values():
            for _, items in s.categories:
                for _, cond in items:
                    visit(cond)
        for c in checked.criteria:
            visit(c.expr)
    _QUERIES[trial] = out
    return out


def _codes_of(checked, names: Iterable[str | None]) -> list[tuple[str, str, str | None]]:
    """The (system, code, display) entries of code sets, includes expanded, deduplicated."""
    out: dict[tuple[str, str], str | None] = {}
    stack = [n for n in names if n is not None]
    done: set[str] = set()
    while stack:
        name = stack.pop()
        if name in done or name not in checked.codesets:
            continue
        done.add(name)
        spec = checked.codesets[name]
        for system, code, display in spec.codes:
            out.setdefault((system, code), display)
        stack.extend(spec.includes)
    return [(s, c, d) for (s, c), d in sorted(out.items())]


def _pool(trial, collection: str) -> tuple:
    """The codings events of ``collection`` draw from: the trial's code sets for it, and noise."""
    pools = _POOLS.setdefault(trial, {})
    if collection not in pools:
        pools[collection] = tuple(_codes_of(trial.checked, trial_queries(trial)[collection]) + _UNRELATED)
    return pools[collection]


_POOLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Codes no trial here lists (noise: events a query must skip).
_UNRELATED = [("ATC", "A10BA02", "metformin"), ("LOINC", "2345-7", "glucose"), ("SNOMED", "38341003", "hypertension"),
              ("ICD10", "Z99.9", None), ("RxNorm", "1191", "aspirin"), ("CVX", "03", "MMR"),
              ("LOCAL", "other", None)]


_SPELLINGS = {"ICD10": ("ICD10", "ICD-10", "ICD-10-CM"), "SNOMED": ("SNOMED", "SNOMED CT"),
              "ATC": ("ATC", "http://www.whocc.no/atc")}


@st.composite
def _coding(draw, pool: list[tuple[str, str, str | None]]) -> dict:
    system, code, display = draw(st.sampled_from(pool))
    if code.endswith("*"):  # a class prefix: a full code below it
        code = code[:-1] + draw(st.sampled_from(("", "0", "1", "10", "2", "9")))
    if system == "ICD10" and "." not in code and len(code) > 3 and draw(st.booleans()):
        code = code[:3] + "." + code[3:]  # M340 and M34.0 are the same code
    system = draw(st.sampled_from(_SPELLINGS.get(system, (system,))))
    out = {"system": system, "code": code}
    if display is not None and draw(st.booleans()):
        out["display"] = display
    return out


@functools.cache
def _codings(pool: tuple) -> st.SearchStrategy[Any]:
    return st.one_of(_coding(pool), st.lists(_coding(pool), min_size=1, max_size=2))


def _optional(draw, value_strategy: st.SearchStrategy, p_absent: int = 2) -> Any:
    """A value, or None (the key is then left out)."""
    return None if draw(st.integers(0, p_absent)) == 0 else draw(value_strategy)


_LENGTHS = st.one_of(st.sampled_from((0, 1, 6, 13, 14, 15, 27, 28, 29, 30, 35, 90, 180, 400)), st.integers(0, 700))


def _period(draw, anchors: tuple[date, ...]) -> tuple[date, date | None]:
    """A start near an anchor and an end (None: ongoing) a day, a fortnight, a month ... later."""
    start = draw(near(draw(st.sampled_from(anchors))))
    if draw(st.integers(0, 2)) == 0:
        return start, None
    return start, start + timedelta(days=draw(_LENGTHS))


_DOSE_UNITS = ("mg", "mg", "g", "ug", "IU")
_RATE_UNITS = ("mg/day", "mg/day", "g/day", "mg/wk", "g/wk", "IU/day")
_AMOUNTS = st.one_of(st.sampled_from(tuple(Decimal(v) for v in ("2.5", "5", "7.5", "8", "10", "12.5", "20", "40", "80",
                                                                 "100", "500", "1000"))),
                     decimals(0, 200, places=1))


@st.composite
def _medication_dose(draw) -> dict:
    """Dose fields that always bind: a daily dose alone, a dose and a frequency (the daily dose
    derived, or given and equal), a dose alone, or nothing."""
    form = draw(st.sampled_from(("daily", "dose_frequency", "dose_frequency_daily", "dose", "none")))
    out: dict = {}
    amount = draw(_AMOUNTS)
    if form == "daily":
        out["daily_dose"] = draw(_json_quantity(Quantity(amount, draw(st.sampled_from(_RATE_UNITS)))))
    elif form.startswith("dose"):
        unit = draw(st.sampled_from(_DOSE_UNITS))
        out["dose"] = draw(_json_quantity(Quantity(amount, unit)))
        if form != "dose":
            frequency = draw(st.sampled_from((1, 2, 3, 4)))
            out["frequency"] = frequency
            if form == "dose_frequency_daily":
                out["daily_dose"] = {"value": _text(amount * frequency), "unit": f"{unit}/day"}
    return out


_MEDICATION_DOSES = _medication_dose()
_OBSERVATION_VALUES = st.one_of(
    st.builds(Quantity, st.one_of(st.sampled_from(tuple(Decimal(v) for v in (40, 49, 50, 51, 72))), decimals(0, 120)),
              st.just("%")).flatmap(_json_quantity),
    st.builds(Quantity, decimals(0, 200), st.sampled_from(("U/L", "IU/L"))).flatmap(_json_quantity),
    st.booleans(),
    st.integers(0, 100),
    st.sampled_from(("1:160", "positive")),
    st.builds(dict, system=st.just("SNOMED"), code=st.just("10828004"), display=st.just("positive")),
    # Laboratory result forms (issue 10 §4): censored values, the other qualitative codes and texts.
    st.sampled_from(("<50 U/L", ">40 U/L", "<=35 U/L", ">= 0.04 U/mL", "<20 %", ">72 %", "negative", "Detected")),
    # Titres (runtime/titre.py), censored titres among them.
    st.sampled_from(("1:80", "1/320", "1:80 speckled", "1:1280", "<1:40", ">1:1280", ">=1:160", "<=1:80")),
    st.sampled_from(("260385009", "260373001", "260415000")).map(lambda c: {"system": "SNOMED", "code": c}),
)
_INTERPRETATIONS = st.sampled_from(("N", "H", "HH", "L", "A", "POS", "NEG", "DET", "ND", "IND")).map(
    lambda c: {"system": "HL7:v3-ObservationInterpretation", "code": c})
_HALF_LIVES = st.builds(Quantity, _magnitudes(500), st.sampled_from(("h", "days", "day", "wk"))).flatmap(_json_quantity)
_REFERENCE_HIGHS = st.builds(Quantity, st.sampled_from((Decimal(40), Decimal(35))),
                             st.just("U/L")).flatmap(_json_quantity)
_MRSS_SITES = st.lists(st.integers(0, 3), min_size=len(MRSS_SITES), max_size=len(MRSS_SITES))


@functools.cache
def _event(collection: str, event_id: str, pool: tuple, anchors: tuple[date, ...]) -> st.SearchStrategy[dict]:
    return _event_strategy(collection, event_id, pool, anchors)


@st.composite
def _event_strategy(draw, collection: str, event_id: str, pool: tuple, anchors: tuple[date, ...]) -> dict:
    e: dict[str, Any] = {"id": event_id}

    def put(key: str, value: Any) -> None:
        if value is not None:
            e[key] = value

    spec = COLLECTIONS[collection]
    if collection == "trial_participations":
        e["compound"] = draw(st.sampled_from(("ABC-123", "XYZ-9")))
        put("code", _optional(draw, _codings(pool), 1))
        start, end = _period(draw, anchors)
        e["start"] = start.isoformat()
        put("last_dose", end and end.isoformat())
        put("half_life", _optional(draw, _HALF_LIVES))
        return e
    e["code"] = draw(_codings(pool))
    if spec.point:
        e["date"] = draw(near(draw(st.sampled_from(anchors)))).isoformat()
    else:
        start, end = _period(draw, anchors)
        e[spec.start] = start.isoformat()
        put(spec.end, end and end.isoformat())
    for name in ("status", "category", "route"):
        if name in spec.fields:
            put(name, _optional(draw, st.sampled_from(tuple(spec.fields[name].type.values))))
    if collection == "medications":
        e.update(draw(_MEDICATION_DOSES))
    if collection == "observations":
        put("value", _optional(draw, _OBSERVATION_VALUES, 4))
        put("reference_high", _optional(draw, _REFERENCE_HIGHS))
        put("reference_low", _optional(draw, st.just("7 U/L"), 3))
        put("interpretation", draw(_INTERPRETATIONS) if draw(st.integers(0, 3)) == 0 else None)
    if collection == "assessments":
        codes = e["code"] if isinstance(e["code"], list) else [e["code"]]
        is_mrss = any(c["system"] == "LOCAL" and c["code"] == "mRSS" for c in codes)
        if is_mrss and draw(st.integers(0, 2)) == 0:
            sites = draw(_MRSS_SITES)
            e["components"] = dict(zip(MRSS_SITES, sites, strict=True))
            if draw(st.booleans()):
                e["score"] = sum(sites)
        else:
            put("score", _optional(draw, st.integers(0, 51)))
        if draw(st.integers(0, 2)) == 0:  # counting over items (lang11b): item scores, some unscored
            e["items"] = draw(st.dictionaries(st.sampled_from(["i1", "i2", "i3", "i4"]),
                                              st.one_of(st.none(), st.integers(0, 4)), max_size=4))
    return e


@functools.cache
def _coverage(anchors: tuple[date, ...]) -> st.SearchStrategy[dict | None]:
    return _coverage_strategy(anchors)


@st.composite
def _coverage_strategy(draw, anchors: tuple[date, ...]) -> dict | None:
    """Present (complete from birth, or from long before, to after the anchors), partial (starting
    late or ending early), a current list as of an anchor or a day near one (docs/screening_time.md), or
    absent (None)."""
    last = max(anchors)
    form = draw(st.sampled_from(("present", "present", "partial", "current", "absent")))
    if form == "absent":
        return None
    if form == "current":
        return {"current": draw(st.one_of(st.sampled_from(anchors), near(draw(st.sampled_from(anchors))))).isoformat()}
    if form == "present":
        start = draw(st.one_of(st.none(), dates(date(1990, 1, 1), min(anchors) - timedelta(days=800))))
        end = last + timedelta(days=draw(st.integers(0, 60)))
    else:
        start = draw(st.one_of(st.none(), near(min(anchors))))
        end = draw(near(last))
        if start is not None and start > end:
            start, end = end, start
    return {"from": None if start is None else start.isoformat(), "to": end.isoformat()}


_ID_PREFIX = {"conditions": "c", "medications": "m", "observations": "o", "procedures": "p", "immunizations": "i",
              "allergies": "al", "trial_participations": "t", "assessments": "a"}


@functools.cache
def _birth_dates(anchor: date) -> st.SearchStrategy[date]:
    """Around 18 (and 0-90) years before the anchor, give or take a few days, leap days included."""
    return st.one_of(
        st.builds(lambda years, slack: _add_months(anchor, -12 * years) + timedelta(days=slack),
                  st.sampled_from((17, 18, 18, 19, 40, 65)), st.integers(-2, 2)),
        st.sampled_from((date(2004, 2, 29), date(2008, 2, 29), date(2007, 3, 1), date(2007, 2, 28))),
        dates(date(1930, 1, 1), anchor))


@st.composite
def records(draw, trial, *, missing: bool = True, anchors: Mapping[str, date] | None = None,
            max_events: int = 3) -> dict:
    """A valid JSON-ready patient record for a compiled Trial (``trial.bind(record)`` succeeds).

    Every declared fact, each possibly missing (null or left out) when ``missing``; ``birth_date``
    and ``sex`` (possibly missing too); the event collections the trial's queries read, with codings
    from the trial's code sets and unrelated ones, dates near the anchors, doses that agree with each
    other, unique event ids; coverage present, partial or absent per collection.
    """
    anchors = dict(anchors) if anchors is not None else {}
    for name in trial.anchors:
        anchors.setdefault(name, DEFAULT_ANCHORS.get(name, DEFAULT_ANCHORS["screening"]))
    if not anchors:
        anchors = dict(DEFAULT_ANCHORS)
    anchor_dates = tuple(sorted(anchors.values()))
    record: dict[str, Any] = {}
    if draw(st.booleans()):
        record["record_version"] = "1"
    record["id"] = "r" + str(draw(st.integers(0, 999)))

    def gone() -> str | None:
        """'null', 'absent' or None (present)."""
        if not missing:
            return None
        return draw(st.sampled_from((None, None, "null", "absent")))

    how = gone()
    if how is None:
        record["birth_date"] = draw(_birth_dates(anchor_dates[0])).isoformat()
    elif how == "null":
        record["birth_date"] = None
    how = gone()
    if how is None:
        record["sex"] = draw(st.sampled_from(("female", "male", "other", "unknown")))
    elif how == "null":
        record["sex"] = None
    facts: dict[str, Any] = {}
    for name, spec in sorted(trial.facts.items()):
        if spec.builtin:
            continue
        how = gone()
        if how is None:
            facts[name] = draw(fact_values(spec.type))
        elif how == "null":
            facts[name] = None
    if facts or draw(st.booleans()):
        record["facts"] = facts
    coverage: dict[str, Any] = {}
    for collection in sorted(trial_queries(trial)):
        pool = _pool(trial, collection)
        n = draw(st.integers(0, max_events))
        prefix = _ID_PREFIX[collection]
        record[collection] = [draw(_event(collection, f"{prefix}{i + 1}", pool, anchor_dates)) for i in range(n)]
        cov = draw(_coverage(anchor_dates))
        if cov is not None:
            coverage[collection] = cov
    if coverage or draw(st.booleans()):
        record["coverage"] = coverage
    return record


# ---------------------------------------------------------------------- more and less information

_WITHHOLDABLE = {  # optional event fields whose absence means "not known" (not: ongoing, or another meaning)
    "conditions": ("status",),
    "medications": ("dose", "frequency", "daily_dose", "route"),
    "observations": ("value", "reference_low", "reference_high"),
    "allergies": ("category", "status"),
    "trial_participations": ("code", "half_life"),
    "assessments": ("score", "components"),
}


@st.composite
def less_informed(draw, record: Mapping) -> dict:
    """``record`` with some information withheld, never changed: facts, birth_date and sex left out
    or null; coverage dropped or narrowed; optional event fields left out (not period ends, whose
    absence means ongoing); whole events left out only from a collection that then has no coverage.
    Every decided answer on the result must hold on ``record`` too."""
    out = copy.deepcopy(dict(record))
    for key in ("birth_date", "sex"):
        if key in out and draw(st.integers(0, 3)) == 0:
            if draw(st.booleans()):
                del out[key]
            else:
                out[key] = None
    for name in sorted(out.get("facts") or {}):
        if out["facts"][name] is not None and draw(st.integers(0, 2)) == 0:
            if draw(st.booleans()):
                del out["facts"][name]
            else:
                out["facts"][name] = None
    coverage = out.get("coverage") or {}
    for name in sorted(coverage):
        choice = draw(st.sampled_from(("keep", "keep", "drop", "narrow")))
        if choice == "narrow" and "to" not in coverage[name]:
            choice = "drop"  # a current list has no period to narrow: less information is no list
        if choice == "drop":
            del coverage[name]
        elif choice == "narrow":
            period = coverage[name]
            low = None if period.get("from") is None else date.fromisoformat(period["from"])
            high = date.fromisoformat(period["to"])
            floor = low or date(1900, 1, 1)
            high = max(floor, high - timedelta(days=draw(st.integers(0, 40))))
            low = floor + timedelta(days=draw(st.integers(0, (high - floor).days)))
            coverage[name] = {"from": low.isoformat(), "to": high.isoformat()}
    for collection in COLLECTIONS:
        events = out.get(collection)
        if not events:
            continue
        if collection not in coverage and draw(st.integers(0, 3)) == 0:
            keep = draw(st.lists(st.booleans(), min_size=len(events), max_size=len(events)))
            out[collection] = events = [e for e, k in zip(events, keep, strict=True) if k]
        for e in events:
            for name in _WITHHOLDABLE.get(collection, ()):
                if name in e and draw(st.integers(0, 3)) == 0:
                    del e[name]
            if e.get("items") and draw(st.integers(0, 3)) == 0:  # some items unscored (never removed: fewer items)
                for item in draw(st.lists(st.sampled_from(sorted(e["items"])), max_size=2, unique=True)):
                    e["items"][item] = None
            if "components" in e and draw(st.integers(0, 3)) == 0:  # some sites unrecorded
                for site in draw(st.lists(st.sampled_from(MRSS_SITES), max_size=3, unique=True)):
                    e["components"][site] = None
    return out


@st.composite
def completions(draw, trial, record: Mapping, *, anchors: Mapping[str, date] | None = None,
                coverage: bool = True) -> dict:
    """``record`` with some missing information supplied, nothing changed: missing facts,
    birth_date and sex filled in; with ``coverage``, complete coverage (from birth to after the
    anchors) added for collections that state none."""
    out = copy.deepcopy(dict(record))
    anchors = dict(anchors or {})
    for name in trial.anchors:
        anchors.setdefault(name, DEFAULT_ANCHORS.get(name, DEFAULT_ANCHORS["screening"]))
    facts = out.setdefault("facts", {})
    for name, spec in sorted(trial.facts.items()):
        if not draw(st.integers(0, 3)):
            continue  # this one stays missing
        if spec.builtin:
            if out.get(name) is None:
                out[name] = draw(fact_values(spec.type) if name != "birth_date" else
                                 _birth_dates(min(anchors.values())).map(date.isoformat))
        elif facts.get(name) is None:
            facts[name] = draw(fact_values(spec.type))
    if coverage:
        cov = out.setdefault("coverage", {})
        end = max(anchors.values()) + timedelta(days=draw(st.integers(0, 30)))
        for collection in sorted(trial_queries(trial)):
            if collection not in cov and draw(st.integers(0, 3)):
                cov[collection] = {"from": None, "to": end.isoformat()}
    return out


_QUANTITY_LITERAL: re.Pattern | None = None  # built on first use
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def quantity_literals(source: str) -> list[tuple[int, int, Quantity]]:
    """The quantity literals of a source text written with a UNIT_FAMILIES spelling, outside strings
    and comments: (start, end, value), in order."""
    global _QUANTITY_LITERAL
    if _QUANTITY_LITERAL is None:
        units = sorted({u for us in UNIT_FAMILIES.values() for u in us}, key=len, reverse=True)
        _QUANTITY_LITERAL = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?) (" + "|".join(map(re.escape, units))
                                       + r")(?![\w/%.*^'])")
    masked = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), source)
    return [(m.start(), m.end(), Quantity(Decimal(m.group(1)), m.group(2))) for m in _QUANTITY_LITERAL.finditer(masked)]

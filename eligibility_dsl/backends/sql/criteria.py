"""The whole trial as one SELECT: one row per patient, in input order, with each criterion's status (a
truth: 0 NOT_MET, 1 UNKNOWN, 2 MET) and one 0/1 flag per missing item that may explain an UNKNOWN.

``compile_trial`` builds the sqlglot tree from the checked IR for given anchors (they are constants of the
query).  Every construct the trial uses either compiles or is reported: :class:`SqlCompileError` holds one
located diagnostic (E0401) per construct that does not, so an engine refuses the trial before reading any
data.  The outcome, reasons and the missing summary are assembled from these columns by ``rows.py`` with the
same rule as the Python backend (``explain.outcome.decide``).
"""

from __future__ import annotations

import datetime
from typing import Any

import attrs
from sqlglot import exp

from ...check import ir
from ...diagnostics import Diagnostic
from ..python.generator_history import HistoryRules
from . import values as SV
from .dialect import DIALECTS, Dialect
from .expressions import ScalarRules, Unsupported
from .queries import QueryRules
from .schema import fact_column
from .values import table

UNSUPPORTED = "E0401"
DEFER = 3  # a criterion's status digit: the Python engine decides this patient (``execute.STATUS``)


class SqlCompileError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(describe(d) for d in diagnostics))


def describe(d: Diagnostic) -> str:
    where = f"{d.span.file}:{d.span.line}:{d.span.column}: " if d.span else ""
    return f"{where}error[{d.code}]: {d.message}"


@attrs.frozen
class CompiledSql:
    tree: exp.Expression
    criteria: tuple[ir.Criterion, ...]
    missing: tuple[str, ...]  # label of each missing flag column m0, m1, ...
    missing_of: tuple[tuple[int, ...], ...]  # per criterion, the flags that belong to it
    status_columns: int = 1  # result columns holding the packed statuses (then those of the flags)
    _texts: dict[str, str] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def sql(self, dialect: str) -> str:
        """The query's text in ``dialect``, generated once (a population screened in parts runs it per part)."""
        if dialect not in self._texts:
            self._texts[dialect] = DIALECTS[dialect].sql(self.tree)
        return self._texts[dialect]


class _Compiler(QueryRules, ScalarRules):
    def __init__(self, trial: ir.CheckedTrial, anchors: dict[str, datetime.date], dialect: Dialect):
        self.trial, self.anchors, self.dialect = trial, anchors, dialect
        self.codesets = HistoryRules.build_codesets(self)  # type: ignore[arg-type]
        self.ctes: dict[str, exp.Expression] = {}
        self.joins: dict[str, Any] = {}
        self.used_facts: dict[str, str] = {}  # declared fact -> its kind
        self.unsupported: list[Unsupported] = []
        self.derived: dict[str, exp.Expression] = {}  # columns of the inner select `d`, by name
        self.defers: list[exp.Expression] = []  # conditions that the Python engine decide the patient (totals.py)

    def derive(self, expr: exp.Expression) -> exp.Expression:
        """Compute ``expr`` once per patient, as a column of the inner select ``d``, and refer to it: an
        aggregate or score read by several criteria (or twice in a comparison) is not written out again."""
        name = f"x{len(self.derived)}"
        self.derived[name] = expr
        return exp.column(name, "d", quoted=True)

    def fact_ref(self, name: str, kind: str) -> exp.Expression:
        spec = self.trial.facts.get(name)
        if spec is None or spec.builtin:
            return exp.column(name, "p", quoted=True)
        self.used_facts[name] = kind
        return exp.column(f"f_{name}", "f", quoted=True)


def compile_trial(trial: ir.CheckedTrial, anchors: dict[str, datetime.date], dialect: str = "duckdb") -> CompiledSql:
    c = _Compiler(trial, anchors, DIALECTS[dialect])
    problems: list[Diagnostic] = []
    statuses: list[exp.Expression] = []
    labels: dict[tuple[str, str], int] = {}
    flags: list[exp.Expression] = []
    missing_of: list[tuple[int, ...]] = []
    seen: set = set()
    for criterion in trial.criteria:
        c.unsupported = []
        c.defers = []
        v = c.truth_of(criterion.expr)
        for err in c.unsupported:
            span = getattr(err.node, "span", None) or criterion.span
            key = (err.construct, span)
            if key in seen:  # a definition read by two criteria: reported once
                continue
            seen.add(key)
            problems.append(Diagnostic(UNSUPPORTED, f"the SQL backend does not compile {err.construct} "
                                       f"(in criterion `{criterion.id}`)", span,
                                       help="use `--engine python` for this trial"))
        if c.unsupported:
            continue
        status = v.expr
        if c.defers:  # DEFER (3): a patient this criterion leaves to the Python engine
            status = exp.Case().when(SV.OR(*c.defers) if len(c.defers) > 1 else c.defers[0],
                                     SV.truth_lit(DEFER)).else_(status)
        statuses.append(status)
        own: list[int] = []
        for label, cond in v.missing:
            key = (label, cond.sql())
            if key not in labels:
                labels[key] = len(flags)
                flags.append(cond)
            own.append(labels[key])
        missing_of.append(tuple(sorted(set(own))))
    if problems:
        raise SqlCompileError(problems)
    c.finish_queries()
    p = exp.column
    flags = [c.derive(cond) for cond in flags]
    # The inner select `d`: per patient, the built-in fields, the facts read, and every derived value; the
    # outer one reads only `d` (criteria refer to facts as p./f.: those become d.).
    inner = exp.select(*(p(name, "p", quoted=True) for name in ("patient_id", "position", "birth_date", "sex")))
    for fact in sorted(c.used_facts):
        inner = inner.select(p(f"f_{fact}", "f", quoted=True), copy=False)
    resolved: dict[str, exp.Expression] = {}
    for name, expr in c.derived.items():  # a derived value built on others (a score on its items): inlined
        resolved[name] = _inline(expr, resolved)
        inner = inner.select(exp.alias_(resolved[name], name, quoted=True), copy=False)
    inner = inner.from_(table("patients", "p"), copy=False)
    ctes = dict(c.ctes)
    if c.used_facts:
        ctes["f"] = _facts_pivot(c.used_facts)
        inner = _left_join(inner, "f", "f", [])
    if c.__dict__.get("_coverage"):
        ctes["cov"] = _coverage_pivot(sorted(c.__dict__["_coverage"]))
    for alias, what in c.joins.items():
        inner = _left_join(inner, what, alias, [])
    outer_statuses = [_in_d(s.copy()) for s in statuses]
    select = exp.select(p("patient_id", "d", quoted=True), p("position", "d", quoted=True))
    # The statuses packed into BIGINTs, two bits per criterion (0/1/2, 3 DEFER), and the missing flags one bit
    # each: few Python objects per row, integer arithmetic rather than strings (the text columns this replaced
    # cost 8% of the query), and rows with the same answers decode once (``execute.decode``).
    status_cols = _packed(outer_statuses, STATUS_BITS)
    flag_values = [exp.Case().when(cond, exp.Literal.number(1)).else_(exp.Literal.number(0)) for cond in flags]
    flag_cols = _packed(flag_values, 1)
    for i, col in enumerate(status_cols):
        select = select.select(exp.alias_(col, f"statuses{i}", quoted=True), copy=False)
    for i, col in enumerate(flag_cols):
        select = select.select(exp.alias_(col, f"flags{i}", quoted=True), copy=False)
    select = select.from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("d", quoted=True))),
                          copy=False)
    for name, cte in ctes.items():
        select = select.with_(exp.to_identifier(name, quoted=True), as_=cte, copy=False)
    select = select.order_by(p("position", "d", quoted=True), copy=False)
    label_list = [""] * len(flags)
    for (label, _), k in labels.items():
        label_list[k] = label
    return CompiledSql(select, trial.criteria, tuple(label_list), tuple(missing_of), len(status_cols))


def _inline(expr: exp.Expression, resolved: dict[str, exp.Expression]) -> exp.Expression:
    if not any(col.table == "d" for col in expr.find_all(exp.Column)):
        return expr

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table == "d" and node.name in resolved:
            return resolved[node.name].copy()
        return node
    return expr.copy().transform(swap, copy=False)


def _in_d(expr: exp.Expression) -> exp.Expression:
    """Columns of `p` and `f` as the inner select `d` passes them on (facts are `f_<name>` in both)."""
    for col in expr.find_all(exp.Column):
        if col.table in ("p", "f"):
            col.set("table", exp.to_identifier("d", quoted=True))
    return expr


STATUS_BITS = 2
WORD = 62  # bits used of a BIGINT


def _packed(values: list[exp.Expression], bits: int) -> list[exp.Expression]:
    """Small non-negative integers packed into BIGINTs, ``bits`` each, the first in the lowest bits; at least
    one column (0 when there is nothing to pack)."""
    per = WORD // bits
    out: list[exp.Expression] = []
    for start in range(0, len(values), per):
        terms: list[exp.Expression] = []
        for i, v in enumerate(values[start:start + per]):
            term: exp.Expression = exp.cast(exp.paren(v), "BIGINT")
            if i:
                term = exp.Mul(this=term, expression=exp.cast(exp.Literal.number(1 << (bits * i)), "BIGINT"))
            terms.append(term)
        total = terms[0]
        for t in terms[1:]:
            total = exp.Add(this=total, expression=t)
        out.append(total)
    return out or [exp.cast(exp.Literal.number(0), "BIGINT")]


def unpack(words: tuple, count: int, bits: int) -> list[int]:
    """``_packed``'s values back, ``count`` of them."""
    per, mask = WORD // bits, (1 << bits) - 1
    return [(int(words[i // per]) >> (bits * (i % per))) & mask for i in range(count)]


def _left_join(select: exp.Select, name: str, alias: str, extra: list[exp.Expression]) -> exp.Select:
    on: exp.Expression = exp.EQ(this=exp.column("patient_id", alias, quoted=True),
                                expression=exp.column("patient_id", "p", quoted=True))
    for cond in extra:
        on = SV.AND(on, cond)
    return select.join(table(name, alias), on=on,
                       join_type="left", copy=False)


def _facts_pivot(used: dict[str, str]) -> exp.Expression:
    name = exp.column("name", "x", quoted=True)
    cols = [exp.column("patient_id", "x", quoted=True)]
    for fact, kind in sorted(used.items()):
        value = exp.column(fact_column(kind), "x", quoted=True)
        pick = exp.Case().when(exp.EQ(this=name.copy(), expression=exp.Literal.string(fact)), value).else_(exp.null())
        cols.append(exp.alias_(exp.Max(this=pick), f"f_{fact}", quoted=True))
    return (exp.select(*cols).from_(table("facts", "x"))
            .group_by(exp.column("patient_id", "x", quoted=True)))


def _coverage_pivot(collections: list[str]) -> exp.Expression:
    """Per patient, each collection's coverage row as columns (``<collection>_low``, ``_high``) with how many
    rows there are (``_n``: the tables hold at most one; more is read as not known to be complete)."""
    which = exp.column("collection", "x", quoted=True)
    cols = [exp.column("patient_id", "x", quoted=True)]
    for name in collections:
        here = exp.EQ(this=which.copy(), expression=exp.Literal.string(name))
        for end in ("low", "high"):
            pick = exp.Case().when(here.copy(), exp.column(end, "x", quoted=True)).else_(exp.null())
            cols.append(exp.alias_(exp.Max(this=pick), f"{name}_{end}", quoted=True))
        count = exp.Sum(this=exp.Case().when(here.copy(), exp.Literal.number(1)).else_(exp.Literal.number(0)))
        cols.append(exp.alias_(count, f"{name}_n", quoted=True))
    return (exp.select(*cols).from_(table("coverage", "x"))
            .group_by(exp.column("patient_id", "x", quoted=True)))

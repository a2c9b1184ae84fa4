"""What differs between the SQL engines, and the calendar rules written in SQL.

The trees are dialect-neutral sqlglot expressions; ``Dialect.sql`` renders them for DuckDB or Spark SQL
(sqlglot's generator only: no optimizer pass, so nothing rewrites the three-valued logic).  Only completed
years of age are computed in SQL (from a birth date in the data to a constant date), with
``runtime.calendar.age_in_years``'s CQL rule: someone born on 29 February turns a year older on 28 February
of a common year.
"""

from __future__ import annotations

import calendar as _cal
import datetime

import attrs
from sqlglot import exp

from . import values as SV
from .values import num


def _leap(year: exp.Expression) -> exp.Expression:
    def mod(n: int) -> exp.Expression:
        return exp.Mod(this=year.copy(), expression=num(n))

    return exp.paren(SV.OR(SV.AND(exp.EQ(this=mod(4), expression=num(0)),
                                      exp.NEQ(this=mod(100), expression=num(0))),
                             exp.EQ(this=mod(400), expression=num(0))))


def _before(month: exp.Expression, day: exp.Expression, m: exp.Expression, d: exp.Expression) -> exp.Expression:
    """(month, day) < (m, d)."""
    return exp.paren(SV.OR(exp.LT(this=month, expression=m),
                             SV.AND(exp.EQ(this=month.copy(), expression=m.copy()),
                                      exp.LT(this=day, expression=d))))


@attrs.frozen
class Dialect:
    name: str  # sqlglot's dialect name: duckdb | spark

    def sql(self, tree: exp.Expression) -> str:
        return tree.sql(dialect=self.name)

    def age_years(self, birth: exp.Expression, at: datetime.date) -> exp.Expression:
        """Completed years from ``birth`` (a DATE column) to the constant ``at`` (``calendar.between``)."""
        year, month, day = (exp.Year(this=birth.copy()), exp.Month(this=birth.copy()), exp.Day(this=birth.copy()))
        # birth <= at: the birthday in `at`'s year (29 February on the 28th in a common year) has come or not.
        if _cal.isleap(at.year):
            bday: exp.Expression = day.copy()
        else:
            bday = exp.Case().when(SV.AND(exp.EQ(this=month.copy(), expression=num(2)),
                                            exp.EQ(this=day.copy(), expression=num(29))), num(28)).else_(day.copy())
        forward = exp.Sub(this=exp.Sub(this=num(at.year), expression=year.copy()),
                          expression=exp.Case().when(_before(num(at.month), num(at.day), month.copy(), bday),
                                                     num(1)).else_(num(0)))
        # birth > at: whole years from `at` up to `birth`, negated (`at`'s 29 February clamps in birth's year).
        if at.month == 2 and at.day == 29:
            aday: exp.Expression = exp.Case().when(_leap(year.copy()), num(29)).else_(num(28))
        else:
            aday = num(at.day)
        backward = exp.Sub(this=exp.Sub(this=year.copy(), expression=num(at.year)),
                           expression=exp.Case().when(_before(month.copy(), day.copy(), num(at.month), aday),
                                                      num(1)).else_(num(0)))
        after = exp.GT(this=birth.copy(), expression=exp.cast(exp.Literal.string(at.isoformat()), "DATE"))
        return exp.Case().when(after, exp.Neg(this=exp.paren(backward))).else_(forward)


DIALECTS = {"duckdb": Dialect("duckdb"), "spark": Dialect("spark")}

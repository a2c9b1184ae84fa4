"""The worst / best value in a window (sequences, lang11b): `highest F of Q`, `lowest F of Q`.

The value is the largest (smallest) F over Q's matching events. It is exact when every matching event's F is
a number or a quantity, no event is undecided and the window is covered. Otherwise `highest` is known from
below ("at least" the largest known value: an unrecorded or unknown value can only raise it), and `lowest` is
unknown (a bound from above is not representable). Values that cannot be ordered together (mg against %, a
number against a quantity) leave it unknown, with the problem named. No matching event at all is unknown.
"""

from __future__ import annotations

from decimal import Decimal

from ...runtime import quantity as Q
from ...runtime.bounded import Bounded
from . import support as S


def extreme_value(r: S.QueryResult, highest: bool, field: str, codeset: str | None, missing: list, problems: list):
    known, incomplete = [], bool(r.undecided) or not r.covered
    for e in sorted(r.matched, key=S.order):
        v = e.fields.get(field)
        if isinstance(v, (Decimal, Q.Quantity)):  # an AnalyteQuantity too (runtime/molar.py)
            known.append((v, e))
        else:
            if v is None:
                missing.append(f"{r.collection} {e.id}: {field}")
            incomplete = True
    if not r.covered:
        S.absence(r, missing)
    if not known:
        if not r.matched:
            S.no_record(r, codeset, missing)
        return None
    try:
        best = known[0][0]
        for v, _ in known[1:]:
            if (v > best) if highest else (v < best):
                best = v
    except S.RUNTIME_TYPE_ERRORS:
        problems.append(f"the {field} values of {r.collection} {', '.join(e.id for _, e in known)} cannot be "
                        "compared with each other")
        return None
    if not incomplete:
        return best
    return Bounded(best, None) if highest else None

"""Proving at compile time that a laboratory result converts to the unit of its threshold.

A result's value is known only when evaluating (an observation's `value` has any type), but its
*analyte* is known from the code set the query names: each LOINC code of runtime/molar.py names one.
A comparison of such a value with a mass or molar concentration (`< 1.5 mg/dL`, `< 133 umol/L`) is
checked here:

- E0220: the code set names analytes with different molar masses (urea and urea nitrogen, creatinine
  and glucose): a result could be converted through the wrong one, so the comparison is refused.
- W0120: the code set has codes that name no analyte (a local code): a result of those codes in the
  other concentration kind cannot be converted and would be UNKNOWN; the warning says how to fix it.
  A code set declared `analyte none` (an M-protein in g/dL) says its results never convert: no warning,
  and a result in the other kind is still a problem named in the decision. Declaring it on a set whose
  LOINC codes name an analyte is E0221 (``no_analyte_conflicts``).

docs/units.md, "How the checker proves conversions".
"""

from __future__ import annotations

from ..diagnostics import Diagnostic
from ..runtime.molar import ANALYTES, LOINC_ANALYTES
from ..runtime.units import BASE_DIMENSIONS
from . import ir

__all__ = ["check_result_conversion", "check_results", "molar_bridge", "no_analyte_conflicts"]

_MASS, _AMOUNT = BASE_DIMENSIONS.index("mass"), BASE_DIMENSIONS.index("amount")
_LENGTH = BASE_DIMENSIONS.index("length")


def _codes(specs: dict, name: str, seen: set[str]) -> list[tuple[str, str]]:
    if name in seen or name not in specs:
        return []
    seen.add(name)
    spec = specs[name]
    out = [(system, code) for system, code, _ in spec.codes]
    for included in spec.includes:
        out.extend(_codes(specs, included, seen))
    return out


def _analytes(specs: dict, codeset: str) -> tuple[dict[str, list[str]], list[str]]:
    """The analytes the code set's codes name ({analyte: [codes]}) and the codes that name none."""
    named: dict[str, list[str]] = {}
    unnamed: list[str] = []
    for system, code in _codes(specs, codeset, set()):
        analyte = LOINC_ANALYTES.get(code.strip()) if system == "LOINC" else None
        if analyte is None:
            unnamed.append(f"{system} {code}")
        else:
            named.setdefault(analyte, []).append(code)
    return named, unnamed


def molar_bridge(a, b) -> bool:
    """Whether dimensions ``a`` and ``b`` differ by a mass for an amount of substance (mg/dL, mmol/L)."""
    if a is None or b is None:
        return False
    diff = [x - y for x, y in zip(a, b, strict=True)]
    rest = [d for i, d in enumerate(diff) if i not in (_MASS, _AMOUNT)]
    return not any(rest) and abs(diff[_MASS]) == 1 and diff[_AMOUNT] == -diff[_MASS]


def _concentration_kind(t) -> bool:
    """Whether a threshold's type is a mass or an amount per volume (a concentration): where molar masses
    matter. A mass alone (a birth weight in `g`) is not: no result converts it to moles."""
    if t.kind != "quantity" or t.dims is None:
        return False
    return (t.dims[_MASS] != 0) != (t.dims[_AMOUNT] != 0) and t.dims[_LENGTH] < 0


def check_result_conversion(checker, value: ir.Node, other: ir.Node, codeset: str | None, span) -> None:
    """Diagnose ``value`` (an observation's value from ``codeset``) compared with ``other``."""
    specs = getattr(checker, "codeset_specs", None)
    if not specs or codeset is None or not _concentration_kind(other.type):
        return
    named, unnamed = _analytes(specs, codeset)
    if getattr(specs.get(codeset), "no_analyte", False):
        return  # `analyte none`: no conversion to prove (its own codes naming one are E0221)
    masses = {ANALYTES[a].molar_mass for a in named}
    threshold = other.type.unit.symbol if other.type.unit is not None else "the threshold"
    if len(masses) > 1:
        listed = ", ".join(f"{a} {' '.join(f'`{c}`' for c in codes)}" for a, codes in sorted(named.items()))
        checker.error("E0220", f"code set `{codeset}` names analytes of different molar masses ({listed}), "
                      f"so its results cannot all be converted to `{threshold}`", span,
                      "split the code set so that each holds the codes of one analyte")
    elif unnamed:
        shown = ", ".join(f"`{c}`" for c in unnamed[:3]) + (", ..." if len(unnamed) > 3 else "")
        known = ", ".join(sorted({a for a in LOINC_ANALYTES.values() if ANALYTES[a].kind == "molar"}))
        checker.diagnostics.append(_warning(
            f"the codes {shown} of `{codeset}` name no analyte, so a result of theirs in the other "
            f"concentration kind (mass or molar) cannot be converted to `{threshold}` and would be unknown",
            span, f"add the analyte's LOINC codes to the code set (known analytes: {known}), or declare the set "
                  f"`analyte none` if its results never convert (a protein with no molar mass); see docs/units.md"))


def _warning(message: str, span, help: str) -> Diagnostic:
    return Diagnostic("W0120", message, span, help, severity="warning")


def check_results(checker, operand: ir.Node, others: tuple[ir.Node, ...], span) -> None:
    """A comparison's laboratory results against concentrations: each conversion must be provable."""
    for value, rest in ((operand, others), *((o, (operand,)) for o in others)):
        codeset = _result_codeset(checker, value)
        for other in rest if codeset is not None else ():
            check_result_conversion(checker, value, other, codeset, span)


def _result_codeset(checker, node: ir.Node) -> str | None:
    """The code set of the observations whose `value` ``node`` is, if it is one."""
    if isinstance(node, ir.DefRef) and node.name in checker.definitions:  # `define scr: latest value ...`
        node = checker.definitions[node.name].expr
    if isinstance(node, ir.Pick | ir.Change) and node.field == "value" and node.query.collection == "observations":
        return node.query.codeset
    if isinstance(node, ir.FieldRef) and node.name == "value" and checker.query_codesets:
        return checker.query_codesets[-1]
    return None


def no_analyte_conflicts(codes) -> list[str]:
    """The LOINC codes among ``codes`` ((system, code, display) triples) that name an analyte: a code set
    declared `analyte none` must have none (E0221), or its results would convert after all."""
    return [f"`{code}` ({LOINC_ANALYTES[code.strip()]})" for system, code, _ in codes
            if system == "LOINC" and code.strip() in LOINC_ANALYTES]

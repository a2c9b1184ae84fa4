"""The reference interpreter's laboratory rules: censored values, result words, the total of nothing.

Re-derived from docs/patient_model.md ("Laboratory results"), sharing no code with the evaluator's
``runtime/labs.py`` and ``runtime/censored.py``: a censored value is compared through a case table
(below-censored values go down without end, so `<50` is never certainly above anything), and the result
words are read from sets of interpretation codes.
"""

from __future__ import annotations

import re
from decimal import Decimal

from eligibility_dsl.runtime.codes import Coding
from eligibility_dsl.runtime.quantity import Quantity


def _order(a, b) -> int | None:
    """-1, 0, 1 for two numbers or two quantities of one dimension, else None."""
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, Decimal | int) and isinstance(b, Decimal | int):
        return (a > b) - (a < b)
    if isinstance(a, Quantity) and isinstance(b, Quantity) and a.unit.dims == b.unit.dims:
        return (a.base > b.base) - (a.base < b.base)
    return None


def _codings(value) -> tuple:
    return () if value is None else value if isinstance(value, tuple) else (value,)


# ------------------------------------------------ censored values, totals of nothing

class NoTotal:
    """The daily total of no record: zero, in whatever unit it meets."""

    def __repr__(self):
        return "NoTotal"


NO_TOTAL = NoTotal()
_CENSORED_TEXT = re.compile(r"\s*(<=|>=|≤|≥|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?)(?:\s*([^\s0-9.].*?))?\s*")


def censored(text: str):
    """(comparator, bound) for a text such as `<50 U/mL`, or None."""
    m = _CENSORED_TEXT.fullmatch(text)
    if m is None:
        return None
    op = {"≤": "<=", "≥": ">="}.get(m.group(1), m.group(1))
    if m.group(3) is None:
        return op, Decimal(m.group(2))
    try:
        return op, Quantity(Decimal(m.group(2)), m.group(3))
    except Exception:  # an unknown unit: not a censored value, it stays a text
        return None


def censored_compare(op, cens, t):
    """`x op t` for every x with `x cop b` (cens = (cop, b)): a case table.  Below-censored values go
    down without end, above-censored ones up without end, so only one answer can ever be certain."""
    cop, b = cens
    o = _order(b, t)  # b against t
    if o is None:
        return None
    if cop in ("<", "<="):
        # every x lies below b (or at b for <=); is x op t always true, or always false?
        below_all = o < 0 or (o == 0 and cop == "<")  # every x < t
        at_most = o <= 0  # every x <= t
        return {"<": True if below_all else None, "<=": True if at_most else None,
                ">": False if at_most else None, ">=": False if below_all else None,
                "=": False if below_all else None, "!=": True if below_all else None}[op]
    above_all = o > 0 or (o == 0 and cop == ">")  # every x > t
    at_least = o >= 0  # every x >= t
    return {">": True if above_all else None, ">=": True if at_least else None,
            "<": False if at_least else None, "<=": False if above_all else None,
            "=": False if above_all else None, "!=": True if above_all else None}[op]


# ------------------------------------------------------------ titres
# `1:160` is ordered by its dilution; `<1:40` is every titre below 1:40. Re-derived: a record's text is
# read here, the literal (`titre 1:160`) is the checker's constant, of which only the dilution is used.

_TITRE_TEXT = re.compile(r"\s*(<=|>=|≤|≥|<|>)?\s*1\s*[:/]\s*([0-9]+(?:\.[0-9]+)?)(?:\s+[A-Za-z][A-Za-z ,\-]*)?\s*")


def _titre_of(x):
    """(comparator or None, dilution) for a titre constant or text, else None."""
    if hasattr(x, "dilution") and not isinstance(x, str):
        return None, x.dilution
    if isinstance(x, str):
        m = _TITRE_TEXT.fullmatch(x)
        if m is not None and Decimal(m.group(2)) > 0:
            return {"≤": "<=", "≥": ">="}.get(m.group(1), m.group(1)), Decimal(m.group(2))
    return None


def titre_compare(op, a, b):
    """`a op b` where one side is a titre literal: unknown unless both are titres (a text that is no
    titre, a number: unknown), a censored titre by the case table."""
    x, y = _titre_of(a), _titre_of(b)
    if x is None or y is None or (x[0] is not None and y[0] is not None):
        return None
    if x[0] is not None:
        return censored_compare(op, x, y[1])
    if y[0] is not None:
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}[op]
        return censored_compare(flipped, y, x[1])
    o = (x[1] > y[1]) - (x[1] < y[1])
    return {"<": o < 0, "<=": o <= 0, ">": o > 0, ">=": o >= 0, "=": o == 0, "!=": o != 0}[op]


# ------------------------------------------------------------ laboratory results
# The rules of docs/patient_model.md ("Result words"), re-derived: each source that answers gives
# yes or no; answers must agree; none answering is unknown.

_INTERP_YES = {"positive": {"POS", "DET", "H", "HH", "HU", ">"}, "abnormal": {"A", "AA", "H", "HH", "HU", ">",
               "L", "LL", "LU", "<"}, "high": {"H", "HH", "HU", ">"}, "low": {"L", "LL", "LU", "<"}}
_INTERP_NO = {"positive": {"NEG", "ND", "N", "L", "LL", "LU", "<"}, "abnormal": {"N"},
              "high": {"N", "L", "LL", "LU", "<"}, "low": {"N", "H", "HH", "HU", ">"}}
_QUALITATIVE = {("SNOMED", "10828004"): True, ("SNOMED", "260373001"): True, ("SNOMED", "260385009"): False,
                ("SNOMED", "260415000"): False, ("LOINC", "LA6576-8"): True, ("LOINC", "LA11882-0"): True,
                ("LOINC", "LA6577-6"): False, ("LOINC", "LA11883-8"): False}
_WORDS = {"positive": ("positive", False), "negative": ("positive", True), "abnormal": ("abnormal", False),
          "normal": ("abnormal", True), "high": ("high", False), "low": ("low", False)}
_YES_TEXTS, _NO_TEXTS = {"positive", "pos", "detected", "reactive"}, {"negative", "neg", "not detected",
                                                                     "non-reactive", "nonreactive"}


def result_is(word: str, fields: dict, compare):
    """`value is WORD` on an observation's fields; ``compare`` is the interpreter's comparison."""
    question, negated = _WORDS[word]
    answers = set()
    for c in _codings(fields.get("interpretation")):
        if c.system in ("HL7:v3-ObservationInterpretation", "HL7:v2-0078"):
            if c.code in _INTERP_YES[question]:
                answers.add(True)
            elif c.code in _INTERP_NO[question]:
                answers.add(False)
    value = fields.get("value")
    qualitative = False
    if question == "positive":
        if isinstance(value, bool):
            qualitative = True
            answers.add(value)
        elif isinstance(value, Coding | tuple):
            qualitative = True
            answers.update(_QUALITATIVE[(c.system, c.code)] for c in _codings(value)
                           if (c.system, c.code) in _QUALITATIVE)
        elif isinstance(value, str) and value.strip().lower() in _YES_TEXTS | _NO_TEXTS:
            qualitative = True
            answers.add(value.strip().lower() in _YES_TEXTS)
    if not qualitative and value is not None and not isinstance(value, bool | Coding | tuple):
        if not isinstance(value, str) or censored(value) is not None:
            low, high = fields.get("reference_low"), fields.get("reference_high")
            above = None if high is None else compare(">", value, high)
            below = None if low is None else compare("<", value, low)
            if question in ("positive", "high") and high is not None and above is not None:
                answers.add(above)
            elif question == "low" and low is not None and below is not None:
                answers.add(below)
            elif question == "abnormal" and (low is not None or high is not None):
                sides = [x for x, limit in ((above, high), (below, low)) if limit is not None]
                if True in sides:
                    answers.add(True)
                elif all(x is False for x in sides):
                    answers.add(False)
    if len(answers) != 1:
        return None
    answer = answers.pop()
    return (not answer) if negated else answer

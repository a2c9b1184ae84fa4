"""Laboratory results: whether a result is positive, abnormal, high or low.

The rules are stated once, in docs/patient_model.md ("Result words"), and implemented here; the
Python backend and the trace call ``classify``, the tests' reference interpreter re-derives them.

A result has up to three *sources* that can answer a question:

- the laboratory's **interpretation** (HL7 v3 ObservationInterpretation / v2 table 0078 codes);
- a **qualitative value**: a coding (SNOMED CT *Positive* 10828004, *Negative* 260385009, *Detected*
  260373001, *Not detected* 260415000, and the LOINC answers LA6576-8, LA6577-6, LA11882-0,
  LA11883-8), a boolean (true = positive), or a text (`positive`, `negative`, `detected`, ...);
- a **quantitative value against the reference range**: a quantity, a number or a censored value
  (`<20 U/mL`) compared with ``reference_low`` / ``reference_high``.  A missing end means the range
  has no limit on that side (FHIR ``referenceRange``: an omitted low is "meaningless", e.g. `<= 2.3`).

Each source that can answer gives True or False; one that cannot is passed over.  Sources that answer
must agree: when they disagree (interpretation `N`, value above the range) the result is unknown and
the disagreement is reported as a problem.  No source answering leaves the result unknown.
"""

from __future__ import annotations

from decimal import Decimal

from .censored import Censored, parse_censored
from .codes import Coding
from .ops import compare_value
from .quantity import Quantity
from .units import UnitMismatch

__all__ = ["RESULT_WORDS", "classify"]

# The words the language accepts after `value is`, each as (question, negated): `negative` is
# `not positive`, `normal` is `not abnormal`.
RESULT_WORDS = {"positive": ("positive", False), "negative": ("positive", True),
                "abnormal": ("abnormal", False), "normal": ("abnormal", True),
                "high": ("high", False), "low": ("low", False)}

# Interpretation codes and what each says for each question (absent: it says nothing).
_T, _F = True, False
_INTERPRETATION = {
    "POS": {"positive": _T}, "DET": {"positive": _T},
    "NEG": {"positive": _F}, "ND": {"positive": _F},
    "N": {"positive": _F, "abnormal": _F, "high": _F, "low": _F},
    "A": {"abnormal": _T}, "AA": {"abnormal": _T},
    "H": {"positive": _T, "abnormal": _T, "high": _T, "low": _F},
    "HH": {"positive": _T, "abnormal": _T, "high": _T, "low": _F},
    "HU": {"positive": _T, "abnormal": _T, "high": _T, "low": _F},
    ">": {"positive": _T, "abnormal": _T, "high": _T, "low": _F},
    "L": {"positive": _F, "abnormal": _T, "high": _F, "low": _T},
    "LL": {"positive": _F, "abnormal": _T, "high": _F, "low": _T},
    "LU": {"positive": _F, "abnormal": _T, "high": _F, "low": _T},
    "<": {"positive": _F, "abnormal": _T, "high": _F, "low": _T},
}
_CODED = {
    ("SNOMED", "10828004"): True, ("SNOMED", "260373001"): True,
    ("SNOMED", "260385009"): False, ("SNOMED", "260415000"): False,
    ("LOINC", "LA6576-8"): True, ("LOINC", "LA11882-0"): True,
    ("LOINC", "LA6577-6"): False, ("LOINC", "LA11883-8"): False,
}
_TEXTS = {"positive": True, "pos": True, "detected": True, "reactive": True,
          "negative": False, "neg": False, "not detected": False, "non-reactive": False, "nonreactive": False}


def _interpretation_system(system: str) -> bool:
    return system in ("HL7:v3-ObservationInterpretation", "HL7:v2-0078")


def _codings(value) -> tuple:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def _from_interpretation(question: str, interpretation, said: list, passed: list) -> None:
    for c in _codings(interpretation):
        if not isinstance(c, Coding) or not _interpretation_system(c.system):
            passed.append(f"interpretation {c} is not an HL7 ObservationInterpretation code")
            continue
        verdict = _INTERPRETATION.get(c.code, {}).get(question)
        if verdict is None:
            passed.append(f"interpretation `{c.code}` does not say whether it is {question}")
        else:
            said.append((verdict, f"interpretation `{c.code}`"))


def _from_qualitative(value, said: list) -> bool:
    """The answer of a qualitative value (to `positive` only); whether the value was qualitative."""
    if isinstance(value, bool):
        said.append((value, f"value {'true' if value else 'false'}"))
        return True
    if isinstance(value, Coding | tuple):
        for c in _codings(value):
            verdict = _CODED.get((c.system, c.code)) if isinstance(c, Coding) else None
            if verdict is not None:
                said.append((verdict, f"coded value {c}"))
        return True
    if isinstance(value, str) and value.strip().lower() in _TEXTS:
        said.append((_TEXTS[value.strip().lower()], f"value `{value.strip()}`"))
        return True
    return False


def _against_range(question: str, value, low, high, said: list, passed: list, problems: list) -> None:
    if isinstance(value, str):
        censored = parse_censored(value)
        if censored is None:
            passed.append(f"value `{value}` is neither a quantity nor a qualitative result")
            return
        value = censored
    if not isinstance(value, Decimal | Quantity | Censored) or isinstance(value, bool):
        return

    def test(op, limit, word):
        if limit is None:
            return False, None  # no limit on that side
        try:
            v = compare_value(op, value, limit)
        except (UnitMismatch, TypeError):
            problems.append(f"cannot compare the value {value} with the reference limit {limit}")
            return None, None
        side = "above the upper" if op == ">" else "below the lower"
        if v is None:
            return None, f"whether the value {value} is {side} limit {limit} is unknown"
        return v, f"value {value} {'' if v else 'not '}{side} limit {limit}"

    if question in ("positive", "high"):
        if high is None:
            passed.append("no upper reference limit")
            return
        v, why = test(">", high, "upper")
    elif question == "low":
        if low is None:
            passed.append("no lower reference limit")
            return
        v, why = test("<", low, "lower")
    else:  # abnormal: outside the range, a missing end being no limit on that side
        if low is None and high is None:
            passed.append("no reference range")
            return
        above, why_above = test(">", high, "upper")
        below, why_below = test("<", low, "lower")
        if above is True or below is True:
            v, why = True, why_above if above is True else why_below
        elif above is False and below is False:
            v = False
            why = "value " + str(value) + " inside the reference range " + _range_text(low, high)
        else:
            v, why = None, why_above if above is None else why_below
    if v is None:
        if why:
            passed.append(why)
        return
    said.append((v, why))


def _range_text(low, high) -> str:
    return f"{low if low is not None else ''} .. {high if high is not None else ''}".strip()


def classify(word: str, value, low, high, interpretation) -> tuple[bool | None, str, list[str]]:
    """(answer, the rule used as a sentence, problems) for `value is WORD` on one observation."""
    question, negated = RESULT_WORDS[word]
    said: list[tuple[bool, str]] = []
    passed: list[str] = []
    problems: list[str] = []
    _from_interpretation(question, interpretation, said, passed)
    qualitative = question == "positive" and _from_qualitative(value, said)
    if not qualitative and value is not None:
        _against_range(question, value, low, high, said, passed, problems)
    answers = {v for v, _ in said}
    if len(answers) > 1:
        listed = "; ".join(f"{why} says {'yes' if v else 'no'}" for v, why in said)
        problems.append(f"the sources of this result disagree on whether it is {question}: {listed}")
        return None, f"unknown: its sources disagree ({listed})", problems
    if not answers:
        why = "; ".join(passed) if passed else "no interpretation, qualitative value or reference range"
        return None, f"unknown: nothing says whether it is {question} ({why})", problems
    answer = answers.pop()
    rule = "; ".join(why for _, why in said)
    result = (not answer) if negated else answer
    return result, f"{'is' if result else 'is not'} {word} by {rule}", problems

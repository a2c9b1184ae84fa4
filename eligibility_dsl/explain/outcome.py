"""Statuses and outcomes, and the rule that turns criterion statuses into an outcome.

The rule (stated once, tested in tests/test_decision.py):

- INELIGIBLE if any inclusion criterion is NOT_MET or any exclusion criterion is MET;
- ELIGIBLE if every inclusion is MET and every exclusion NOT_MET;
- otherwise INDETERMINATE, listing the missing facts that left the UNKNOWN criteria undecided.
"""

from __future__ import annotations

import enum


class Outcome(enum.Enum):
    ELIGIBLE = "ELIGIBLE"
    INELIGIBLE = "INELIGIBLE"
    INDETERMINATE = "INDETERMINATE"

    def __str__(self) -> str:
        return self.value


class Status(enum.Enum):
    MET = "MET"
    NOT_MET = "NOT_MET"
    UNKNOWN = "UNKNOWN"
    NOT_EVALUATED = "NOT_EVALUATED"  # fast mode stopped before reaching it

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def of(value: bool | None) -> Status:
        return Status.UNKNOWN if value is None else Status.MET if value else Status.NOT_MET


def decide(results: list) -> tuple[Outcome, tuple[str, ...]]:
    """The outcome and, when INDETERMINATE, the sorted missing facts that would settle it."""
    if any(r.decisive for r in results):
        return Outcome.INELIGIBLE, ()
    settled = all(
        (r.kind == "include" and r.status is Status.MET) or (r.kind == "exclude" and r.status is Status.NOT_MET)
        for r in results)
    if settled:
        return Outcome.ELIGIBLE, ()
    missing = sorted({m for r in results if r.status is Status.UNKNOWN for m in r.missing})
    return Outcome.INDETERMINATE, tuple(missing)

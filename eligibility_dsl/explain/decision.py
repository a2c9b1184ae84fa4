"""Decisions: the outcome for one patient, each criterion's status, what is missing, and the trace.

The rule (stated once, tested in tests/test_decision.py):

- INELIGIBLE if any inclusion criterion is NOT_MET or any exclusion criterion is MET;
- ELIGIBLE if every inclusion is MET and every exclusion NOT_MET;
- otherwise INDETERMINATE, listing the missing facts that left the UNKNOWN criteria undecided.
"""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import Any

import attrs

from ..runtime.quantity import Quantity
from ..trace import TraceNode


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


@attrs.frozen
class CriterionResult:
    id: str
    kind: str  # include | exclude
    text: str
    status: Status
    missing: tuple[str, ...] = ()  # facts whose absence left it UNKNOWN
    trace: TraceNode | None = attrs.field(default=None, eq=False, repr=False)
    problems: tuple[str, ...] = ()  # data that could not be compared (e.g. a dose in IU against mg)

    @property
    def decisive(self) -> bool:
        """Whether this result alone makes the patient ineligible."""
        return (self.kind == "include" and self.status is Status.NOT_MET) or (
            self.kind == "exclude" and self.status is Status.MET)

    def facts_read(self) -> dict[str, Any]:
        return self.trace.facts_read() if self.trace is not None else {}


def decide(results: list[CriterionResult]) -> tuple[Outcome, tuple[str, ...]]:
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


@attrs.frozen
class Decision:
    trial_id: str
    trial_version: str | None
    record_id: str | None
    anchors: dict[str, datetime.date]
    outcome: Outcome
    criteria: tuple[CriterionResult, ...]
    missing: tuple[str, ...]
    mode: str = "full"  # full: every criterion evaluated; fast: stopped at the first decisive one
    # The trial's source text, shared with the trial, so renderers can quote each sub-expression.
    source: str = attrs.field(default="", eq=False, repr=False)
    sources: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False)  # the trial and its libraries

    @property
    def problems(self) -> tuple[str, ...]:
        """Data that could not be compared, by criterion: worth a look by a person."""
        return tuple(f"{c.id}: {p}" for c in self.criteria for p in c.problems)

    @property
    def trace(self) -> dict[str, TraceNode | None]:
        """Each criterion's trace tree, by criterion id (None where traces were off)."""
        return {c.id: c.trace for c in self.criteria}

    def criterion(self, criterion_id: str) -> CriterionResult:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Ids of the criteria that made the patient ineligible."""
        return tuple(c.id for c in self.criteria if c.decisive)

    def explain(self, detail: str = "summary") -> str:
        """Text for a person: ``summary`` (one line per criterion) or ``full`` (every trace node)."""
        from .render import render_text
        return render_text(self, detail)

    def to_dict(self) -> dict:
        from .render import decision_to_dict
        return decision_to_dict(self)


def json_value(value: Any) -> Any:
    """A runtime value as JSON: exact decimals as strings, quantities as value and unit."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Quantity):
        return {"value": format(value.value, "f"), "unit": value.unit.symbol}
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    if hasattr(value, "system") and hasattr(value, "code"):  # a coding
        return {"system": value.system, "code": value.label, "display": value.display}
    return str(value)


def text_value(value: Any) -> str:
    """A runtime value as the language writes it."""
    if value is None:
        return "unknown"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):  # an event's codings
        return " / ".join(map(str, value))
    return str(value)

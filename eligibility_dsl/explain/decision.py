"""Decisions: the outcome for one patient, each criterion's status, what is missing, and the trace."""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from .outcome import Outcome, Status, decide
from .render import decision_to_dict, render_text
from .trace import TraceNode

__all__ = ["CriterionResult", "Decision", "Outcome", "RecordFailure", "Status", "decide"]


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
        return render_text(self, detail)

    def to_dict(self) -> dict:
        return decision_to_dict(self)


@attrs.frozen
class RecordFailure:
    """A record a batch could not decide (``evaluate_many(..., errors="return")``): a result row, so
    that one bad record never stops a run.  ``position`` is the record's 0-based place in the input;
    ``issues`` are the binder's :class:`~eligibility_dsl.records.RecordIssue` (path, message, help)."""

    record_id: str | None
    position: int
    issues: tuple
    outcome: str = "ERROR"

    def to_dict(self) -> dict:
        return {"record_id": self.record_id, "position": self.position, "outcome": self.outcome,
                "issues": [i.to_dict() for i in self.issues]}

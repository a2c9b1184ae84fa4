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
    # UNKNOWN only for want of the days after the record's as-of date: the status it has if nothing changes
    # then (explain/pending.py); None otherwise.
    provisional: Status | None = None

    @property
    def decisive(self) -> bool:
        """Whether this result alone makes the patient ineligible."""
        return (self.kind == "include" and self.status is Status.NOT_MET) or (
            self.kind == "exclude" and self.status is Status.MET)

    def facts_read(self) -> dict[str, Any]:
        return self.trace.facts_read() if self.trace is not None else {}


_STATUS_OF = {True: Status.MET, False: Status.NOT_MET, None: Status.UNKNOWN}
_NO_EXTRAS = ((), ())


class Decision:
    """One patient's decision: the outcome, each criterion's result, what is missing, the traces.

    A decision from an evaluator is built lazily (``Decision.of_run``): it holds the criteria's values and
    turns them into :class:`CriterionResult` objects only when ``criteria`` is first read, so a batch that
    reads only ``outcome`` pays for nothing else. ``trace_level`` says which traces it holds: ``off``
    (none), ``fails`` (the criteria that made the patient ineligible or left the decision open) or
    ``full``. ``mode`` is ``full`` (every criterion evaluated) or ``fast`` (stopped at the first decisive
    one; the rest are NOT_EVALUATED).
    """

    __slots__ = ("_criteria", "_lazy", "_missing", "anchors", "mode", "outcome", "pending", "record_id", "source",
                 "sources", "trace_level", "trial_id", "trial_version")

    def __init__(self, trial_id: str, trial_version: str | None, record_id: str | None,
                 anchors: dict[str, datetime.date], outcome: Outcome, criteria: tuple[CriterionResult, ...],
                 missing: tuple[str, ...], mode: str = "full", source: str = "", sources: dict | None = None,
                 trace_level: str = "full", pending=None):
        self.pending = pending  # explain/pending.Pending: what the record's as-of date leaves to confirm
        self.trial_id, self.trial_version, self.record_id = trial_id, trial_version, record_id
        self.anchors, self.outcome, self.mode = anchors, outcome, mode
        # The trial's source text, shared with the trial, so renderers can quote each sub-expression.
        self.source, self.sources, self.trace_level = source, sources or {}, trace_level
        self._criteria, self._missing, self._lazy = tuple(criteria), tuple(missing), None

    @classmethod
    def of_run(cls, trial_id: str, trial_version: str | None, record_id: str | None, anchors: dict,
               outcome: Outcome, specs: tuple, values: tuple, extras: dict | None, traces: dict | None,
               mode: str, source: str, sources: dict, trace_level: str, pending=None) -> Decision:
        """A decision from an evaluation: ``specs`` (id, kind, text) per criterion, ``values`` the
        criteria evaluated (True / False / None; fewer than ``specs`` when a fast evaluation stopped),
        ``extras`` {index: (missing, problems)}, ``traces`` {index: TraceNode}."""
        self = cls.__new__(cls)
        self.pending = pending
        self.trial_id, self.trial_version, self.record_id = trial_id, trial_version, record_id
        self.anchors, self.outcome, self.mode = anchors, outcome, mode
        self.source, self.sources, self.trace_level = source, sources, trace_level
        self._criteria = self._missing = None
        self._lazy = (specs, values, extras, traces)
        return self

    @property
    def criteria(self) -> tuple[CriterionResult, ...]:
        if self._criteria is None:
            specs, values, extras, traces = self._lazy
            out = []
            for i, (cid, kind, text) in enumerate(specs):
                if i >= len(values):
                    out.append(CriterionResult(cid, kind, text, Status.NOT_EVALUATED))
                    continue
                status = _STATUS_OF[values[i]]
                missing, problems = extras.get(i, _NO_EXTRAS) if extras else _NO_EXTRAS
                out.append(CriterionResult(
                    cid, kind, text, status,
                    tuple(sorted(set(missing))) if status is Status.UNKNOWN and missing else (),
                    traces.get(i) if traces else None,
                    tuple(sorted(set(problems))) if problems else (),
                    self.pending.status_of(cid) if self.pending is not None else None))
            self._criteria = tuple(out)
        return self._criteria

    @property
    def missing(self) -> tuple[str, ...]:
        """The missing data that would settle an INDETERMINATE decision (sorted; empty otherwise)."""
        if self._missing is None:
            self._missing = decide([c for c in self.criteria if c.status is not Status.NOT_EVALUATED])[1]
        return self._missing

    def _key(self) -> tuple:
        return (self.trial_id, self.trial_version, self.record_id, self.anchors, self.outcome, self.criteria,
                self.missing, self.mode, self.pending)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.trial_id, self.record_id, self.outcome, self.criteria))

    def __repr__(self) -> str:
        return (f"Decision({self.trial_id!r}, record {self.record_id!r}, {self.outcome}, "
                f"{len(self.criteria)} criteria, mode {self.mode!r}, traces {self.trace_level!r})")

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
    def provisional(self) -> Outcome | None:
        """The outcome if nothing changes after the record's as-of date (the decision itself stays
        INDETERMINATE): ``ELIGIBLE`` reads "eligible pending confirmation". None: nothing pending."""
        return self.pending.provisional if self.pending is not None else None

    @property
    def to_confirm(self) -> tuple[str, ...]:
        """What to confirm for the provisional outcome to hold, one text per item (empty: nothing)."""
        return self.pending.items if self.pending is not None and self.pending.provisional else ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Ids of the criteria that made the patient ineligible."""
        return tuple(c.id for c in self.criteria if c.decisive)

    def explain(self, detail: str = "summary") -> str:
        """Text for a person: ``summary`` (one line per criterion) or ``full`` (every trace node)."""
        return render_text(self, detail)

    def _repr_html_(self) -> str:  # notebooks show the HTML report (explain/html)
        return __import__("eligibility_dsl.explain.html", fromlist=["decision_html"]).decision_html(self)

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

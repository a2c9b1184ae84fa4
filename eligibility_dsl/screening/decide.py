"""Deciding records with the compiled Python trial, one result row each, whatever happens: the Python engine's
workers use it, and the SQL engines hand it the records their tables cannot hold exactly (``sql_engines.py``)."""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from ..api import Trial
from ..explain import Outcome, RecordFailure, Status
from .inputs import DECODERS, ReadProblem, Unit
from .rows import ERROR, Row


class Evaluator:
    """Decodes units and decides their records with one compiled trial (one per worker process)."""

    def __init__(self, trial: Trial, anchors: dict[str, datetime.date]):
        self.trial = trial
        self.anchors = anchors
        self.n = len(trial.criteria)

    def __call__(self, units: list[Unit]) -> list[Row]:
        placed: list[tuple[str, int, Any]] = []  # (source, position, record or ReadProblem)
        for unit in units:
            items = DECODERS[unit.decoder](unit.payload)
            placed += [(unit.source, unit.position + i, item) for i, item in enumerate(items)]
        records = [item for _, _, item in placed if not isinstance(item, ReadProblem)]
        results = iter(self._decide(records))
        rows = []
        for source, position, item in placed:
            if isinstance(item, ReadProblem):
                rows.append(Row(source, position, None, ERROR, (None,) * self.n, errors=(item.message,)))
            else:
                rows.append(_row(source, position, next(results), self.n))
        return rows

    def row(self, source: str, position: int, record: Any) -> Row:
        """One record's row (``record``: as read, before binding)."""
        return _row(source, position, self._decide_one(record), self.n)

    def _decide(self, records: list[Any]) -> list[Any]:
        try:
            return list(self.trial.evaluate_many(records, self.anchors, errors="return"))
        except Exception:  # a bug met by one record must cost that record only: find it, one at a time
            return [self._decide_one(record) for record in records]

    def _decide_one(self, record: Any) -> Any:
        try:
            return next(iter(self.trial.evaluate_many([record], self.anchors, errors="return")))
        except Exception as err:
            record_id = record.get("id") if isinstance(record, dict) else None
            return _InternalError(record_id if isinstance(record_id, str) else None,
                                  f"internal error (please report it): {type(err).__name__}: {err}")


class _InternalError(NamedTuple):
    record_id: str | None
    message: str


_NAMES = {status: status.value for status in Status}  # Enum.value is a descriptor call; a dict is cheaper


def _row(source: str, position: int, result: Any, n: int) -> Row:
    if isinstance(result, RecordFailure):
        return Row(source, position, result.record_id, ERROR, (None,) * n, errors=tuple(map(str, result.issues)))
    if isinstance(result, _InternalError):
        return Row(source, position, result.record_id, ERROR, (None,) * n, errors=(result.message,))
    criteria = result.criteria
    outcome = result.outcome
    # By the outcome rule, only an INELIGIBLE decision has reasons and only an INDETERMINATE one misses data:
    # asking the others would only cost time.
    reasons = tuple(c.id for c in criteria if c.decisive) if outcome is Outcome.INELIGIBLE else ()
    missing = result.missing if outcome is Outcome.INDETERMINATE else ()
    problems = tuple(f"{c.id}: {p}" for c in criteria if c.problems for p in c.problems)
    provisional = result.provisional  # a record taken before the last anchor (explain/pending.py)
    return Row(source, position, result.record_id, outcome.value, tuple(_NAMES[c.status] for c in criteria),
               reasons, missing, problems, (), None if provisional is None else provisional.value,
               result.to_confirm)

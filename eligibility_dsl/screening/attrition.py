"""The attrition (CONSORT) table: how a population thins out criterion by criterion, in protocol order.

For each criterion, over the records that could be evaluated (ERROR rows are counted apart):

    met, not_met, unknown   its statuses
    excluded                records it removes from the funnel: the first criterion, in protocol order, that
                            makes them ineligible (an inclusion NOT_MET or an exclusion MET)
    remaining               records left after it (not excluded by it or any criterion before it)
    excluded_alone          records that this criterion alone makes ineligible (no other criterion does):
                            how many more would remain without it (OHDSI's "gain")
    review                  records left after it whose status on it is UNKNOWN: they remain only because
                            it could not be decided, so a person must look
    pending                 of those, the records taken before the last anchor whose status on it is
                            decided if nothing changes until then (the row has a provisional outcome)

The funnel's last `remaining` is ELIGIBLE + INDETERMINATE.  Counts are cumulative and mergeable, so a run
committed in chunks keeps them in its manifest and a resumed run carries on from there.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .rows import ERROR, Row

OUTCOMES = ("ELIGIBLE", "INDETERMINATE", "INELIGIBLE", ERROR)
_COUNTS = ("met", "not_met", "unknown", "excluded", "excluded_alone", "review", "pending")


class Attrition:
    """Attrition counts for one trial's criteria (``criteria``: (id, kind, text) in protocol order)."""

    def __init__(self, criteria: Iterable[tuple[str, str, str]]):
        self.criteria = [tuple(c) for c in criteria]
        n = len(self.criteria)
        self.records = 0
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.counts = {name: [0] * n for name in _COUNTS}
        # INDETERMINATE records by their provisional outcome (taken before the last anchor: explain/pending.py)
        self.provisional: dict[str, int] = {}
        # the status that makes each criterion decisive: NOT_MET for an inclusion, MET for an exclusion
        self._decisive = ["NOT_MET" if kind == "include" else "MET" for _, kind, _ in self.criteria]

    @classmethod
    def for_trial(cls, trial) -> Attrition:
        return cls((c.id, c.kind, c.text) for c in trial.criteria)

    def add(self, rows: Iterable[Row]) -> None:
        # Rows repeat a few status patterns: count the patterns, then add each pattern once, times its count.
        patterns = Counter((row.outcome, row.statuses, getattr(row, "provisional", None)) for row in rows)
        met, not_met, unknown = self.counts["met"], self.counts["not_met"], self.counts["unknown"]
        excluded, alone, review = self.counts["excluded"], self.counts["excluded_alone"], self.counts["review"]
        pending = self.counts["pending"]
        decisive_status = self._decisive
        for (outcome, statuses, provisional), n in patterns.items():
            self.records += n
            self.outcomes[outcome] += n
            if outcome == ERROR:
                continue
            if provisional is not None:
                self.provisional[provisional] = self.provisional.get(provisional, 0) + n
            first, decisive = None, 0
            for k, status in enumerate(statuses):
                if status == "MET":
                    met[k] += n
                elif status == "NOT_MET":
                    not_met[k] += n
                elif status == "UNKNOWN":
                    unknown[k] += n
                if status == decisive_status[k]:
                    decisive += 1
                    if first is None:
                        first = k
                        excluded[k] += n
                elif first is None and status == "UNKNOWN":
                    review[k] += n
                    if provisional is not None:
                        pending[k] += n
            if decisive == 1:
                alone[first] += n  # type: ignore[index]

    # --------------------------------------------------------- state (kept in a run's manifest)
    def state(self) -> dict[str, Any]:
        return {"records": self.records, "outcomes": dict(self.outcomes), "counts": {k: list(v) for k, v in
                                                                                      self.counts.items()},
                "provisional": dict(self.provisional)}

    def restore(self, state: dict[str, Any]) -> None:
        self.records = state["records"]
        self.outcomes = {k: state["outcomes"].get(k, 0) for k in OUTCOMES}
        n = len(self.criteria)
        self.counts = {k: list(state["counts"].get(k, [0] * n)) for k in _COUNTS}
        self.provisional = dict(state.get("provisional", {}))

    # --------------------------------------------------------- the table
    @property
    def evaluated(self) -> int:
        return self.records - self.outcomes[ERROR]

    def steps(self) -> list[dict[str, Any]]:
        remaining = self.evaluated
        out = []
        for k, (cid, kind, text) in enumerate(self.criteria):
            remaining -= self.counts["excluded"][k]
            out.append({"id": cid, "kind": kind, "text": text,
                        **{name: self.counts[name][k] for name in ("met", "not_met", "unknown", "excluded")},
                        "remaining": remaining,
                        "excluded_alone": self.counts["excluded_alone"][k], "review": self.counts["review"][k],
                        "pending": self.counts["pending"][k]})
        return out

    def to_dict(self, trial_id: str | None = None, trial_version: str | None = None,
                anchors: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"trial": {"id": trial_id, "version": trial_version},
                "anchors": {k: str(v) for k, v in (anchors or {}).items()},
                "records": self.records, "errors": self.outcomes[ERROR], "evaluated": self.evaluated,
                "criteria": self.steps(), "outcomes": dict(self.outcomes),
                "provisional": dict(sorted(self.provisional.items()))}

    def to_json(self, **meta: Any) -> str:
        return json.dumps(self.to_dict(**meta), indent=2, ensure_ascii=False) + "\n"

    def to_text(self, trial_id: str | None = None, trial_version: str | None = None,
                anchors: dict[str, Any] | None = None) -> str:
        head = " · ".join([f"{trial_id or 'trial'}" + (f" v{trial_version}" if trial_version else ""),
                           *(f"{k} {v}" for k, v in (anchors or {}).items())])
        lines = [head, f"records {self.records:,} · errors {self.outcomes[ERROR]:,} (not evaluated) · "
                       f"evaluated {self.evaluated:,}", ""]
        header = ["criterion", "kind", "met", "not met", "unknown", "excluded", "remaining", "alone (gain)",
                  "review", "pending"]
        table = [header] + [[s["id"], s["kind"], *(f"{s[k]:,}" for k in ("met", "not_met", "unknown", "excluded",
                                                                          "remaining", "excluded_alone",
                                                                          "review", "pending"))]
                            for s in self.steps()]
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        for r in table:
            cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])] + [c.rjust(w) for c, w in
                                                                      zip(r[2:], widths[2:], strict=True)]
            lines.append("  ".join(cells).rstrip())
        lines += ["", "outcomes: " + " · ".join(f"{k} {v:,}" for k, v in self.outcomes.items())]
        if self.provisional:
            lines.append("of the INDETERMINATE: " + " · ".join(f"{v:,} {k} pending confirmation"
                                                               for k, v in sorted(self.provisional.items())))
        lines += ["",
                  "excluded: the first criterion (protocol order) that makes a record ineligible; "
                  "alone: no other criterion does; review: left in only because this criterion is UNKNOWN; "
                  "pending: of those, decided if nothing changes after the record's as-of date"]
        return "\n".join(lines) + "\n"

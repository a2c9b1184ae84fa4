"""Coverage of a FHIR export: over which days its record of each collection is complete.

Why the caller must say: a FHIR export states what it holds, never what it leaves out (another
hospital, a pharmacy outside the system, an export limited by date or department).  So coverage is
never assumed: the caller names a policy, the record carries it (``coverage_policy``), and the
decision can say on what grounds the absence of an event counted as "no".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

import attrs

from ...runtime.calendar import parse_date
from ..model import COLLECTIONS

__all__ = ["CoveragePolicy"]


def _day(value: datetime.date | str | None, what: str) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return parse_date(value)
    except ValueError:
        raise ValueError(f"{what}: `{value}` is not a valid date (expected YYYY-MM-DD)") from None


@attrs.frozen
class CoveragePolicy:
    """How to state a converted record's coverage.

    - ``CoveragePolicy.none()`` (the default): no coverage; the absence of an event is unknown.
    - ``CoveragePolicy.period(from_, to, collections=None)``: complete from ``from_`` (None: since
      birth) to ``to`` for the named collections (None: all).  ``CoveragePolicy.per_collection({...})``
      gives each collection its own period.
    - ``CoveragePolicy.first_encounter(to)``: complete from the patient's first encounter in the
      export to ``to`` (the export date; None: the bundle's ``timestamp``), for the named collections.
    """

    kind: str
    periods: tuple[tuple[str, datetime.date | None, datetime.date | None], ...] = ()
    collections: tuple[str, ...] = ()

    @classmethod
    def none(cls) -> CoveragePolicy:
        return cls("none")

    @classmethod
    def period(cls, from_: datetime.date | str | None, to: datetime.date | str,
               collections: Iterable[str] | None = None) -> CoveragePolicy:
        names = _collections(collections)
        low, high = _day(from_, "--complete-from"), _day(to, "--complete-to")
        if high is None:
            raise ValueError("a coverage period needs its last day (`--complete-to`)")
        if low is not None and low > high:
            raise ValueError(f"the coverage period starts ({low}) after it ends ({high})")
        return cls("period", tuple((n, low, high) for n in names))

    @classmethod
    def per_collection(cls, periods: Mapping[str, tuple[datetime.date | str | None, datetime.date | str]]
                       ) -> CoveragePolicy:
        out = []
        for name, (low, high) in periods.items():
            out.extend(cls.period(low, high, [name]).periods)
        return cls("period", tuple(out))

    @classmethod
    def first_encounter(cls, to: datetime.date | str | None = None,
                        collections: Iterable[str] | None = None) -> CoveragePolicy:
        return cls("first-encounter", (("*", None, _day(to, "the export date")),), _collections(collections))

    def apply(self, first_encounter: datetime.date | None, export_date: datetime.date | None
              ) -> tuple[dict[str, dict], str | None, str | None]:
        """(coverage for the record, the policy's text, a problem) for one patient."""
        if self.kind == "none":
            return {}, "none: no coverage stated, so the absence of an event is unknown", None
        if self.kind == "period":
            coverage = {name: {"from": None if low is None else low.isoformat(), "to": high.isoformat()}
                        for name, low, high in self.periods}
            spans = sorted({(low, high) for _, low, high in self.periods}, key=str)
            text = "; ".join(f"complete {'since birth' if low is None else f'from {low}'} to {high}"
                             for low, high in spans)
            which = ("all collections" if {n for n, _, _ in self.periods} == set(COLLECTIONS)
                     else ", ".join(sorted({n for n, _, _ in self.periods})))
            return coverage, f"stated by the caller: {text} ({which})", None
        to = self.periods[0][2] or export_date
        if first_encounter is None or to is None:
            missing = "no encounter" if first_encounter is None else "no export date (bundle `timestamp`)"
            return ({}, "from the first encounter to the export date: not applicable, so no coverage",
                    f"the coverage policy `first encounter to export date` needs {missing}; no coverage is stated")
        if first_encounter > to:
            return ({}, "from the first encounter to the export date: not applicable, so no coverage",
                    f"the first encounter ({first_encounter}) is after the export date ({to}); no coverage is stated")
        names = self.collections
        coverage = {name: {"from": first_encounter.isoformat(), "to": to.isoformat()} for name in names}
        which = "all collections" if set(names) == set(COLLECTIONS) else ", ".join(names)
        return coverage, (f"from the first encounter ({first_encounter}) to the export date ({to}), "
                          f"stated by the caller ({which})"), None


def _collections(names: Iterable[str] | None) -> tuple[str, ...]:
    if names is None:
        # Trial participations are never in an EHR export: claiming them complete would be a guess.
        return tuple(n for n in COLLECTIONS if n not in ("trial_participations", "assessments"))
    out = tuple(names)
    for name in out:
        if name not in COLLECTIONS:
            raise ValueError(f"unknown collection `{name}` (known: {', '.join(COLLECTIONS)})")
    return out

"""Code systems, codings and code sets: what "is a TNF inhibitor" means on a record.

Why normalise: the same code reaches us spelled several ways -- ``M34.0`` and
``M340`` in ICD-10, ``l04ab02`` typed by hand, ``http://snomed.info/sct`` from
FHIR but ``SNOMED CT`` from a criterion author.  Each coding is normalised once,
when it is made, so that matching is a plain set lookup on the hot path.

Why class prefixes only in ATC and ICD-10: in those two systems a code's prefix
*is* its place in the hierarchy (``L04AB`` is "TNF-alpha inhibitors", ``L04AB02``
infliximab; ``M34`` is systemic sclerosis, ``M34.0`` one form of it), so
``L04AB*`` means "every code in this class".  A SNOMED, LOINC or RxNorm code is
an opaque identifier: a shared prefix means nothing, so a ``*`` there is refused
rather than silently matching unrelated concepts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "PREFIX_SYSTEMS",
    "SYSTEMS",
    "CodeSet",
    "Coding",
    "normalize_code",
    "normalize_system",
]

SYSTEMS: dict[str, str] = {
    "ATC": "http://www.whocc.no/atc",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "SNOMED": "http://snomed.info/sct",
    "ICD10": "http://hl7.org/fhir/sid/icd-10",
    "LOINC": "http://loinc.org",
    "CVX": "http://hl7.org/fhir/sid/cvx",
    # Codes a site or sponsor invents (e.g. an internal study-drug number); no public URI exists.
    "LOCAL": "urn:eligibility-dsl:local",
}

PREFIX_SYSTEMS = frozenset({"ATC", "ICD10"})

# Short names are looked up after lower-casing and dropping spaces, hyphens and
# underscores, so `ICD-10`, `icd10`, `SNOMED-CT` and `snomed ct` all land here.
# ICD-10-CM (the US clinical modification) only adds codes *below* ICD-10's own,
# keeping its hierarchy, so its codes are matched as ICD-10: `M34*` covers both.
_ALIASES: dict[str, str] = {
    "atc": "ATC",
    "rxnorm": "RxNorm",
    "snomed": "SNOMED",
    "snomedct": "SNOMED",
    "sct": "SNOMED",
    "icd10": "ICD10",
    "icd10cm": "ICD10",
    "loinc": "LOINC",
    "cvx": "CVX",
    "local": "LOCAL",
}
_URIS: dict[str, str] = {uri.lower(): name for name, uri in SYSTEMS.items()}
_URIS["http://hl7.org/fhir/sid/icd-10-cm"] = "ICD10"
_SPELLINGS = sorted(set(SYSTEMS) | {"ICD-10", "ICD-10-CM", "SNOMED CT", "SNOMED-CT"} | set(SYSTEMS.values()))


def _squash(text: str) -> str:
    return text.strip().lower().replace(" ", "").replace("-", "").replace("_", "")


def normalize_system(text: str) -> str | None:
    """The canonical short name (a key of SYSTEMS) for a short name or URI, or None if unknown.

    Short names are matched case-insensitively, ignoring spaces, hyphens and
    underscores; URIs are matched exactly apart from case and a trailing ``/``.
    """
    if text in SYSTEMS:  # the common case: already canonical
        return text
    stripped = text.strip()
    if ":" in stripped:
        return _URIS.get(stripped.rstrip("/").lower())
    return _ALIASES.get(_squash(stripped))


def _system_or_raise(system: str) -> str:
    if not isinstance(system, str):
        raise TypeError(f"a code system must be a str, not {type(system).__name__}")
    name = normalize_system(system)
    if name is not None:
        return name
    close = difflib.get_close_matches(system.strip(), _SPELLINGS, n=1, cutoff=0.6)
    if not close:  # case differences defeat difflib; compare squashed spellings too
        squashed = {_squash(s): s for s in _SPELLINGS}
        close = [squashed[m] for m in difflib.get_close_matches(_squash(system), squashed, n=1, cutoff=0.6)]
    hint = f"did you mean `{close[0]}`?" if close else "known systems: " + ", ".join(sorted(SYSTEMS))
    raise ValueError(f"unknown code system `{system}` ({hint})")


def _normalize(system: str, code: str) -> str:
    """``normalize_code`` for a system already known to be canonical."""
    code = code.strip()
    if system == "ICD10":
        return code.upper().replace(".", "")
    if system == "ATC":
        return code.upper()
    return code


def normalize_code(system: str, code: str) -> str:
    """``code`` as matched: whitespace stripped; ATC and ICD-10 upper-cased; ICD-10 without its dot.

    Dropping the dot makes ``M34.0`` and ``M340`` the same code: both spellings
    are common in exported data.  Codes of other systems are case-sensitive
    identifiers and are left as they are.  ``system`` may be any spelling that
    ``normalize_system`` accepts; an unknown system is a ValueError.
    """
    return _normalize(_system_or_raise(system), code)


def _label(system: str, code: str) -> str:
    """The code as shown: normalised, but an ICD-10 code keeps the dot it was written with."""
    code = code.strip()
    return code.upper() if system in PREFIX_SYSTEMS else code


class Coding:
    """One code in one system, e.g. ``ATC L04AB02 (infliximab)``.  Treat as immutable.

    ``system`` is the canonical short name and ``code`` the normalised code;
    equality and hashing use only these two, so ``ICD10 M34.0`` equals
    ``ICD10 M340`` and the display text never affects a match.  ``label`` is
    the code as written (stripped, upper-cased in ATC and ICD-10, an ICD-10 dot
    kept) so that traces show ``ICD10 M34.0`` the way the record had it.

    A plain class with ``__slots__`` because records carry many of these.
    """

    __slots__ = ("code", "display", "label", "system")

    def __init__(self, system: str, code: str, display: str | None = None) -> None:
        if not isinstance(code, str):
            raise TypeError(f"a code must be a str, not {type(code).__name__}")
        self.system = system if system in SYSTEMS else _system_or_raise(system)
        self.code = _normalize(self.system, code)
        if not self.code:
            raise ValueError(f"empty code in system `{self.system}`")
        self.label = _label(self.system, code)
        self.display = display

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Coding):
            return NotImplemented
        return self.code == other.code and self.system == other.system

    def __hash__(self) -> int:
        return hash((self.system, self.code))

    def __str__(self) -> str:
        text = f"{self.system} {self.label}"
        return f"{text} ({self.display})" if self.display else text

    def __repr__(self) -> str:
        if self.display is None:
            return f"Coding({self.system!r}, {self.label!r})"
        return f"Coding({self.system!r}, {self.label!r}, {self.display!r})"


def _parse_entry(system: str, code: str) -> tuple[str, str, bool]:
    """(canonical system, normalised code or prefix, is_prefix) for one code-set entry."""
    system = _system_or_raise(system)
    text = code.strip()
    is_prefix = text.endswith("*")
    body = _normalize(system, text[:-1] if is_prefix else text)
    if is_prefix and system not in PREFIX_SYSTEMS:
        raise ValueError(f"a class prefix (`*`) is only meaningful in ATC and ICD10, not in `{system}`")
    if "*" in body:
        raise ValueError(f"`*` may only end a code, as in `L04AB*`, not appear inside `{text}`")
    if not body:
        if is_prefix:
            raise ValueError(f"a class prefix needs at least one character before `*` (in `{system}`)")
        raise ValueError(f"empty code in system `{system}`")
    return system, body, is_prefix


class CodeSet:
    """A named set of codes and class prefixes, e.g. ``b_cell_therapies``.

    Each entry is ``(system, code)`` or ``(system, code, display)``; a code
    ending in ``*`` is a class prefix (ATC and ICD-10 only).  Entries are
    normalised like codings and de-duplicated.  ``entries`` keeps them in order,
    prefixes written with their ``*``, for listings; ``displays`` maps an entry
    to the display text it was given.

    Lookup is per system: a frozenset of exact codes, then one
    ``str.startswith`` over a tuple of that system's prefixes, so membership
    costs the same however large the set is.
    """

    __slots__ = ("_exact", "_prefixes", "description", "displays", "entries", "name")

    def __init__(
        self,
        name: str,
        entries: Iterable[tuple[str, str] | tuple[str, str, str | None]],
        description: str | None = None,
    ) -> None:
        self.name = name
        self.description = description
        exact: dict[str, set[str]] = {}
        prefixes: dict[str, list[str]] = {}
        ordered: dict[tuple[str, str], None] = {}
        displays: dict[tuple[str, str], str] = {}
        for entry in entries:
            if len(entry) not in (2, 3):
                raise ValueError(
                    f"a code-set entry is (system, code) or (system, code, display), not {entry!r}"
                )
            system, body, is_prefix = _parse_entry(entry[0], entry[1])
            key = (system, body + "*" if is_prefix else body)
            if key not in ordered:
                ordered[key] = None
                if is_prefix:
                    prefixes.setdefault(system, []).append(body)
                else:
                    exact.setdefault(system, set()).add(body)
            if len(entry) == 3 and entry[2] is not None:
                displays.setdefault(key, entry[2])
        self.entries: tuple[tuple[str, str], ...] = tuple(ordered)
        self.displays = displays
        self._exact = {system: frozenset(codes) for system, codes in exact.items()}
        self._prefixes = {system: tuple(codes) for system, codes in prefixes.items()}

    @classmethod
    def union(cls, name: str, sets: Iterable[CodeSet], description: str | None = None) -> CodeSet:
        """A code set holding every entry of ``sets`` (a code set defined from other code sets)."""
        entries: list[tuple[str, str, str | None]] = []
        for s in sets:
            entries.extend((system, code, s.displays.get((system, code))) for system, code in s.entries)
        return cls(name, entries, description)

    def contains(self, coding: Coding) -> bool:
        """Whether ``coding`` is one of the exact codes or lies under one of the class prefixes."""
        system, code = coding.system, coding.code
        codes = self._exact.get(system)
        if codes is not None and code in codes:
            return True
        prefixes = self._prefixes.get(system)
        return prefixes is not None and code.startswith(prefixes)

    __contains__ = contains

    def matcher(self):
        """A function ``codings -> Coding | None`` equal to :meth:`match`, for hot loops: the per-system
        tables are bound once, and a set without class prefixes needs no prefix test."""
        exact = {(system, code) for system, codes in self._exact.items() for code in codes}
        prefixes = self._prefixes
        if not prefixes:
            def match(codings):
                for coding in codings:
                    if (coding.system, coding.code) in exact:
                        return coding
                return None
            return match

        def match_with_prefixes(codings):
            for coding in codings:
                if (coding.system, coding.code) in exact:
                    return coding
                found = prefixes.get(coding.system)
                if found is not None and coding.code.startswith(found):
                    return coding
            return None
        return match_with_prefixes

    def match(self, codings: Iterable[Coding]) -> Coding | None:
        """The first of ``codings`` in the set, or None: an event may carry several codings
        (an RxNorm and an ATC code for the same drug), and one in the set is enough."""
        for coding in codings:
            if self.contains(coding):
                return coding
        return None

    @property
    def prefix_count(self) -> int:
        return sum(len(p) for p in self._prefixes.values())

    def __len__(self) -> int:
        """The number of distinct entries: exact codes plus class prefixes."""
        return len(self.entries)

    def describe(self) -> str:
        """``b_cell_therapies (3 codes, 1 class prefix)``: codes and prefixes counted apart."""
        prefixes = self.prefix_count
        codes = len(self.entries) - prefixes
        parts = [f"{codes} code{'' if codes == 1 else 's'}"]
        if prefixes:
            parts.append(f"{prefixes} class prefix{'' if prefixes == 1 else 'es'}")
        return f"{self.name} ({', '.join(parts)})"

    def __repr__(self) -> str:
        shown = ", ".join(f"{system} {code}" for system, code in self.entries[:5])
        more = f", ... {len(self.entries) - 5} more" if len(self.entries) > 5 else ""
        return f"<CodeSet {self.name}: {shown}{more}>"

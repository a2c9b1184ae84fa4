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
import re
import unicodedata
from collections.abc import Iterable

from .code_formats import TRIMMED, code_problem, invisible_problem, label_code, normalize_for, shown

__all__ = [
    "BROADER",
    "PREFIX_SYSTEMS",
    "SYSTEMS",
    "CodeSet",
    "Coding",
    "is_system",
    "normalize_code",
    "normalize_system",
]

SYSTEMS: dict[str, str] = {
    "ATC": "http://www.whocc.no/atc",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "SNOMED": "http://snomed.info/sct",
    "ICD10": "http://hl7.org/fhir/sid/icd-10",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
    # ICD-9-CM diagnoses (volumes 1-2) and procedures (volume 3) share one FHIR URI.
    "ICD9CM": "http://hl7.org/fhir/sid/icd-9-cm",
    "CPT": "http://www.ama-assn.org/go/cpt",
    "LOINC": "http://loinc.org",
    "CVX": "http://hl7.org/fhir/sid/cvx",
    "NDC": "http://hl7.org/fhir/sid/ndc",
    "UCUM": "http://unitsofmeasure.org",
    # HGNC gene ids (`HGNC:1100` is BRCA1), the system FHIR Genomics Reporting uses for "Gene studied [ID]".
    "HGNC": "http://www.genenames.org/geneId",
    # Codes a site or sponsor invents (e.g. an internal study-drug number); no public URI exists.
    "LOCAL": "urn:eligibility-dsl:local",
}

# Systems whose code prefixes are places in a hierarchy (see the module docstring).
PREFIX_SYSTEMS = frozenset({"ATC", "ICD10", "ICD10CM", "ICD10PCS", "ICD9CM"})

# ICD-10-CM (the US clinical modification) only adds codes *below* WHO ICD-10's own and keeps its
# hierarchy, so a code-set entry in ICD10 also covers ICD-10-CM codings (`ICD10 "M34*"` matches
# ICD10CM M34.81); an ICD10CM entry covers ICD10CM codings only, because a CM-only code (R45.851)
# says nothing about a WHO record.  CodeSet.contains follows this map.
BROADER: dict[str, str] = {"ICD10CM": "ICD10"}

# HL7's own code systems (v2 tables, v3 code systems, FHIR-defined systems such as
# condition-clinical) are named `HL7:<id>`, where `<id>` is the last part of their
# terminology.hl7.org URI: `HL7:v3-ObservationInterpretation`, `HL7:v2-0203`.
HL7_PREFIX = "HL7:"
HL7_URI = "http://terminology.hl7.org/CodeSystem/"
_HL7_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")
# The FHIR R3 spellings of the same systems: `http://hl7.org/fhir/v3/ActCode` is v3-ActCode.
_HL7_OLD = re.compile(r"http://hl7\.org/fhir/(v2|v3)/([A-Za-z0-9.\-]+)", re.IGNORECASE)

# Short names are looked up after lower-casing and dropping spaces, hyphens and
# underscores, so `ICD-10`, `icd10`, `SNOMED-CT` and `snomed ct` all land here.
_ALIASES: dict[str, str] = {
    "atc": "ATC",
    "rxnorm": "RxNorm",
    "snomed": "SNOMED",
    "snomedct": "SNOMED",
    "sct": "SNOMED",
    "icd10": "ICD10",
    "icd10cm": "ICD10CM",
    "icd10pcs": "ICD10PCS",
    "icd9cm": "ICD9CM",
    "cpt": "CPT",
    "cpt4": "CPT",
    "loinc": "LOINC",
    "cvx": "CVX",
    "ndc": "NDC",
    "ucum": "UCUM",
    "hgnc": "HGNC",
    "local": "LOCAL",
}
_URIS: dict[str, str] = {uri.lower(): name for name, uri in SYSTEMS.items()}
# HL7 object identifiers (urn:oid:) of the same systems, as CDA, HL7 v2 and older FHIR servers send them.
_URIS.update({
    "urn:oid:2.16.840.1.113883.6.96": "SNOMED",
    "urn:oid:2.16.840.1.113883.6.1": "LOINC",
    "urn:oid:2.16.840.1.113883.6.88": "RxNorm",
    "urn:oid:2.16.840.1.113883.6.3": "ICD10",
    "urn:oid:2.16.840.1.113883.6.90": "ICD10CM",
    "urn:oid:2.16.840.1.113883.6.4": "ICD10PCS",
    "urn:oid:2.16.840.1.113883.6.103": "ICD9CM",  # ICD-9-CM diagnoses
    "urn:oid:2.16.840.1.113883.6.104": "ICD9CM",  # ICD-9-CM procedures (volume 3)
    "urn:oid:2.16.840.1.113883.6.2": "ICD9CM",
    "urn:oid:2.16.840.1.113883.6.12": "CPT",
    "urn:oid:2.16.840.1.113883.12.292": "CVX",
    "urn:oid:2.16.840.1.113883.6.69": "NDC",
    "urn:oid:2.16.840.1.113883.6.73": "ATC",
    "urn:oid:2.16.840.1.113883.6.8": "UCUM",
    "http://www.genenames.org": "HGNC",  # the same ids, as some genomics profiles spell the system
})
_SPELLINGS = sorted(set(SYSTEMS) | {"ICD-10", "ICD-10-CM", "ICD-10-PCS", "ICD-9-CM", "SNOMED CT", "SNOMED-CT"}
                    | set(SYSTEMS.values()))


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
        uri = stripped.rstrip("/")
        found = _URIS.get(uri.lower())
        if found is not None:
            return found
        return _hl7_system(uri)
    return _ALIASES.get(_squash(stripped))


def _hl7_system(uri: str) -> str | None:
    """`HL7:<id>` for an HL7 terminology URI (or its R3 spelling, or `HL7:<id>` itself), else None."""
    if uri[:4].upper() == HL7_PREFIX:
        tail = uri[4:]
    elif uri[: len(HL7_URI)].lower() == HL7_URI.lower():
        tail = uri[len(HL7_URI):]
    else:
        old = _HL7_OLD.fullmatch(uri)
        if old is None:
            return None
        tail = f"{old.group(1).lower()}-{old.group(2)}"
    return HL7_PREFIX + tail if _HL7_ID.fullmatch(tail) else None


def is_system(name: str) -> bool:
    """Whether ``name`` is a canonical system name: a key of SYSTEMS or an `HL7:<id>` name."""
    return name in SYSTEMS or (name.startswith(HL7_PREFIX) and _hl7_system(name) == name)


def _system_or_raise(system: str) -> str:
    if not isinstance(system, str):
        raise TypeError(f"a code system must be a str, not {type(system).__name__}")
    hidden = invisible_problem(system.strip(TRIMMED), "code system")
    if hidden is not None:  # never trimmed or squashed into a known system
        raise ValueError(hidden)
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
    return normalize_for(system, code)


def normalize_code(system: str, code: str) -> str:
    """``code`` as matched: whitespace stripped; ATC, ICD, CPT and LOINC upper-cased; ICD-10 and
    ICD-10-CM without their dot; CVX with two digits at least (``3`` is ``03``); NDC in 11 digits.

    Dropping the dot makes ``M34.0`` and ``M340`` the same code: both spellings
    are common in exported data (ICD-9-CM keeps its dot: without it, ``9971``
    could be diagnosis 997.1 or procedure 99.71).  Codes of other systems are
    case-sensitive identifiers and are left as they are.  ``system`` may be any spelling that
    ``normalize_system`` accepts; an unknown system is a ValueError.
    """
    return _normalize(_system_or_raise(system), code)


def _label(system: str, code: str) -> str:
    """The code as shown: normalised, but an ICD code keeps the dot it was written with."""
    return label_code(system, code)


class Coding:
    """One code in one system, e.g. ``ATC L04AB02 (infliximab)``.  Treat as immutable.

    ``system`` is the canonical short name and ``code`` the normalised code;
    equality and hashing use only these two, so ``ICD10 M34.0`` equals
    ``ICD10 M340`` and the display text never affects a match.  ``label`` is
    the code as written (stripped, upper-cased in ATC and ICD-10, an ICD-10 dot
    kept) so that traces show ``ICD10 M34.0`` the way the record had it.

    ``problem`` is None for a well-formed code, else why the code cannot be a
    code of its system (a wrong SNOMED CT or LOINC check digit, an ICD-10 code
    of the wrong shape, ...).  Such a coding is kept, so that a record still
    binds, but it must never count as a plain non-match: evaluators report it.

    A plain class with ``__slots__`` because records carry many of these.
    """

    __slots__ = ("code", "display", "label", "problem", "system")

    def __init__(self, system: str, code: str, display: str | None = None) -> None:
        if not isinstance(code, str):
            raise TypeError(f"a code must be a str, not {type(code).__name__}")
        self.system = system if system in SYSTEMS else _system_or_raise(system)
        self.code = normalize_for(self.system, code)
        if not self.code:
            raise ValueError(f"empty code in system `{self.system}`")
        self.label = label_code(self.system, code)
        self.display = display
        self.problem = code_problem(self.system, code)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Coding):
            return NotImplemented
        return self.code == other.code and self.system == other.system

    def __hash__(self) -> int:
        return hash((self.system, self.code))

    def __str__(self) -> str:
        text = f"{self.system} {shown(self.label)}"
        if not self.display:
            return text
        display = self.display if len(self.display) <= 160 else self.display[:160] + "..."
        return f"{text} ({display})"

    def __repr__(self) -> str:
        if self.display is None:
            return f"Coding({self.system!r}, {self.label!r})"
        return f"Coding({self.system!r}, {self.label!r}, {self.display!r})"


_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def parse_entry(system: str, code: str) -> tuple[str, str, bool]:
    """(canonical system, normalised code or prefix, is_prefix) for one code-set entry; ValueError for an
    entry no code set can hold. The checker calls this too, so whatever `elig check` accepts compiles."""
    system = _system_or_raise(system)
    text = code.strip()
    hidden = next((ch for ch in text if unicodedata.category(ch) in _INVISIBLE), None)
    if hidden is not None:
        shown = text[:40].encode("unicode_escape").decode("ascii")
        raise ValueError(f"the code `{shown}` holds an invisible "
                         f"character (U+{ord(hidden):04X})")
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


_parse_entry = parse_entry


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
        while system is not None:  # an ICD-10-CM coding also falls under ICD-10 entries (BROADER)
            codes = self._exact.get(system)
            if codes is not None and code in codes:
                return True
            prefixes = self._prefixes.get(system)
            if prefixes is not None and code.startswith(prefixes):
                return True
            system = BROADER.get(system)
        return False

    __contains__ = contains

    def matcher(self):
        """A function ``codings -> Coding | None`` equal to :meth:`match`, for hot loops: the per-system
        tables are bound once, and a set without class prefixes needs no prefix test."""
        exact = {(system, code) for system, codes in self._exact.items() for code in codes}
        prefixes = dict(self._prefixes)
        # A narrower system's codings fall under its broader system's entries (BROADER): copy those
        # entries under the narrower system, so the hot loop makes one lookup per coding.
        for narrow in BROADER:
            broad = BROADER[narrow]
            while broad is not None:
                exact.update((narrow, code) for code in self._exact.get(broad, ()))
                if broad in self._prefixes:
                    prefixes[narrow] = prefixes.get(narrow, ()) + self._prefixes[broad]
                broad = BROADER.get(broad)
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

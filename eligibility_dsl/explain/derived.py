"""Codes reached through the terminology, named where a reader sees them (issue 10 §2).

A code set naming an ingredient (``RxNorm 121191 rituximab``) or an ATC substance or class matches the
products the terminology lists for it (docs/terminology.md).  Those codes are not in the trial file, so
the full trace and ``elig doc`` say, for each, what it was derived from and which release gave it:
"matched RxNorm 2105831 (10 ML rituximab-abbs 10 MG/ML Injection [Truxima]), a product of RxNorm 121191
(rituximab) via <release>".
"""

from __future__ import annotations

from ..runtime.codes import Coding, normalize_code

__all__ = ["derived_index", "derived_lines", "derived_sentence"]


def derived_index(checked) -> dict[tuple[str, str], tuple[str | None, str]]:
    """(system, normalised code) -> (display, what it was derived from), over every code set of the trial;
    codes written in some code set are left out (they are not derived)."""
    if checked is None:
        return {}
    written: set[tuple[str, str]] = set()
    for spec in checked.codesets.values():
        own = {(s, normalize_code(s, c)) for s, c, _, _ in spec.derived}
        written.update(k for k in ((s, normalize_code(s, c)) for s, c, _ in spec.codes) if k not in own)
    out: dict[tuple[str, str], tuple[str | None, str]] = {}
    for spec in checked.codesets.values():
        for system, code, display, via in spec.derived:
            key = (system, normalize_code(system, code))
            if key not in written:
                out.setdefault(key, (display, via))
    return out


def derived_sentence(system: str, code: str, display: str | None, via: str, release: str) -> str:
    what = f"{system} {code}" + (f" ({display})" if display else "")
    relation = "a product of" if via.startswith("RxNorm") else "a drug under"
    return f"{what}, {relation} {via} via {release}"


def derived_lines(event, index: dict, release: str) -> list[str]:
    """For an event whose code was reached through the terminology, the sentences naming how."""
    if not index:
        return []
    code = event.fields.get("code") if hasattr(event, "fields") else None
    codings = code if isinstance(code, tuple) else (code,)
    out = []
    for c in codings:
        if isinstance(c, Coding) and (c.system, c.code) in index:
            display, via = index[(c.system, c.code)]
            out.append("matched " + derived_sentence(c.system, c.label or c.code, display, via, release))
    return out

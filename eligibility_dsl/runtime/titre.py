"""Titres: `1:160`, an ordered laboratory result (issue 10 §4).

A titre is the highest dilution at which a test is still positive: `1:160` is more antibody than `1:80`.
It is ordered by the dilution's denominator, and only against another titre (a titre is no number: `1:160`
compared with `160` or with `1 U/mL` is a reported problem, never a guess).  The language writes a titre
literal as `titre 1:160`; a record holds it as the text a laboratory writes: `1:160`, `1/160`, or with a
pattern word after it (`1:80 speckled`, the pattern shown, not compared).

A censored titre (`<1:40`, `>1:1280`, `>=1:160`) is every titre on that side of its bound, compared
Kleene-correctly by ``runtime/censored.py``: `<1:40` is `< titre 1:80` true, `>= titre 1:40` false and
`< titre 1:20` unknown.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

__all__ = ["Titre", "read_titre"]

_TEXT = re.compile(r"\s*(<=|>=|≤|≥|<|>)?\s*1\s*[:/]\s*([0-9]+(?:\.[0-9]+)?)(?:\s+([A-Za-z][A-Za-z ,\-]*?))?\s*")
_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "≤": "<=", "≥": ">="}


@functools.total_ordering
class Titre:
    """The titre 1:``dilution`` (``dilution`` > 0).  ``pattern`` (`speckled`) is shown, never compared."""

    __slots__ = ("dilution", "pattern")

    def __init__(self, dilution: Decimal, pattern: str | None = None) -> None:
        if not dilution > 0:
            raise ValueError(f"a titre's dilution must be positive, not `{dilution}`")
        self.dilution, self.pattern = Decimal(dilution), pattern

    def _other(self, other: object) -> Titre:
        if not isinstance(other, Titre):
            raise TypeError(f"cannot compare the titre `{self}` with `{other}`: a titre compares with titres only")
        return other

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Titre) and self.dilution == other.dilution

    def __lt__(self, other: object) -> bool:
        return self.dilution < self._other(other).dilution

    def __hash__(self) -> int:
        return hash((Titre, self.dilution))

    def __str__(self) -> str:
        text = format(self.dilution.normalize(), "f")
        return f"1:{text}" + (f" {self.pattern}" if self.pattern else "")

    def __repr__(self) -> str:
        return f"Titre({str(self)!r})"


def read_titre(text: str) -> tuple[str | None, Titre] | None:
    """(comparator or None, titre) for a text (`1:160`, `1/160`, `1:80 speckled`, `<1:40`), or None when
    the text is no titre.  ``censored.parse_titre`` makes a censored titre of it."""
    m = _TEXT.fullmatch(text)
    if m is None:
        return None
    dilution = Decimal(m.group(2))
    if not dilution > 0:
        return None
    titre = Titre(dilution, m.group(3).strip() if m.group(3) else None)
    return (_OPS[m.group(1)] if m.group(1) else None), titre

"""Exact unit algebra for the quantities written in eligibility criteria.

Why exact: a threshold such as ``creatinine clearance >= 60 mL/min`` is a legal
cut-off, and a patient who is exactly on it must compare equal however the two
sides were spelled.  Every conversion factor is therefore a ``Fraction`` and no
float appears anywhere in this layer.

Why these dimensions: besides the SI-like ``mass``/``length``/``time``/``amount``
the vector has four that are deliberately *not* reducible to others:

* ``calendar`` -- months and years have no fixed length in seconds (a month is
  28 to 31 days), so ``1 month`` versus ``30 days`` is a unit mismatch rather
  than a silent approximation.  Base: one month; a year is 12 months.
* ``iu`` and ``enzyme`` -- international units and enzyme units are defined per
  substance, so they never convert into mass or amount.
* ``percent`` -- kept apart from "dimensionless" so that a plain number and a
  percentage never mix by accident: ``0.5 = 50 %`` is an error, not true.

``pressure`` (base mmHg) is separate because clinicians only ever write mmHg.
This module is the bottom of the runtime layer: it imports nothing from the package.
"""

from __future__ import annotations

import difflib
import functools
import re
from fractions import Fraction
from typing import NamedTuple

import attrs

__all__ = [
    "BASE_DIMENSIONS",
    "DIMENSIONLESS",
    "MAX_FACTOR_DIGITS",
    "MAX_UNIT_EXPONENT",
    "MAX_UNIT_LENGTH",
    "Unit",
    "UnitError",
    "UnitMismatch",
    "dimension_name",
    "parse_unit",
]

# fmt: off
BASE_DIMENSIONS: tuple[str, ...] = (
    "mass", "length", "time", "amount", "calendar", "iu", "enzyme", "percent", "pressure",
)
# fmt: on

Dims = tuple[int, ...]

# Limits (README, "Security and limits"): unit texts come from criteria files and from records, and an
# unbounded `kg^999999999` or `10*999999999` would build numbers of a billion digits.
MAX_UNIT_LENGTH = 200  # characters in a unit text
MAX_UNIT_EXPONENT = 24  # |N| in `10*N` and `kg^N`, and of each dimension of a unit (10*24 is yotta)
MAX_FACTOR_DIGITS = 12  # digits of an integer factor such as the `1000` of `1000.mL`


def _dims(**exponents: int) -> Dims:
    """Build a dimension vector from keyword exponents, e.g. ``_dims(mass=1, length=-3)``."""
    return tuple(exponents.get(name, 0) for name in BASE_DIMENSIONS)


class _RuntimeProblem(ValueError):
    """Base carrying a Cedar-style ``message`` and optional ``help``, as diagnostics want them."""

    def __init__(self, message: str, help: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.help = help


class UnitError(_RuntimeProblem):
    """A unit text that cannot be understood; ``help`` carries advice such as a spelling fix."""


class UnitMismatch(_RuntimeProblem):
    """Two quantities whose dimensions differ were compared, added or used as a duration.

    Raised rather than answering ``False`` because mixing dimensions in a
    criterion is a mistake in the criterion, never a fact about the patient.
    """


@attrs.frozen
class Unit:
    """A unit: display ``symbol``, exact ``factor`` to base units, and dimension exponents.

    Equality and hashing use only ``(factor, dims)``: ``mg/d`` and ``mg/day`` are
    the same unit written two ways, and the symbol is kept only so that values
    are shown the way the author wrote them.
    """

    symbol: str = attrs.field(eq=False)
    factor: Fraction
    dims: Dims

    def __attrs_post_init__(self) -> None:
        if not (
            isinstance(self.factor, Fraction)
            and self.factor > 0
            and isinstance(self.dims, tuple)
            and len(self.dims) == len(BASE_DIMENSIONS)
        ):
            raise TypeError(f"invalid unit {self!r}: factor must be a positive Fraction, dims a 9-tuple")

    def __str__(self) -> str:
        return self.symbol

    @property
    def is_dimensionless(self) -> bool:
        """True when every exponent is zero (the factor may still be e.g. 10^9)."""
        return not any(self.dims)

    def compatible(self, other: Unit) -> bool:
        """True when the two units measure the same dimension and so convert into each other."""
        return self.dims == other.dims

    def mul(self, other: Unit) -> Unit:
        """Product unit, shown with a familiar symbol when one exists (``mg/kg`` times ``kg`` is ``mg``)."""
        factor = self.factor * other.factor
        dims = tuple(x + y for x, y in zip(self.dims, other.dims, strict=False))
        symbol = _PREFERRED.get((factor, dims)) or _compose(self.symbol, other.symbol, divide=False)
        return Unit(symbol, factor, dims)

    def div(self, other: Unit) -> Unit:
        """Quotient unit, e.g. ``mg`` per ``day`` is ``mg/day``; needed for rates a criterion derives."""
        factor = self.factor / other.factor
        dims = tuple(x - y for x, y in zip(self.dims, other.dims, strict=False))
        symbol = _PREFERRED.get((factor, dims)) or _compose(self.symbol, other.symbol, divide=True)
        return Unit(symbol, factor, dims)

    def power(self, n: int) -> Unit:
        """``self`` to an integer power (``m`` squared is ``m2``); exact for negative ``n`` too."""
        if type(n) is not int:
            raise TypeError(f"unit exponent must be an int, got {n!r}")
        if any(abs(x * n) > MAX_UNIT_EXPONENT for x in self.dims) or abs(n) > 4 * MAX_UNIT_EXPONENT:
            raise UnitError(f"unit `{_clip(self.symbol)}` to the power {n} is beyond the limit "
                            f"({MAX_UNIT_EXPONENT} per dimension)")
        factor = self.factor**n
        dims = tuple(x * n for x in self.dims)
        symbol = _PREFERRED.get((factor, dims)) or _raise_symbol(self.symbol, n)
        return Unit(symbol, factor, dims)


DIMENSIONLESS = Unit("1", Fraction(1), _dims())

# --------------------------------------------------------------------------- atoms

_MILLI, _MICRO, _NANO, _PICO = Fraction(1, 10**3), Fraction(1, 10**6), Fraction(1, 10**9), Fraction(1, 10**12)
_LITRE = Fraction(1, 1000)  # cubic metres
_MASS, _LENGTH, _VOLUME, _TIME = _dims(mass=1), _dims(length=1), _dims(length=3), _dims(time=1)
_CALENDAR, _AMOUNT, _IU, _ENZYME = _dims(calendar=1), _dims(amount=1), _dims(iu=1), _dims(enzyme=1)


# Every spelling clinicians write, UCUM and natural language alike, grouped by dimension:
# (space-separated synonyms, exact factor to the base unit).
# fmt: off
_ATOM_SPECS: list[tuple[Dims, list[tuple[str, Fraction | int]]]] = [
    (_MASS, [("g", 1), ("kg", 1000), ("mg", _MILLI), ("ug µg mcg", _MICRO), ("ng", _NANO), ("pg", _PICO)]),
    (_LENGTH, [("m", 1), ("cm", Fraction(1, 100)), ("mm", _MILLI), ("um µm", _MICRO)]),
    (_VOLUME, [("L l", _LITRE), ("dL dl", _LITRE / 10), ("mL ml", _LITRE * _MILLI),
               ("uL µL", _LITRE * _MICRO), ("fL", _LITRE * _MICRO * _NANO)]),
    (_TIME, [("s sec second seconds", 1), ("min minute minutes", 60), ("h hr hour hours", 3600),
             ("d day days", 86400), ("wk week weeks", 7 * 86400)]),
    (_CALENDAR, [("month months", 1), ("year years yr yrs", 12)]),
    # Milliequivalents are read as millimoles: exact for the monovalent ions
    # (Na+, K+, Cl-, HCO3-) that criteria use them for, wrong for Ca2+/Mg2+.
    (_AMOUNT, [("mol", 1), ("mmol mEq meq", _MILLI), ("umol µmol", _MICRO), ("nmol", _NANO), ("pmol", _PICO)]),
    (_IU, [("IU [IU] [iU]", 1), ("mIU", _MILLI), ("kIU", 1000)]),
    (_ENZYME, [("U", 1), ("mU", _MILLI), ("kU", 1000)]),
    (_dims(percent=1), [("%", 1)]),
    # Pressure (and elastic modulus: liver stiffness by transient elastography is given in kPa). The
    # conventional millimetre of mercury is exactly 133.322387415 Pa, so kPa and Pa convert exactly.
    (_dims(pressure=1), [("mmHg [mm_Hg]", 1), ("kPa", 1000 / Fraction("133.322387415")),
                         ("Pa", 1 / Fraction("133.322387415"))]),
]
# fmt: on
_ATOMS: dict[str, tuple[Fraction, Dims]] = {}
for _atom_dims, _entries in _ATOM_SPECS:
    for _names, _factor in _entries:
        for _name in _names.split():
            _ATOMS[_name] = (Fraction(_factor), _atom_dims)
            if "µ" in _name:  # MICRO SIGN; text pasted from documents often has GREEK SMALL LETTER MU
                _ATOMS[_name.replace("µ", "μ")] = (Fraction(_factor), _atom_dims)
del _atom_dims, _entries, _names, _factor, _name

# UCUM's `mo` and `a` are *average* month/year lengths in seconds; accepting them
# would quietly reintroduce the calendar/time confusion this module exists to stop.
_REJECTED = {
    **dict.fromkeys(("mo", "mo_j", "mo_g", "mo_s"), ("month", "months")),
    **dict.fromkeys(("a", "a_j", "a_g", "a_t"), ("year", "years")),
}

# --------------------------------------------------------------------------- scanner


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _exponent(digits: str, text: str) -> int:
    """An exponent's value, refused beyond MAX_UNIT_EXPONENT (checked on the digits: no huge int is built)."""
    body = digits.lstrip("+-").lstrip("0")
    if len(body) > 3 or int(body or "0") > MAX_UNIT_EXPONENT:
        raise UnitError(f"the exponent `{_clip(digits)}` in unit `{_clip(text)}` is too large "
                        f"(at most {MAX_UNIT_EXPONENT})")
    return int(digits)


class _Term(NamedTuple):
    op: str  # "" for the first term, "/" to divide, "." to multiply
    kind: str  # "atom", "power" (10*N), "int", or "annot" (a lone {annotation})
    name: str  # atom name or integer literal
    exp: int
    annot: str  # attached or lone annotation text, "" if none
    start: int  # span of ``name`` in the text, for error messages and suggestions
    end: int
    body: tuple[int, int]  # span of the whole term, annotation included


_TERM_RE = re.compile(
    r"(?P<power>10[*^](?P<pexp>[+-]?[0-9]+))"
    r"|(?P<int>[0-9]+)"
    r"|(?P<atom>\[[^\[\]{}]*\]|[A-Za-z%µμ_]+)(?P<exp>\^?[+-]?[0-9]+)?"
)
_ANNOT_RE = re.compile(r"\{[^{}]*\}")
_BSA_RE = re.compile(r"(?<!\{)1\.73_?m\^?2")


def _scan(text: str) -> list[_Term]:
    """Split unit text into terms; syntax only, atoms are not looked up here."""
    terms: list[_Term] = []
    pos, op = (1, "/") if text.startswith("/") else (0, "")
    while True:
        term_start = pos
        match = _TERM_RE.match(text, pos)
        kind, name, exp, start, end = "annot", "", 1, pos, pos
        if match:
            if match["power"]:
                kind, exp = "power", _exponent(match["pexp"], text)
            elif match["int"]:
                kind, name = "int", match["int"]
                if len(name.lstrip("0")) > MAX_FACTOR_DIGITS:
                    raise UnitError(f"the factor `{_clip(name)}` in unit `{_clip(text)}` has more than "
                                    f"{MAX_FACTOR_DIGITS} digits")
            else:
                kind, name = "atom", match["atom"]
                exp = _exponent(match["exp"].lstrip("^"), text) if match["exp"] else 1
                start, end = match.span("atom")
            pos = match.end()
        annot = _ANNOT_RE.match(text, pos)
        if annot:
            pos = annot.end()
        if not match and not annot:
            if pos == len(text):
                raise UnitError(f"unit `{text}` ends with `{text[-1]}`" if text else "empty unit")
            if text[pos] == "{":
                raise UnitError(f"unclosed annotation in unit `{text}`", "close it with `}`")
            raise UnitError(f"unexpected `{text[pos]}` in unit `{text}`")
        annot_text = annot.group() if annot else ""
        terms.append(_Term(op, kind, name, exp, annot_text, start, end, (term_start, pos)))
        if pos == len(text):
            return terms
        if text[pos] not in "/.*":
            raise UnitError(f"unexpected `{text[pos]}` in unit `{text}`")
        op = "/" if text[pos] == "/" else "."
        pos += 1


# --------------------------------------------------------------------------- parsing


@functools.lru_cache(maxsize=4096)
def parse_unit(text: str) -> Unit:
    """Parse UCUM-style unit text such as ``mg/dL``, ``10*9/L`` or ``mL/min/{1.73_m2}``.

    Cached because the compiler calls it for every literal and the binder for
    every patient value; ``Unit`` is immutable so sharing instances is safe.
    The returned symbol is the text exactly as written.
    """
    if not isinstance(text, str):
        raise TypeError(f"unit text must be a str, got {type(text).__name__}")
    try:
        return _parse(text)
    except UnitError as error:
        bsa = _BSA_RE.search(text)
        if bsa is None:
            raise
        fixed = text[: bsa.start()] + "{1.73_m2}" + text[bsa.end() :]
        hint = f"write body-surface-area normalisation as an annotation: `{fixed}`"
        raise UnitError(error.message, hint) from None


def _parse(text: str) -> Unit:
    if text == "":
        raise UnitError("empty unit", "write `1` for a plain number")
    if len(text) > MAX_UNIT_LENGTH:
        raise UnitError(f"unit `{_clip(text)}` is longer than {MAX_UNIT_LENGTH} characters")
    if any(ch.isspace() for ch in text):
        compact = "".join(text.split())
        try:
            _parse(compact)
            help_text: str | None = f"did you mean `{compact}`?"
        except UnitError:
            help_text = None
        raise UnitError(f"unit `{text}` contains whitespace", help_text)
    factor, dims = Fraction(1), [0] * len(BASE_DIMENSIONS)
    for term in _scan(text):
        term_factor, term_dims = _term_value(term, text)
        sign = -1 if term.op == "/" else 1
        factor = factor / term_factor if sign < 0 else factor * term_factor
        for i, exponent in enumerate(term_dims):
            dims[i] += sign * exponent
            if abs(dims[i]) > MAX_UNIT_EXPONENT:
                raise UnitError(f"unit `{_clip(text)}` raises {BASE_DIMENSIONS[i]} to a power beyond "
                                f"{MAX_UNIT_EXPONENT}")
    return Unit(text, factor, tuple(dims))


def _term_value(term: _Term, text: str) -> tuple[Fraction, Dims]:
    if term.kind == "annot":
        return Fraction(1), _dims()
    if term.kind == "power":
        return Fraction(10) ** term.exp, _dims()
    if term.kind == "int":
        if int(term.name) == 0:
            raise UnitError(f"zero factor in unit `{text}`")
        return Fraction(int(term.name)), _dims()
    if term.name in _ATOMS:
        factor, dims = _ATOMS[term.name]
        return factor**term.exp, tuple(e * term.exp for e in dims)
    where = "" if (term.start, term.end) == (0, len(text)) else f" in `{text}`"
    if term.name in _REJECTED:
        singular, plural = _REJECTED[term.name]
        raise UnitError(
            f"unsupported unit `{term.name}`{where} (an average {singular} length)",
            f"write `{plural}` for calendar {plural}",
        )
    suggestion = _suggest(term.name)
    help_text = None
    if suggestion is not None:
        help_text = f"did you mean `{text[: term.start]}{suggestion}{text[term.end :]}`?"
    raise UnitError(f"unknown unit `{term.name}`{where}", help_text)


def _suggest(name: str) -> str | None:
    """Closest known atom: a case-only difference first (``MG``), then difflib."""
    for atom in _ATOMS:
        if atom.lower() == name.lower():
            return atom
    close = difflib.get_close_matches(name, list(_ATOMS), n=1)
    return close[0] if close else None


# --------------------------------------------------------------------------- symbols for derived units

# When a product or quotient lands on one of these, show the familiar spelling
# (``mg/kg`` times ``kg`` is ``mg``, not ``mg/kg.kg``).  First spelling wins on ties
# such as ``mg/L`` = ``ug/mL``.  Per-body-mass doses (``mg/kg``) are left out on
# purpose: mass/mass is dimensionless here, so any plain ratio of 10^-6 would
# otherwise be shown as ``mg/kg``.
# fmt: off
_PREFERRED_SYMBOLS = (
    "1", "g", "kg", "mg", "ug", "ng", "pg", "m", "cm", "mm", "um", "m2", "cm2",
    "L", "dL", "mL", "uL", "fL", "s", "min", "h", "day", "week", "month", "year",
    "mol", "mmol", "umol", "nmol", "pmol", "IU", "mIU", "kIU", "U", "mU", "kU", "%", "mmHg",
    "mg/day", "g/day", "ug/day", "mg/m2", "kg/m2",
    "g/dL", "mg/dL", "g/L", "mg/L", "ng/mL", "pg/mL", "mmol/L", "umol/L", "nmol/L", "pmol/L",
    "IU/L", "U/L", "mL/min", "mL/h", "L/min", "10*9/L", "10*12/L", "/min", "/h", "/day", "/week",
)
# fmt: on


def _symbol_terms(symbol: str) -> list[tuple[str, str]]:
    """(operator, term text) pairs of a symbol; an unscannable symbol is one opaque term."""
    try:
        return [(t.op, symbol[t.body[0] : t.body[1]]) for t in _scan(symbol)]
    except UnitError:
        return [("", symbol)]


def _render(pieces: list[tuple[str, str]]) -> str:
    if not pieces:
        return "1"
    first_op, first = pieces[0]
    head = ("/" if first_op == "/" else "") + first
    return head + "".join(op + body for op, body in pieces[1:])


def _compose(left: str, right: str, *, divide: bool) -> str:
    """Readable symbol for ``left.right`` or ``left/right`` without parentheses.

    The grammar is left-associative, so dividing by a compound flips each of its
    operators: ``mg`` / ``kg.day`` is written ``mg/kg/day``.
    """
    left_pieces = [] if left == "1" else _symbol_terms(left)
    right_pieces = [] if right == "1" else _symbol_terms(right)
    if divide:
        right_pieces = [("." if op == "/" else "/", body) for op, body in right_pieces]
    elif right_pieces and right_pieces[0][0] == "":
        right_pieces[0] = (".", right_pieces[0][1])
    return _render(left_pieces + right_pieces)


def _raise_symbol(symbol: str, n: int) -> str:
    """Symbol for ``symbol`` to the power ``n``: exponents multiply term by term."""
    if n == 0:
        return "1"
    try:
        terms = _scan(symbol)
    except UnitError:
        return symbol if n == 1 else f"{symbol}{n}"
    magnitude, pieces = abs(n), []
    for term in terms:
        exp = term.exp * magnitude
        if term.kind == "atom":
            body = term.name + ("" if exp == 1 else str(exp))
        elif term.kind == "power":
            body = f"10*{exp}"
        elif term.kind == "int":
            body = str(int(term.name) ** magnitude)
        else:
            body = ""
        op = term.op if n > 0 else ("." if term.op == "/" else "/")
        pieces.append((op, body + term.annot))
    return _render(pieces)


_PREFERRED: dict[tuple[Fraction, Dims], str] = {}
for _symbol in _PREFERRED_SYMBOLS:
    _unit = _parse(_symbol)
    _PREFERRED.setdefault((_unit.factor, _unit.dims), _symbol)
del _symbol, _unit

# --------------------------------------------------------------------------- names for messages

# fmt: off
_DIMENSION_NAMES: dict[Dims, str] = {
    _dims(): "dimensionless", _MASS: "mass", _LENGTH: "length", _dims(length=2): "area",
    _VOLUME: "volume", _TIME: "time", _CALENDAR: "calendar duration", _AMOUNT: "amount",
    _IU: "international units", _ENZYME: "enzyme activity",
    _dims(percent=1): "percent", _dims(pressure=1): "pressure",
    _dims(mass=1, time=-1): "mass/time", _dims(mass=1, length=-3): "mass/volume",
    _dims(amount=1, length=-3): "amount/volume", _dims(length=3, time=-1): "volume/time",
    _dims(iu=1, length=-3): "international units/volume",
    _dims(enzyme=1, length=-3): "enzyme activity/volume",
}
# fmt: on


def dimension_name(dims: Dims) -> str:
    """Human words for a dimension vector, for messages such as "expected mass/volume"."""
    named = _DIMENSION_NAMES.get(tuple(dims))
    if named is not None:
        return named
    parts = [name if e == 1 else f"{name}^{e}" for name, e in zip(BASE_DIMENSIONS, dims, strict=False) if e]
    return "·".join(parts)

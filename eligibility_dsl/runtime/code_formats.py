"""How each code system spells its codes: normalisation and format checks.

Why normalise: the same code reaches us spelled several ways -- CVX ``3`` and
``03``, ICD-10 ``M34.0`` and ``M340``, an NDC with or without its hyphens -- and
a criterion must match all of them, or one spelling silently matches nothing.

Why check formats: a code that cannot exist in its system (a SNOMED CT id whose
Verhoeff check digit is wrong, a LOINC code whose mod-10 check digit is wrong,
an ICD-10 code with a digit where a letter belongs) would match no code set.
Without a check it is a quiet "no"; with one it is a visible problem
(``Coding.problem``, a record problem, or a compile-time diagnostic in a code set).

The checks are of *shape*, not of existence: without the system's release files
nobody can say that ``M34.9`` exists, but anyone can say that ``M3X.9`` cannot.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["code_problem", "invisible_problem", "label_code", "loinc_check_digit", "normalize_for", "prefix_problem",
           "verhoeff_valid"]

# Trimmed from either end of a code: ASCII white space only. Any other space (NBSP, a thin space) and every
# control or format character (a zero-width space, a BOM, an RTL/LTR mark or isolate) is kept, so that it can
# never be trimmed into a match, and is the code's problem (``invisible_problem``).
TRIMMED = " \t\r\n\f\v"
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"})


def invisible_problem(text: str, what: str = "code") -> str | None:
    """Why ``text`` (a code or a system, trimmed of ASCII white space) cannot be read as written, or None: it
    holds a character that does not show (U+200B, U+FEFF, U+200F, U+2066, U+00A0, ...); an ASCII space is
    left to each system's own checks."""
    for ch in text:
        if ch != " " and unicodedata.category(ch) in _INVISIBLE:
            shown = text[:40].encode("unicode_escape").decode("ascii").replace("`", "\\x60")
            name = unicodedata.name(ch, "unassigned or private character").lower()
            return f"the {what} `{shown}` holds an invisible character (U+{ord(ch):04X}, {name})"
    return None

# Systems whose codes are matched whatever their letter case (letters in them are capitals by definition).
_UPPER = frozenset({"ATC", "ICD10", "ICD10CM", "ICD10PCS", "ICD9CM", "CPT", "LOINC"})
_DOTLESS = frozenset({"ICD10", "ICD10CM"})  # the dot is presentation only: M34.0 is M340


def normalize_for(system: str, code: str) -> str:
    """``code`` as matched in canonical ``system``: trimmed; upper-cased where case means nothing;
    ICD-10 (and ICD-10-CM) without its dot; CVX without leading zeros beyond two digits (``3`` and
    ``003`` are ``03``); an NDC in its 11-digit form (``0002-3227-30`` is ``00002322730``)."""
    code = code.strip(TRIMMED)
    if system in _UPPER:
        code = code.upper()
        if system in _DOTLESS:
            code = code.replace(".", "")
        return code
    if system == "CVX":
        return _cvx(code)
    if system == "NDC":
        return _ndc(code)
    return code


def label_code(system: str, code: str) -> str:
    """The code as shown in traces: normalised, but an ICD code keeps the dot it was written with
    and an NDC its hyphens."""
    code = code.strip(TRIMMED)
    if system in _UPPER:
        return code.upper()
    if system == "CVX":
        return _cvx(code)
    return code


def _cvx(code: str) -> str:
    if code.isascii() and code.isdigit():
        return code.lstrip("0").rjust(2, "0")
    return code


# The three 10-digit NDC layouts and where the 11-digit (5-4-2) form pads a zero.
_NDC_10 = re.compile(r"(\d{4})-(\d{4})-(\d{2})|(\d{5})-(\d{3})-(\d{2})|(\d{5})-(\d{4})-(\d)")
_NDC_11 = re.compile(r"(\d{5})-?(\d{4})-?(\d{2})")


def _ndc(code: str) -> str:
    m = _NDC_11.fullmatch(code)
    if m:
        return "".join(m.groups())
    m = _NDC_10.fullmatch(code)
    if m:
        a, b, c, d, e, f, g, h, i = m.groups()
        if a:
            return "0" + a + b + c
        if d:
            return d + "0" + e + f
        return g + h + "0" + i
    return code


# Verhoeff's dihedral-group tables (SNOMED CT identifiers end in a Verhoeff check digit).
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """Whether a string of digits ends in a correct Verhoeff check digit."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[i % 8][ord(ch) - 48]]
    return c == 0


def loinc_check_digit(digits: str) -> int:
    """LOINC's mod-10 check digit of the digits before the hyphen (LOINC Users' Guide, appendix:
    double the digits in odd places from the right, add all the digits, take the distance to the
    next multiple of ten) -- the Luhn algorithm."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10


_SHAPES: dict[str, tuple[re.Pattern, str]] = {
    "RxNorm": (re.compile(r"[1-9][0-9]{0,8}"), "an RxNorm concept id (RXCUI) is 1 to 9 digits"),
    "ICD10": (re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}"),
              "an ICD-10 code is a letter, two characters and up to four more after the dot, e.g. `M34.0`"),
    "ICD10CM": (re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}"),
                "an ICD-10-CM code is a letter, two characters and up to four more after the dot, e.g. `M34.81`"),
    "ICD10PCS": (re.compile(r"[0-9A-HJ-NP-Z]{7}"),
                 "an ICD-10-PCS code is exactly 7 characters, digits and letters other than I and O, e.g. `6A550Z3`"),
    "CPT": (re.compile(r"[0-9]{4}[0-9FTU]"),
            "a CPT code is 5 characters: four digits and a digit, or F, T or U, e.g. `36514`"),
    "CVX": (re.compile(r"[0-9]{2,3}"), "a CVX code is 1 to 3 digits, e.g. `03` or `141`"),
    "ATC": (re.compile(r"[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?"),
            "an ATC code is a level 1 to 5 code such as `L`, `L04`, `L04A`, `L04AB` or `L04AB02`"),
    "NDC": (re.compile(r"[0-9]{11}"),
            "an NDC is 11 digits (5-4-2) or 10 digits with hyphens (4-4-2, 5-3-2 or 5-4-1)"),
    "HGNC": (re.compile(r"HGNC:[1-9][0-9]{0,5}"), "an HGNC gene id is `HGNC:` and a number, e.g. `HGNC:1100`"),
}

_ICD9_DIAGNOSIS = re.compile(r"[0-9]{3}(\.[0-9]{1,2})?|V[0-9]{2}(\.[0-9]{1,2})?|E[0-9]{3}(\.[0-9])?")
_ICD9_PROCEDURE = re.compile(r"[0-9]{2}(\.[0-9]{1,2})?")
_LOINC = re.compile(r"([0-9]{1,7})-([0-9])")
_LOINC_PART = re.compile(r"L[APG][0-9]{1,8}-[0-9]")  # answer (LA), part (LP) and group (LG) codes
_ICD10_DOT = re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?")


# A code longer than this is quoted cut short in a problem: a 10,000-character "code" repeated over a
# record's codings must not make every message, trace and report that names it as long (found by fuzzing).
SHOWN_CHARACTERS = 40


def shown(text: str) -> str:
    """``text`` as a problem quotes it: whole when short, else its start and its length."""
    return text if len(text) <= SHOWN_CHARACTERS else f"{text[:SHOWN_CHARACTERS]}... ({len(text):,} characters)"


@lru_cache(maxsize=1 << 16)
def code_problem(system: str, code: str) -> str | None:
    """Why ``code`` (as written) cannot be a code of canonical ``system``, or None when it is
    well-formed.  Cached: records repeat the same codes many times.  A long code is quoted cut short."""
    problem = _code_problem(system, code)
    raw = code.strip(TRIMMED)
    if problem is not None and len(raw) > SHOWN_CHARACTERS:
        problem = problem.replace(f"`{raw}`", f"`{shown(raw)}`")
    return problem


def _code_problem(system: str, code: str) -> str | None:
    raw = code.strip(TRIMMED)
    if not raw:
        return f"empty code in system `{system}`"
    hidden = invisible_problem(raw)
    if hidden is not None:
        return f"{hidden}: no {system} code does"
    check = _CHECKS.get(system)
    if (check is not None or system in _SHAPES) and any(c.isspace() for c in raw):
        return f"`{raw}` has a space inside: no {system} code does"
    norm = normalize_for(system, raw)
    if check is not None:
        return check(raw, norm)
    shape = _SHAPES.get(system)
    if shape is not None and not shape[0].fullmatch(norm):
        return f"`{raw}` is not a well-formed {system} code: {shape[1]}"
    return None


def _snomed(raw: str, norm: str) -> str | None:
    if not (norm.isascii() and norm.isdigit()) or not 6 <= len(norm) <= 18 or norm[0] == "0":
        return f"`{raw}` is not a SNOMED CT identifier: 6 to 18 digits, not starting with 0"
    if not verhoeff_valid(norm):
        return f"`{raw}` is not a SNOMED CT identifier: its check digit (Verhoeff) is wrong"
    if norm[-3:-1] not in ("00", "10"):
        kind = {"01": "a description", "11": "a description", "02": "a relationship", "12": "a relationship"}
        return f"`{raw}` is {kind.get(norm[-3:-1], 'not a concept')} identifier, not a SNOMED CT concept"
    return None


def _loinc(raw: str, norm: str) -> str | None:
    if _LOINC_PART.fullmatch(norm):
        return None
    m = _LOINC.fullmatch(norm)
    if m is None:
        return f"`{raw}` is not a well-formed LOINC code: digits, a hyphen and a check digit, e.g. `2160-0`"
    expected = loinc_check_digit(m.group(1))
    if int(m.group(2)) != expected:
        return f"`{raw}` is not a LOINC code: its check digit should be {expected} (mod 10)"
    return None


def _icd10(raw: str, norm: str) -> str | None:
    upper = raw.upper()
    if "." in upper and not _ICD10_DOT.fullmatch(upper):
        return f"`{raw}` is not a well-formed ICD-10 code: the dot comes after the third character, e.g. `M34.0`"
    pattern, what = _SHAPES["ICD10"]
    if not pattern.fullmatch(norm):
        return f"`{raw}` is not a well-formed ICD-10 code: {what.removeprefix('an ICD-10 code is ')}"
    return None


def _icd9(raw: str, norm: str) -> str | None:
    if _ICD9_DIAGNOSIS.fullmatch(norm) or _ICD9_PROCEDURE.fullmatch(norm):
        return None
    if norm.isdigit() and len(norm) in (4, 5):
        return (f"`{raw}` is an ICD-9-CM code without its dot, which is ambiguous (a diagnosis `{norm[:3]}."
                f"{norm[3:]}` or a procedure `{norm[:2]}.{norm[2:]}`): write the dot")
    return (f"`{raw}` is not a well-formed ICD-9-CM code: a diagnosis such as `714.0`, `V12.72` or `E880.9`, "
            "or a procedure (volume 3) such as `99.71`")


def _cvx_check(raw: str, norm: str) -> str | None:
    if norm == "00" or not _SHAPES["CVX"][0].fullmatch(norm):
        return f"`{raw}` is not a well-formed CVX code: {_SHAPES['CVX'][1]}"
    return None


def _ucum(raw: str, norm: str) -> str | None:
    if not raw.isascii() or not raw.isprintable():
        return f"`{raw}` is not a UCUM code: UCUM uses printable ASCII characters only"
    return None


_CHECKS = {"SNOMED": _snomed, "LOINC": _loinc, "ICD10": _icd10, "ICD10CM": _icd10, "ICD9CM": _icd9,
           "CVX": _cvx_check, "UCUM": _ucum}

# What a class prefix (the part before `*`, normalised) may look like: the start of a code.
_PREFIXES: dict[str, re.Pattern] = {
    "ATC": re.compile(r"[A-Z]([0-9]([0-9]([A-Z]([A-Z]([0-9][0-9]?)?)?)?)?)?"),
    "ICD10": re.compile(r"[A-Z]([0-9]([0-9A-Z][0-9A-Z]{0,4})?)?"),
    "ICD10CM": re.compile(r"[A-Z]([0-9]([0-9A-Z][0-9A-Z]{0,4})?)?"),
    "ICD10PCS": re.compile(r"[0-9A-HJ-NP-Z]{1,7}"),
    "ICD9CM": re.compile(r"[0-9EV][0-9]{0,3}(\.[0-9]{0,2})?"),
}


def prefix_problem(system: str, body: str) -> str | None:
    """Why ``body`` (a class prefix without its `*`) cannot begin any code of ``system``, or None."""
    pattern = _PREFIXES.get(system)
    norm = normalize_for(system, body)
    if pattern is not None and norm and not pattern.fullmatch(norm):
        return f"`{body.strip()}*` cannot begin any {system} code"
    return None

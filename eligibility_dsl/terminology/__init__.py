"""Terminology: which concepts contain an ingredient, so that a code set naming a drug reaches its products.

A code set says ``RxNorm "121191" "rituximab"``; an order in an EHR carries the clinical drug
``RxNorm 1657865 "rituximab 10 MG/ML Injection"`` or a branded one.  RxNorm relates them (a product
*has ingredient* rituximab), but a plain set lookup cannot see the relation: the product code is a
different opaque identifier.  A :class:`Terminology` answers "which concepts contain this one", and the
checker adds those concepts to the code set when it compiles the trial (docs/terminology.md), so that
evaluation stays a set lookup and every derived code is listed with what it was derived from.

The shipped table (``data/rxnorm_products.json``, built by ``tools/build_rxnorm_table.py`` from a
public source named in the file) covers every drug the shipped libraries and trials name, some with
products, some (where no public product list was found) with their ATC and ingredient codes only.  A
site points at its own release with :func:`load` (a table in the same format, or FHIR ValueSet
``$expand`` results of a terminology server: see :mod:`.valueset`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..runtime.codes import normalize_code, normalize_system
from .valueset import ValueSetError, expansion_key, read_valueset

__all__ = ["TableTerminology", "Terminology", "TerminologyError", "ValueSetError", "load", "shipped"]

FORMAT = "eligibility-dsl-terminology/1"


class TerminologyError(ValueError):
    """A terminology file that cannot be read: the message names the file and what is wrong."""


@runtime_checkable
class Terminology(Protocol):
    """What the checker asks of a terminology."""

    release: str  # which release answered, recorded in the compiled trial (an audit must name it)

    def expand(self, system: str, code: str, prefix: bool = False) -> tuple[tuple[str, str, str | None], ...]:
        """The concepts that contain ``system``/``code`` (an RxNorm ingredient, an ATC substance, or with
        ``prefix`` every ATC substance under a class), as (system, code, display), the concept itself
        left out.  ``system`` is a canonical short name (``RxNorm``, ``ATC``), ``code`` normalised."""
        ...


class TableTerminology:
    """An ingredient-to-product table: per ingredient its RxNorm code, ATC codes, products (RxNorm
    clinical and branded drugs, packs) and biosimilars (ingredients of their own, with their products)."""

    def __init__(self, ingredients: Iterable[dict], release: str, source: str | None = None):
        self.release, self.source = release, source
        self.ingredients = list(ingredients)
        self._by_rxnorm: dict[str, dict] = {}
        self._by_atc: list[tuple[str, dict]] = []
        for entry in self.ingredients:
            if entry.get("rxnorm"):
                self._by_rxnorm.setdefault(str(entry["rxnorm"]), entry)
            self._by_atc.extend((str(atc).upper(), entry) for atc in entry.get("atc", ()))

    @classmethod
    def from_json(cls, data: dict, where: str) -> TableTerminology:
        if data.get("format") != FORMAT or not isinstance(data.get("ingredients"), list):
            raise TerminologyError(f"{where}: not a terminology table (expected \"format\": \"{FORMAT}\" "
                                   "and a list of \"ingredients\")")
        for i, entry in enumerate(data["ingredients"]):
            if not isinstance(entry, dict) or not all(
                    isinstance(p, list) and len(p) >= 1 and isinstance(p[0], str) for p in entry.get("products", [])):
                raise TerminologyError(f"{where}: ingredients[{i}] is malformed (each product is [code, name, type])")
        return cls(data["ingredients"], str(data.get("release") or where), data.get("source"))

    def _concepts(self, entry: dict, with_ingredient: bool) -> list[tuple[str, str, str | None]]:
        out: list[tuple[str, str, str | None]] = []
        if with_ingredient and entry.get("rxnorm"):
            out.append(("RxNorm", str(entry["rxnorm"]), entry.get("name")))
        out.extend(("RxNorm", p[0], p[1] if len(p) > 1 else None) for p in entry.get("products", ()))
        for b in entry.get("biosimilars", ()):
            if b.get("rxnorm"):
                out.append(("RxNorm", str(b["rxnorm"]), b.get("name")))
            out.extend(("RxNorm", p[0], p[1] if len(p) > 1 else None) for p in b.get("products", ()))
        return out

    def expand(self, system: str, code: str, prefix: bool = False) -> tuple[tuple[str, str, str | None], ...]:
        if system == "RxNorm" and not prefix:
            entry = self._by_rxnorm.get(code)
            return tuple(self._concepts(entry, False)) if entry is not None else ()
        if system == "ATC":
            code = code.upper()
            out: dict[tuple[str, str], str | None] = {}
            for atc, entry in self._by_atc:
                if atc.startswith(code) if prefix else atc == code:
                    for s, c, d in self._concepts(entry, True):
                        out.setdefault((s, c), d)
            return tuple((s, c, d) for (s, c), d in out.items())
        return ()

    def __repr__(self) -> str:
        return f"<TableTerminology {self.release}: {len(self.ingredients)} ingredients>"


class ExpansionTerminology:
    """FHIR ValueSet ``$expand`` results, one per concept that is expanded (see valueset.expansion_key)."""

    def __init__(self, expansions: dict[tuple[str, str], list[tuple[str, str, str | None]]], release: str):
        self.release = release
        self._expansions = expansions

    def expand(self, system: str, code: str, prefix: bool = False) -> tuple[tuple[str, str, str | None], ...]:
        key = (system, code + "*" if prefix else code)
        return tuple(c for c in self._expansions.get(key, ()) if (c[0], c[1]) != (system, code))


class Combined:
    """Several terminologies asked in turn (a directory holding a table and some expansions)."""

    def __init__(self, parts: list):
        self.parts = parts
        self.release = " + ".join(p.release for p in parts)

    def expand(self, system: str, code: str, prefix: bool = False) -> tuple[tuple[str, str, str | None], ...]:
        out: dict[tuple[str, str], str | None] = {}
        for part in self.parts:
            for s, c, d in part.expand(system, code, prefix):
                out.setdefault((s, c), d)
        return tuple((s, c, d) for (s, c), d in out.items())


class _Empty:
    release = "none"

    def expand(self, system: str, code: str, prefix: bool = False) -> tuple:
        return ()


NONE: Terminology = _Empty()


@lru_cache(maxsize=1)
def shipped() -> TableTerminology:
    """The table shipped in the wheel (``data/rxnorm_products.json``)."""
    text = resources.files(__package__).joinpath("data/rxnorm_products.json").read_text(encoding="utf-8")
    return TableTerminology.from_json(json.loads(text), "the shipped terminology table")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise TerminologyError(f"cannot read `{path}`: {err.strerror or err}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise TerminologyError(f"`{path}` is not JSON: {err}") from None


def _from_json(data, where: str, expansions: dict, tables: list) -> None:
    if isinstance(data, dict) and "ingredients" in data:
        tables.append(TableTerminology.from_json(data, where))
        return
    resources_ = [data]
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        resources_ = [e.get("resource") for e in data.get("entry", ()) if isinstance(e, dict)]
    for i, res in enumerate(resources_):
        label = where if len(resources_) == 1 else f"{where} entry[{i}]"
        try:
            vs = read_valueset(res, label)
            key = expansion_key(res, label)
        except ValueSetError as err:
            raise TerminologyError(str(err)) from None
        for system, code, display, at in vs.codes:
            name = normalize_system(system)
            if name is None:
                raise TerminologyError(f"{label}: `{at}.system` is an unknown code system `{system}`")
            expansions.setdefault(key, []).append((name, normalize_code(name, code), display))


def load(path: str | Path) -> Terminology:
    """A site's terminology: a table file in the shipped format, a FHIR ValueSet (or a Bundle of them)
    with an expansion, or a directory of such ``.json`` files.  Raises TerminologyError."""
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if path.is_dir() and not files:
        raise TerminologyError(f"`{path}` holds no .json terminology files")
    expansions: dict = {}
    tables: list = []
    for file in files:
        _from_json(_read_json(file), str(file), expansions, tables)
    parts = tables + ([ExpansionTerminology(expansions, f"expansions in {path}")] if expansions else [])
    return parts[0] if len(parts) == 1 else Combined(parts)


def resolve(terminology) -> Terminology:
    """``terminology`` as given to the compile functions: None (the shipped table), False (none), a path,
    or a Terminology."""
    if terminology is None:
        return shipped()
    if terminology is False:
        return NONE
    if isinstance(terminology, str | Path):
        return load(terminology)
    return terminology


def from_directory(path: str | Path) -> Terminology:
    """:func:`load` for a directory (a site's release or a terminology server's expansion files)."""
    return load(path)


TableTerminology.from_directory = staticmethod(from_directory)  # type: ignore[attr-defined]
Terminology.from_directory = staticmethod(from_directory)  # type: ignore[attr-defined]

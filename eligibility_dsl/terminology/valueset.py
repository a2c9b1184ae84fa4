"""FHIR R4 ValueSet resources, read into code lists: ``import valueset`` and a terminology server's expansions.

What is read (docs/terminology.md): an ``expansion`` (its ``contains``, nested ones too; abstract
concepts are left out, inactive ones kept because old records carry them) or, without one, a
``compose`` whose includes and excludes list their concepts.  What a plain reader cannot compute -- an
include by ``filter``, by another ``valueSet``, or of a whole code system -- is an error naming the
element, never a silently smaller set: expand such a value set on a terminology server and import the
expansion.
"""

from __future__ import annotations

from ..runtime.codes import PREFIX_SYSTEMS, normalize_code, normalize_system

__all__ = ["ValueSetContent", "ValueSetError", "expansion_key", "read_valueset"]


class ValueSetError(ValueError):
    """A ValueSet that cannot be read; the message names the element (``compose.include[0].concept[2]``)."""


class ValueSetContent:
    """The codes a ValueSet holds: ``codes`` as (system as written, code, display, element path),
    ``excluded`` the same for compose.exclude, ``title`` for the code set's description."""

    __slots__ = ("codes", "excluded", "title")

    def __init__(self, codes: list, excluded: list, title: str | None):
        self.codes, self.excluded, self.title = codes, excluded, title


def _text(value, path: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueSetError(f"{where}: `{path}` must be a non-empty string")
    return value


def _list(value, path: str, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueSetError(f"{where}: `{path}` must be a list")
    return value


def _contains(items, path: str, where: str, out: list, depth: int = 0) -> None:
    if depth > 50:
        raise ValueSetError(f"{where}: `{path}` nests more than 50 levels")
    for i, item in enumerate(_list(items, path, where)):
        here = f"{path}[{i}]"
        if not isinstance(item, dict):
            raise ValueSetError(f"{where}: `{here}` must be an object")
        if "code" in item and item.get("abstract") is not True:
            out.append((_text(item.get("system"), f"{here}.system", where), _text(item["code"], f"{here}.code", where),
                        item.get("display") if isinstance(item.get("display"), str) else None, here))
        _contains(item.get("contains"), f"{here}.contains", where, out, depth + 1)


def _compose_part(parts, path: str, where: str, out: list) -> None:
    for i, inc in enumerate(_list(parts, path, where)):
        here = f"{path}[{i}]"
        if not isinstance(inc, dict):
            raise ValueSetError(f"{where}: `{here}` must be an object")
        if inc.get("valueSet"):
            raise ValueSetError(f"{where}: `{here}.valueSet` refers to another value set, which is not read here; "
                                "import each value set, or import an expansion")
        if inc.get("filter"):
            raise ValueSetError(f"{where}: `{here}.filter` selects concepts by a rule that needs a terminology "
                                "server; expand the value set there and import the expansion")
        system = _text(inc.get("system"), f"{here}.system", where)
        concepts = _list(inc.get("concept"), f"{here}.concept", where)
        if not concepts:
            raise ValueSetError(f"{where}: `{here}` includes all of `{system}`, which cannot be listed; "
                                "list its concepts")
        for j, concept in enumerate(concepts):
            at = f"{here}.concept[{j}]"
            if not isinstance(concept, dict):
                raise ValueSetError(f"{where}: `{at}` must be an object")
            display = concept.get("display")
            out.append((system, _text(concept.get("code"), f"{at}.code", where),
                        display if isinstance(display, str) else None, at))


def read_valueset(resource, where: str) -> ValueSetContent:
    """The codes of one ValueSet resource (parsed JSON).  Raises ValueSetError."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "ValueSet":
        found = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
        raise ValueSetError(f"{where}: not a FHIR ValueSet (found `{found}`)")
    title = resource.get("title") or resource.get("name")
    title = title if isinstance(title, str) else None
    codes: list = []
    excluded: list = []
    expansion = resource.get("expansion")
    if expansion is not None:
        if not isinstance(expansion, dict):
            raise ValueSetError(f"{where}: `expansion` must be an object")
        _contains(expansion.get("contains"), "expansion.contains", where, codes)
        return ValueSetContent(codes, excluded, title)
    compose = resource.get("compose")
    if not isinstance(compose, dict):
        raise ValueSetError(f"{where}: the ValueSet has neither an `expansion` nor a `compose`")
    _compose_part(compose.get("include"), "compose.include", where, codes)
    _compose_part(compose.get("exclude"), "compose.exclude", where, excluded)
    if not codes:
        raise ValueSetError(f"{where}: `compose.include` lists no concepts")
    return ValueSetContent(codes, excluded, title)


_KEY_OPS = {"=": False, "is-a": True, "descendent-of": True}


def expansion_key(resource: dict, where: str) -> tuple[str, str]:
    """Which concept a terminology server's expansion expands: (system, code), or (system, prefix + "*")
    for an ATC class, from the first ``compose.include[].filter`` with op ``=``, ``is-a`` or
    ``descendent-of`` (e.g. RxNorm ``{"property": "ingredient", "op": "=", "value": "121191"}``)."""
    compose = resource.get("compose") if isinstance(resource, dict) else None
    for inc in (compose or {}).get("include", ()) if isinstance(compose, dict) else ():
        if not isinstance(inc, dict) or not isinstance(inc.get("system"), str):
            continue
        system = normalize_system(inc["system"])
        for f in inc.get("filter") or ():
            if isinstance(f, dict) and f.get("op") in _KEY_OPS and isinstance(f.get("value"), str) and system:
                code = normalize_code(system, f["value"])
                return system, code + "*" if _KEY_OPS[f["op"]] and system in PREFIX_SYSTEMS else code
    raise ValueSetError(f"{where}: cannot tell which concept this expansion expands (expected a "
                        "`compose.include[].filter` such as RxNorm ingredient = 121191)")

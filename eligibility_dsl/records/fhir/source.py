"""Reading FHIR R4 JSON: bundles and Bulk Data NDJSON, flattened to resources, grouped by patient.

Why parse numbers as decimals: FHIR decimals are exact (``0.1`` is one tenth), and this library
never computes with floats.  msgspec decodes with a float hook that hands over the number's text,
so ``Decimal`` sees exactly what the file says; without msgspec the standard library does the same
(slower).  Nothing here builds resource objects: resources stay the decoded dicts.

Why an index of references: a resource names another in several forms (``urn:uuid:...``, an
absolute URL, ``Type/id``, ``#id`` for a contained resource, ``Type?identifier=system|value`` in a
transaction), and each must lead to the same resource, or an event silently loses its patient.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..binder import InputError

try:  # msgspec is the fast path (the `fhir` extra); the standard library is exact too, only slower
    import msgspec

    _DECODER = msgspec.json.Decoder(float_hook=decimal.Decimal)

    def _decode(data: bytes) -> Any:
        return _DECODER.decode(data)

    _DecodeError: tuple[type[Exception], ...] = (msgspec.DecodeError,)
except ImportError:  # pragma: no cover - exercised only where msgspec is absent
    def _decode(data: bytes) -> Any:
        return json.loads(data, parse_float=decimal.Decimal)

    _DecodeError = (json.JSONDecodeError, UnicodeDecodeError)


class FhirError(InputError):
    """FHIR input that cannot be read at all (not JSON, not a Bundle, an unsupported bundle type)."""


BUNDLE_TYPES = ("transaction", "collection", "searchset", "batch-response", "transaction-response", "batch",
                "document", "message")


def decode(data: bytes | str, where: str) -> Any:
    try:
        return _decode(data.encode("utf-8") if isinstance(data, str) else data)
    except _DecodeError as err:
        raise FhirError(f"{where}: invalid JSON: {str(err).lower()}") from None


def load_json(path: str | Path) -> Any:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise FhirError(f"cannot read `{path}`: {err.strerror or err}") from None
    return decode(data, str(path))


def bundle_resources(bundle: Any, where: str) -> list[tuple[dict, str | None]]:
    """Every resource of a bundle (nested bundles flattened), each with its entry's fullUrl."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        kind = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        raise FhirError(f"{where}: expected a FHIR Bundle, found `{kind}`")
    kind = bundle.get("type")
    if kind not in BUNDLE_TYPES:
        # A history bundle holds several versions of one resource: reading them as events would
        # count a resource once per version.
        raise FhirError(f"{where}: bundles of type `{kind}` are not read (expected one of "
                        f"{', '.join(BUNDLE_TYPES)})")
    out: list[tuple[dict, str | None]] = []
    for entry in bundle.get("entry") or ():
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            continue  # a batch-response entry without a resource (e.g. a failed request)
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue  # an OperationOutcome about the search, not data
        if resource.get("resourceType") == "Bundle":
            out.extend(bundle_resources(resource, where))
            continue
        out.append((resource, entry.get("fullUrl")))
    return out


def ndjson_resources(directory: str | Path) -> Iterator[tuple[dict, str | None]]:
    """Every resource of a Bulk Data export directory: each ``*.ndjson`` file, one resource a line."""
    root = Path(directory)
    if not root.is_dir():
        raise FhirError(f"`{directory}` is not a directory of NDJSON files")
    files = sorted(root.glob("*.ndjson"))
    if not files:
        raise FhirError(f"`{directory}` holds no `*.ndjson` file")
    for path in files:
        try:
            lines = path.read_bytes().splitlines()
        except OSError as err:
            raise FhirError(f"cannot read `{path}`: {err.strerror or err}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            resource = decode(line, f"{path}:{number}")
            if not isinstance(resource, dict) or "resourceType" not in resource:
                raise FhirError(f"{path}:{number}: expected a FHIR resource (an object with `resourceType`)")
            yield resource, None


def resource_key(resource: dict, full_url: str | None) -> str:
    """``Type/id``: how events cite the resource.  Without an id (a transaction entry known only by
    its ``urn:uuid:`` fullUrl) the fullUrl's last part stands in for it."""
    rid = resource.get("id")
    if not rid and full_url:
        rid = full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return f"{resource.get('resourceType')}/{rid or '?'}"


class Index:
    """Resources by every name a reference may use."""

    def __init__(self, resources: Iterable[tuple[dict, str | None]]):
        self.by_name: dict[str, dict] = {}
        self.keys: dict[int, str] = {}
        self.identifiers: dict[tuple[str, str, str], list[dict]] = {}
        self.any_system: dict[tuple[str, str], list[dict]] = {}  # `identifier=value`: any system
        for resource, full_url in resources:
            key = resource_key(resource, full_url)
            self.keys[id(resource)] = key
            self.by_name.setdefault(key, resource)
            if full_url:
                self.by_name.setdefault(full_url, resource)
                if "/" in full_url and not full_url.startswith("urn:"):  # http://server/fhir/Type/id
                    self.by_name.setdefault("/".join(full_url.rstrip("/").split("/")[-2:]), resource)
            for ident in resource.get("identifier") or ():
                if isinstance(ident, dict) and isinstance(ident.get("value"), str):
                    rtype = resource.get("resourceType", "")
                    self.identifiers.setdefault((rtype, ident.get("system") or "", ident["value"]), []).append(
                        resource)
                    self.any_system.setdefault((rtype, ident["value"]), []).append(resource)

    def key(self, resource: dict) -> str:
        return self.keys.get(id(resource)) or resource_key(resource, None)

    def resolve(self, reference: Any, within: dict | None = None) -> dict | None:
        """The resource a Reference (or its ``reference`` text) points at, or None."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str) or not reference:
            return None
        if reference.startswith("#"):
            for contained in (within or {}).get("contained") or ():
                if isinstance(contained, dict) and contained.get("id") == reference[1:]:
                    return contained
            return None
        found = self.by_name.get(reference)
        if found is not None:
            return found
        if "?" in reference:
            return self._conditional(reference)
        if "/_history/" in reference:
            return self.by_name.get(reference.split("/_history/")[0])
        parts = reference.rstrip("/").split("/")
        return self.by_name.get("/".join(parts[-2:])) if len(parts) >= 2 else None

    def _conditional(self, reference: str) -> dict | None:
        """``Type?identifier=system|value``: the one resource of that type with that identifier."""
        rtype, _, query = reference.partition("?")
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name != "identifier":
                continue
            system, bar, code = value.partition("|")
            matches = (self.identifiers.get((rtype, system, code), []) if bar
                       else self.any_system.get((rtype, value), []))
            if len(matches) == 1:
                return matches[0]
        return None

"""A canonical serialisation of the syntax tree: what a criteria file *says*, without its layout.

Decision records hash it next to each file's text, so that an auditor can tell a change of meaning from a
change of comments or layout.  The form follows the AST's own equality exactly: spans (and every other
field excluded from equality, such as ``name_span``) are left out, numbers are written by value
(``1.0`` and ``1`` are equal, as ``Decimal`` compares them), and a module's file name is left out too
(records name files themselves, relative to the trial).  Two trees that compare equal serialise the
same, and two that differ serialise differently (``tests/test_record.py`` states both laws).

The result is plain JSON data (dicts, lists, strings, booleans, None): a node is
``{"node": "Compare", "op": ">", "left": ..., "right": ...}``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from ..runtime.decimal_context import EXACT as EXACT_CONTEXT
from . import ast as A

AST_FORMAT = "eligibility-dsl-ast/1"  # bump when the serialisation below changes

_FIELDS: dict[type, tuple[str, ...]] = {}
_NEW_OPTIONAL = frozenset({(A.FactDecl, "range")})


def _fields(cls: type) -> tuple[str, ...]:
    # The fields that take part in equality, in declaration order (cached per class).
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in attrs.fields(cls) if f.eq and not (
            cls is A.Module and f.name == "file"))
    return names


def _decimal(value: Decimal) -> str:
    # By value: Decimal("1.0") == Decimal("1"), so both are "1"; never an exponent.
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(EXACT_CONTEXT), "f")  # never the caller's decimal context (its precision)
    return "0" if text in ("-0", "0") else text


def canonical_ast(node: Any) -> Any:
    """The canonical JSON form of an AST node (or a tuple of them, or a field value)."""
    if isinstance(node, A.Node):
        out: dict[str, Any] = {"node": type(node).__name__}
        for name in _fields(type(node)):
            value = getattr(node, name)
            if value is None and (type(node), name) in _NEW_OPTIONAL:
                continue  # a field added later, left out when absent: older files keep their hashes
            out[name] = canonical_ast(value)
        return out
    if isinstance(node, tuple | list):
        return [canonical_ast(item) for item in node]
    if isinstance(node, bool) or node is None or isinstance(node, str | int):
        return node
    if isinstance(node, Decimal):
        return {"decimal": _decimal(node)}
    raise TypeError(f"no canonical form for {type(node).__name__} in a syntax tree")

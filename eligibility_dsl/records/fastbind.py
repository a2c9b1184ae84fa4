"""A record binder specialised for one trial: generated code for the common case, the general binder
for everything else.

The general :class:`~eligibility_dsl.records.binder.RecordBinder` walks a record field by field and
collects every problem with its path. Most records have none, so the specialised binder first tries a
*fast path*, generated per trial: the record's keys and its facts' keys are checked with set operations,
each declared fact is read by straight-line code (a boolean is tested in place; other kinds go through the
general binder's own readers, so a value is accepted or refused by exactly the same rules), and each
distinct date text is parsed once per record. At the first thing the fast path does not accept — an unknown
key, a value of the wrong kind, a malformed value — it gives up and the general binder binds the record,
producing the same messages as always. So the fast path can only be faster, never different: a property
test binds random records both ways and compares.

As in generated evaluators, no text from the criteria file becomes code: fact names are constants bound in
the generated function's namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .binder import _READERS, RECORD_FIELDS, BoundRecord, RecordBinder, _Invalid
from .model import COLLECTIONS, MODEL_VERSION

# Top-level keys the fast path reads itself; a record with event collections or coverage is bound by the
# general binder's event code (``_events``/``_coverage``), still after the fast facts.
_EVENT_KEYS = frozenset((*COLLECTIONS, "coverage"))


def specialise(binder: RecordBinder) -> Callable[[Any], BoundRecord]:
    """A function binding records as ``binder.bind`` does, faster when the record is well formed."""
    lines: list[str] = []
    namespace: dict[str, Any] = {"BoundRecord": BoundRecord, "_Invalid": _Invalid, "slow": binder.bind,
                                 "events_and_coverage": _events_and_coverage(binder),
                                 "TOP": frozenset(RECORD_FIELDS), "EVENT_KEYS": _EVENT_KEYS,
                                 "DECLARED": frozenset(binder.declared), "VERSION": MODEL_VERSION, "EMPTY": {}}

    def const(value: Any) -> str:
        name = f"k{len(namespace)}"
        namespace[name] = value
        return name

    emit = lines.append
    emit("def bind(record):")
    emit("    if type(record) is not dict or not record.keys() <= TOP:")
    emit("        return slow(record)")
    # A record's coverage_policy and source problems (e.g. from the FHIR adapter) are read by the
    # general binder only.
    emit("    if 'coverage_policy' in record or 'problems' in record or 'as_of' in record:")
    emit("        return slow(record)")
    emit("    if 'facts' in record:")
    emit("        facts = record['facts']")
    emit("        if type(facts) is not dict or not facts.keys() <= DECLARED:")
    emit("            return slow(record)")
    emit("    else:")
    emit("        facts = EMPTY")
    emit("    rid = record.get('id')")
    emit("    if rid is not None and type(rid) is not str:")
    emit("        return slow(record)")
    emit("    version = record.get('record_version')")
    emit("    if version is not None and version != VERSION:")
    emit("        return slow(record)")
    emit("    try:")
    names = []
    for source, specs in (("record", binder.builtin), ("facts", binder.declared)):
        for name, spec in specs.items():
            local = f"v{len(names)}"
            names.append((name, local))
            key = const(name)
            emit(f"        {local} = {source}.get({key})")
            if spec.type.kind == "boolean":
                emit(f"        if {local} is not None and {local} is not True and {local} is not False:")
                emit("            return slow(record)")
            elif spec.type.kind in _READERS:
                reader, typ = const(_READERS[spec.type.kind]), const(spec.type)
                emit(f"        if {local} is not None:")
                emit(f"            {local} = {reader}({local}, {typ})")
            else:  # a kind only the general binder knows
                emit("        return slow(record)")
    emit("    except _Invalid:")
    emit("        return slow(record)")
    values = ", ".join(f"{const(name)}: {local}" for name, local in names)
    emit(f"    values = {{{values}}}")
    emit("    if EVENT_KEYS.isdisjoint(record.keys()):")
    emit("        return BoundRecord(rid, values, {}, {})")
    emit("    found = events_and_coverage(record)")
    emit("    if found is None:")
    emit("        return slow(record)")
    emit("    return BoundRecord(rid, values, found[0], found[1])")
    code = compile("\n".join(lines) + "\n", "<eligibility_dsl binder>", "exec")
    exec(code, namespace)
    return namespace["bind"]


def _events_and_coverage(binder: RecordBinder) -> Callable[[dict], tuple[dict, dict] | None]:
    """The record's events and coverage through the general binder's own code, or None when it found
    a problem (then the general binder binds the whole record, to report every problem)."""
    def read(record: dict):
        issues: list = []
        events = {name: binder._events(record[name], COLLECTIONS[name], issues)
                  for name in COLLECTIONS if name in record}
        coverage = binder._coverage(record["coverage"], issues) if "coverage" in record else {}
        if issues:
            return None
        seen: set[str] = set()
        for items in events.values():
            for e in items:
                if e.id in seen:  # a duplicate id: the general binder says where
                    return None
                seen.add(e.id)
        return events, coverage
    return read

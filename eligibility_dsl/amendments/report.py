"""`elig diff`: compile both versions, compare them, evaluate patients under both, and render the result.

A patient record that does not fit one version is a row of the result (its problem stated), never a
stopped run.  The 3x3 table counts patients by (old outcome, new outcome); for each patient whose
outcome changed, the criteria whose status moved the same way (for the worse, or for the better) say why.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..api import CompileError, Trial, check_file
from ..explain import Outcome
from ..records.binder import InputError
from .compare import compare_trials

OUTCOMES = (Outcome.ELIGIBLE.value, Outcome.INDETERMINATE.value, Outcome.INELIGIBLE.value)


def _compile(path: str) -> Trial:
    checked, diagnostics = check_file(path)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise CompileError(errors, checked.sources)
    return Trial(checked)


def _own_facts(trial: Trial, record):
    """The record with only the facts this version declares: a patient folder for an amendment holds the
    facts of both versions (a fact one version dropped is not an error in the other's eyes)."""
    if not isinstance(record, dict) or not isinstance(record.get("facts"), dict):
        return record
    return {**record, "facts": {k: v for k, v in record["facts"].items() if k in trial.facts}}


def _favour(kind: str, status: str | None) -> int:
    """How a status serves the patient: 2 passes (an absent criterion passes everyone), 1 unknown, 0 fails."""
    if status is None:
        return 2
    return {"MET": 2, "UNKNOWN": 1, "NOT_MET": 0}[status] if kind == "include" else \
        {"MET": 0, "UNKNOWN": 1, "NOT_MET": 2}[status]


def evaluate_patients(old: Trial, new: Trial, folder: Path, anchors: dict[str, str]) -> dict:
    table = {o: dict.fromkeys(OUTCOMES, 0) for o in OUTCOMES}
    changed, failed = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            a, b = (trial.evaluate(_own_facts(trial, record), {k: anchors[k] for k in trial.anchors}, trace=False)
                    for trial in (old, new))
        except (InputError, ValueError, OSError, AttributeError, TypeError) as err:
            failed.append({"patient": path.name, "problem": str(err)})
            continue
        o, n = a.outcome.value, b.outcome.value
        table[o][n] += 1
        if o != n:
            before = {c.id: str(c.status) for c in a.criteria}
            after = {c.id: str(c.status) for c in b.criteria}
            kinds = {c.id: c.kind for c in (*a.criteria, *b.criteria)}
            worse = OUTCOMES.index(n) > OUTCOMES.index(o)
            why = [{"id": cid, "old": before.get(cid, "absent"), "new": after.get(cid, "absent")}
                   for cid in dict.fromkeys([*before, *after])
                   if (_favour(kinds[cid], after.get(cid)) < _favour(kinds[cid], before.get(cid))) == worse
                   and _favour(kinds[cid], after.get(cid)) != _favour(kinds[cid], before.get(cid))]
            changed.append({"patient": path.name, "id": a.record_id, "old": o, "new": n, "criteria": why})
    return {"table": table, "changed": changed, "failed": failed}


class DiffInputError(InputError):
    """An anchor or folder `elig diff --patients` cannot use."""


def diff(old_path: str, new_path: str, patients: str | None = None, anchors: dict[str, str] | None = None) -> dict:
    """The amendment from OLD to NEW as data (raises CompileError for a file with errors, DiffInputError
    for unusable patient input)."""
    old, new = _compile(old_path), _compile(new_path)
    result = compare_trials(old.checked, new.checked, (old, new))
    if patients:
        anchors = anchors or {}
        missing = sorted((set(old.anchors) | set(new.anchors)) - set(anchors))
        if missing:
            raise DiffInputError("--patients needs every anchor: " + ", ".join(f"--anchor {m}=YYYY-MM-DD"
                                                                              for m in missing))
        folder = Path(patients)
        if not folder.is_dir():
            raise DiffInputError(f"`{folder}` is not a folder of patient records")
        result["patients"] = evaluate_patients(old, new, folder, anchors)
    return result


def _example_text(example: dict) -> str:
    if "values" in example:
        values = ", ".join(f"{k} = {v}" for k, v in example["values"].items()) or "any patient"
        return f"{values}: old {example['old']}, new {example['new']}"
    return f"record {json.dumps(example['record'], default=str)}: old {example['old']}, new {example['new']}"


def render_text(result: dict) -> str:
    old, new = result["old"], result["new"]
    lines = [f"{old['id']} {old['version'] or ''} -> {new['id']} {new['version'] or ''}".replace("  ", " ")]
    for c in result["added"]:
        lines.append(f"+ {c['kind']} {c['id']} \"{c['text']}\" (added)")
    for c in result["removed"]:
        lines.append(f"- {c['kind']} {c['id']} \"{c['text']}\" (removed)")
    for c in result["changed"]:
        what = "text and logic" if c["text_changed"] and c["logic_changed"] else "logic" if c["logic_changed"] \
            else "protocol text only"
        lines.append(f"~ {c['kind']} {c['id']}: {c['verdict']} ({what} changed; {c.get('method', 'solver')})")
        for direction, example in c["examples"].items():
            if example is None:
                lines.append(f"    {direction}: the solver gave up")
            else:
                lines.append(f"    {direction}: {_example_text(example)}")
        if c.get("differing_outside_fragment"):
            lines.append("    outside the solver's fragment: " + "; ".join(c["differing_outside_fragment"]))
            if "records_tried" in c:
                lines.append(f"    random search over {c['records_tried']} records")
    if result["unchanged"]:
        lines.append("unchanged: " + ", ".join(result["unchanged"]))
    patients = result.get("patients")
    if patients:
        lines.append("")
        lines.append("old \\ new".ljust(15) + "".join(o.ljust(15) for o in OUTCOMES))
        for o in OUTCOMES:
            lines.append(o.ljust(15) + "".join(str(patients["table"][o][n]).ljust(15) for n in OUTCOMES))
        for p in patients["changed"]:
            why = ", ".join(f"{c['id']} {c['old']} -> {c['new']}" for c in p["criteria"])
            lines.append(f"{p['patient']}: {p['old']} -> {p['new']} ({why})")
        for p in patients["failed"]:
            lines.append(f"{p['patient']}: not evaluated: {p['problem']}")
    return "\n".join(lines)

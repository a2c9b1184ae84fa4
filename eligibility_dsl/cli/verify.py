"""`elig verify`: replay a recorded decision and confirm it, or say exactly what differs; check a decision log.

    elig verify DECISION.json --trial FILE --patient FILE    replay (DECISION.json: one record, or JSON Lines)
    elig verify --log FILE                                   check the whole hash chain

Exit status 0 when every decision replays exactly (or the chain holds), 5 when anything differs (or the
chain is broken, or its last line is torn); 1 and 2 as for every command (the criteria have errors; an
input cannot be read).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..explain.canonical import load_strict, sha256_of
from ..explain.log import verify_log
from ..explain.record import RecordBuilder, integrity_problems
from ..records.binder import InputError
from ..version import __version__
from . import present
from .common import InputProblem, read_text
from .trialfile import add_lib_path, compile_trial

DIFFERS = 5


def add_parser(sub) -> None:
    cmd = sub.add_parser("verify", help="replay a decision record and confirm it (or say what differs); check a "
                                        "decision log's hash chain")
    cmd.add_argument("decision", nargs="?", metavar="DECISION.json",
                     help="a decision record (`elig eval --format json`), or several, one per line")
    cmd.add_argument("--trial", metavar="FILE", help="the criteria file to replay with")
    cmd.add_argument("--patient", metavar="FILE", help="the patient record (or a JSON list of records)")
    cmd.add_argument("--log", metavar="FILE", help="check this decision log's whole chain instead")
    add_lib_path(cmd)
    cmd.set_defaults(run=run)


def _read_json(path: str) -> Any:
    try:
        return load_strict(read_text(path))
    except ValueError as err:
        raise InputProblem(f"`{path}` is not valid JSON: {str(err).lower()}") from None


def _decisions(path: str) -> list[Any]:
    text = read_text(path)
    try:
        return [load_strict(text)]
    except ValueError:
        pass
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append(load_strict(line))
            except ValueError as err:
                raise InputProblem(f"{path}:{number}: not a decision record: {str(err).lower()}") from None
    if not out:
        raise InputProblem(f"`{path}` holds no decision record")
    return out


def run(args: argparse.Namespace) -> int:
    con = present.console()
    if args.log:
        if args.decision:
            raise InputProblem("give a decision record or `--log FILE`, not both")
        return _verify_log(con, args.log)
    if not (args.decision and args.trial and args.patient):
        raise InputProblem("usage: `elig verify DECISION.json --trial FILE --patient FILE`, or "
                           "`elig verify --log FILE`")
    trial = compile_trial(args.trial, args)
    builder = RecordBuilder(trial.checked)
    patients = _read_json(args.patient)
    patients, is_list = (patients, True) if isinstance(patients, list) else ([patients], False)
    worst = 0
    for record in _decisions(args.decision):
        lines = verify_one(record, trial, builder, patients, is_list, args.patient)
        present.write(con, "\n".join(lines) + "\n")
        worst = max(worst, 0 if lines[0].startswith("confirmed") else DIFFERS)
    return worst


def _pick(stored: dict, patients: list, is_list: bool) -> tuple[Any, int | None, str | None]:
    """The patient record a decision was made from: by id, else by position. (record, position, problem)"""
    rid = stored.get("id")
    if rid is not None:
        for position, raw in enumerate(patients):
            if isinstance(raw, dict) and raw.get("id") == rid:
                return raw, position if is_list else None, None
        return None, None, f"the patient file holds no record `{rid}`"
    position = stored.get("position")
    if position is None and not is_list:
        return patients[0], None, None
    if isinstance(position, int) and 0 <= position < len(patients):
        return patients[position], position, None
    return None, None, f"the patient file has no record at position {position}"


def verify_one(record: Any, trial, builder: RecordBuilder, patients: list, is_list: bool,
               patient_path: str) -> list[str]:
    """What a replay of one decision record shows: ``["confirmed: ..."]`` or ``["differs: ...", "  - ...",
    ...]`` listing each difference (the record was altered; criteria, record or engine changed; the outcome
    did or did not change; which criteria changed status)."""
    problems = integrity_problems(record)
    if problems and problems[0].startswith(("not a decision record", "decision record format")):
        return ["differs: " + problems[0]]
    content = record["content"] if isinstance(record.get("content"), dict) else {}
    head = f"decision {record.get('id')}"
    diffs = list(problems)
    try:
        stored_input = content["record"]
        anchors_text = content["anchors"]
        evaluation = content["evaluation"]
        stored_outcome = content["outcome"]
    except (KeyError, TypeError):
        return [f"differs: {head}", "  - the record's content lacks the fields a replay needs"]
    # What went in: the criteria, the patient record, the engine.
    diffs += _criteria_diffs(content.get("criteria_files", []), builder.files)
    raw, position, missing = _pick(stored_input, patients, is_list)
    if missing:
        return [f"differs: {head}", *(f"  - {d}" for d in diffs), f"  - {missing}"]
    now_hash = sha256_of(raw)
    if now_hash != stored_input.get("sha256"):
        diffs.append(f"the patient record changed: its canonical JSON hashed to {stored_input.get('sha256')}, now "
                     f"to {now_hash}")
    engine = content.get("engine", {})
    if engine.get("version") != __version__ or engine.get("name") != "eligibility_dsl":
        diffs.append(f"the engine changed: {engine.get('name')} {engine.get('version')} recorded, eligibility_dsl "
                     f"{__version__} now")
    # The replay.
    try:
        anchors = trial.parse_anchors(anchors_text)
        bound = trial.bind(raw)
        decision = trial.evaluate_bound(bound, anchors, trace=evaluation.get("traces", "full"),
                                        fast=evaluation.get("mode") == "fast")
        replayed = builder.content(decision, raw, view=evaluation.get("view", "summary"),
                                   input_file=stored_input.get("file"), position=stored_input.get("position"))
    except (InputError, ValueError) as err:
        return [f"differs: {head}", *(f"  - {d}" for d in diffs), f"  - the replay could not run: {err}"]
    same = "sha256:" + sha256_of(replayed) == record.get("id") and not problems
    if same:
        who = stored_input.get("id") or f"{patient_path} record {position}"
        return [f"confirmed: {head} ({stored_outcome}, record {who}) replays exactly: the same criteria "
                f"({len(builder.files)} files), the same patient record, the same engine "
                f"(eligibility_dsl {__version__})"]
    now_outcome = replayed["outcome"]
    if now_outcome == stored_outcome:
        diffs.append(f"the outcome did not change: {stored_outcome}")
    else:
        diffs.append(f"the outcome changed: {stored_outcome} recorded, {now_outcome} now")
    diffs += _status_diffs(content.get("criteria", []), replayed["criteria"])
    if not diffs or all(d.startswith("the outcome did not change") for d in diffs):
        diffs += [f"the replayed decision differs at {p}" for p in _paths(content, replayed)[:5]]
    return [f"differs: {head}", *(f"  - {d}" for d in diffs)]


def _criteria_diffs(stored: list, now: list) -> list[str]:
    old = {f.get("name"): f for f in stored if isinstance(f, dict)}
    new = {f["name"]: f for f in now}
    out = []
    for name in sorted(old.keys() - new.keys()):
        out.append(f"the criteria changed: `{name}` is no longer part of them")
    for name in sorted(new.keys() - old.keys()):
        out.append(f"the criteria changed: `{name}` is new")
    for name in sorted(old.keys() & new.keys()):
        if old[name].get("sha256") != new[name]["sha256"]:
            same_tree = old[name].get("ast_sha256") == new[name]["ast_sha256"]
            meaning = ("its syntax tree did not (comments or layout only)" if same_tree
                       else "its syntax tree too (what it says changed)")
            out.append(f"the criteria changed: `{name}`'s text changed, and {meaning}")
    return out


def _status_diffs(stored: list, now: list) -> list[str]:
    old = {c.get("id"): c.get("status") for c in stored if isinstance(c, dict)}
    changes = [f"{c['id']} {old.get(c['id'], 'absent')} → {c['status']}" for c in now
               if old.get(c["id"]) != c["status"]]
    changes += [f"{cid} {status} → absent" for cid, status in old.items() if cid not in {c["id"] for c in now}]
    return [f"criteria whose status changed: {', '.join(changes)}"] if changes else []


def _paths(a: Any, b: Any, path: str = "content") -> list[str]:
    """Where two JSON values differ (the first few paths)."""
    if type(a) is not type(b):
        return [path]
    if isinstance(a, dict):
        out = []
        for key in sorted(a.keys() | b.keys()):
            out += [f"{path}.{key}"] if key not in a or key not in b else _paths(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [path]
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _paths(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def _verify_log(con, path: str) -> int:
    try:
        report = verify_log(path)
    except OSError as err:
        raise InputProblem(f"cannot read `{path}`: {err.strerror or err}") from None
    lines = []
    if report.broken is not None:
        line, why = report.broken
        lines.append(f"broken: {path}: the first broken entry is at line {line}: {why}")
        lines.append(f"  {report.entries} entries before it verify")
    elif report.torn is not None:
        line, size = report.torn
        lines.append(f"torn: {path}: line {line} is incomplete ({size} bytes without a line end: a writer stopped "
                     f"mid-line); the {report.entries} entries before it verify")
        lines.append("  the next `elig eval --log` seals it with an entry that records its length and hash")
    else:
        head = f", head sha256:{report.head}" if report.head else ""
        lines.append(f"confirmed: {path}: the chain holds ({report.entries} entries{head})")
    lines += [f"  warning: {w}" for w in report.warnings]
    present.write(con, "\n".join(lines) + "\n")
    return 0 if report.ok else DIFFERS

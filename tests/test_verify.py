"""Replaying decisions and checking the decision log, as an auditor does.

- the decision record schema validates every decision the example patients and fixtures produce, in every
  view and in fast mode;
- `elig verify` confirms every example patient, and says what differs when the criteria, the record or the
  decision changed;
- tampering: any one-byte change to the decision, the criteria or the patient record is detected unless it
  leaves the file meaning exactly the same (property tests, with the law in each docstring);
- the log: the chain check names the first broken entry; a writer killed mid-line (a real subprocess,
  SIGKILL) leaves a torn line that is reported and then sealed, never dropped; two writers at once
  interleave whole entries only.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
from audit_cases import SSC, SSC_ANCHORS, cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility_dsl import compile_file
from eligibility_dsl.cli import main
from eligibility_dsl.cli.verify import verify_one
from eligibility_dsl.explain.canonical import canonical_json, load_strict, sha256_hex
from eligibility_dsl.explain.log import DecisionLog, verify_log
from eligibility_dsl.explain.record import RecordBuilder, decision_schema

ROOT = Path(__file__).parent.parent
CASES = cases()
SCHEMA = jsonschema.Draft202012Validator(decision_schema())
ANCHOR_ARGS = [f"--anchor={k}={v}" for k, v in SSC_ANCHORS.items()]


@functools.cache
def compiled(path: Path):
    trial = compile_file(path, lib_path=[Path(__file__).parent.parent / "trials" / "lib"])  # examples: ../lib
    return trial, RecordBuilder(trial.checked)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_published_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(decision_schema())
    assert decision_schema()["$id"] == "urn:eligibility-dsl:decision-record:v1"


def test_elig_schema_decision_prints_it(capsys):
    code, out, _ = run(capsys, "schema", "decision")
    assert code == 0 and json.loads(out) == decision_schema()


@pytest.mark.parametrize(("name", "trial_path", "record", "anchors"), CASES, ids=[c[0] for c in CASES])
def test_the_schema_validates_every_decision_of_the_examples_and_fixtures(name, trial_path, record, anchors):
    trial, builder = compiled(trial_path)
    # The full view holds every field the other views hold (they differ only in which trace trees they
    # keep), so it and a fast evaluation's summary stand for all of them.
    for fast, views in ((False, ("full",)), (True, ("summary",))):
        decision = trial.evaluate(record, anchors, fast=fast)
        for view in views:
            built = builder.build(decision, record, view=view, input_file="x.json", position=0,
                                  metadata={"evaluated_at": "2025-09-11T09:00:00+00:00"})
            errors = sorted(SCHEMA.iter_errors(json.loads(json.dumps(built))), key=lambda e: list(e.path))
            assert not errors, f"{view}, fast={fast}: {errors[0].message} at {list(errors[0].path)}"


@pytest.mark.parametrize(("name", "trial_path", "record", "anchors"), CASES, ids=[c[0] for c in CASES])
def test_verify_confirms_every_example_patient(name, trial_path, record, anchors):
    trial, builder = compiled(trial_path)
    built = builder.build(trial.evaluate(record, anchors), record, view="fails", input_file="p.json")
    stored = load_strict(json.dumps(built))  # as read back from a file
    patient = load_strict(json.dumps(record, default=str))
    lines = verify_one(stored, trial, builder, [patient], False, "p.json")
    assert lines[0].startswith("confirmed: "), "\n".join(lines)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "trials" / "patients").glob("*.json")))
def test_the_command_confirms_each_ssc_example_patient(capsys, tmp_path, name):
    patient = ROOT / "trials" / "patients" / name
    code, out, _ = run(capsys, "eval", SSC, patient, *ANCHOR_ARGS, "--format", "json", "--explain", "full")
    decision = tmp_path / "decision.json"
    decision.write_text(out, encoding="utf-8")
    code, out, _ = run(capsys, "verify", decision, "--trial", SSC, "--patient", patient)
    assert code == 0 and out.startswith("confirmed: decision sha256:"), out


# ------------------------------------------------------------------ what differs


@pytest.fixture()
def copied(tmp_path, capsys):
    """The SSc trial, its library and an example patient copied to a folder, with a recorded decision."""
    shutil.copy(SSC, tmp_path / SSC.name)
    (tmp_path / "lib").mkdir()
    shutil.copy(ROOT / "trials" / "lib" / "ssc_valuesets.elig", tmp_path / "lib")
    shutil.copy(ROOT / "trials" / "patients" / "example.json", tmp_path / "patient.json")
    code, out, _ = run(capsys, "eval", tmp_path / SSC.name, tmp_path / "patient.json", *ANCHOR_ARGS, "--format",
                       "json", "--evaluated-at", "2025-09-11T09:00:00Z")
    assert code == 0
    (tmp_path / "decision.json").write_text(out, encoding="utf-8")
    return tmp_path


def verify(capsys, folder: Path):
    return run(capsys, "verify", folder / "decision.json", "--trial", folder / SSC.name, "--patient",
               folder / "patient.json")


def test_verify_says_when_a_criterion_changed_and_the_outcome_with_it(capsys, copied):
    trial = copied / SSC.name
    trial.write_text(trial.read_text("utf-8").replace("age at screening >= 18 years", "age at screening >= 50 years"),
                     "utf-8")
    code, out, _ = verify(capsys, copied)
    assert code == 5 and out.startswith("differs: decision sha256:")
    assert "the criteria changed: `ssc_telitacicept.elig`'s text changed, and its syntax tree too" in out
    assert "the outcome changed: ELIGIBLE recorded, INELIGIBLE now" in out
    assert "criteria whose status changed: I2 MET → NOT_MET" in out


def test_verify_tells_a_comment_from_a_change_of_meaning(capsys, copied):
    lib = copied / "lib" / "ssc_valuesets.elig"
    lib.write_text("# reviewed 2026\n" + lib.read_text("utf-8"), "utf-8")
    code, out, _ = verify(capsys, copied)
    assert code == 5
    assert "`lib/ssc_valuesets.elig`'s text changed, and its syntax tree did not (comments or layout only)" in out
    assert "the outcome did not change: ELIGIBLE" in out


def test_verify_says_when_the_record_changed(capsys, copied):
    patient = copied / "patient.json"
    data = json.loads(patient.read_text("utf-8"))
    data["facts"]["consented"] = False
    patient.write_text(json.dumps(data), "utf-8")
    code, out, _ = verify(capsys, copied)
    assert code == 5 and "the patient record changed" in out
    assert "the outcome changed: ELIGIBLE recorded, INELIGIBLE now" in out


def test_verify_says_when_the_engine_version_changed(capsys, copied):
    stored = json.loads((copied / "decision.json").read_text("utf-8"))
    stored["content"]["engine"]["version"] = "0.0.9"
    from eligibility_dsl.explain.record import seal
    (copied / "decision.json").write_text(json.dumps(seal(stored["content"], stored["metadata"])), "utf-8")
    code, out, _ = verify(capsys, copied)
    assert code == 5 and "the engine changed: eligibility_dsl 0.0.9 recorded" in out
    assert "the outcome did not change: ELIGIBLE" in out


def test_verify_says_when_the_decision_was_altered(capsys, copied):
    path = copied / "decision.json"
    path.write_text(path.read_text("utf-8").replace('"outcome":"ELIGIBLE"', '"outcome":"INELIGIBLE"'), "utf-8")
    code, out, _ = verify(capsys, copied)
    assert code == 5 and "the decision was altered after it was recorded" in out


# ------------------------------------------------------------------ tampering


def _mutate(data: bytes, position: int, byte: int) -> bytes:
    return data[:position] + bytes([byte]) + data[position + 1:]


def _as_read(data: bytes) -> str:
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _same_json(a: bytes, b: bytes) -> bool:
    try:
        return load_strict(b.decode("utf-8")) == load_strict(a.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tamper")
    shutil.copy(SSC, folder / SSC.name)
    (folder / "lib").mkdir()
    shutil.copy(ROOT / "trials" / "lib" / "ssc_valuesets.elig", folder / "lib")
    shutil.copy(ROOT / "trials" / "patients" / "ineligible_two_reasons.json", folder / "patient.json")
    trial, builder = compiled(SSC)
    raw = load_strict((folder / "patient.json").read_text("utf-8"))
    record = builder.build(trial.evaluate(raw, SSC_ANCHORS), raw, metadata={"evaluated_at": "2025-09-11T09:00Z"})
    (folder / "decision.json").write_text(json.dumps(record, indent=2), "utf-8")
    return folder


def _verify_bytes(folder: Path, name: str, data: bytes, tmp: Path) -> int:
    """`elig verify` with one file of the recorded folder replaced by ``data``; its exit status."""
    work = tmp / "w"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(folder, work)
    (work / name).write_bytes(data)
    with open(os.devnull, "w") as sink:
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = sink
        try:
            return main(["verify", str(work / "decision.json"), "--trial", str(work / SSC.name), "--patient",
                         str(work / "patient.json")])
        finally:
            sys.stdout, sys.stderr = stdout, stderr


TAMPER = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@TAMPER
@given(data=st.data())
def test_any_one_byte_change_to_the_decision_is_detected(recorded, tmp_path, data):
    """Law: after changing one byte of the decision file, `elig verify` confirms exactly when the file still
    holds the same JSON value (a whitespace byte changed into another, say); otherwise it exits non-zero."""
    original = (recorded / "decision.json").read_bytes()
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]), label="byte")
    mutated = _mutate(original, position, byte)
    code = _verify_bytes(recorded, "decision.json", mutated, tmp_path)
    assert (code == 0) == _same_json(original, mutated), (position, byte, code)


@TAMPER
@given(data=st.data(), name=st.sampled_from([SSC.name, "lib/ssc_valuesets.elig"]))
def test_any_one_byte_change_to_the_criteria_is_detected(recorded, tmp_path, data, name):
    """Law: after changing one byte of the trial file or its library, `elig verify` confirms exactly when
    the file's text as read (UTF-8, newlines normalised) is unchanged; otherwise it exits non-zero (5: what
    differs; 1: the criteria no longer compile; 2: the file is no longer UTF-8 text)."""
    original = (recorded / name).read_bytes()
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]), label="byte")
    mutated = _mutate(original, position, byte)
    code = _verify_bytes(recorded, name, mutated, tmp_path)
    try:  # as Path.read_text reads it: universal newlines
        same = _as_read(mutated) == _as_read(original)
    except UnicodeDecodeError:
        same = False
    assert (code == 0) == same, (name, position, byte, code)
    assert code in (0, 1, 2, 5)


@TAMPER
@given(data=st.data())
def test_any_one_byte_change_to_the_record_is_detected(recorded, tmp_path, data):
    """Law: after changing one byte of the patient record, `elig verify` confirms exactly when the file
    still holds the same JSON value; otherwise it exits non-zero."""
    original = (recorded / "patient.json").read_bytes()
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]), label="byte")
    mutated = _mutate(original, position, byte)
    code = _verify_bytes(recorded, "patient.json", mutated, tmp_path)
    assert (code == 0) == _same_json(original, mutated), (position, byte, code)


# ------------------------------------------------------------------ the decision log


@pytest.fixture(scope="module")
def records():
    trial, builder = compiled(SSC)
    out = []
    for path in sorted((ROOT / "trials" / "patients").glob("*.json"))[:3]:
        raw = load_strict(path.read_text("utf-8"))
        out.append(builder.build(trial.evaluate(raw, SSC_ANCHORS), raw, metadata={"evaluated_at": "2025-09-11"}))
    return out


def _write_log(path: Path, records: list, n: int) -> None:
    log = DecisionLog(path)
    for i in range(n):
        log.append(records[i % len(records)])


def test_a_log_whose_chain_holds_verifies(tmp_path, records, capsys):
    path = tmp_path / "decisions.jsonl"
    _write_log(path, records, 5)
    report = verify_log(path)
    assert report.ok and report.entries == 5
    assert report.head == sha256_hex(path.read_bytes().splitlines()[-1])
    code, out, _ = run(capsys, "verify", "--log", path)
    assert code == 0 and out.startswith(f"confirmed: {path}: the chain holds (5 entries, head sha256:")
    entries = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5] and entries[0]["prev"] == "0" * 64


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def _put(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.mark.parametrize(("damage", "line", "why"), [
    ("edit a decision", 3, "the decision was altered after it was recorded"),
    ("remove an entry", 2, "`seq` is 3, expected 2"),
    ("swap two entries", 2, "`seq` is 3, expected 2"),
    ("re-seal an edited entry", 2, "line 3 records `prev`"),
    ("reformat an entry", 4, "not in canonical form"),
    ("garble an entry", 1, "not a JSON entry"),
])
def test_the_chain_check_names_the_first_broken_entry(tmp_path, records, capsys, damage, line, why):
    path = tmp_path / "decisions.jsonl"
    _write_log(path, records, 5)
    lines = _lines(path)
    if damage == "edit a decision":
        lines[2] = lines[2].replace(b'"outcome":"ELIGIBLE"', b'"outcome":"INELIGIBLE"', 1) \
            if b'"outcome":"ELIGIBLE"' in lines[2] else lines[2].replace(b'"outcome":"IN', b'"outcome":"', 1)
    elif damage == "remove an entry":
        del lines[1]
    elif damage == "swap two entries":
        lines[1], lines[2] = lines[2], lines[1]
    elif damage == "re-seal an edited entry":  # a careful forger: a valid record, a canonical line
        from eligibility_dsl.explain.record import seal
        entry = json.loads(lines[1])
        content = dict(entry["decision"]["content"], outcome="ELIGIBLE", reasons=[])
        entry["decision"] = seal(content, entry["decision"]["metadata"])
        lines[1] = canonical_json(entry)
    elif damage == "reformat an entry":
        lines[3] = json.dumps(json.loads(lines[3])).encode()
    elif damage == "garble an entry":
        lines[0] = lines[0][:-1]
    _put(path, lines)
    report = verify_log(path)
    assert not report.ok and report.broken[0] == line and why in report.broken[1], report
    code, out, _ = run(capsys, "verify", "--log", path)
    assert code == 5 and out.startswith(f"broken: {path}: the first broken entry is at line {line}: ")


WRITER = textwrap.dedent("""
    import json, sys, time
    from eligibility_dsl.explain.log import DecisionLog
    from eligibility_dsl.explain.canonical import canonical_json
    path, record_file, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    record = json.load(open(record_file))
    log = DecisionLog(path)
    if mode == "torn":  # take the lock as a writer does, write half an entry, then wait to be killed
        with log.locked() as f:
            line = canonical_json({"seq": 99, "prev": "0" * 64, "decision": record})
            f.write(line[: len(line) // 2]); f.flush()
            print("half written", flush=True)
            time.sleep(120)
    else:  # append N entries as soon as the start file exists
        n, start = int(mode), sys.argv[4]
        while not __import__("os").path.exists(start):
            time.sleep(0.001)
        for _ in range(n):
            log.append(record)
""")


def _writer(tmp_path: Path, log: Path, record: dict, *args: str) -> subprocess.Popen:
    script, record_file = tmp_path / "writer.py", tmp_path / "record.json"
    script.write_text(WRITER, "utf-8")
    record_file.write_text(json.dumps(record), "utf-8")
    return subprocess.Popen([sys.executable, str(script), str(log), str(record_file), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_writer_killed_mid_line_leaves_a_torn_line_that_is_reported_then_sealed(tmp_path, records, capsys):
    path = tmp_path / "decisions.jsonl"
    _write_log(path, records, 3)
    writer = _writer(tmp_path, path, records[0], "torn")
    assert writer.stdout.readline().strip() == "half written"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL
    torn_bytes = path.read_bytes().split(b"\n")[-1]
    assert torn_bytes  # the half line is there, without its line end
    report = verify_log(path)
    assert report.torn == (4, len(torn_bytes)) and report.entries == 3 and not report.ok
    code, out, _ = run(capsys, "verify", "--log", path)
    assert code == 5 and out.startswith(f"torn: {path}: line 4 is incomplete")
    # The kernel released the dead writer's lock; the next append seals the torn line, keeping it.
    entry = DecisionLog(path).append(records[1])
    assert entry["seq"] == 5
    assert torn_bytes + b"\n" in path.read_bytes()
    seal_entry = json.loads(_lines(path)[4])
    assert seal_entry["torn"] == {"after_seq": 3, "bytes": len(torn_bytes), "sha256": sha256_hex(torn_bytes)}
    report = verify_log(path)
    assert report.ok and report.entries == 5
    assert report.warnings == (f"line 4: a torn entry ({len(torn_bytes)} bytes; a writer stopped mid-line), "
                               "sealed by line 5",)
    code, out, _ = run(capsys, "verify", "--log", path)
    assert code == 0 and "warning: line 4: a torn entry" in out


def test_two_writers_at_once_append_whole_entries_in_one_chain(tmp_path, records):
    path = tmp_path / "decisions.jsonl"
    start = tmp_path / "start"
    writers = [_writer(tmp_path / name, path, records[i], "25", str(start))
               for i, name in enumerate(("a", "b")) if (tmp_path / name).mkdir() is None]
    start.touch()
    for w in writers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
    report = verify_log(path)
    assert report.ok and report.entries == 50, report
    ids = [json.loads(line)["decision"]["id"] for line in _lines(path)]
    assert sorted(ids) == sorted([records[0]["id"]] * 25 + [records[1]["id"]] * 25)


def test_eval_appends_to_a_log(tmp_path, capsys):
    path = tmp_path / "decisions.jsonl"
    patients = sorted((ROOT / "trials" / "patients").glob("*.json"))[:2]
    code, _, _ = run(capsys, "eval", SSC, *patients, *ANCHOR_ARGS, "--log", path)
    assert code == 0 and verify_log(path).entries == 2

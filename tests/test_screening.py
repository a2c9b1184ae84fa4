"""`elig screen` and the screening API: one row per record whatever happens, a column schema that depends only
on the trial, every input kind, the three output formats, worker processes, engines that are not there yet."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import cohort
import pyarrow.parquet as pq
import pytest

from eligibility_dsl import compile_file
from eligibility_dsl.cli import main
from eligibility_dsl.screening import (
    Input,
    InputUnavailable,
    OutputProblem,
    Row,
    ScreenProblem,
    columns,
    inputs,
    screen,
    screen_rows,
)
from eligibility_dsl.screening.progress import RichProgress

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "fixtures" / "screening"
TRIAL = DATA / "attrition.elig"
ANCHORS = {"screening": "2025-01-01"}
SSC = ROOT / "trials" / "ssc_telitacicept.elig"
COLUMNS = ["source", "position", "record_id", "outcome", "status_I1", "status_I2", "status_E1",
           "reasons", "missing", "problems", "errors", "provisional", "pending"]


def where(rows):
    return [(Path(r.source).relative_to(DATA).as_posix() if r.source != "-" else "-", r.position, r.record_id,
             r.outcome) for r in rows]


def test_a_directory_of_record_files_gives_one_row_per_record_errors_included():
    rows = list(screen_rows(TRIAL, [DATA / "records_dir"], ANCHORS))
    assert where(rows) == [
        ("records_dir/a.json", 0, "a1", "ELIGIBLE"),
        ("records_dir/b.json", 0, "b1", "INELIGIBLE"),  # a list: one row per item
        ("records_dir/b.json", 1, "b2", "ERROR"),
        ("records_dir/b.json", 2, "b3", "INELIGIBLE"),
        ("records_dir/c.ndjson", 0, "c1", "ELIGIBLE"),  # the blank line is no record
        ("records_dir/c.ndjson", 1, None, "ERROR"),
        ("records_dir/c.ndjson", 2, "c3", "INELIGIBLE"),
        ("records_dir/d_broken.json", 0, None, "ERROR"),  # a file that does not parse is a row too
        ("records_dir/sub/e.json", 0, None, "ERROR"),
    ]  # notes.txt and .hidden.json are not record files
    errors = {r.record_id or r.source.rsplit("/", 1)[1]: r.errors for r in rows if r.outcome == "ERROR"}
    assert errors == {
        "b2": ("facts.d: unknown fact `d`",),
        "c.ndjson": ("invalid JSON at line 3, column 29: expecting value",),
        "d_broken.json": ("invalid JSON at line 1, column 24: expecting property name enclosed in double quotes",),
        "e.json": ('$: expected a JSON object, found text `"just a string"`',),
    }
    error_row = rows[2]
    assert error_row.statuses == (None, None, None) and error_row.reasons == ()
    b3 = rows[3]
    assert b3.statuses == ("NOT_MET", "UNKNOWN", "UNKNOWN") and b3.reasons == ("I1",)


def test_a_missing_or_unreadable_input_is_a_row_not_a_stopped_batch(tmp_path):
    rows = list(screen_rows(TRIAL, [tmp_path / "nope.ndjson", DATA / "records_dir" / "a.json",
                                    tmp_path / "nope.json"], ANCHORS))
    assert [(r.outcome, r.errors) for r in rows] == [
        ("ERROR", (f"cannot read `{tmp_path / 'nope.ndjson'}`: no such file or directory",)),
        ("ELIGIBLE", ()),
        ("ERROR", (f"cannot read `{tmp_path / 'nope.json'}`: no such file or directory",)),
    ]
    (tmp_path / "latin1.ndjson").write_bytes(b'{"id": "ok", "facts": {"a": true}}\n{"id": "caf\xe9"}\n')
    rows = list(screen_rows(TRIAL, [tmp_path / "latin1.ndjson"], ANCHORS))
    assert [(r.record_id, r.outcome, r.errors) for r in rows] == [
        ("ok", "INDETERMINATE", ()), (None, "ERROR", ("line 2 is not UTF-8 text",))]


def test_the_columns_depend_on_the_trial_only(tmp_path):
    assert columns(["I1", "I2", "E1"]) == COLUMNS
    one = tmp_path / "one.ndjson"
    many = tmp_path / "many.ndjson"
    main([*cli_args(DATA / "records_dir" / "a.json"), "--out", str(one), "--quiet"])
    main([*cli_args(DATA / "records_dir", DATA / "attrition.ndjson", DATA / "records_dir" / "a.json"),
          "--out", str(many), "--quiet"])
    for path in (one, many):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert list(json.loads(line)) == COLUMNS


def cli_args(*inputs_, trial=TRIAL, anchors=ANCHORS):
    return ["screen", str(trial), *map(str, inputs_), *(f"--anchor={k}={v}" for k, v in anchors.items())]


def read_ndjson(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        out = []
        for row in csv.DictReader(f):
            for key in ("reasons", "missing", "problems", "errors", "pending"):
                row[key] = json.loads(row[key])
            row["position"] = int(row["position"])
            out.append({k: (None if v == "" else v) for k, v in row.items()})
        return out


def read_parquet(path):
    return pq.read_table(path).to_pylist()


def test_the_three_formats_hold_the_same_rows(tmp_path):
    """The same run as NDJSON, CSV and Parquet reads back to the same values, lists and nulls included (the
    SSc cohort has problems, missing lists and errors whose texts hold commas and quotes)."""
    source = cohort.write_ndjson(tmp_path / "cohort.ndjson", cohort.ssc_cohort(150, seed=2))
    got = {}
    for fmt, reader in (("ndjson", read_ndjson), ("csv", read_csv), ("parquet", read_parquet)):
        summary = screen(SSC, [source], cohort.ANCHORS, out=tmp_path / f"r.{fmt}", show_progress=False)
        assert summary.records == 150
        got[fmt] = reader(tmp_path / f"r.{fmt}")
    assert got["ndjson"] == got["csv"] == got["parquet"]
    rows = got["ndjson"]
    assert {r["outcome"] for r in rows} == {"ELIGIBLE", "INELIGIBLE", "INDETERMINATE", "ERROR"}
    assert any("," in m for r in rows for m in r["missing"] + r["errors"])  # lists survive CSV whole
    assert [r["position"] for r in rows] == list(range(150))
    with open(tmp_path / "r.csv", "rb") as f:
        assert f.readline().startswith(b"source,position,record_id,outcome,status_I1,")


def test_parquet_carries_the_trial_and_anchors_and_typed_columns(tmp_path):
    screen(TRIAL, [DATA / "attrition.ndjson"], ANCHORS, out=tmp_path / "r.parquet", show_progress=False)
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.schema.names == COLUMNS
    assert str(table.schema.field("position").type) == "int64"
    assert str(table.schema.field("errors").type) == "list<element: string>"
    meta = json.loads(table.schema.metadata[b"eligibility_dsl.screening"])
    assert meta == {"anchors": {"screening": "2025-01-01"}, "schema": "1", "trial": "TEST_ATTRITION",
                    "trial_version": "1"}


def test_worker_processes_keep_the_output_order_byte_for_byte(tmp_path):
    source = cohort.write_ndjson(tmp_path / "cohort.ndjson", cohort.ssc_cohort(300, seed=4))
    for jobs in (1, 2):
        screen(SSC, [source], cohort.ANCHORS, out=tmp_path / f"j{jobs}.parquet", jobs=jobs, show_progress=False)
    assert (tmp_path / "j1.parquet").read_bytes() == (tmp_path / "j2.parquet").read_bytes()


def test_the_iterator_form_takes_records_from_python():
    records = [{"id": "x", "facts": {"a": True, "b": True, "c": False}}, {"facts": {"a": 1}}, 7]
    rows = list(screen_rows(compile_file(TRIAL), [Input("<records>", records=records)], ANCHORS))
    assert rows[0] == Row("<records>", 0, "x", "ELIGIBLE", ("MET", "MET", "NOT_MET"))
    assert [(r.position, r.outcome) for r in rows] == [(0, "ELIGIBLE"), (1, "ERROR"), (2, "ERROR")]
    assert rows[2].errors == ("$: expected a JSON object, found `7`",)


ELIG = "import sys; from eligibility_dsl.cli import main; sys.exit(main())"  # `elig`, in this interpreter


def run_cli(args, stdin=b""):
    return subprocess.run([sys.executable, "-c", ELIG, *args], input=stdin, capture_output=True, cwd=ROOT,
                          timeout=120)


def test_stdin_is_read_as_ndjson_or_as_one_document_by_its_content():
    lines = (DATA / "attrition.ndjson").read_bytes()
    done = run_cli(cli_args("-"), stdin=lines)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["source"], r["position"], r["record_id"]) for r in rows][:2] == [("-", 0, "r01"), ("-", 1, "r02")]
    assert len(rows) == 13
    document = json.dumps([json.loads(line) for line in lines.splitlines()[:3]], indent=2).encode()
    done = run_cli(cli_args("-"), stdin=document)
    assert [json.loads(line)["record_id"] for line in done.stdout.splitlines()] == ["r01", "r02", "r03"]
    # not a terminal: no progress bar, just the summary line
    assert done.stderr.decode().startswith("screened 3 records in ") and "\x1b[" not in done.stderr.decode()


def test_a_json_list_file_and_an_explicit_input_kind(tmp_path):
    listing = tmp_path / "records.txt"  # an unfamiliar name: the content decides
    listing.write_text('[{"id": "l1", "facts": {"a": true}}, {"id": "l2"}]', encoding="utf-8")
    assert [r.record_id for r in screen_rows(TRIAL, [listing], ANCHORS)] == ["l1", "l2"]
    as_lines = list(screen_rows(TRIAL, [listing], ANCHORS, input_kind="ndjson"))
    assert [(r.outcome, r.errors) for r in as_lines] == [("ERROR", ("$: expected a JSON object, found a list",))]
    with pytest.raises(InputUnavailable, match="unknown input kind `xml`"):
        list(screen_rows(TRIAL, [listing], ANCHORS, input_kind="xml"))


def test_a_fhir_bundle_goes_through_the_adapter(monkeypatch, tmp_path):
    """Bundles are recognised by content (also among record files) and handed to the FHIR adapter's
    read_bundle; what it returns is screened like any record, and what it refuses is an ERROR row."""

    class Adapter:
        @staticmethod
        def read_bundle(bundle):
            if not bundle.get("entry"):
                raise ValueError("the bundle has no Patient")
            return {"id": bundle["entry"][0]["resource"]["id"], "facts": {"a": True, "b": True, "c": False}}

    monkeypatch.setattr(inputs, "_fhir_adapter", lambda: Adapter)
    good = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient",
                                                                                     "id": "pat-1"}}]}
    (tmp_path / "good.json").write_text(json.dumps(good), encoding="utf-8")
    (tmp_path / "empty.json").write_text('{"resourceType": "Bundle", "type": "collection"}', encoding="utf-8")
    rows = list(screen_rows(TRIAL, [tmp_path], ANCHORS))
    assert [(r.record_id, r.outcome, r.errors) for r in rows] == [
        (None, "ERROR", ("FHIR bundle not readable: the bundle has no Patient",)),
        ("pat-1", "ELIGIBLE", ())]
    assert [r.outcome for r in screen_rows(TRIAL, [tmp_path / "good.json"], ANCHORS,
                                           input_kind="fhir-bundle")] == ["ELIGIBLE"]
    assert inputs.detect(str(tmp_path / "good.json")) == "json"


def test_fhir_bulk_ndjson_is_detected_by_content(tmp_path):
    bulk = tmp_path / "export"
    bulk.mkdir()
    (bulk / "Patient.ndjson").write_text('{"resourceType": "Patient", "id": "p1"}\n', encoding="utf-8")
    assert inputs.detect(str(bulk)) == "fhir-bulk"
    (tmp_path / "resources.ndjson").write_text('{"resourceType": "Condition", "id": "c1"}\n', encoding="utf-8")
    assert inputs.detect(str(tmp_path / "resources.ndjson")) == "fhir-bulk"
    assert inputs.detect(str(DATA / "attrition.ndjson")) == "ndjson"
    assert inputs.detect(str(DATA / "records_dir")) == "records-dir"
    assert inputs.detect("-") == "auto"


def test_engines_and_inputs_this_build_lacks_fail_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "r.ndjson"
    # The SQL engines screen the same records to the same rows (tests/test_sql_*.py check them in depth).
    want = list(screen_rows(TRIAL, [DATA / "attrition.ndjson"], ANCHORS))
    got = list(screen_rows(TRIAL, [DATA / "attrition.ndjson"], ANCHORS, engine="duckdb"))
    assert [(r.outcome, r.statuses, r.reasons) for r in got] == [(r.outcome, r.statuses, r.reasons) for r in want]
    omop = tmp_path / "cdm.duckdb"
    omop.write_bytes(b"")
    assert inputs.detect(str(omop)) == "omop"
    for engine in ("duckdb", "python"):  # an OMOP input that is not a database: refused before the run
        assert main([*cli_args(omop), "--engine", engine, "--out", str(out)]) == 2
        assert "is not readable as a DuckDB database" in capsys.readouterr().err
    tables = tmp_path / "events"
    tables.mkdir()
    (tables / "conditions.parquet").write_bytes(b"PAR1")
    assert inputs.detect(str(tables)) == "event-tables"
    assert main([*cli_args(tables), "--out", str(out)]) == 2
    assert "the event tables cannot be read" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "r.ndjson.partial").exists()


def test_cli_input_problems_are_messages_with_exit_status_2(tmp_path, capsys):
    assert main([*cli_args(DATA / "attrition.ndjson"), "--out", str(tmp_path / "r.xlsx")]) == 2
    assert "cannot tell the output format of" in capsys.readouterr().err
    assert main([*cli_args(DATA / "attrition.ndjson", anchors={"screening": "2025-13-01"})]) == 2
    assert "not a valid date" in capsys.readouterr().err
    assert main([*cli_args(DATA / "attrition.ndjson"), "--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err
    assert main([*cli_args("-", "-"), "--out", str(tmp_path / "r.csv")]) == 2
    assert "stdin (`-`) can be given only once" in capsys.readouterr().err
    with pytest.raises(OutputProblem):
        screen(TRIAL, [], ANCHORS, out=tmp_path / "r.csv", format="xml")
    with pytest.raises(ScreenProblem, match="--jobs must be at least 1"):
        screen(TRIAL, [], ANCHORS, out=tmp_path / "r.csv", jobs=0)


def test_attrition_files_from_the_cli(tmp_path):
    out = tmp_path / "r.csv"
    code = main([*cli_args(DATA / "attrition.ndjson"), "--out", str(out), "--quiet",
                 "--attrition", "json", str(tmp_path / "a.json"), "--attrition", "svg", str(tmp_path / "a.svg"),
                 "--attrition", "text", str(tmp_path / "a.txt")])
    assert code == 0
    expected = json.loads((DATA / "attrition.expected.json").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["outcomes"] == expected["outcomes"]
    assert (tmp_path / "a.svg").read_text(encoding="utf-8").startswith("<svg ")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == (DATA / "attrition.expected.txt").read_text(
        encoding="utf-8")


def test_the_progress_bar_shows_records_per_second_and_time_left():
    from rich.console import Console

    buffer = io.StringIO()
    bar = RichProgress(Console(file=buffer, force_terminal=True, width=120))
    bar.start(total=10)
    bar.advance(4, 4)
    bar.stop()
    text = buffer.getvalue()
    assert "4/10" in text and "records/s" in text and "left" in text


def test_the_documented_columns_are_the_columns():
    doc = (ROOT / "docs" / "screening.md").read_text(encoding="utf-8")
    table = doc.split("## Output columns", 1)[1].split("\n## ", 1)[0]
    documented = [line.split("|")[1].strip().strip("`") for line in table.splitlines()
                  if line.startswith("| `")]
    assert documented == ["source", "position", "record_id", "outcome", "status_<ID>", "reasons", "missing",
                          "problems", "errors", "provisional", "pending"]
    assert columns(["<ID>"]) == documented

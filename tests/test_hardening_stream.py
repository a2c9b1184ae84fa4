"""Issue 8: `elig eval` streams a list of records in as well as out.

The first decision is written while the reader has consumed only a bounded prefix of a 10,000-record file
(checked by counting the bytes read, never by timing); a record that is not strict JSON or does not fit the
patient model is an error at its place and the next record is still decided."""

import copy
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl.cli import main
from eligibility_dsl.records import jsonread, jsonstream

ROOT = Path(__file__).parent.parent
TRIAL = str(ROOT / "trials" / "ssc_telitacicept.elig")
PATIENT = json.loads((ROOT / "trials" / "patients" / "example.json").read_text())
ANCHORS = ["--anchor", "screening=2025-09-11", "--anchor", "first_dose=2025-09-20"]
N = 10_000


class CountingFile(io.BufferedReader):
    """A file that counts the bytes handed out (read and readline)."""

    consumed = 0

    def read(self, size=-1):
        data = super().read(size)
        CountingFile.consumed += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        CountingFile.consumed += len(data)
        return data


@pytest.fixture
def counting(monkeypatch):
    CountingFile.consumed = 0
    monkeypatch.setattr(jsonstream, "open_binary", lambda path: CountingFile(io.FileIO(path, "rb")))
    return CountingFile


def patients(n: int) -> list[dict]:
    return [dict(copy.deepcopy(PATIENT), id=f"p{i}") for i in range(n)]


@pytest.fixture(scope="module")
def big_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lists")
    records = patients(N)
    array, lines = folder / "many.json", folder / "many.jsonl"
    array.write_text(json.dumps(records, indent=1))
    lines.write_text("".join(json.dumps(r) + "\n" for r in records))
    return array, lines


@pytest.mark.parametrize("kind", ["array", "lines"])
def test_the_first_record_is_read_after_a_bounded_prefix(big_files, counting, kind):
    """Reading record 1 of 10,000 consumes at most two chunks, not the file; every record then follows."""
    path = big_files[0] if kind == "array" else big_files[1]
    found = jsonstream.read_records(path)
    assert found.is_list
    first = next(found.items)
    assert first["id"] == "p0"
    assert counting.consumed <= 2 * jsonstream.CHUNK < path.stat().st_size / 100
    rest = sum(1 for _ in found.items)
    assert rest == N - 1 and counting.consumed >= path.stat().st_size


class FirstLineThenPipeClosed:
    """Standard output of `elig eval ... | head -1`: keeps the first write, then the reader has gone."""

    def __init__(self, counter):
        self.counter, self.lines, self.consumed_at_first = counter, [], None

    def write(self, text):
        if self.lines:
            raise BrokenPipeError
        self.consumed_at_first = self.counter.consumed
        self.lines.append(text)
        return len(text)

    def flush(self):
        pass


@pytest.mark.parametrize("kind", ["array", "lines"])
def test_eval_prints_the_first_decision_before_reading_the_list(big_files, counting, monkeypatch, kind):
    path = big_files[0] if kind == "array" else big_files[1]
    out = FirstLineThenPipeClosed(counting)
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["eval", TRIAL, str(path), *ANCHORS, "--format", "json"]) == 0
    assert json.loads(out.lines[0])["content"]["record"]["id"] == "p0"  # one decision record per line
    assert out.consumed_at_first <= 2 * jsonstream.CHUNK < path.stat().st_size / 100


def test_a_bad_record_in_a_list_is_an_error_at_its_place_and_the_run_goes_on(tmp_path, capsys):
    good = patients(3)
    unfit = dict(copy.deepcopy(PATIENT), id="unfit", facts={**PATIENT["facts"], "consented": "yes"})
    text = ("[\n" + json.dumps(good[0]) + ",\n" + '{"id": "broken", "facts": {"age": }}' + ",\n"
            + json.dumps(unfit) + ",\n" + '{"id": "twice", "id": "again"}' + ",\n" + json.dumps(good[1]) + "\n]\n")
    path = tmp_path / "mixed.json"
    path.write_text(text)
    code = main(["eval", TRIAL, str(path), *ANCHORS, "--format", "json"])
    out, err = capsys.readouterr()
    ids = [json.loads(line)["content"]["record"]["id"] for line in out.splitlines()]
    assert ids == ["p0", "p1"]  # the good records, each decided
    assert code == 2 and "Traceback" not in err
    assert f"{path}:3:35: invalid JSON: expecting value" in err
    assert f"{path} item 2 (record `unfit`) does not fit the patient model" in err
    assert f"{path}:5:1: invalid JSON: duplicate key `id` in one object" in err


def test_a_broken_list_keeps_the_records_before_the_break(tmp_path, capsys):
    path = tmp_path / "cut.json"
    path.write_text("[" + json.dumps(patients(1)[0]) + ", " + json.dumps(patients(2)[1])[:200])  # a truncated file
    code = main(["eval", TRIAL, str(path), *ANCHORS, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 2 and len(out.splitlines()) == 1 and "the file ends inside a text" in err


def test_json_lines_in_a_json_file_and_blank_lines(tmp_path, capsys):
    path = tmp_path / "batch.json"  # JSON Lines without the suffix: recognised by its first line
    path.write_text("\n".join(json.dumps(r) for r in patients(3)) + "\n\n")
    assert main(["eval", TRIAL, str(path), *ANCHORS, "--format", "json"]) == 0
    ids = [json.loads(line)["content"]["record"]["id"] for line in capsys.readouterr().out.splitlines()]
    assert ids == ["p0", "p1", "p2"]


def test_html_of_a_list_is_refused_before_anything_is_printed(tmp_path, capsys):
    path = tmp_path / "two.json"
    path.write_text(json.dumps(patients(2)))
    assert main(["eval", TRIAL, str(path), *ANCHORS, "--format", "html"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "an HTML report holds one patient" in err
    path.write_text(json.dumps(patients(1)))  # a list of one is one report
    assert main(["eval", TRIAL, str(path), *ANCHORS, "--format", "html"]) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20)
    | st.text(alphabet=st.sampled_from('ab[]{},"\\:\n\u00e9 '), max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet="ab[]\"{", max_size=3), inner,
                                                               max_size=4),
    max_leaves=12)


@given(values=st.lists(json_values, max_size=6), chunk=st.integers(1, 40), indent=st.sampled_from([None, 0, 2]))
def test_law_cutting_an_array_gives_exactly_its_elements_for_every_chunk_size(tmp_path_factory, values, chunk,
                                                                               indent):
    """Law: for any JSON array and any chunk size, the records read are the array's elements, in order."""
    path = tmp_path_factory.mktemp("law") / "list.json"
    path.write_text(json.dumps(values, indent=indent))
    saved, jsonstream.CHUNK = jsonstream.CHUNK, chunk
    try:
        found = jsonstream.read_records(path)
        items = list(found.items)
    finally:
        jsonstream.CHUNK = saved
    assert found.is_list and items == jsonread.decode(path.read_text())


@pytest.mark.parametrize(("text", "message"), [
    ('[{"a": 1} {"b": 2}]', "1:11: invalid JSON: expected `,` or `]` after element 0 of the list"),
    ('[{"a": 1},]', "1:11: invalid JSON: expected a record as element 1 of the list"),
    ('[{"a": 1]}]', "1:9: invalid JSON: `]` does not close the bracket opened before it"),
    ('[{"a": 1}] x', "1:12: invalid JSON: text after the end of the list"),
    ('[{"a": 1}', "1:10: invalid JSON: the list ends without its closing `]`"),
    ("[NaN]", "1:2: invalid JSON: `NaN` is not a number in JSON"),
    ('[{"x": 1.5}, {"x": }]', "1:20: invalid JSON: expecting value"),
])
def test_a_list_that_is_not_strict_json_is_a_located_problem(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    problems = [i for i in jsonstream.read_records(path).items if isinstance(i, jsonstream.ReadProblem)]
    assert [p.message for p in problems] == [f"{path}:{message}"]


def test_one_record_is_read_as_before(tmp_path):
    path = tmp_path / "one.json"
    path.write_text('{\n "id": "x",\n "dose": 1.5\n}\n')
    found = jsonstream.read_records(path)
    assert not found.is_list and list(found.items) == [{"id": "x", "dose": Decimal("1.5")}]
    path.write_text('{"id": "x", "id": "y"}')
    with pytest.raises(jsonread.JSONProblem, match="duplicate key `id`"):
        jsonstream.read_records(path)

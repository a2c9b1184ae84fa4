"""Every criterion of the shipped trials (trials/ssc_telitacicept.elig and trials/examples/*.elig) is
marked by a comment line directly above it: `# computable` (a record can hold what it asks) or
`# judgement: <why>` (consent, willingness, an investigator's opinion, a life expectancy). A computable
criterion that is written over a site-answered stand-in because the language cannot say it carries a
`NOT EXPRESSIBLE` comment in its body naming the missing feature. Each file's header states the counts
(`# criteria: N computable (K not expressible: ...), J judgement`), and they must match the marks; every
file checks with no diagnostic at all (no warnings).

`criteria_totals()` returns the counts per file and overall; `pytest -s` prints them."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from eligibility_dsl.api import check_file

TRIALS = Path(__file__).parent.parent / "trials"
LIB = TRIALS / "lib"
FILES = [TRIALS / "ssc_telitacicept.elig", *sorted((TRIALS / "examples").glob("*.elig"))]

CRITERION = re.compile(r"^(include|exclude)\s+(\w+)\b")
MARK = re.compile(r"^#\s*(computable|judgement)\b(.*)$")
NOT_EXPRESSIBLE = re.compile(r"not expressible", re.IGNORECASE)


@dataclass
class Marked:
    id: str
    line: int                      # 1-based line of the `include`/`exclude`
    mark: str | None               # "computable", "judgement" or None (unmarked)
    why: str = ""                  # the judgement's reason
    not_expressible: str = ""      # the NOT EXPRESSIBLE comment (its feature), if any


@dataclass
class FileMarks:
    path: Path
    criteria: list[Marked] = field(default_factory=list)
    stray_marks: list[int] = field(default_factory=list)    # mark lines not directly above a criterion
    double_marks: list[str] = field(default_factory=list)   # criteria with two mark lines above
    header: str | None = None

    @property
    def computable(self) -> list[Marked]:
        return [c for c in self.criteria if c.mark == "computable"]

    @property
    def judgement(self) -> list[Marked]:
        return [c for c in self.criteria if c.mark == "judgement"]

    @property
    def not_expressible(self) -> list[Marked]:
        return [c for c in self.criteria if c.not_expressible]


def _header(lines: list[str]) -> str | None:
    for i, line in enumerate(lines):
        if line.startswith("# criteria:"):
            text = []
            for more in lines[i:]:
                if not more.startswith("#"):
                    break
                text.append(more.lstrip("#").strip())
                if re.search(r"\d+\s+judgement", more):
                    break
            return " ".join(text)
    return None


def _body_comment(lines: list[str], start: int) -> str:
    """The comment starting at lines[start] and the comment lines right after it, as one text."""
    text = []
    for line in lines[start:]:
        if not line.strip().startswith("#"):
            break
        text.append(line.strip().lstrip("#").strip())
    return " ".join(text)


def read_marks(path: Path) -> FileMarks:
    lines = path.read_text(encoding="utf-8").splitlines()
    marks = FileMarks(path, header=_header(lines))
    above_criterion = set()
    for i, line in enumerate(lines):
        found = CRITERION.match(line)
        if not found:
            continue
        above_criterion.add(i - 1)
        criterion = Marked(found.group(2), i + 1, None)
        mark = MARK.match(lines[i - 1]) if i else None
        if mark:
            criterion.mark = mark.group(1)
            criterion.why = mark.group(2).lstrip(":").strip()
            if i >= 2 and MARK.match(lines[i - 2]):
                marks.double_marks.append(criterion.id)
        # The body: every line after the criterion's first up to the next line at column 0.
        for j in range(i + 1, len(lines)):
            body = lines[j]
            if body.strip() and not body[0].isspace():
                break
            if body.strip().startswith("#") and NOT_EXPRESSIBLE.search(body):
                while lines[j - 1].strip().startswith("#") and j - 1 > i:
                    j -= 1  # from the start of the comment that says it
                criterion.not_expressible = _body_comment(lines, j)
                break
        marks.criteria.append(criterion)
    marks.stray_marks = [i + 1 for i, line in enumerate(lines) if MARK.match(line) and i not in above_criterion]
    return marks


def _header_counts(header: str) -> dict[str, int]:
    def number(word: str) -> int | None:
        found = re.search(rf"(\d+)\s+{word}", header)
        return int(found.group(1)) if found else None

    return {"computable": number("computable"), "judgement": number("judgement"),
            "not expressible": number("not expressible") or 0}


def criteria_totals() -> dict:
    """Per file and overall: computable, judgement, and the computable criteria still not expressible
    (id and the feature their NOT EXPRESSIBLE comment names)."""
    files = {}
    for path in FILES:
        marks = read_marks(path)
        files[str(path.relative_to(TRIALS))] = {
            "computable": len(marks.computable),
            "judgement": len(marks.judgement),
            "not_expressible": [(c.id, c.not_expressible) for c in marks.not_expressible],
        }
    computable = sum(f["computable"] for f in files.values())
    not_expressible = sum(len(f["not_expressible"]) for f in files.values())
    return {
        "files": files,
        "computable": computable,
        "judgement": sum(f["judgement"] for f in files.values()),
        "not_expressible": not_expressible,
        "faithful_percent": round(100 * (computable - not_expressible) / computable, 1) if computable else None,
    }


def _name(path: Path) -> str:
    return str(path.relative_to(TRIALS))


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_every_criterion_has_exactly_one_mark(path: Path):
    marks = read_marks(path)
    assert [c.id for c in marks.criteria if c.mark is None] == [], "criteria without a mark directly above"
    assert marks.double_marks == [], "criteria with more than one mark"
    assert marks.stray_marks == [], "mark lines that are not directly above a criterion"
    assert [c.id for c in marks.judgement if not c.why] == [], "judgements without a reason"


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_only_computable_criteria_are_not_expressible(path: Path):
    marks = read_marks(path)
    assert [c.id for c in marks.not_expressible if c.mark != "computable"] == []


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_header_counts_match_the_marks(path: Path):
    marks = read_marks(path)
    assert marks.header is not None, "no `# criteria: N computable (...), J judgement` line"
    counts = _header_counts(marks.header)
    assert counts == {"computable": len(marks.computable), "judgement": len(marks.judgement),
                      "not expressible": len(marks.not_expressible)}, marks.header
    # The header names each criterion that is not expressible.
    for criterion in marks.not_expressible:
        assert re.search(rf"\b{criterion.id}\b", marks.header), (criterion.id, marks.header)


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_checks_without_warnings_and_marks_every_declared_criterion(path: Path):
    trial, diagnostics = check_file(path, lib_path=[LIB])
    assert [f"{d.code} {d.message}" for d in diagnostics] == []
    assert [c.id for c in read_marks(path).criteria] == [c.id for c in trial.criteria]


def test_print_totals():
    totals = criteria_totals()
    print()
    print(f"{'file':<48} {'computable':>10} {'judgement':>9}  not expressible")
    for name, row in totals["files"].items():
        ne = "; ".join(f"{cid}: {feature}" for cid, feature in row["not_expressible"]) or "-"
        print(f"{name:<48} {row['computable']:>10} {row['judgement']:>9}  {len(row['not_expressible'])} {ne}")
    print(f"{'total':<48} {totals['computable']:>10} {totals['judgement']:>9}  {totals['not_expressible']}"
          f"  ({totals['faithful_percent']}% of computable criteria written faithfully)")
    assert totals["computable"] > 0


README = Path(__file__).parent.parent / "README.md"


def test_the_readme_states_the_counts():
    """README "Real protocols in the language" states the totals and lists every criterion still not
    expressible: the numbers are these files' marks, not a claim written once."""
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- criteria-count -->", 1)[1].split("<!-- /criteria-count -->", 1)[0]
    totals = criteria_totals()
    faithful = totals["computable"] - totals["not_expressible"]
    assert f"| computable | {totals['computable']} |" in table
    assert f"| judgement | {totals['judgement']} |" in table
    assert f"| computable, written faithfully over the record | {faithful} ({totals['faithful_percent']} %) |" in table
    assert f"| computable, not expressible yet | {totals['not_expressible']} |" in table
    listed = set(re.findall(r"^- `([^`]+\.elig)` ([IE][0-9]+):", text.split("<!-- /criteria-count -->", 1)[1],
                            flags=re.M))
    expected = {(Path(f).name, cid) for f, info in totals["files"].items() for cid, _ in info["not_expressible"]}
    assert listed == expected

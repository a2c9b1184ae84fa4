"""Robustness of the front end: whatever the text, checking returns diagnostics, quickly, and never raises.

- Programs generated from the grammar itself (``hypothesis.extra.lark.from_lark``): syntactically valid
  by construction (tokens padded with blanks so that they lex as drawn), usually semantically wrong.
- Random edits of the real trial files and of the shared library: characters, tokens and lines deleted,
  inserted, duplicated or swapped, and truncation.

For every input: ``check_source`` returns within a time bound and does not raise; every diagnostic has a
known code, a lowercase message without a trailing period and a span inside the text it points into;
``compile_source`` succeeds or raises ``CompileError``, and a trial that compiles evaluates an empty
record without raising anything but an ``InputError``; the CLI (``elig check``) exits 0 or 1 and prints
no Python traceback.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import lark
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from eligibility_dsl import cli
from eligibility_dsl.api import check_source, compile_source, evaluate_expression
from eligibility_dsl.diagnostics import CODES, CompileError
from eligibility_dsl.language.loader import file_loader
from eligibility_dsl.language.syntax import DECLARATION_KEYWORDS, RESERVED_WORDS, grammar_text
from eligibility_dsl.records.binder import InputError

ROOT = Path(__file__).parent.parent
TRIALS = ROOT / "trials"
TRIAL_FILES = [TRIALS / "ssc_telitacicept.elig", TRIALS / "lib" / "ssc_valuesets.elig",
               *sorted((TRIALS / "examples").glob("*.elig"))]
LIBRARY = TRIALS / "lib" / "ssc_valuesets.elig"
# A hang guard, not a speed test: a check takes milliseconds, and a hang (the quadratic and unbounded cases
# this suite once found) takes minutes. The bound is generous so that a machine loaded by other work
# (CI failed once at 2 s with a load average of 6 on 2 cores) never fails an honest input.
TIME_LIMIT = 30.0


# ------------------------------------------------------------------------------ the properties

def call_with_time_limit(fn, *args, limit: float = TIME_LIMIT):
    """fn(*args) in a daemon thread: its result, or a failure if it raises or takes longer than ``limit``."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as err:
            box["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    start = time.perf_counter()
    thread.start()
    thread.join(limit)
    elapsed = time.perf_counter() - start
    assert not thread.is_alive(), f"{fn.__name__} did not return within {limit} s"
    if "error" in box:
        raise box["error"]
    return box["value"], elapsed


def check_diagnostics(diagnostics, texts: dict[str, str]) -> None:
    """Every diagnostic: a known code, Cedar-style message, a span inside the text it points into."""
    for d in diagnostics:
        where = f"{d.code} {d.message!r} at {d.span}"
        assert d.code in CODES, f"unknown code: {where}"
        assert d.message and d.message == d.message.strip(), f"empty or padded message: {where}"
        assert not d.message[0].isupper(), f"message not lowercase: {where}"
        assert not d.message.endswith("."), f"message ends with a period: {where}"
        assert d.span is not None, f"no span: {where}"
        s = d.span
        assert s.file in texts, f"span in an unknown file: {where}"
        lines = texts[s.file].split("\n")
        assert 1 <= s.line <= len(lines) and s.column >= 1, f"span outside the text: {where}"
        # A caret may point just past the last character (the end of a line or of the file).
        assert s.column <= len(lines[s.line - 1]) + 1, f"column past the end of line {s.line}: {where}"
        assert (s.line, s.column) <= (s.end_line, s.end_column) and s.end_line <= len(lines), f"bad span end: {where}"
        assert 0 <= s.start <= s.end <= len(texts[s.file]) + 1, f"bad span offsets: {where}"


def check_everything(text: str, file: str = "<string>", loader=None, library_text: str | None = None) -> None:
    """The properties of this module for one input text."""
    texts = {file: text}
    if loader is not None:
        def loading(path, importer):
            name, content = file_loader(path, importer)
            if library_text is not None and Path(name).resolve() == LIBRARY.resolve():
                content = library_text
            texts[name] = content
            return name, content
    else:
        loading = None
    (_checked, diagnostics), _ = call_with_time_limit(check_source, text, file, loading)
    assert isinstance(diagnostics, list)
    check_diagnostics(diagnostics, texts)
    try:
        compiled, _ = call_with_time_limit(compile_source, text, file, loading)
    except CompileError as err:
        assert err.diagnostics, "CompileError without diagnostics"
        assert any(d.severity == "error" for d in diagnostics)
        return
    assert not any(d.severity == "error" for d in diagnostics)
    if not compiled.checked.is_library:
        try:
            call_with_time_limit(compiled.evaluate, {}, {name: "2025-06-01" for name in compiled.anchors})
        except InputError:
            pass


# ------------------------------------------------------------------ programs from the grammar

KEYWORDS = {t.pattern.value for t in lark.Lark(grammar_text(), parser="lalr").terminals if t.pattern.type == "str"}
NAMES = ["x", "y", "dose", "daily_dose", "code", "value", "status", "start", "end", "onset", "score", "screening",
         "first_dose", "birth_date", "sex", "medications", "observations", "conditions", "assessments",
         "trial_participations", "max", "min", "ATC", "ICD10", "LOINC", "RxNorm", "LOCAL", "SNOMED", "cs", "tab",
         "sc", "d1", "fact", "score", "mg", "x1", "I1", "E2", "NCT06546540"]


def _padded(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.map(lambda s: f" {s} ")


def _explicit(grammar: lark.Lark, start: str = "start") -> dict[str, st.SearchStrategy[str]]:
    name = st.one_of(st.sampled_from(NAMES), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)).filter(
        lambda n: n not in KEYWORDS and n not in RESERVED_WORDS)
    regex = {
        "NAME": name,
        "DATE": st.sampled_from(["2025-09-11", "2024-02-29", "2025-02-29", "2025-13-01", "0001-01-01", "9999-12-31"]),
        "NUMBER": st.one_of(st.sampled_from(["0", "1", "2", "18", "2.5", "100", "0.001", "12345678901234567890"]),
                            st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True)),
        "STRING": st.sampled_from(['"x"', '""', '"lib/ssc_valuesets.elig"', '"female"', '"active"', '"L04AB*"',
                                   '"L04AB02"', '"a \\" quote"', '"≥ 10 mg/d"', '"M34.0"', '"no/such.elig"']),
        "UNIT": st.sampled_from(["mg", "g", "%", "mg/day", "days", "day", "h", "months", "years", "kg", "U/L",
                                 "mg/dL", "[iU]", "µg", "furlong", "mg/kg/day"]),
        "QUOTED_UNIT": st.sampled_from(["'10*9/L'", "'mg/kg'", "'nonsense'"]),
        "COMP_OP": st.sampled_from([">=", "<=", "!=", "=", ">", "<", "≥", "≤", "≠"]),
        "TITRE": st.sampled_from(["1:160", "1:40", "1:0", "1:1280"]),
        "WS": st.sampled_from([" ", "\n", "\t", "\r\n"]),
        "COMMENT": st.sampled_from([" ", "\n", "  ", "# a comment\n"]),  # mostly blanks: fewer comment lines
    }
    _, rules, ignored = grammar.grammar.compile([start], ())
    used = {s.name for r in rules for s in r.expansion} | set(ignored)
    out = {}
    for t in grammar.terminals:
        if t.name not in used:
            continue
        if t.name in regex:
            out[t.name] = regex[t.name] if t.name in ("WS", "COMMENT") else _padded(regex[t.name])
        elif t.pattern.type == "str":  # keywords and punctuation; declarations start a line, as written
            word = t.pattern.value
            out[t.name] = st.just(f"\n{word} " if word in DECLARATION_KEYWORDS else f" {word} ")
        else:
            raise AssertionError(f"no strategy for terminal {t.name}: {t.pattern}")
    return out


GRAMMAR = lark.Lark(grammar_text(), parser="lalr")
PROGRAMS = from_lark(GRAMMAR, explicit=_explicit(GRAMMAR))
# The grammar's expressions branch so much that most whole programs drawn at random are too large for
# Hypothesis: declarations drawn one by one, after a prelude that declares the names they use, reach
# further into the checker and the compiler.
PRELUDE = """trial NCT00000000 "t"
anchor screening
anchor first_dose
fact x: number
fact y: boolean
fact dose: quantity in mg
fact d1: date
codeset cs: ATC "L04AB*"
table tab: cs: 2
score sc: category "c": 1: y
"""
DECLARATION_RULES = ["define_decl", "include_decl", "exclude_decl", "fact_decl", "anchor_decl", "codeset_decl",
                     "table_decl", "score_decl", "import_decl", "version_decl", "trial_decl", "library_decl"]
DECLARATIONS = st.lists(st.one_of([from_lark(GRAMMAR, start=rule, explicit=_explicit(GRAMMAR, rule))
                                   for rule in DECLARATION_RULES]), min_size=1, max_size=4).map("".join)
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@settings(suppress_health_check=HEALTH)
@given(PROGRAMS)
def test_grammar_programs_never_raise(text):
    check_everything(text)


@settings(suppress_health_check=HEALTH)
@given(DECLARATIONS)
def test_grammar_declarations_after_a_prelude_never_raise(declarations):
    check_everything(PRELUDE + declarations)


@pytest.mark.parametrize("strategy", [PROGRAMS, DECLARATIONS.map(lambda d: PRELUDE + d)],
                         ids=["programs", "declarations"])
def test_grammar_text_is_accepted_by_the_parser(strategy):
    """What from_lark draws is valid syntax (so the tests above reach the checker): a syntax error on a
    drawn program is a disagreement between the grammar and the parser (its contextual lexer)."""
    syntax_codes = {"E0001", "E0002", "E0003", "E0004"}
    rejected = []

    @settings(max_examples=60, derandomize=True, database=None, suppress_health_check=HEALTH)
    @given(strategy)
    def collect(text):
        _, diagnostics = check_source(text)
        bad = [d for d in diagnostics if d.code in syntax_codes]
        if bad:
            rejected.append((text, bad[0].message))

    collect()
    assert not rejected, "\n\n".join(f"{msg}\n{text}" for text, msg in rejected[:3])


# --------------------------------------------------------------------- edits of the real files

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\w+|\s+|.', re.UNICODE)
JUNK = ["", "\n", " ", '"', "'", "(", ")", "[", "]", ":", ",", "#", "*", "-", "≥", "×", "µ", "\t", "\x00", "\u200b",
        "é", "\\", "include", "exclude", "define", "fact", "during", "where", "and", "or", "not", "max(",
        "2025-02-30", "10 mg", "'10*9/L'", "codeset", "import", '"lib/ssc_valuesets.elig"', "library L \"l\"\n"]


@st.composite
def edited(draw, text: str, max_edits: int = 3) -> str:
    for _ in range(draw(st.integers(1, max_edits))):
        if not text:
            break
        unit = draw(st.sampled_from(["char", "char", "token", "token", "line", "truncate"]))
        if unit == "truncate":
            text = text[:draw(st.integers(0, len(text)))]
            continue
        if unit == "char":
            pieces = list(text)
        elif unit == "token":
            pieces = TOKEN.findall(text)
        else:
            pieces = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(pieces) - 1))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "swap"]))
        if op == "delete":
            del pieces[i]
        elif op == "insert":
            pieces.insert(i, draw(st.sampled_from(JUNK)) + (" " if unit == "token" else ""))
        elif op == "duplicate":
            pieces.insert(i, pieces[i])
        else:
            j = draw(st.integers(0, len(pieces) - 1))
            pieces[i], pieces[j] = pieces[j], pieces[i]
        text = "".join(pieces)
    return text


SOURCES = {path: path.read_text(encoding="utf-8") for path in TRIAL_FILES}


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_edited_trial_files_never_raise(data):
    path = data.draw(st.sampled_from(TRIAL_FILES), label="file")
    text = data.draw(edited(SOURCES[path]), label="edited")
    check_everything(text, str(path), file_loader)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=25)
@given(st.data())
def test_trial_importing_an_edited_library_never_raises(data):
    library = data.draw(edited(SOURCES[LIBRARY]), label="library")
    path = TRIALS / "ssc_telitacicept.elig"
    check_everything(SOURCES[path], str(path), file_loader, library_text=library)


@pytest.fixture(scope="module")
def workspace():
    """A copy of trials/ (library included) where edited files are written for the CLI."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "trials"
        shutil.copytree(TRIALS, root, ignore=shutil.ignore_patterns("patients", "*.md"))
        yield root


def run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # argparse
            code = exit_.code
    return code, out.getvalue() + err.getvalue()


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=30)
@given(st.data())
def test_cli_check_never_prints_a_traceback(workspace, data):
    path = data.draw(st.sampled_from(TRIAL_FILES), label="file")
    text = data.draw(edited(SOURCES[path]), label="edited")
    target = workspace / path.relative_to(TRIALS)
    if path == LIBRARY:  # an edited library, read by the trial that imports it
        target.write_text(text, encoding="utf-8")
        try:
            code, output = run_cli(["check", str(workspace / "ssc_telitacicept.elig")])
        finally:
            target.write_text(SOURCES[LIBRARY], encoding="utf-8")
    else:
        target = target.with_name("edited_" + target.name)
        target.write_text(text, encoding="utf-8")
        code, output = run_cli(["check", str(target)])
    note(output)
    assert code in (0, 1), output
    assert "Traceback" not in output, output


def test_cli_check_accepts_the_real_files(workspace):
    for path in TRIAL_FILES:
        lib = ["--lib-path", str(workspace / "lib")]  # the examples import ../lib
        code, output = run_cli(["check", str(workspace / path.relative_to(TRIALS)), *lib])
        assert code == 0, output


# ---------------------------------------------------------------- shrunk examples, kept as tests

@pytest.mark.parametrize("text", [
    "",
    "\n\n# only a comment",
    "trial",
    'trial T "t"\ninclude I "x": (',
    'trial T "t"\ninclude I "x": "unterminated',
    "\x00\ufeff\u200b",
    'trial T "t"\nfact x: quantity in \'\'',
])
def test_small_broken_inputs(text):
    check_everything(text)


@pytest.mark.parametrize("expr", [" + ".join(["1"] * 1000) + " > 0", "not " * 1000 + "true", "-" * 1000 + "1 > 0"],
                         ids=["sum", "not", "neg"])
def test_very_long_expressions_give_diagnostics_not_recursion_errors(expr):
    check_everything('trial T "t"\ninclude I "x": ' + expr + "\n")


def test_a_library_with_a_definition_gives_a_diagnostic():
    """Shrunk from the grammar programs: a `define` in a library raised KeyError (check.py, the loop
    over definitions looks up a name the library refused to declare)."""
    check_everything('library L "l"\ndefine x: 0\n')


def test_importing_a_file_that_is_not_utf8_gives_a_diagnostic(workspace):
    """An import of a file that is not UTF-8 text raised UnicodeDecodeError (only OSError is caught)."""
    (workspace / "binary.elig").write_bytes(b"library L \"l\"\n\xff\xfe\x00 codeset")
    trial = workspace / "imports_binary.elig"
    text = 'trial T "t"\nimport "binary.elig"\n'
    trial.write_text(text, encoding="utf-8")
    check_everything(text, str(trial), file_loader)
    code, output = run_cli(["check", str(trial)])
    assert code == 1 and "Traceback" not in output, output


def test_a_lone_expression_nested_too_deeply_names_no_internal_name():
    """`evaluate_expression` parses its text under an internal name, which a diagnostic must not show."""
    with pytest.raises(CompileError) as err:
        evaluate_expression("-" * 200 + "1")
    (d,) = err.value.diagnostics
    assert (d.code, d.message) == ("E0005", "the expression is nested too deeply (more than 100 levels)")

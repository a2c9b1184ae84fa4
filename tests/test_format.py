"""`elig fmt` (eligibility_dsl.language.format): the canonical layout, and the laws it keeps.

On every shipped trial and library (trials/**/*.elig), on generated well-typed trials (tests/strategies.py)
and on declarations generated from the grammar itself:

- formatting twice gives what formatting once gave (idempotence);
- the syntax tree is unchanged (compared as ``language.canonical``, which leaves spans out);
- with a distinct comment placed after every token, every comment survives, in order, and the two laws
  above still hold.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import trials
from test_parser_robustness import DECLARATIONS, PRELUDE

from eligibility_dsl.cli import main
from eligibility_dsl.diagnostics import CompileError
from eligibility_dsl.language.canonical import canonical_ast
from eligibility_dsl.language.format import _leaves, _parser, format_source
from eligibility_dsl.language.syntax import parse

ROOT = Path(__file__).parent.parent
SHIPPED = sorted((ROOT / "trials").rglob("*.elig"))
COMMENT = re.compile(r"#[^\n]*")


def tree_of(text: str):
    result = parse(text, "<t>")
    assert not result.diagnostics, result.diagnostics
    return canonical_ast(result.module)


def comments_of(text: str) -> list[str]:
    """The comments of a criteria file in order, read between its tokens (so never from inside a text)."""
    tokens = sorted(_leaves(_parser().parse(text)), key=lambda t: t.start_pos)
    bounds = [0, *[t.end_pos for t in tokens]]
    ends = [t.start_pos for t in tokens] + [len(text)]
    return [m.group(0).rstrip() for lo, hi in zip(bounds, ends, strict=True) for m in COMMENT.finditer(text, lo, hi)]


def comment_after_every_token(text: str) -> str:
    """``text`` with ``# cN`` after each token (N counting up) and its own comments kept."""
    tokens = sorted(_leaves(_parser().parse(text)), key=lambda t: t.start_pos)
    out, at = [], 0
    for n, t in enumerate(tokens):
        out.append(text[at:t.end_pos])
        out.append(f" # c{n}\n")
        at = t.end_pos
    out.append(text[at:])
    return "".join(out)


def assert_laws(text: str) -> str:
    formatted = format_source(text)
    assert format_source(formatted) == formatted, "formatting twice differs from formatting once"
    assert tree_of(formatted) == tree_of(text), "formatting changed the syntax tree"
    assert comments_of(formatted) == comments_of(text), "a comment was lost, added or moved out of order"
    assert all(len(line) == len(line.rstrip()) for line in formatted.split("\n")), "a line ends in spaces"
    return formatted


# ------------------------------------------------------------------------------------- shipped files

@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_shipped_files_keep_the_laws(path):
    assert_laws(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_shipped_files_keep_every_comment_placed_after_every_token(path):
    text = comment_after_every_token(path.read_text(encoding="utf-8"))
    assert_laws(text)


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_shipped_files_are_formatted(path, capsys):
    """CI's `elig fmt --check`: every shipped criteria file is in the canonical layout."""
    assert main(["fmt", "--check", str(path)]) == 0, capsys.readouterr().out


# ---------------------------------------------------------------------------------- generated programs

@settings(suppress_health_check=[HealthCheck.too_slow])
@given(trials())
def test_generated_trials_keep_the_laws(trial):
    """Law: on well-typed generated trials, fmt(fmt(x)) == fmt(x), the tree is unchanged, and a comment
    after every token survives in order."""
    text, _env = trial
    assert_laws(text)
    assert_laws(comment_after_every_token(text))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(DECLARATIONS)
def test_declarations_from_the_grammar_keep_the_laws(declarations):
    """Law: the same, on every construct of the grammar (declarations drawn from it after a prelude)."""
    text = PRELUDE + declarations
    assume(not parse(text, "<t>").diagnostics)
    assert_laws(text)
    assert_laws(comment_after_every_token(text))


# ------------------------------------------------------------------------------------------- layout

def test_the_canonical_layout():
    messy = ('trial T "t"  version "1"\nanchor screening # the visit\n\n\n'
             'fact dose: quantity in mg/day\n# a note\ndefine high:dose>=100 mg/day and   exists medications\n'
             'include I1 "one":high\nexclude E1 "two": max( 1 ,2)>1 or not high\n')
    assert format_source(messy) == (
        'trial T "t"\nversion "1"\nanchor screening  # the visit\n\n'
        'fact dose: quantity in mg/day\n# a note\ndefine high: dose >= 100 mg/day and exists medications\n'
        'include I1 "one":\n    high\nexclude E1 "two":\n    max(1, 2) > 1 or not high\n')


def test_long_chains_and_queries_break_with_operators_leading():
    text = ('trial T "t"\nanchor screening\nfact a_long_fact_name: boolean\n'
            'include I1 "x": a_long_fact_name or exists medications where daily_dose > 10 mg/day '
            'during 6 months before screening or exists conditions during before screening\n')
    assert format_source(text).split("\n")[4:] == [
        "    a_long_fact_name",
        "    or exists medications where daily_dose > 10 mg/day during 6 months before screening",
        "    or exists conditions during before screening",
        "",
    ]


def test_a_comment_inside_an_expression_stays_before_its_token():
    text = 'trial T "t"\nfact a: boolean\nfact b: boolean\ninclude I1 "x":\n    a\n    # why b\n    or b\n'
    assert format_source(text) == text


def test_a_file_that_does_not_parse_is_a_compile_error():
    with pytest.raises(CompileError) as err:
        format_source('define x: (\n', "broken.elig")
    assert err.value.diagnostics[0].code == "E0002"
    assert err.value.diagnostics[0].span.file == "broken.elig"


# ---------------------------------------------------------------------------------------------- CLI

def test_cli_rewrites_checks_and_diffs(tmp_path, capsys):
    path = tmp_path / "t.elig"
    path.write_text('trial T "t"\ninclude I1 "x":   true\n', encoding="utf-8")
    assert main(["fmt", "--check", str(path)]) == 1
    assert "would reformat" in capsys.readouterr().out
    assert main(["fmt", "--diff", str(path)]) == 0
    assert "+    true" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8").endswith(":   true\n")  # --diff changes nothing
    assert main(["fmt", str(tmp_path)]) == 0
    assert path.read_text(encoding="utf-8") == 'trial T "t"\ninclude I1 "x":\n    true\n'
    assert main(["fmt", "--check", str(path)]) == 0


def test_cli_reports_a_file_that_does_not_parse_and_leaves_it(tmp_path, capsys):
    path = tmp_path / "bad.elig"
    path.write_text("define x: (\n", encoding="utf-8")
    assert main(["fmt", str(path)]) == 1
    assert "error[E0002]" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == "define x: (\n"


def test_cli_formats_standard_input(monkeypatch, capsys):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("define  x :  1\n"))
    assert main(["fmt"]) == 0
    assert capsys.readouterr().out == "define x: 1\n"


@given(st.lists(st.one_of(st.just(""), st.tuples(st.integers(0, 4), st.text(alphabet="ab #\t", max_size=6)).map(
    lambda c: " " * c[0] + "#" + c[1])), max_size=8).map("\n".join))
def test_comment_only_files_keep_their_comments(text):
    """Law: a file of blank lines and comments formats to its comments, in order, and is then stable."""
    formatted = format_source(text)
    assert comments_of(formatted) == comments_of(text)
    assert format_source(formatted) == formatted

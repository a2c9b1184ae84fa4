"""Issue 8's parser items: line endings, invisible characters, and work that grows linearly with the file.

The scaling tests count work (characters handed to the parser, candidates compared for a suggestion),
never time.
"""

import pytest

from eligibility_dsl import diagnostics as D
from eligibility_dsl.api import check_source, compile_source
from eligibility_dsl.diagnostics import CompileError
from eligibility_dsl.language import syntax

LF = ('trial NCT1 "Line endings"\n# a comment\nfact a: boolean\ninclude I1 "a": a\n# another\n'
      'exclude E1 "not a": not a\n')


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\u2028", "\u2029", "\x85"])
def test_any_line_ending_compiles_to_the_same_criteria(newline):
    """A file saved with CR-only (old Mac), CRLF (Windows) or Unicode line separators has every criterion:
    a `#` comment ends at its line, not at the end of the file."""
    trial = compile_source(LF.replace("\n", newline), "t.elig")
    assert [c.id for c in trial.criteria] == ["I1", "E1"]


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_diagnostics_point_at_the_same_line_and_column_whatever_the_line_endings(newline):
    text = LF.replace("include I1 \"a\": a", "include I1 \"a\": a and") + 'include I2 "b": b\n'
    expected = [(d.code, d.span.line, d.span.column) for d in check_source(text, "t.elig")[1]]
    got = [(d.code, d.span.line, d.span.column) for d in check_source(text.replace("\n", newline), "t.elig")[1]]
    assert got == expected and expected


@pytest.mark.parametrize("char", ["\u200b", "\u200e", "\u200f", "\u202e", "\u2066", "\ufeff", "\u00a0"])
def test_an_invisible_character_outside_texts_is_a_located_error(char):
    text = f'trial NCT1 "t"\nfact a: boolean\ninclude I1 "x": a{char} and a\n'
    _, diags = check_source(text, "t.elig")
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("E0006", 3, 18)]
    assert f"U+{ord(char):04X}" in diags[0].message
    with pytest.raises(CompileError):
        compile_source(text, "t.elig")


def test_an_invisible_character_in_a_comment_is_an_error_too():
    """Bidirectional overrides in a comment can make the code that runs read differently (Trojan Source)."""
    text = 'trial NCT1 "t"\nfact a: boolean\n# note \u202e reversed\ninclude I1 "x": a\n'
    assert [(d.code, d.span.line, d.span.column) for d in check_source(text, "t.elig")[1]] == [("E0006", 3, 8)]


def test_invisible_characters_inside_a_quoted_text_are_allowed():
    text = 'trial NCT1 "t \u200f"\nfact a: boolean "\u200e\u05d0"\ninclude I1 "x\u200b": a\n'
    assert check_source(text, "t.elig")[1] == []


def test_a_byte_order_mark_at_the_start_is_accepted():
    assert check_source("\ufeff" + LF, "t.elig")[1] == []


def _one_syntax_error(n: int) -> str:
    lines = ['trial NCT1 "t"', "fact a: boolean"] + [f'include I{i} "c": a' for i in range(n)]
    lines[n // 2 + 2] = 'include IX "broken": a a'
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("n", [2000, 10000])
def test_one_syntax_error_among_n_criteria_parses_each_character_at_most_twice(monkeypatch, n):
    """Law: the characters handed to the parser are at most twice the file's length (once whole, once in
    its own declaration), so one error among N criteria costs linear work (it was quadratic)."""
    parsed: list[int] = []
    real = syntax._parse

    def counting(text):
        parsed.append(len(text))
        return real(text)

    monkeypatch.setattr(syntax, "_parse", counting)
    text = _one_syntax_error(n)
    result = syntax.parse(text, "t.elig")
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("E0001", n // 2 + 3)]
    assert len(result.module.decls) == n + 1  # every sound declaration is kept
    assert sum(parsed) <= 2 * len(text)


def test_recovered_declarations_keep_their_true_positions():
    text = _one_syntax_error(20)
    whole = syntax.parse(text.replace("a a", "a_a"), "t.elig").module.decls  # same length, parses
    recovered = syntax.parse(text, "t.elig").module.decls
    spans = {d.name_span for d in recovered}
    assert spans < {d.name_span for d in whole}
    assert all(text[d.span.start:d.span.end].startswith(("include", "fact", "trial")) for d in recovered)


def test_n_misspelt_names_against_n_definitions_compare_a_bounded_number_of_candidates(monkeypatch):
    """Law: each suggestion looks at no more than SUGGEST_CAP candidates, and each namespace is indexed once
    per check: N misspelt names against N definitions is near-linear work (it was N x N comparisons)."""
    n = 2000
    compared: list[int] = []
    built: list[int] = []
    real_match, real_init = D.difflib.get_close_matches, D.Suggester.__init__

    def counting_match(word, possibilities, *a, **k):
        compared.append(len(possibilities))
        return real_match(word, possibilities, *a, **k)

    def counting_init(self, candidates):
        built.append(1)
        real_init(self, candidates)

    monkeypatch.setattr(D.difflib, "get_close_matches", counting_match)
    monkeypatch.setattr(D.Suggester, "__init__", counting_init)
    lines = ['trial NCT1 "t"', "fact a: boolean"]
    lines += [f"define value_number_{i}: a" for i in range(n)]
    lines += [f'include I{i} "c": valeu_number_{i}' for i in range(n)]
    _, diags = check_source("\n".join(lines) + "\n", "t.elig")
    assert len(diags) == n and all(d.code == "E0101" for d in diags)
    assert all(d.help and d.help.startswith("did you mean `value_number_") for d in diags)
    assert max(compared) <= D.SUGGEST_CAP and len(built) <= 3


def test_suggestions_are_case_insensitive():
    assert D.suggest("eGFR", ["egfr", "hba1c"]) == "did you mean `egfr`?"
    assert D.suggest("HBA1C", ["egfr", "hba1c"]) == "did you mean `hba1c`?"
    assert D.suggest("egfr", ["egfr"]) is None


def test_elig_check_warns_about_unused_declarations_and_still_succeeds(capsys):
    from pathlib import Path

    from eligibility_dsl.cli import main

    path = Path(__file__).parent / "fixtures" / "diagnostics" / "unused.elig"
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("warning[W0102]") == 4 and "error[" not in out


def test_unused_declarations_are_not_reported_by_check_source():
    """Snippets and generated programs declare more than they use: only `elig check` asks for W0102."""
    _, diags = check_source('trial NCT1 "t"\nfact a: boolean\nfact b: boolean\ninclude I1 "x": a\n', "t.elig")
    assert diags == []


def test_the_anchor_position_covers_the_name_alone_not_the_definition_it_names():
    text = 'trial NCT1 "t"\nanchor screening\ndefine d: foo\ninclude I1 "x": age at d >= 18 years\n'
    (d,) = [d for d in check_source(text, "t.elig")[1] if d.code == "E0101"]
    assert d.message == "unknown name `foo`" and "anchor" not in (d.help or "")


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\r"])
def test_a_line_separator_inside_a_quoted_text_is_kept_as_written(char):
    text = f'trial NCT1 "t"\nfact c: code of ["a{char}b", "x"]\ninclude I1 "x": c = "a{char}b"\n'
    trial = compile_source(text, "t.elig")
    assert trial.facts["c"].type.values == (f"a{char}b", "x")

"""The parser: what each construct parses to, that layout does not matter, and that spans are true."""

from decimal import Decimal
from pathlib import Path

import pytest

from eligibility_dsl.language import ast as A
from eligibility_dsl.language.syntax import grammar_text, parse, parse_expression

ROOT = Path(__file__).parent.parent


def expr(text: str) -> A.Expr:
    result = parse_expression(text)
    assert isinstance(result, A.Expr), result
    return result


def test_precedence_not_binds_tighter_than_and_which_binds_tighter_than_or():
    assert expr("not a and b or c") == A.Or((A.And((A.Not(A.Name("a")), A.Name("b"))), A.Name("c")))


def test_implies_is_loosest():
    assert expr("a or b implies c") == A.Implies(A.Or((A.Name("a"), A.Name("b"))), A.Name("c"))


def test_arithmetic_precedence_and_left_associativity():
    assert expr("1 - 2 - 3 * x") == A.Arith("-", A.Arith("-", A.NumberLit(Decimal(1)), A.NumberLit(Decimal(2))),
                                            A.Arith("*", A.NumberLit(Decimal(3)), A.Name("x")))
    assert expr("5 × x") == A.Arith("*", A.NumberLit(Decimal(5)), A.Name("x"))


def test_numbers_are_exact_decimals():
    assert expr("134.4 h") == A.QuantityLit(Decimal("134.4"), "h")
    assert expr("0.1").value == Decimal("0.1")


@pytest.mark.parametrize(("text", "unit"), [("10 mg", "mg"), ("100 mg/day", "mg/day"), ("50 %", "%"),
                                             ("6 months", "months"), ("1.5 '10*9/L'", "10*9/L"),
                                             ("2 mg/dL", "mg/dL")])
def test_units_are_read_right_after_a_number(text, unit):
    assert expr(text).unit == unit


def test_unit_words_are_names_elsewhere():
    assert expr("mg > 3 mg") == A.Compare(">", A.Name("mg"), A.QuantityLit(Decimal(3), "mg"))


def test_dates_are_one_token_not_a_subtraction():
    assert expr("2025-09-11 - 6 months") == A.Arith("-", A.DateLit("2025-09-11"), A.QuantityLit(Decimal(6), "months"))


def test_unicode_comparison_operators_are_normalised():
    assert expr("x ≥ 1") == expr("x >= 1")
    assert expr("x ≤ 1") == expr("x <= 1")
    assert expr("x ≠ 1") == expr("x != 1")


def test_date_functions_and_conditionals():
    assert expr("age at screening") == A.Age(A.Name("screening"))
    assert expr("months between a and b") == A.DurationBetween("months", A.Name("a"), A.Name("b"))
    assert expr("if a then 1 else 2") == A.Conditional(A.Name("a"), A.NumberLit(Decimal(1)), A.NumberLit(Decimal(2)))
    assert expr("max(28 days, 5 * h)") == A.Call("max", (A.QuantityLit(Decimal(28), "days"),
                                                         A.Arith("*", A.NumberLit(Decimal(5)), A.Name("h"))))


def test_between_and_membership_with_negation():
    assert expr("x not between 1 and 2") == A.Between(A.Name("x"), A.NumberLit(Decimal(1)), A.NumberLit(Decimal(2)),
                                                      negated=True)
    assert expr('s not in ["a", "b"]') == A.Member(A.Name("s"), (A.TextLit("a"), A.TextLit("b")), negated=True)


def test_unknown_is_a_literal():
    assert expr("true and unknown") == A.And((A.BoolLit(True), A.BoolLit(None)))


def test_layout_and_comments_do_not_change_the_tree():
    one = parse('trial T "t"\ninclude I1 "x": a and b\n').module
    two = parse('trial T\n  "t"   # title\n\ninclude I1\n "x" :\n    a   # first\n    and b\n').module
    assert one == two
    assert one.decls[1].span != two.decls[1].span  # spans differ, equality ignores them


def test_adjacent_texts_join_so_long_protocol_text_can_wrap():
    module = parse('trial T "t"\ninclude I1 "first half, "\n  "second half": a\n').module
    assert module.decls[1].text == "first half, second half"


def test_escaped_quotes_in_text():
    assert parse('trial T "a \\"quoted\\" word"').module.decls[0].title == 'a "quoted" word'


def test_spans_point_at_the_source():
    text = 'trial T "t"\ninclude I1 "x":\n    fvc > 50 %\n'
    crit = parse(text, "f.elig").module.decls[1]
    s = crit.expr.span
    assert (s.file, s.line, s.column, s.end_line, s.end_column) == ("f.elig", 3, 5, 3, 15)
    assert text[s.start:s.end] == "fvc > 50 %"
    assert (crit.name_span.line, crit.name_span.column) == (2, 9)


def test_every_declaration_is_parsed_when_one_is_broken():
    result = parse('trial T "t"\nfact a: boolean\ninclude I1 "x": a >\ninclude I2 "y": a\ndefine d: (\n')
    assert [type(d).__name__ for d in result.module.decls] == ["TrialDecl", "FactDecl", "Criterion"]
    assert [d.span.line for d in result.diagnostics] == [3, 5]
    assert result.broken_names == {"d"}


def test_the_trial_file_parses_without_diagnostics():
    text = (ROOT / "trials" / "ssc_telitacicept.elig").read_text(encoding="utf-8")
    assert parse(text).diagnostics == ()


def test_grammar_is_found():
    assert "start:" in grammar_text()

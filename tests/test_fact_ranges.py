"""Declared scales on facts (issue 8): `fact mrss: number between 0 and 51`, `fact fvc: quantity in % between
0 % and 250 %`. A record value outside the scale is a problem naming the fact and the scale, and the fact is
unknown (the criterion UNKNOWN), never believed; inside, the fact reads as if no scale were declared.
Boundary cases as data: tests/fixtures/evaluation/fact_ranges/; diagnostics: tests/fixtures/diagnostics/
fact_ranges.elig."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_dsl import compile_source
from eligibility_dsl.explain.render import render_text
from eligibility_dsl.explain.trial_doc import to_markdown, trial_document
from eligibility_dsl.language.canonical import canonical_ast
from eligibility_dsl.language.format import format_source
from eligibility_dsl.language.syntax import parse

HEAD = 'trial T "t"\nanchor screening\n'
RANGED = HEAD + ('fact mrss: number between 0 and 51 "modified Rodnan skin score"\n'
                 "fact fvc: quantity in % between 0 % and 250 %\n"
                 'include SKIN "skin": mrss >= 15\ninclude LUNG "lung": fvc > 50 %\n')
PLAIN = RANGED.replace(" between 0 and 51", "").replace(" between 0 % and 250 %", "")
TRIAL, UNRANGED = compile_source(RANGED, "t.elig"), compile_source(PLAIN, "t.elig")
ANCHORS = TRIAL.parse_anchors({"screening": "2025-01-01"})


def statuses(trial, facts, **options):
    decision = trial.evaluate({"id": "x", "facts": facts}, ANCHORS, **options)
    return {c.id: (str(c.status), c.problems) for c in decision.criteria}


@given(mrss=st.decimals(-100, 100, places=1), fvc=st.decimals(-0, 400, places=1),
       options=st.sampled_from([{"trace": "full"}, {"trace": "off"}]))
def test_law_inside_the_scale_as_if_undeclared_outside_unknown_with_the_problem(mrss, fvc, options):
    facts = {"mrss": str(mrss), "fvc": f"{fvc} %"}
    got, plain = statuses(TRIAL, facts, **options), statuses(UNRANGED, facts, **options)
    for cid, value, low, high, shown in (("SKIN", mrss, 0, 51, f"`{mrss}`"), ("LUNG", fvc, 0, 250, f"`{fvc} %`")):
        if low <= value <= high:
            assert got[cid] == plain[cid]
        else:
            status, problems = got[cid]
            assert status == "UNKNOWN" and any(shown in p and "outside its declared range" in p for p in problems)


def test_the_trace_says_why_a_recorded_value_is_not_used():
    text = " ".join(render_text(TRIAL.evaluate({"id": "x", "facts": {"mrss": 60, "fvc": "70 %"}}, ANCHORS), "full",
                                100, TRIAL.checked).split())
    assert ("mrss → unknown (fact) note: fact `mrss`: the record's value `60` is outside its declared range 0 to 51, "
            "so it is not used") in text


def test_the_formatter_keeps_a_scale_and_is_idempotent():
    messy = HEAD + "fact  mrss :number   between 0   and 51\nfact d: number between -10 and 10  # a change\n" \
                   'include A "a": mrss > 1 and d > 1\n'
    once = format_source(messy, "t.elig")
    assert "fact mrss: number between 0 and 51\n" in once and "fact d: number between -10 and 10  # a change" in once
    assert format_source(once, "t.elig") == once
    assert parse(once, "t.elig").module == parse(messy, "t.elig").module


def test_the_trial_document_states_the_scale():
    text = to_markdown(trial_document(TRIAL.checked))
    assert "modified Rodnan skin score (0 to 51)" in text and "(0 % to 250 %)" in text


def test_a_fact_without_a_scale_keeps_its_canonical_form():
    """Decision records hash the canonical syntax tree: files written before scales existed hash the same."""
    plain = canonical_ast(parse(PLAIN, "t.elig").module)
    facts = [d for d in plain["decls"] if d["node"] == "FactDecl"]
    assert facts and all("range" not in d for d in facts)
    ranged = [d for d in canonical_ast(parse(RANGED, "t.elig").module)["decls"] if d["node"] == "FactDecl"]
    assert all("range" in d for d in ranged)


def test_the_checked_scale_is_exact():
    assert TRIAL.facts["mrss"].range == (Decimal(0), Decimal(51))
    assert str(TRIAL.facts["fvc"].range[1]) == "250 %"


def test_the_sql_backend_refuses_a_scaled_fact_with_a_located_e0401():
    pytest.importorskip("sqlglot")
    from eligibility_dsl.backends.sql.criteria import SqlCompileError, compile_trial

    with pytest.raises(SqlCompileError) as caught:
        compile_trial(TRIAL.checked, ANCHORS)
    found = [(d.code, d.message, d.span.line) for d in caught.value.diagnostics]
    assert ("E0401", "the SQL backend does not compile a fact with a declared range (`mrss` between ... and ...) "
            "(in criterion `SKIN`)", 5) in found


def test_the_record_schema_states_the_scale():
    from eligibility_dsl.records.schema import record_schema

    facts = record_schema(TRIAL.facts)["properties"]["facts"]["properties"]
    assert facts["mrss"]["description"] == ("modified Rodnan skin score; declared scale 0 to 51, a value outside "
                                            "is not used")


def test_the_editor_hover_shows_the_scale():
    from eligibility_dsl.lsp.features import describe
    from eligibility_dsl.lsp.index import analyse

    analysis = analyse(RANGED, "t.elig", None)
    assert "scale: `0 %` to `250 %` (a record value outside is not used)" in describe(analysis,
                                                                                   analysis.symbols["fvc"])

"""Renderers for decisions: text a person can follow, and JSON-ready dictionaries.

Every line of the text form can be traced back: a criterion's summary names the
values that decided it, and the ``full`` view prints each sub-expression with
its value, file and line, down to the facts and thresholds.  Text is wrapped to
a width (the terminal's, from the command line); the views (summary, fails, full,
worklist) are chosen in ``views.py``.
"""

from __future__ import annotations

import contextvars
import textwrap

from ..check import ir
from ..runtime.bounded import Bounded
from ..runtime.datetimes import anchor_texts
from ..runtime.ops import FLIP, compare_value
from .derived import derived_index, derived_lines
from .outcome import Status
from .quote import SourceText
from .trace import TraceNode, event_to_dict
from .values import json_value, text_value
from .views import check_view, criteria_in_view, shows_tree, worklist

_MARK = {True: "✓", False: "✗", None: "?"}
_OP_WORDS = {"=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


_Source = SourceText  # the name tests and older callers use
# Whether sentences cite their evidence (`summarize(..., evidence=False)` for reports that list it apart).
_WITH_EVIDENCE = contextvars.ContextVar("with_evidence", default=True)
# Codes the terminology added, and its release, for naming them in the full trace (explain/derived.py).
_DERIVED: contextvars.ContextVar[tuple[dict, str]] = contextvars.ContextVar("derived", default=({}, ""))
DEFAULT_WIDTH = 100


_QUERY_WORDS = {"exists": "exists", "count": "count", "days_on": "days on"}
_QUERY_NODES = (ir.Aggregate, ir.All, ir.Stable, ir.Change, ir.Pick, ir.DailyTotal, ir.ItemCount, ir.Extreme)


def _query_label(n: ir.Node, src: SourceText | None = None) -> str:
    """A short name for a query: `days on medications in steroids where daily_dose >= 100 mg/day`."""
    q = n.query
    head = {ir.Aggregate: lambda: _QUERY_WORDS[n.kind], ir.All: lambda: "all",
            ir.Stable: lambda: f"stable {n.field} of" if n.field else "continuous",
            ir.Change: lambda: f"change in {n.field} of", ir.Pick: lambda: f"{n.which} {n.field} of",
            ir.DailyTotal: lambda: "highest daily total of "
            + (f"{src.of(n.amount)} over" if src is not None else "... over"),
            ir.Extreme: lambda: f"{n.which} {n.field} of",  # sequences (lang11b)
            ir.ItemCount: lambda: "count items with "  # counting over items (lang11b)
            + (f"{src.of(n.condition)} of {n.which}" if src is not None else f"... of {n.which}")}[type(n)]()
    where = ""
    if q.filter is not None:
        where = f" where {src.of(q.filter)}" if src is not None else " where ..."
    return f"{head} {q.collection}" + (f" in {q.codeset}" if q.codeset else "") + where


def _listed(label: str, texts: list[str]) -> str:
    more = f" and {len(texts) - 3} more" if len(texts) > 3 else ""
    return f"{label} " + "; ".join(texts[:3]) + more


def filtered_out(t: TraceNode) -> list:
    """The events a query's `where` filter turned away (its per-event results that are false)."""
    q = getattr(t.node, "query", None)
    if q is None or q.filter is None:
        return []
    return [c.event for c in t.children if c.event is not None and c.node is q.filter and c.value is False]


def _evidence_text(e, t: TraceNode | None = None) -> str:
    parts = []
    for label, events in (("found", e.matched), ("undecided", e.undecided)):
        if events:
            parts.append(_listed(label, [e.describe(x) for x in events]))
    rejected = filtered_out(t) if t is not None else []
    if not e.matched and not e.undecided:
        parts.append("no matching record")
    if rejected:
        parts.append(_listed("excluded by the where filter:", [e.describe(x) for x in rejected]))
    parts.append(f"window {e.window}")
    parts.append(e.coverage_text)
    return " · ".join(parts)


def _operand(t: TraceNode, src: SourceText) -> str:
    if isinstance(t.node, ir.Const):
        return text_value(t.value)
    value = text_value(t.value)
    if isinstance(t.value, Bounded) or t.value is None:
        value = f"({value})"  # `acr_eular_2013 (between 11 and 14)`, `latest value of ... (unknown)`
    if isinstance(t.node, _QUERY_NODES):
        return f"{_query_label(t.node, src)} {value}"
    return f"{src.of(t.node)} {value}"


def _name(t: TraceNode, src: SourceText) -> str:
    """An operand without its value."""
    if isinstance(t.node, _QUERY_NODES):
        return _query_label(t.node, src)
    return src.of(t.node)


def _range_sentence(t: TraceNode, src: SourceText) -> str | None:
    """A comparison with a range operand (a score with unscored items, a count over an incomplete
    history): say the range, and that the answer holds for all of it (or cannot be told)."""
    left, right = t.children
    ranged = left if isinstance(left.value, Bounded) else right if isinstance(right.value, Bounded) else None
    if ranged is None:
        return None
    op = t.node.op if ranged is left else FLIP[t.node.op]
    other = right if ranged is left else left
    other_text = text_value(other.value) if isinstance(other.node, ir.Const) else _operand(other, src)
    head = f"{_name(ranged, src)} lies {ranged.value}"
    if t.value is None:
        return f"whether {_name(ranged, src)} {op} {other_text} is unknown: it lies {ranged.value}, on both sides"
    verdict = "so it is" if t.value else "so it is not"
    return f"{head} (not every part is known), {verdict} {op} {other_text} whatever the unknown parts are"


def _evidence_below(t: TraceNode) -> list[str]:
    """The evidence of the queries a comparison reads directly (a score's items are its own story:
    its note lists each category), each said once: a formula that uses a value three times (MELD-Na's
    MELD(i)) cites its results once, in the order first read."""
    out: dict[str, None] = {}
    if not _WITH_EVIDENCE.get():
        return []

    def visit(node: TraceNode) -> None:
        if node.evidence is not None:
            out.setdefault(_evidence_text(node.evidence, node))
        elif isinstance(node.node, ir.ScoreRef):
            out.setdefault(f"{node.node.name}: {node.note}")
        else:
            for c in node.children:
                visit(c)
    visit(t)
    return list(out)


def _missing_below(t: TraceNode) -> list[str]:
    return sorted({n.fact for n in t.walk() if n.fact is not None and n.value is None})


def summarize(t: TraceNode, src: SourceText, evidence: bool | None = None) -> str:
    """One sentence saying why a (boolean) trace node has its value; with ``evidence`` False, without the
    events, windows and coverage each query cites (for reports that list the evidence apart); None (the
    default) keeps the setting of the sentence it is part of, with evidence at the top."""
    if evidence is not None and evidence is not _WITH_EVIDENCE.get():
        token = _WITH_EVIDENCE.set(evidence)
        try:
            return summarize(t, src)
        finally:
            _WITH_EVIDENCE.reset(token)
    n, v = t.node, t.value
    if t.evidence is not None:  # a query: what it found, where it looked, what coverage allowed
        if not _WITH_EVIDENCE.get():
            return f"{_query_label(n, src)} is {text_value(v)}"
        return f"{_query_label(n, src)} is {text_value(v)}: {_evidence_text(t.evidence, t)}"
    if isinstance(n, ir.Compare):
        sentence = _compare_sentence(t, src)
        evidence = _evidence_below(t)
        return " — ".join([sentence, *evidence])
    if isinstance(n, ir.And | ir.Or):
        # The operands that decided: a false one for a false `and`, a true one for a true `or`,
        # the unknown ones when it is unknown; otherwise every operand counted.
        decisive = (isinstance(n, ir.And) and v is not True) or (isinstance(n, ir.Or) and v is not False)
        shown = [c for c in t.children if c.value is v] if decisive else t.children
        return "; ".join(summarize(c, src) for c in shown)
    if isinstance(n, ir.Not):  # the operand's reason is the reason
        return summarize(t.children[0], src)
    if isinstance(n, ir.Implies):
        left, right = t.children
        if left.value is False:
            return f"does not apply: {summarize(left, src)}"
        if v is True:
            return summarize(right, src)
        if v is False:
            return f"{summarize(left, src)}, but {summarize(right, src)}"
        return "; ".join(summarize(c, src) for c in t.children if c.value is None)
    if isinstance(n, ir.DefRef):
        return f"{n.name} is {text_value(v)}: {summarize(t.children[0], src)}"
    if v is None:
        missing = _missing_below(t)
        why = f" (missing: {', '.join(missing)})" if missing else ""
        return f"{src.of(n)} is unknown{why}"
    if isinstance(n, ir.Between):  # with its evidence, as a comparison cites it
        x, lo, hi = t.children
        verb = "is" if v != n.negated else "is not"
        sentence = f"{_operand(x, src)} {verb} between {_operand(lo, src)} and {_operand(hi, src)} (inclusive)"
        return " — ".join([sentence, *_evidence_below(t)])
    if isinstance(n, ir.Member):
        verb = "is" if v != n.negated else "is not"
        return f"{_operand(t.children[0], src)} {verb} in [{', '.join(_operand(c, src) for c in t.children[1:])}]"
    return f"{src.of(n)} is {text_value(v)}"


def _compare_sentence(t: TraceNode, src: SourceText) -> str:
    n, v = t.node, t.value
    if t.note and v is not None:
        return _summarize_extremum(t, src)
    ranged = _range_sentence(t, src)
    if ranged is not None:
        missing = _missing_below(t) if v is None else []
        return ranged + (f" (missing: {', '.join(missing)})" if missing else "")
    left, right = t.children
    if v is None:
        missing = _missing_below(t)
        why = f" (missing: {', '.join(missing)})" if missing else ""
        return f"whether {_operand(left, src)} {_OP_WORDS[n.op]} {_operand(right, src)} is unknown{why}"
    return f"{_operand(left, src)} {'is' if v else 'is not'} {_OP_WORDS[n.op]} {_operand(right, src)}"


def _unwrap(t: TraceNode) -> TraceNode:
    while isinstance(t.node, ir.DefRef):
        t = t.children[0]
    return t


def _summarize_extremum(t: TraceNode, src: SourceText) -> str:
    """`x < max(a, b)` decided by a known bound although another argument is unknown."""
    n, v = t.node, t.value
    if not isinstance(n, ir.Compare) or len(t.children) != 2:
        return f"{src.of(n)} is {text_value(v)} (decided by the known arguments of max/min)"
    index = 1 if isinstance(_unwrap(t.children[1]).node, ir.Extremum) else 0
    other, ext_ref = t.children[1 - index], t.children[index]
    ext = _unwrap(ext_ref)
    op = n.op if index == 1 else FLIP[n.op]
    deciding = next((a for a in ext.children if a.value is not None and compare_value(op, other.value, a.value) is v),
                    None)
    if deciding is None or not isinstance(ext.node, ir.Extremum):  # nested, or max/min on both sides
        return f"{src.of(n)} is {text_value(v)} (decided by the known arguments of max/min)"
    missing = _missing_below(ext)
    why = f" ({', '.join(missing)} missing)" if missing else ""
    return (f"{_operand(other, src)} {'is' if v else 'is not'} {op} {src.of(ext_ref.node)}: "
            f"{op} {_operand(deciding, src)} already decides `{src.of(ext.node)}`{why}")


def _tree_lines(t: TraceNode, src: SourceText, depth: int, out: list[str]) -> None:
    pad = "    " + "  " * depth
    n = t.node
    mark = _MARK.get(t.value, "·") if n.type.kind == "boolean" else "·"
    text = src.of(n)
    shown = text_value(t.value)
    line = f"{pad}{mark} {text}"
    if not (isinstance(n, ir.Const) and shown == text):
        line += f"  →  {shown}"
    if isinstance(n, ir.Fact):
        line += "   (fact" + (", missing)" if t.value is None and not t.note else ")")
    elif isinstance(n, ir.Anchor):
        line += "   (anchor)"
    if n.span is not None and not isinstance(n, ir.Const | ir.Fact | ir.Anchor):
        line += f"   [{src.location(n.span)}]"  # the file too: criteria come from libraries as well
    out.append(line)
    if t.note:
        out.append(f"{pad}    note: {t.note}")
    if t.event is not None:
        out[-1] = f"{pad}{mark} for {t.event.describe(t.shown)}:  →  {shown}"
        for c in t.children:
            _tree_lines(c, src, depth + 1, out)
        return
    if t.evidence is not None:
        e = t.evidence
        out.append(f"{pad}    window: {e.window}")
        out.append(f"{pad}    coverage: {e.coverage_text}")
        for label, events in (("found", e.matched), ("undecided", e.undecided)):
            for event in events:
                out.append(f"{pad}    {label}: {e.describe(event)}")
                index, release = _DERIVED.get()
                out.extend(f"{pad}      {line}" for line in derived_lines(event, index, release))
        if not e.matched and not e.undecided:
            out.append(f"{pad}    found: no matching record")
        for event in filtered_out(t):
            out.append(f"{pad}    excluded by the where filter: {e.describe(event)}")
    for c in t.children:
        _tree_lines(c, src, depth + 1, out)


def _wrap(line: str, width: int | None) -> list[str]:
    """One logical line wrapped to ``width`` with a hanging indent under its text (after `→ `, a bullet
    or a tree mark), so that a wrapped sentence still reads as one."""
    if width is None or len(line) <= width:
        return [line]
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    for lead in ("→ ", "- ", "✓ ", "✗ ", "? ", "· "):
        if body.startswith(lead):
            indent += len(lead)
            break
    else:
        if body.startswith(tuple(f"{s} " for s in ("INELIGIBLE", "ELIGIBLE", "INDETERMINATE"))):
            indent += 2
        elif line.endswith('"') and ' "' in line:  # a criterion's header: under its quoted text
            indent = line.index(' "') + 2
    indent = min(indent, max(width // 2, 4))
    return textwrap.wrap(line, width=max(width, 20), subsequent_indent=" " * indent, break_long_words=False,
                         break_on_hyphens=False) or [line]


def _bullets(label: str, items, pad: str) -> list[str]:
    """A list whose items may contain commas: one item on the line, or one item per line."""
    items = list(items)
    if len(items) == 1:
        return [f"{pad}{label}: {items[0]}"]
    return [f"{pad}{label}:", *(f"{pad}  - {item}" for item in items)]


def _head(decision) -> list[str]:
    pending = getattr(decision, "pending", None)
    headline = pending.headline if pending is not None else None
    word = f"{decision.outcome}: {headline}" if headline else str(decision.outcome)
    head = f"{word}  {decision.trial_id}"
    if decision.trial_version:
        head += f" v{decision.trial_version}"
    if decision.record_id:
        head += f" · record {decision.record_id}"
    for name, value in anchor_texts(decision.anchors).items():
        head += f" · {name} {value}"
    lines = [head]
    if decision.reasons:
        why = ", ".join(f"{c.id} ({'inclusion not met' if c.kind == 'include' else 'exclusion met'})"
                        for c in decision.criteria if c.decisive)
        lines.append(f"  because: {why}")
    if headline:
        lines.extend(_bullets(f"to confirm (the record is as of {pending.as_of.isoformat()})", pending.items, "  "))
    if decision.missing:
        lines.extend(_bullets("missing (supplying these would settle the decision)", decision.missing, "  "))
    for problem in decision.problems:
        lines.append(f"  data problem: {problem}")
    if decision.mode == "fast":
        lines.append("  (fast mode: stopped at the first decisive criterion; the criteria after it are "
                     "NOT_EVALUATED)")
    return lines


def _worklist_lines(decision, checked) -> list[str]:
    groups = worklist(decision, checked)
    if not groups:
        return ["  nothing to find: no criterion is UNKNOWN"]
    lines = ["  to decide this patient, find:"]
    for group in groups:
        lines.append(f"  {group['source']}")
        for item in group["items"]:
            lines.append(f"    - {item['text']} ({', '.join(item['criteria'])})")
            lines.append(f"        {item['why']}")
    return lines


def render_text(decision, detail: str = "summary", width: int | None = DEFAULT_WIDTH, checked=None) -> str:
    """A decision as text in one of the views (``summary``, ``fails``, ``full``, ``worklist``), wrapped to
    ``width`` (None: not wrapped). ``checked`` (the trial) lets the worklist use descriptions."""
    check_view(detail)
    token = _DERIVED.set((derived_index(checked), getattr(checked, "terminology", "") or ""))
    try:
        return _render_text(decision, detail, width, checked)
    finally:
        _DERIVED.reset(token)


def _render_text(decision, detail: str, width: int | None, checked) -> str:
    src = SourceText.of_decision(decision)
    lines = _head(decision)
    lines.append("")
    if detail == "worklist":
        lines.extend(_worklist_lines(decision, checked))
    else:
        shown = criteria_in_view(detail, decision)
        if detail == "fails" and not shown:
            lines.append("  nothing failed: every inclusion is met and every exclusion is not met")
        width_id = max((len(c.id) for c in decision.criteria), default=2)
        for c in shown:
            status = f"{c.status} (pending: {c.provisional})" if c.provisional is not None else f"{c.status!s:<13}"
            lines.append(f"  {c.id:<{width_id}}  {c.kind}  {status} \"{c.text}\"")
            tree = shows_tree(detail, c)
            if tree:
                _tree_lines(c.trace, src, 0, lines)
            elif c.trace is not None:
                lines.append(f"  {'':<{width_id}}  → {summarize(c.trace, src)}")
            if c.status is Status.UNKNOWN and c.missing and not tree:
                lines.extend(_bullets("missing", c.missing, f"  {'':<{width_id}}    "))
    out: list[str] = []
    for line in lines:
        out.extend(_wrap(line, width))
    return "\n".join(out) + "\n"


def trace_to_dict(t: TraceNode, src: SourceText) -> dict:
    n = t.node
    out: dict = {"expr": src.of(n), "kind": type(n).__name__, "value": json_value(t.value)}
    if n.span is not None:
        out["span"] = n.span.to_dict()
    if isinstance(n, ir.Fact):
        out["fact"] = n.name
    if isinstance(n, ir.Anchor):
        out["anchor"] = n.name
    if t.note:
        out["note"] = t.note
    if t.event is not None:
        out["event"] = event_to_dict(t.event, t.shown)
    if t.evidence is not None:
        out["evidence"] = t.evidence.to_dict()
    if t.children:
        out["children"] = [trace_to_dict(c, src) for c in t.children]
    return out


def decision_to_dict(decision) -> dict:
    src = SourceText.of_decision(decision)
    criteria = []
    for c in decision.criteria:
        entry = {"id": c.id, "kind": c.kind, "text": c.text, "status": str(c.status), "missing": list(c.missing),
                 "problems": list(c.problems)}
        if c.provisional is not None:
            entry["provisional"] = str(c.provisional)
        if c.trace is not None:
            entry["summary"] = summarize(c.trace, src)
            entry["facts_read"] = {k: json_value(v) for k, v in c.facts_read().items()}
            entry["trace"] = trace_to_dict(c.trace, src)
        criteria.append(entry)
    return {
        "trial": {"id": decision.trial_id, "version": decision.trial_version},
        "record_id": decision.record_id,
        "anchors": anchor_texts(decision.anchors),
        "outcome": str(decision.outcome),
        "reasons": list(decision.reasons),
        "missing": list(decision.missing),
        "mode": decision.mode,
        "criteria": criteria,
        **({"pending": decision.pending.to_dict()} if getattr(decision, "pending", None) is not None else {}),
    }

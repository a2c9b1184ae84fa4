"""A trial in plain language, for an ethics committee or a patient leaflet (`elig doc`).

``trial_document(trial)`` gathers what a reader needs: each criterion's protocol text beside its computable
reading ("the most recent FVC, percent of predicted, measured in the 3 months before screening, is above
50 %"), the comments the trial file gives next to its logic, the definitions and scores it uses, the value
sets with their codes, and the reading rules (those the file's header states, and the engine's own).
``to_markdown`` and ``to_html`` render it; the HTML comes from a Jinja2 template with autoescaping.

Readings come from a dispatch table with one entry per IR node kind; a name is shown in words (its
description where it has one, else the name with spaces), never an internal class name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from importlib import resources

import attrs
import jinja2

from ..check import ir
from ..check.unused import used_names
from ..records.model import COLLECTIONS
from ..runtime.quantity import Quantity
from .derived import derived_sentence

__all__ = ["ENGINE_RULES", "reading", "to_html", "to_markdown", "trial_document"]

ENGINE_RULES = (
    "Worded windows include both ends: \"in the 6 months before screening\" runs from the day 6 months before "
    "screening to screening itself, both days counted. Bracketed windows state each end.",
    "A medication or condition with a period counts in a window when its period overlaps the window; a "
    "record with no end date is still ongoing.",
    "Each criterion is met, not met, or unknown. A missing value makes a criterion unknown, never silently "
    "not met; an absence of records counts as \"none\" only where the record says its history is complete.",
    "The trial's outcome: eligible when every inclusion criterion is met and no exclusion criterion is met; "
    "ineligible when an inclusion criterion is not met or an exclusion criterion is met; otherwise "
    "undetermined, with the unknown criteria listed.",
    "Months and years are calendar lengths (a month after 31 January is the end of February); days and weeks "
    "are exact.",
)

_COMPARE = {">": "is above", ">=": "is at least", "<": "is below", "<=": "is at most", "=": "is",
            "!=": "is not"}
_ARITH = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}


def _words(name: str) -> str:
    return name.replace("_", " ")


class _Reader:
    """Readings of IR nodes for one trial (its descriptions of facts, code sets, tables and scores)."""

    def __init__(self, trial: ir.CheckedTrial):
        self.trial = trial

    def __call__(self, node) -> str:
        return _READINGS[type(node)](self, node)

    def fact(self, n: ir.Fact) -> str:
        spec = self.trial.facts.get(n.name)
        said = spec.description if spec is not None and spec.description else _words(n.name)
        if spec is not None and spec.range is not None:  # its declared scale
            low, high = (self.const(ir.Const(spec.type, v)) for v in spec.range)
            said += f" ({low} to {high})"
        return said

    def codeset(self, name: str) -> str:
        spec = self.trial.codesets.get(name)
        return spec.description if spec is not None and spec.description else _words(name)

    def const(self, n: ir.Const) -> str:
        v = n.value
        if v is None or isinstance(v, bool):
            return {True: "true", False: "false", None: "unknown"}[v]
        if isinstance(v, Quantity):
            return f"{_number(v.value)} {v.unit.symbol}" if v.unit.symbol != "1" else _number(v.value)
        if isinstance(v, Decimal):
            return _number(v)
        if isinstance(v, str):
            return f"“{v}”"
        if n.type.kind == "titre":
            return f"a titre of {v}"
        return str(v)

    def window(self, w: ir.Window | None) -> str:
        if w is None:
            return "at any time"
        if w.starts_only:  # `starting during` (lang11b)
            return "started " + self.window(attrs.evolve(w, starts_only=False))
        low, high = w.low, w.high
        if (isinstance(low, ir.Arith) and low.kind == "date_shift" and low.op == "-" and low.left == high
                and w.low_closed and w.high_closed):
            return f"in the {self(low.right)} before {self(high)}"
        if (isinstance(high, ir.Arith) and high.kind == "date_shift" and high.op == "+" and high.left == low
                and w.low_closed and w.high_closed):
            return f"in the {self(high.right)} after {self(low)}"
        if low is None:
            return f"at any time up to {self(high)}" + ("" if w.high_closed else " (not that day)")
        if high is None:
            return f"at any time from {self(low)} on" + ("" if w.low_closed else " (not that day)")
        if low == high and w.low_closed and w.high_closed:
            return f"on the day of {self(low)}"
        ends = f"from {self(low)} to {self(high)}"
        if not (w.low_closed and w.high_closed):
            ends += (f" ({'including' if w.low_closed else 'excluding'} the first day, "
                     f"{'including' if w.high_closed else 'excluding'} the last)")
        return ends

    def query(self, q: ir.Query, plural: bool = True) -> str:
        what = _words(COLLECTIONS[q.collection].name if q.collection in COLLECTIONS else q.collection)
        if q.codeset is not None:
            what += f" in “{self.codeset(q.codeset)}”"
        if q.filter is not None:
            what += f" where {self(q.filter)}"
        return f"{what}, {self.window(q.window)}"


def _number(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _join(parts: list[str], word: str) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {word} " + parts[-1]


def _pick(r: _Reader, n: ir.Pick) -> str:
    which = "most recent" if n.which == "latest" else "earliest"
    q = n.query
    if n.word is not None:
        what = (f"the {which} {r.codeset(q.codeset)}, measured {r.window(q.window)},"
                if q.codeset is not None and q.filter is None else f"the {which} of the {r.query(q)},")
        return f"{what} is {n.word} (by its interpretation, coded value or value against its reference range)"
    if n.field == "value" and q.codeset is not None and q.filter is None:
        return f"the {which} {r.codeset(q.codeset)}, measured {r.window(q.window)},"
    return f"the {_words(n.field)} of the {which} of the {r.query(q)},"


def _stable(r: _Reader, n: ir.Stable) -> str:
    gap = f", allowing gaps of up to {r(n.gap)}" if n.gap is not None else ""
    if n.field is None:
        return f"the {r.query(n.query)}, were taken without interruption{gap}"
    return f"the {_words(n.field)} of the {r.query(n.query)}, stayed the same{gap}"


def _arith(r: _Reader, n: ir.Arith) -> str:
    if n.kind == "date_shift":
        return f"{r(n.right)} {'after' if n.op == '+' else 'before'} {r(n.left)}"
    return f"{r(n.left)} {_ARITH[n.op]} {r(n.right)}"


_FORMULA_WORDS: dict[str, Callable[[_Reader, ir.Formula], str]] = {
    "sqrt": lambda r, n: f"the square root of {r(n.args[0])}",
    "ln": lambda r, n: f"the natural logarithm of {r(n.args[0])}",
    "exp": lambda r, n: f"e to the power of {r(n.args[0])}",
    "round": lambda r, n: f"{r(n.args[0])} rounded to {r(n.args[1])} decimal places",
    "as": lambda r, n: f"{r(n.args[0])} (as {n.type.describe()})",
    "^": lambda r, n: f"{_grouped(r, n.args[0])} to the power of {_grouped(r, n.args[1])}",
}


def _grouped(r: _Reader, n: ir.Node) -> str:
    """An operand of a power, in parentheses when it is itself a calculation (`(a / b) ^ 2`)."""
    return f"({r(n)})" if isinstance(n, ir.Arith | ir.Formula) and not isinstance(n, ir.Const) else r(n)


def _not(r: _Reader, n: ir.Not) -> str:
    inner = n.operand
    if isinstance(inner, ir.Aggregate) and inner.kind == "exists":
        return f"there is no record of {r.query(inner.query)}"
    return f"it is not the case that {r(inner)}"


def _and_or(word: str) -> Callable:
    """`A and B`; when a part has commas of its own, numbered: "all of: (1) ...; (2) ..."."""
    def read(r: _Reader, n) -> str:
        parts = [_tidy(r(o)) for o in n.operands]
        if any("," in p for p in parts) or any(isinstance(o, ir.And | ir.Or) for o in n.operands):
            lead = "all of" if word == "and" else "at least one of"
            return f"{lead}: " + "; ".join(f"({i}) {p}" for i, p in enumerate(parts, 1))
        return _join(parts, word)
    return read


_READINGS: dict[type, Callable[[_Reader, ir.Node], str]] = {
    ir.Const: _Reader.const,
    ir.Fact: _Reader.fact,
    ir.Anchor: lambda r, n: _words(n.name),
    ir.DefRef: lambda r, n: _words(n.name),
    ir.ScoreRef: lambda r, n: f"the {r.trial.scores[n.name].description or _words(n.name)}"
    if n.name in r.trial.scores else f"the {_words(n.name)} score",
    ir.FieldRef: lambda r, n: f"its {_words(n.name)}",
    ir.Not: _not,
    ir.And: _and_or("and"),
    ir.Or: _and_or("or"),
    ir.Implies: lambda r, n: f"if {r(n.left)}, then {r(n.right)}",
    ir.Compare: lambda r, n: f"{r(n.left)} {_COMPARE[n.op]} {r(n.right)}",
    ir.Between: lambda r, n: f"{r(n.operand)} is {'not ' if n.negated else ''}between {r(n.low)} and {r(n.high)} "
    "(both included)",
    ir.Member: lambda r, n: f"{r(n.operand)} is {'none' if n.negated else 'one'} of "
    + _join([r(i) for i in n.items], "or"),
    ir.Arith: _arith,
    ir.Neg: lambda r, n: f"minus {r(n.operand)}",
    ir.Extremum: lambda r, n: f"the {'larger' if n.func == 'max' else 'smaller'} of "
    + _join([r(a) for a in n.args], "and"),
    # Formulas (lang11a): computed to 28 significant digits (runtime/formulas.py).
    ir.Formula: lambda r, n: _FORMULA_WORDS[n.func](r, n),
    ir.Age: lambda r, n: f"the age at {r(n.at)}",
    ir.AgeIn: lambda r, n: f"the age in completed {n.unit} at {r(n.at)}",
    ir.AnchorTime: lambda r, n: f"the {n.name} date-time",
    ir.EventTime: lambda r, n: "the record's date-time",
    ir.PickTime: lambda r, n: f"the date-time of the {n.which} record",
    ir.DurationBetween: lambda r, n: f"the time in {n.unit} from {r(n.start)} to {r(n.end)}",
    ir.Conditional: lambda r, n: f"{r(n.then)} if {r(n.cond)}, otherwise {r(n.otherwise)}",
    ir.InCodeset: lambda r, n: f"{r(n.operand)} is {'not ' if n.negated else ''}in {r.codeset(n.codeset)}",
    ir.Lookup: lambda r, n: f"the {_table_words(r, n.table)} for {r(n.key)}",
    ir.Aggregate: lambda r, n: {"exists": lambda: f"there is a record of {r.query(n.query)}",
                                "count": lambda: f"the number of {r.query(n.query)}",
                                "days_on": lambda: f"the number of days on {r.query(n.query)}"}[n.kind](),
    ir.All: lambda r, n: f"every one of the {r.query(n.query)} has {r(n.condition)}",
    ir.Pick: _pick,
    ir.Stable: _stable,
    ir.Change: lambda r, n: f"the change in {_words(n.field)} (latest minus earliest) of the {r.query(n.query)},",
    # Laboratory result words (docs/patient_model.md, "Laboratory results") and concurrent totals.
    ir.ResultIs: lambda r, n: f"its result is {n.word}",
    ir.DailyTotal: lambda r, n: f"the highest total over one day of {r(n.amount)}, adding up the "
                                f"{r.query(n.query)} active that day,",
    # The worst / best value in a window, and counting over items (lang11b).
    ir.Extreme: lambda r, n: f"the {'highest' if n.which == 'highest' else 'lowest'} {_words(n.field)} of the "
                             f"{r.query(n.query)},",
    ir.ItemCount: lambda r, n: f"the number of items of the {'most recent' if n.which == 'latest' else 'earliest'} "
                               f"of the {r.query(n.query)}, for which {r(n.condition)},",
}


def _table_words(r: _Reader, name: str) -> str:
    spec = r.trial.tables.get(name)
    return spec.description if spec is not None and spec.description else _words(name)


def reading(node: ir.Node, trial: ir.CheckedTrial) -> str:
    """One node's computable reading in words."""
    return _tidy(_Reader(trial)(node))


def _tidy(text: str) -> str:
    return re.sub(r",(\s*(?:,|\)|$))", r"\1", re.sub(r"\s+", " ", text)).strip()


# ------------------------------------------------------------------------------- the document

_HEADER_RULES = re.compile(r"reading rules?", re.IGNORECASE)


def _comment_lines(text: str) -> list[str]:
    return [line.strip()[1:].strip() for line in text.split("\n") if line.strip().startswith("#")]


def file_reading_rules(source: str) -> list[str]:
    """The rules a trial file's leading comments state: the `- ` items after a line naming "reading rules"."""
    head = []
    for line in source.split("\n"):
        if line.strip() and not line.strip().startswith("#"):
            break
        head.append(line)
    rules: list[str] = []
    started = False
    for text in _comment_lines("\n".join(head)):
        if not started:
            started = bool(_HEADER_RULES.search(text))
            continue
        if text.startswith("- "):
            rules.append(text[2:])
        elif rules and text:
            rules[-1] += " " + text
    return rules


def _notes(source: str, span) -> list[str]:
    """The comments inside a declaration (the designer's interpretation, next to the logic it shapes)."""
    if span is None or not source:
        return []
    notes: list[str] = []
    for text in _comment_lines(source[span.start:span.end]):
        if notes and text and not text[:1].isupper() and not notes[-1].endswith((".", ":")):
            notes[-1] += " " + text
        elif text:
            notes.append(text)
    return [" ".join(notes)] if notes else []


def trial_document(trial: ir.CheckedTrial) -> dict:
    """The trial as plain data for the renderers."""
    read = _Reader(trial)
    source = trial.source
    used_by_criteria = used_names(trial)  # the value sets the criteria use (not all of an imported library)

    def used(kind: str):
        return [c for c in trial.criteria if c.kind == kind]

    criteria = {kind: [{"id": c.id, "text": c.text, "reading": _tidy(read(c.expr)),
                        "notes": _notes(trial.sources.get(c.span.file, source) if c.span else source, c.span)}
                       for c in used(kind)] for kind in ("include", "exclude")}
    definitions = [{"name": _words(d.name), "reading": _tidy(read(d.expr))} for d in trial.definitions.values()]
    scores = [{"name": s.description or _words(s.name),
               "categories": [{"title": title, "choices": [{"weight": _number(w), "reading": _tidy(read(c))}
                                                          for w, c in items]} for title, items in s.categories]}
              for s in trial.scores.values()]
    codesets = [_codeset_doc(s, read, trial) for s in sorted(trial.codesets.values(), key=lambda s: s.name)
                if s.name in used_by_criteria]
    tables = [{"name": t.description or _words(t.name), "source": t.source or "",
               "entries": [{"key": read.codeset(k), "value": str(v)} for k, v in t.entries]}
              for t in trial.tables.values()]
    return {
        "id": trial.registry_id, "title": trial.title, "version": trial.version or "",
        "anchors": [{"name": _words(a), "description": d or ""} for a, d in trial.anchors.items()],
        "include": criteria["include"], "exclude": criteria["exclude"],
        "definitions": definitions, "scores": scores, "codesets": codesets, "tables": tables,
        "file_rules": file_reading_rules(source), "engine_rules": list(ENGINE_RULES),
    }


def _codeset_doc(s, read, trial) -> dict:
    """A code set as written, and the codes the terminology added, each with what it was derived from."""
    derived = {(sys, code) for sys, code, _, _ in s.derived}
    release = getattr(trial, "terminology", "") or ""
    return {"name": _words(s.name), "description": s.description or "",
            "codes": [{"system": sys, "code": code, "display": display or ""}
                      for sys, code, display in s.codes if (sys, code) not in derived],
            "derived": [{"system": sys, "code": code, "display": display or "", "via": via,
                         "reading": derived_sentence(sys, code, display, via, release)}
                        for sys, code, display, via in s.derived],
            "release": release if s.derived else "",
            "includes": [read.codeset(i) for i in s.includes]}


DERIVED_SHOWN = 10  # derived codes listed per code set in the Markdown (the JSON lists them all)


def _derived_md(cs: dict) -> list[str]:
    if not cs.get("derived"):
        return []
    n = len(cs["derived"])
    out = [f"- and {n} code{'s' if n != 1 else ''} reached through the terminology ({_md(cs['release'])}):"]
    out += [f"    - {_md(d['reading'].split(' via ')[0])}" for d in cs["derived"][:DERIVED_SHOWN]]
    if n > DERIVED_SHOWN:
        out.append(f"    - and {n - DERIVED_SHOWN} more (the compiled trial lists them all)")
    return out


def _md(text: str) -> str:
    """Text for Markdown: characters that would turn into markup escaped."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", text)


def to_markdown(doc: dict) -> str:
    out = [f"# {_md(doc['title'])}", "", f"Trial `{doc['id']}`" + (f", version {_md(doc['version'])}"
                                                                  if doc["version"] else "") + ".", ""]
    if doc["anchors"]:
        out += ["Dates the criteria count from:", ""]
        out += [f"- **{_md(a['name'])}**" + (f": {_md(a['description'])}" if a["description"] else "")
                for a in doc["anchors"]]
        out.append("")
    for kind, title in (("include", "Inclusion criteria"), ("exclude", "Exclusion criteria")):
        if not doc[kind]:
            continue
        out += [f"## {title}", ""]
        for c in doc[kind]:
            out += [f"### {c['id']}", "", f"> {_md(c['text'])}", "", f"**Read as:** {_md(c['reading'])}.", ""]
            out += [f"*Note:* {_md(n)}" for n in c["notes"]] + ([""] if c["notes"] else [])
    if doc["definitions"]:
        out += ["## Definitions", ""] + [f"- **{_md(d['name'])}**: {_md(d['reading'])}" for d in doc["definitions"]]
        out.append("")
    for s in doc["scores"]:
        out += [f"## Score: {_md(s['name'])}", "", "The sum, over the categories, of the highest weight whose "
                "condition holds.", ""]
        for cat in s["categories"]:
            out.append(f"- {_md(cat['title'])}: " + "; ".join(f"{i['weight']} if {_md(i['reading'])}"
                                                                for i in cat["choices"]))
        out.append("")
    if doc["codesets"]:
        out += ["## Value sets", ""]
        for cs in doc["codesets"]:
            out += [f"### {_md(cs['description'] or cs['name'])}", ""]
            out += [f"- {cs_['system']} `{cs_['code']}`" + (f" {_md(cs_['display'])}" if cs_["display"] else "")
                    for cs_ in cs["codes"]]
            out += _derived_md(cs)
            out += [f"- everything in {_md(i)}" for i in cs["includes"]]
            out.append("")
    for t in doc["tables"]:
        out += [f"## Table: {_md(t['name'])}", ""] + ([f"Source: {_md(t['source'])}", ""] if t["source"] else [])
        out += [f"- {_md(e['key'])}: {_md(e['value'])}" for e in t["entries"]] + [""]
    out += ["## Reading rules", ""]
    if doc["file_rules"]:
        out += ["Stated in the trial file:", ""] + [f"- {_md(r)}" for r in doc["file_rules"]] + [""]
    out += ["Applied by the engine to every trial:", ""] + [f"- {_md(r)}" for r in doc["engine_rules"]] + [""]
    return "\n".join(out)


_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True)


def to_html(doc: dict) -> str:
    text = resources.files("eligibility_dsl.explain.html").joinpath("trial_doc.html.j2").read_text("utf-8")
    return _ENV.from_string(text).render(doc=doc)

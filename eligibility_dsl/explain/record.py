"""Decision records: what an auditor keeps to say, years later, how a patient was judged.

A record ties a decision to its inputs (every criteria file, by name and sha256, and the canonical syntax
tree; the patient record in canonical JSON; the anchors; the engine and its version) and holds the
decision itself: outcome, and per criterion its status, missing data, problems, evidence (event ids with
their dates and values) and the windows computed, with the trace at the chosen view.  Its layout::

    {"format": "eligibility-dsl/decision-record", "format_version": "1",
     "id": "sha256:<hash of content>",          # the decision id: the same inputs give the same id
     "content": {...},                          # everything a replay must reproduce (hashed)
     "metadata": {"evaluated_at": ...},         # supplied facts about the run (not part of the id)
     "seal": "sha256:<hash of id, content and metadata>"}

Evaluation time is metadata, so a replay today reproduces ``id`` exactly; ``seal`` makes any change to the
metadata visible too.  ``elig schema decision`` prints the JSON Schema (``eligibility_dsl/schemas/``), and
the README (“Decisions an auditor can keep”) describes each field.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from ..check import ir
from ..language.canonical import AST_FORMAT, canonical_ast
from ..language.syntax import parse
from ..records.model import MODEL_VERSION
from ..runtime.datetimes import anchor_texts
from ..version import __version__
from .canonical import CANONICALIZATION, canonical_json, inexact_numbers, sha256_hex, sha256_of
from .quote import SourceText, display_names, location
from .render import filtered_out, summarize
from .trace import TraceNode, event_to_dict
from .values import json_value
from .views import check_view, shows_tree, worklist

FORMAT = "eligibility-dsl/decision-record"
FORMAT_VERSION = "1"
ENGINE = "eligibility_dsl"
# The rule by which absence of an event counts (see records/model.py): named and versioned, so that a
# record says which rule judged it.
COVERAGE_POLICY = "absence-is-no-only-inside-stated-coverage/1"
TERMINOLOGY_FIELD_VERSION = "1"

__all__ = ["FORMAT", "FORMAT_VERSION", "RecordBuilder", "decision_schema", "integrity_problems"]


def decision_schema() -> dict:
    """The JSON Schema of decision records (``elig schema decision``)."""
    import json

    text = resources.files("eligibility_dsl").joinpath("schemas", "decision-record-v1.schema.json").read_text("utf-8")
    return json.loads(text)


class RecordBuilder:
    """Builds decision records for one compiled trial; the per-trial part (file and syntax-tree hashes,
    tables, terminology) is computed once, so a batch pays for it once."""

    def __init__(self, checked: ir.CheckedTrial | None = None, *, sources: dict[str, str] | None = None):
        """From the trial's ``CheckedTrial``; or, with only ``sources`` (a decision's ``sources``: every
        file's text, the trial's first), a builder that hashes the files but knows no tables or code sets
        (used for a decision shown in a notebook)."""
        self.checked = checked
        sources = checked.sources if checked is not None else (sources or {})
        main = checked.file if checked is not None else next(iter(sources), "<string>")
        self.names = display_names(sources, main)
        files, trees = [], {}
        for original, text in sources.items():
            name = self.names[original]
            tree = canonical_ast(parse(text, original).module)
            trees[name] = tree
            files.append({"name": name, "role": "trial" if original == main else "import",
                          "sha256": sha256_hex(text), "ast_sha256": sha256_of(tree)})
        files.sort(key=lambda f: (f["role"] != "trial", f["name"]))
        self.files = files
        self.criteria_sha256 = sha256_of([{"name": f["name"], "sha256": f["sha256"]} for f in files])
        self.ast = {"format": AST_FORMAT, "sha256": sha256_of(trees)}
        tables = checked.tables.values() if checked is not None else ()
        self.tables = [{"name": t.name, "source": t.source, "entries": len(t.entries),
                        "file": self.names.get(t.span.file, t.span.file) if t.span else None}
                       for t in sorted(tables, key=lambda t: t.name)]
        codesets = checked.codesets.values() if checked is not None else ()
        systems = sorted({system for c in codesets for system, _, _ in c.codes})
        # Code sets are written in the criteria files today, so their codes are hashed with them; a
        # terminology layer (an ontology release, a server's expansion) records itself under `releases`.
        # The terminology that expanded code sets (docs/terminology.md), when it added any code.
        derived = sum(len(c.derived) for c in codesets)
        releases = [{"release": checked.terminology, "derived_codes": derived}] if derived else []
        self.terminology = {"field_version": TERMINOLOGY_FIELD_VERSION, "code_sets": "inline",
                            "systems": [{"system": s, "version": None} for s in systems], "releases": releases}
        self._spans = {c.id: c.span for c in checked.criteria} if checked is not None else {}
        self.title = checked.title if checked is not None else ""

    def build(self, decision, record: Any = None, *, view: str = "summary", input_file: str | None = None,
              position: int | None = None, metadata: dict | None = None) -> dict:
        """The decision record of ``decision`` (evaluated from the JSON ``record``; None: not supplied, so
        not hashed). ``view`` chooses the traces kept (``full``: every criterion's; ``fails``: the failing
        criteria's; ``summary``/``worklist``: none, only each criterion's summary and evidence).
        ``input_file``/``position`` name a record without an id. ``metadata`` (e.g. ``evaluated_at``) is
        kept outside the hashed content."""
        content = self.content(decision, record, view=view, input_file=input_file, position=position)
        return seal(content, metadata or {})

    def content(self, decision, record: Any = None, *, view: str = "summary", input_file: str | None = None,
                position: int | None = None) -> dict:
        check_view(view)
        checked, src = self.checked, SourceText.of_decision(decision)  # checked: None for a notebook view
        criteria = [self._criterion(c, src, view) for c in decision.criteria]
        return {
            "trial": {"id": decision.trial_id, "title": self.title, "version": decision.trial_version},
            "engine": {"name": ENGINE, "version": __version__},
            "criteria_files": self.files,
            "criteria_sha256": self.criteria_sha256,
            "ast": self.ast,
            "tables": self.tables,
            "terminology": self.terminology,
            "record": _input(decision, record, input_file, position),
            "anchors": anchor_texts(decision.anchors),
            **_coverage(record),
            "evaluation": {"mode": decision.mode, "traces": decision.trace_level, "view": view},
            "outcome": str(decision.outcome),
            "reasons": list(decision.reasons),
            "missing": list(decision.missing),
            "problems": list(decision.problems),
            "criteria": criteria,
            "worklist": _located(worklist(decision, checked)),
            # Only for a record whose as-of date leaves criteria pending: other records' ids are unchanged.
            **({"pending": decision.pending.to_dict()} if getattr(decision, "pending", None) is not None else {}),
        }

    def _criterion(self, c, src: SourceText, view: str) -> dict:
        span = self._spans.get(c.id) or (c.trace.node.span if c.trace is not None else None)
        entry: dict[str, Any] = {
            "id": c.id, "kind": c.kind, "text": c.text, "status": str(c.status), "missing": list(c.missing),
            "problems": list(c.problems),
            "source": {"file": self.names.get(span.file, span.file), "line": span.line} if span else None}
        if c.provisional is not None:
            entry["provisional"] = str(c.provisional)
        if c.trace is None:
            return entry
        entry["summary"] = summarize(c.trace, src)
        entry["reason"] = summarize(c.trace, src, evidence=False)
        evidence: list[dict] = []
        seen: set[bytes] = set()
        for t in c.trace.walk():
            if t.evidence is not None:
                item = self._evidence(t, src)
                key = canonical_json(item)
                if key not in seen:
                    seen.add(key)
                    evidence.append(item)
        entry["evidence"] = evidence
        windows: list[dict] = []
        for item in evidence:
            if item["window"] not in windows:
                windows.append(item["window"])
        entry["windows"] = windows
        entry["facts_read"] = {k: json_value(v) for k, v in c.facts_read().items()}
        if shows_tree(view, c):
            entry["trace"] = self._trace(c.trace, src)
        return entry

    def _span(self, span) -> dict:
        return {"file": self.names.get(span.file, span.file), "line": span.line, "column": span.column,
                "end_line": span.end_line, "end_column": span.end_column}

    def _evidence(self, t: TraceNode, src: SourceText) -> dict:
        out = {"query": src.of(t.node), "value": json_value(t.value),
               "at": location(t.node.span, self.names) if t.node.span else None, **t.evidence.to_dict()}
        out["filtered_out"] = [event_to_dict(e, t.evidence.shown) for e in filtered_out(t)]
        return out

    def _trace(self, t: TraceNode, src: SourceText) -> dict:
        n = t.node
        out: dict = {"expr": src.of(n), "kind": type(n).__name__, "value": json_value(t.value)}
        if n.span is not None:
            out["span"] = self._span(n.span)
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
            out["children"] = [self._trace(c, src) for c in t.children]
        return out


def _input(decision, record: Any, input_file: str | None, position: int | None) -> dict:
    out: dict[str, Any] = {"id": decision.record_id, "patient_model": MODEL_VERSION,
                           "canonicalization": CANONICALIZATION,
                           "sha256": None if record is None else sha256_of(record),
                           "inexact_numbers": [] if record is None else inexact_numbers(record)}
    if decision.record_id is None:  # a record without an id is named by where it came from
        out["file"], out["position"] = input_file, position
    return out


def _coverage(record: Any) -> dict:
    """The record's coverage (the periods over which each collection is stated complete), the policy that
    reads it, and the record's as-of date: the last day any collection is stated complete through (the
    patient model has no as-of field of its own; null when no coverage is stated)."""
    raw = record.get("coverage") if isinstance(record, dict) else None
    collections = {}
    for name, period in sorted((raw or {}).items()):
        if isinstance(period, dict):
            collections[name] = {"from": json_value(period.get("from")), "to": json_value(period.get("to"))}
            if "current" in period:  # a current list (records/current.py)
                collections[name]["current"] = json_value(period["current"])
    ends = [p["to"] for p in collections.values() if isinstance(p["to"], str)]
    if isinstance(record, dict) and isinstance(record.get("as_of"), str):  # stated by the record itself
        return {"as_of": {"date": record["as_of"], "basis": "stated by the record (as_of)"},
                "coverage": {"policy": COVERAGE_POLICY, "collections": collections}}
    return {"as_of": {"date": max(ends) if ends else None, "basis": "latest coverage end"},
            "coverage": {"policy": COVERAGE_POLICY, "collections": collections}}


def _located(groups: list[dict]) -> list[dict]:
    for group in groups:
        for item in group["items"]:
            item.setdefault("window", None)
    return groups


def seal(content: dict, metadata: dict) -> dict:
    """Wrap content into a record: its id (the content's hash) and seal (the hash of id, content and
    metadata together)."""
    record_id = "sha256:" + sha256_of(content)
    metadata = {k: json_value(v) if not isinstance(v, dict | list) else v for k, v in metadata.items()}
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "id": record_id, "content": content,
            "metadata": metadata,
            "seal": "sha256:" + sha256_of({"id": record_id, "content": content, "metadata": metadata})}


def integrity_problems(record: Any) -> list[str]:
    """What is wrong with a decision record read back from a file: not a record, a format this engine
    cannot read, a content that no longer matches its id (the decision was altered), or metadata that no
    longer matches the seal. Empty: the record is as it was written."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return [f"not a decision record (expected `format: {FORMAT}`)"]
    if record.get("format_version") != FORMAT_VERSION:
        return [f"decision record format version `{record.get('format_version')}` is not one this engine reads "
                f"(it reads `{FORMAT_VERSION}`)"]
    missing = [k for k in ("id", "content", "metadata", "seal") if k not in record]
    if missing:
        return [f"the record lacks `{k}`" for k in missing]
    problems = []
    content_hash = "sha256:" + sha256_of(record["content"])
    if content_hash != record["id"]:
        problems.append(f"the decision was altered after it was recorded: its content hashes to {content_hash}, "
                        f"not to its id {record['id']}")
    sealed = "sha256:" + sha256_of({"id": record["id"], "content": record["content"], "metadata": record["metadata"]})
    if sealed != record["seal"]:
        problems.append("the record was altered after it was written: id, content and metadata no longer match "
                        "its seal")
    return problems

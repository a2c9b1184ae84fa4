"""The Markdown report of a decision record: for tickets, wikis and e-mail.

Everything taken from a record or a criteria file is escaped (Markdown punctuation with a backslash,
``<`` and ``&`` as HTML entities), so a protocol's asterisks or a record's angle brackets print as written
and never turn into markup.
"""

from __future__ import annotations

import re

__all__ = ["md", "record_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]|#~>])")


def md(text) -> str:
    """Escape text for Markdown (inline or in a table cell)."""
    text = "" if text is None else str(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _effect(c: dict) -> str:
    if c["status"] == "UNKNOWN" and c.get("provisional"):
        return f"UNKNOWN (pending: {c['provisional']})"
    if c["status"] in ("UNKNOWN", "NOT_EVALUATED"):
        return c["status"]
    fails = (c["kind"] == "include") == (c["status"] == "NOT_MET")
    return f"{c['status']} ({'fails' if fails else 'passes'})"


def record_markdown(record: dict) -> str:
    c = record["content"]
    t = c["trial"]
    rid = c["record"]["id"] or f"no id: {c['record'].get('file')} record {c['record'].get('position')}"
    out = [f"# {md(c['outcome'])}: {md(t['id'])}" + (f" v{md(t['version'])}" if t["version"] else ""), ""]
    if t["title"]:
        out += [md(t["title"]), ""]
    out += [f"- **patient record**: {md(rid)}"]
    out += [f"- **{md(k)}**: {md(v)}" for k, v in c["anchors"].items()]
    out += [f"- **record as of**: {md(c['as_of']['date'] or 'not stated')}",
            f"- **evaluation**: {md(c['evaluation']['mode'])} mode, view {md(c['evaluation']['view'])}", ""]
    pending = c.get("pending")
    if pending and pending["provisional"]:
        at = md(pending["anchor"] or pending["until"])
        out += [f"## {md(pending['provisional'])} pending confirmation at {at}", "",
                f"The outcome is {md(c['outcome'])}: the record is as of {md(pending['as_of'])}. If nothing changes "
                f"until {md(pending['until'])}, it is {md(pending['provisional'])}. To confirm:", ""]
        out += [f"- {md(item['text'])}" for item in pending["to_confirm"]]
        out.append("")
    if c["reasons"] or c["missing"] or c["problems"]:
        out += ["## Why", ""]
        out += [f"- **{md(cr['id'])}**: {'inclusion not met' if cr['kind'] == 'include' else 'exclusion met'} — "
                f"{md(cr['text'])}" for cr in c["criteria"] if cr["id"] in c["reasons"]]
        out += [f"- missing: {md(m)}" for m in c["missing"]]
        out += [f"- data problem: {md(p)}" for p in c["problems"]]
        out.append("")
    if c["worklist"]:
        out += ["## To decide this patient, find", ""]
        for group in c["worklist"]:
            out.append(f"- **{md(group['source'])}**")
            for item in group["items"]:
                out.append(f"  - {md(item['text'])} ({md(', '.join(item['criteria']))}): {md(item['why'])}")
        out.append("")
    out += ["## Criteria", "", "| id | kind | status | protocol text |", "|---|---|---|---|"]
    out += [f"| {md(cr['id'])} | {md(cr['kind'])} | {md(_effect(cr))} | {md(cr['text'])} |" for cr in c["criteria"]]
    out.append("")
    for cr in c["criteria"]:
        where = f" ({md(cr['source']['file'])}:{cr['source']['line']})" if cr.get("source") else ""
        out += [f"### {md(cr['id'])}: {md(cr['status'])}{where}", "", f"> {md(cr['text'])}", ""]
        if "summary" in cr:
            out += [md(cr["summary"]), ""]
        for m in cr["missing"]:
            out.append(f"- missing: {md(m)}")
        for ev in cr.get("evidence", []):
            value = "unknown" if ev["value"] is None else ev["value"]
            out.append(f"- `{ev['query'].replace('`', chr(39))}` → **{md(value)}**; window {md(ev['window']['text'])}; "
                       f"{md(ev['coverage_text'])}")
            for label, key in (("found", "matched"), ("undecided", "undecided"), ("excluded by the where filter",
                                                                                 "filtered_out")):
                out += [f"  - {label} {md(e['text'])}" for e in ev[key]]
        out.append("")
    out += ["## Provenance", "", "| | |", "|---|---|",
            f"| decision id | `{record['id']}` |", f"| seal | `{record['seal']}` |",
            f"| engine | {md(c['engine']['name'])} {md(c['engine']['version'])} |",
            f"| criteria (all files) | `sha256:{c['criteria_sha256']}` |"]
    out += [f"| {md(f['role'])}: {md(f['name'])} | text `{f['sha256']}`, syntax tree `{f['ast_sha256']}` |"
            for f in c["criteria_files"]]
    record_hash = f"`sha256:{c['record']['sha256']}`" if c["record"]["sha256"] else "not supplied"
    out += [f"| canonical syntax tree | {md(c['ast']['format'])} `{c['ast']['sha256']}` |",
            f"| patient record ({md(c['record']['canonicalization'])}) | {record_hash} |",
            f"| coverage policy | {md(c['coverage']['policy'])} |", ""]
    return "\n".join(out)

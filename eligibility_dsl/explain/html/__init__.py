"""The HTML report of a decision record: one self-contained page (inline CSS and SVG, no scripts, no
network resources), rendered by Jinja2 with autoescaping, so that nothing from a record or a criteria file
is ever read as markup.

It shows the outcome and why; what to find when the decision is open (the worklist); each criterion with
its protocol text, status, summary and evidence (event ids with their dates and values, the window, the
coverage); a timeline of the patient's events against each criterion's windows (inline SVG); the trace
trees the record holds; and the hashes that tie the decision to its inputs.
"""

from __future__ import annotations

import datetime
from importlib import resources

import jinja2

from ...runtime.code_formats import shown
from ...runtime.events import SHOWN_CODINGS

__all__ = ["decision_html", "record_html", "timeline"]

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True)
_TEMPLATE = None


def show(value) -> str:
    """A JSON value from a record as the language writes it: `true`, `48 %`, `between 11 and 14`."""
    if value is None:
        return "unknown"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict):
        if set(value) == {"value", "unit"}:
            return f"{value['value']} {value['unit']}"
        if set(value) == {"at_least", "at_most"}:
            low, high = show(value["at_least"]), value["at_most"]
            return f"at least {low}" if high is None else f"between {low} and {show(high)}"
        if "system" in value and "code" in value:
            return (f"{value['system']} {shown(str(value['code']))}"
                    + (f" ({value['display']})" if value.get("display") else ""))
        return ", ".join(f"{k} {show(v)}" for k, v in value.items())
    if isinstance(value, list):
        more = len(value) - SHOWN_CODINGS
        text = " / ".join(show(v) for v in value[:SHOWN_CODINGS])
        return text if more <= 0 else f"{text} / and {more:,} more"
    return str(value)


_ENV.filters["show"] = show

# Timeline geometry, in SVG user units (the page scales the drawing to its width).
_LABEL_W, _PLOT_W, _ROW_H, _TOP, _BOTTOM = 300, 640, 22, 58, 12


def _template() -> jinja2.Template:
    global _TEMPLATE
    if _TEMPLATE is None:
        text = resources.files(__package__).joinpath("report.html.j2").read_text("utf-8")
        _TEMPLATE = _ENV.from_string(text)
    return _TEMPLATE


def record_html(record: dict) -> str:
    """The report of a decision record (as ``RecordBuilder.build`` makes it)."""
    return _template().render(r=record, c=record["content"], timeline=timeline(record["content"]))


def decision_html(decision) -> str:
    """The report of a ``Decision`` (``Decision._repr_html_``): hashes of the criteria files it was
    evaluated from; the patient record itself was not supplied, so it is not hashed."""
    from ..record import RecordBuilder

    record = RecordBuilder(sources=decision.sources).build(decision, None, view="summary")
    return record_html(record)


def _day(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _rows(content: dict) -> list[dict]:
    rows = []
    for c in content["criteria"]:
        for ev in c.get("evidence", []):
            marks = [(e, kind) for kind in ("matched", "undecided", "filtered_out") for e in ev[kind]]
            rows.append({"criterion": c["id"], "status": c["status"], "query": ev["query"], "window": ev["window"],
                         "covered": ev["covered"], "marks": marks})
    return rows


def timeline(content: dict) -> dict | None:
    """The geometry of the timeline: one row per query of each criterion (its window as a band, the events
    it found, could not decide, or filtered out, as marks), the anchors as vertical lines, year or month
    ticks. None when no criterion looked at the patient's history."""
    rows = _rows(content)
    if not rows:
        return None
    days = [_day(d) for d in content["anchors"].values()]
    for row in rows:
        days += [_day(row["window"]["from"]), _day(row["window"]["to"])]
        for event, _ in row["marks"]:
            days += [_day(event["start"]), _day(event["end"])]
    days = [d for d in days if d is not None]
    lo, hi = min(days), max(days)
    pad = max((hi - lo).days // 30, 15)
    lo, hi = lo - datetime.timedelta(days=pad), hi + datetime.timedelta(days=pad)
    span = (hi - lo).days or 1

    def x(day: datetime.date | None, default: float) -> float:
        return default if day is None else round(_LABEL_W + (day - lo).days / span * _PLOT_W, 1)

    left, right = float(_LABEL_W), float(_LABEL_W + _PLOT_W)
    drawn = []
    for i, row in enumerate(rows):
        y = _TOP + i * _ROW_H
        w = row["window"]
        x0, x1 = x(_day(w["from"]), left), x(_day(w["to"]), right)
        marks = []
        for event, kind in row["marks"]:
            start, end = _day(event["start"]), _day(event["end"])
            if start is None and end is None:
                continue
            a = x(start, left)
            b = x(end, right) if event["end"] is not None or start is None else right  # ongoing: to the edge
            point = event["start"] == event["end"]
            marks.append({"kind": kind, "x": a, "w": max(b - a, 2.0), "point": point, "text": event["text"]})
        drawn.append({"y": y, "label": _label(row), "query": row["query"], "criterion": row["criterion"],
                      "status": row["status"], "x0": x0, "x1": max(x1, x0 + 1.5), "open_left": w["from"] is None,
                      "open_right": w["to"] is None, "window": w["text"], "covered": row["covered"], "marks": marks})
    ticks = _ticks(lo, hi, x)
    anchors = [{"name": name, "x": x(_day(value), left), "date": value, "y": 12 + 12 * (i % 2)}
               for i, (name, value) in enumerate(sorted(content["anchors"].items(), key=lambda a: a[1]))]
    height = _TOP + len(rows) * _ROW_H + _BOTTOM
    return {"rows": drawn, "ticks": ticks, "anchors": anchors, "width": _LABEL_W + _PLOT_W + 10, "height": height,
            "left": left, "right": right, "bottom": height - _BOTTOM, "label_w": _LABEL_W}


def _label(row: dict) -> str:
    """`I3 · latest value of observations in fvc_percent_predicted`: the query up to its window."""
    query = row["query"].split(" during ")[0]
    query = query.removeprefix("exists ")
    return f"{row['criterion']} · {query}"


def _ticks(lo: datetime.date, hi: datetime.date, x) -> list[dict]:
    years = hi.year - lo.year
    out = []
    if years >= 3:
        step = 1 if years <= 12 else 5
        for year in range(lo.year + 1, hi.year + 1):
            if year % step == 0:
                out.append({"x": x(datetime.date(year, 1, 1), 0), "label": str(year)})
        return out
    months = 1 if years < 1 else 3 if years < 2 else 6
    year, month = lo.year, lo.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = datetime.date(year, month, 1)
        if day > hi:
            return out
        if (month - 1) % months == 0:
            out.append({"x": x(day, 0), "label": day.strftime("%Y-%m")})

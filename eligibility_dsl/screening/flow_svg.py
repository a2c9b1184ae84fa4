"""The attrition table as a CONSORT-style flow diagram: a self-contained SVG, safe to inline in an HTML report.

Self-contained: no scripts, no external references, no `<style>` element (inline SVG styles would leak into
the page), no element ids (two diagrams on one page cannot clash); arrowheads are drawn, not markers.  Every
text from the trial is escaped; a long criterion text is shortened in the box and given whole in its `<title>`
(a tooltip).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

_W = 780  # canvas width
_MAIN_X, _MAIN_W = 16, 440
_SIDE_X, _SIDE_W = 500, 264
_BOX_H, _GAP = 62, 26
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'
_MAIN_CHARS = 56  # bold text at 12.5 px: about 7.5 px a character, inside the 440 px box


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _n(value: int) -> str:
    return f"{value:,}"


class _Canvas:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def box(self, x: int, y: int, w: int, h: int, lines: list[str], *, title: str | None = None,
            fill: str = "#ffffff", stroke: str = "#4a5568", bold_first: bool = True) -> None:
        self.parts.append("<g>")
        if title:
            self.parts.append(f"<title>{escape(title)}</title>")
        self.parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="{fill}" '
                          f'stroke="{stroke}" stroke-width="1.2"/>')
        line_h = 17
        top = y + (h - line_h * len(lines)) / 2 + 13
        for i, line in enumerate(lines):
            weight = ' font-weight="600"' if bold_first and i == 0 else ""
            self.parts.append(f'<text x="{x + 10}" y="{top + i * line_h:.1f}" font-size="12.5"{weight} '
                              f'fill="#1a202c">{escape(line)}</text>')
        self.parts.append("</g>")

    def arrow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#4a5568" stroke-width="1.2"/>')
        if x1 == x2:  # downwards
            points = f"{x2 - 4},{y2 - 7} {x2 + 4},{y2 - 7} {x2},{y2}"
        else:  # to the right
            points = f"{x2 - 7},{y2 - 4} {x2 - 7},{y2 + 4} {x2},{y2}"
        self.parts.append(f'<polygon points="{points}" fill="#4a5568"/>')


def flow_svg(table: dict[str, Any]) -> str:
    """The SVG for an attrition table in its ``Attrition.to_dict()`` form."""
    c = _Canvas()
    y = 16
    spine = _MAIN_X + _MAIN_W // 2
    trial = table.get("trial") or {}
    name = (trial.get("id") or "trial") + (f" v{trial['version']}" if trial.get("version") else "")
    anchors = " · ".join(f"{k} {v}" for k, v in (table.get("anchors") or {}).items())
    c.box(_MAIN_X, y, _MAIN_W, _BOX_H, [f"Records screened: {_n(table['records'])}", name, anchors][: 3 if anchors
                                                                                                     else 2])
    c.box(_SIDE_X, y + 8, _SIDE_W, _BOX_H - 16, [f"Not evaluated: {_n(table['errors'])}",
                                                 "records that do not fit (ERROR)"], fill="#fff5f5")
    c.arrow(_MAIN_X + _MAIN_W, y + _BOX_H / 2, _SIDE_X, y + _BOX_H / 2)
    y += _BOX_H
    for step in table["criteria"]:
        c.arrow(spine, y, spine, y + _GAP)
        y += _GAP
        full = f"{step['id']} ({step['kind']}): {step['text']}"
        c.box(_MAIN_X, y, _MAIN_W, _BOX_H, [
            _short(full, _MAIN_CHARS),
            f"met {_n(step['met'])} · not met {_n(step['not_met'])} · unknown {_n(step['unknown'])}",
            f"remaining {_n(step['remaining'])} · need review (unknown) {_n(step['review'])}"], title=full)
        c.box(_SIDE_X, y + 8, _SIDE_W, _BOX_H - 16, [
            f"Excluded by {_short(step['id'], 20)}: {_n(step['excluded'])}",
            f"by it alone (gain): {_n(step['excluded_alone'])}"], title=full, fill="#fffaf0")
        c.arrow(_MAIN_X + _MAIN_W, y + _BOX_H / 2, _SIDE_X, y + _BOX_H / 2)
        y += _BOX_H
    outcomes = table["outcomes"]
    c.arrow(spine, y, spine, y + _GAP)
    y += _GAP
    c.box(_MAIN_X, y, _MAIN_W, _BOX_H, [
        f"Remaining: {_n(outcomes['ELIGIBLE'] + outcomes['INDETERMINATE'])}",
        f"ELIGIBLE {_n(outcomes['ELIGIBLE'])} · INDETERMINATE {_n(outcomes['INDETERMINATE'])}",
        f"INELIGIBLE {_n(outcomes['INELIGIBLE'])} · ERROR {_n(outcomes['ERROR'])}"], fill="#f0fff4")
    height = y + _BOX_H + 16
    label = quoteattr(f"Attrition flow diagram for {name}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" '
            f'viewBox="0 0 {_W} {height}" role="img" aria-label={label} {_FONT}>\n'
            f"<title>{escape('Attrition: ' + name)}</title>\n"
            f'<rect x="0" y="0" width="{_W}" height="{height}" fill="#ffffff"/>\n'
            + "\n".join(c.parts) + "\n</svg>\n")

"""Test results for a person (text, with a readable difference for each failure) and as JSON."""

from __future__ import annotations

import difflib
import json
from typing import Any

from .coverage import Coverage
from .runner import Mismatch, TestRun


def run_to_text(run: TestRun, *, coverage: bool = False) -> str:
    lines: list[str] = []
    for suite in run.suites:
        failed = [c for c in suite.cases if not c.passed]
        if suite.errors:
            lines.append(f"ERROR {suite.path}")
            lines.extend(_indent(e, 6) for e in suite.errors)
            continue
        if not failed:
            lines.append(f"ok    {suite.path} ({_n(len(suite.cases), 'case')})")
            continue
        lines.append(f"FAIL  {suite.path} ({len(failed)} of {_n(len(suite.cases), 'case')} failed)")
        for case in failed:
            lines.append(f"  ✗ {case.name}")
            if case.why:
                lines.append(_indent(f"why: {case.why}", 6))
            for m in case.mismatches:
                lines.extend(_mismatch(m))
    counts = run.counts
    summary = f"{_n(counts['files'], 'file')}, {_n(counts['cases'], 'case')}: {counts['passed']} passed, " \
              f"{counts['failed']} failed"
    if counts["broken_files"]:
        summary += f", {_n(counts['broken_files'], 'file')} could not be run"
    lines.append("")
    lines.append(summary)
    if coverage:
        for trial, cov in run.coverage.items():
            lines.append("")
            lines.extend(coverage_to_text(trial, cov))
    return "\n".join(lines) + "\n"


def _mismatch(m: Mismatch) -> list[str]:
    if isinstance(m.expected, list) and isinstance(m.got, list):
        out = [f"      {m.what}: expected and got differ (- expected, + got):"]
        out += [f"        {line}" for line in difflib.ndiff([str(x) for x in m.expected], [str(x) for x in m.got])
                if line[:1] in "-+"]
    elif m.what.startswith("evidence"):
        out = [f"      {m.what}: not in the explanation: " + ", ".join(f"`{t}`" for t in m.expected)]
    else:
        out = [f"      {m.what}: expected {m.expected}, got {m.got}"]
    if m.detail:
        out.append(_indent(m.detail, 8))
    return out


def coverage_to_text(trial: str, cov: Coverage) -> list[str]:
    figures = cov.figures()
    percent = cov.percent()
    lines = [f"coverage of {trial} over {_n(cov.cases, 'case')}: " + (f"{percent:.1f} %" if percent is not None
                                                                      else "nothing to cover")]
    for name, f in figures.items():
        share = f" ({100.0 * f['reached'] / f['total']:.1f} %)" if f["total"] else ""
        lines.append(f"  {name:<11} {f['reached']} of {f['total']}{share}")
    gaps = sorted((p for p in cov.points.values() if p.missing), key=lambda p: p.line)
    if gaps:
        lines.append("  not reached (line, where, what: the values or positions no test reached):")
        for p in gaps:
            note = f" [{p.note}]" if p.note else ""
            lines.append(f"    {p.line:>4}  {p.owner}  {p.kind} `{p.text}`{note}: {', '.join(p.missing)}")
    return lines


def run_to_json(run: TestRun, *, coverage: bool = False) -> str:
    data: dict[str, Any] = {"passed": run.passed, "summary": run.counts, "files": [s.to_dict() for s in run.suites]}
    if coverage:
        data["coverage"] = {"percent": run.coverage_percent(),
                            "trials": {t: c.to_dict() for t, c in run.coverage.items()}}
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _indent(text: str, by: int) -> str:
    return "\n".join(" " * by + line if line else line for line in str(text).split("\n"))

"""W0102: facts, code sets, tables, scores, definitions and anchors declared in a trial and never used.

Used means reachable from a criterion: through the definitions and scores it names, the code sets its
queries and `in` tests name, the tables it looks up (and their code sets), and the code sets those
include.  A definition used only by an unused definition is unused too.  Only the trial's own
declarations are reported (an imported library is shared: most of its code sets serve other trials), and
libraries get no such warnings.  Run only on a trial with no errors, so a mistake is not also "unused".

The warnings are asked for, not part of every check (``check_source`` stays quiet about them, so a snippet
in a test or a generated program is not "unused"): `elig check` adds them with :func:`with_unused`.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, sort_key
from ..language import ast as A
from ..language.syntax import parse
from . import ir

_WHAT = {A.FactDecl: "fact", A.CodesetDecl: "code set", A.TableDecl: "table", A.ScoreDecl: "score",
         A.DefineDecl: "definition", A.AnchorDecl: "anchor"}
_HELP = "use it in a criterion, or delete it (or comment it out) if it is left over"


def used_names(trial: ir.CheckedTrial) -> set[str]:
    """Every name reachable from the trial's criteria (iteratively)."""
    used: set[str] = set()
    nodes: list = [c.expr for c in trial.criteria]
    codesets: list[str] = []

    def name(n: str) -> None:
        if n in used:
            return
        used.add(n)
        if n in trial.definitions:
            nodes.append(trial.definitions[n].expr)
        if n in trial.scores:
            nodes.extend(cond for _, items in trial.scores[n].categories for _, cond in items)
        if n in trial.tables:
            codesets.extend(key for key, _ in trial.tables[n].entries)
        if n in trial.codesets:
            codesets.extend(trial.codesets[n].includes)

    while nodes or codesets:
        while codesets:
            name(codesets.pop())
        if not nodes:
            break
        node = nodes.pop()
        if isinstance(node, ir.Fact | ir.Anchor | ir.DefRef | ir.ScoreRef):
            name(node.name)
        elif isinstance(node, ir.InCodeset):
            name(node.codeset)
        elif isinstance(node, ir.Lookup):
            name(node.table)
        query = getattr(node, "query", None)
        if isinstance(query, ir.Query) and query.codeset is not None:
            name(query.codeset)
        nodes.extend(node.children())
    return used


def unused_warnings(module: A.Module, trial: ir.CheckedTrial) -> list[Diagnostic]:
    if trial.is_library:
        return []
    used = used_names(trial)
    out = []
    for decl in module.decls:
        what = _WHAT.get(type(decl))
        if what is None or decl.name in used:
            continue
        out.append(Diagnostic("W0102", f"{what} `{decl.name}` is declared but never used", decl.name_span, _HELP,
                              severity="warning"))
    return out


def with_unused(trial: ir.CheckedTrial, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` and, when none is an error, the W0102 warnings of the trial (its file parsed again for
    the declarations' spans)."""
    if any(d.severity == "error" for d in diagnostics) or trial.is_library:
        return list(diagnostics)
    module = parse(trial.source, trial.file).module
    # Conditions that can never be true or are always true (W0122/W0123, check/intervals.py).
    from .intervals import interval_warnings

    return sorted([*diagnostics, *unused_warnings(module, trial), *interval_warnings(trial)], key=sort_key)

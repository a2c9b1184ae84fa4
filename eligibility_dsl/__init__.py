"""eligibility_dsl: clinical-trial eligibility criteria as a small language, checked, compiled and explained.

The pipeline, one subpackage per stage: ``language`` (grammar, parser, AST, imports),
``records`` (the patient model, the record binder, its JSON Schema), ``check`` (names,
types, units; every diagnostic at once; the checked IR), ``explain`` (traces,
decisions, renderers), ``backends`` (IR to evaluators), ``runtime`` (exact
quantities, calendar, three-valued logic, events, codes) and ``cli``; ``api`` is
the public API.

The public names below are imported on first use (PEP 562), so ``import eligibility_dsl`` is
instant and a program pays for the compiler only when it compiles.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .version import __version__

# name -> the module that defines it
_EXPORTS = {
    "AnchorError": ".api", "EvaluationError": ".api", "Trial": ".api", "check_source": ".api",
    "compile_file": ".api", "compile_source": ".api", "evaluate_expression": ".api",
    "CompileError": ".diagnostics", "Diagnostic": ".diagnostics", "Span": ".diagnostics",
    "CriterionResult": ".explain", "Decision": ".explain", "Outcome": ".explain", "RecordFailure": ".explain",
    "Status": ".explain",
    "InputError": ".records.binder", "RecordError": ".records.binder",
}

__all__ = [
    "AnchorError", "CompileError", "CriterionResult", "Decision", "Diagnostic", "EvaluationError", "InputError",
    "Outcome", "RecordError", "RecordFailure", "Span", "Status", "Trial", "__version__", "check_source",
    "compile_file", "compile_source", "evaluate_expression",
]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eligibility_dsl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # next time, a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .api import (
        AnchorError,
        EvaluationError,
        Trial,
        check_source,
        compile_file,
        compile_source,
        evaluate_expression,
    )
    from .diagnostics import CompileError, Diagnostic, Span
    from .explain import CriterionResult, Decision, Outcome, RecordFailure, Status
    from .records.binder import InputError, RecordError

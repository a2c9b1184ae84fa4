"""eligibility_dsl: clinical-trial eligibility criteria as a small language, checked, compiled and explained.

The pipeline, one module per stage: ``syntax`` (grammar, parser, AST), ``check``
(names, types, units; every diagnostic at once), ``compile`` (closures),
``runtime`` (exact quantities, calendar, three-valued logic), ``explain``
(decisions, traces, renderers) and ``cli``.
"""

from .api import AnchorError, Trial, check_source, compile_file, compile_source, evaluate_expression
from .diagnostics import CompileError, Diagnostic, Span
from .explain import CriterionResult, Decision, Outcome, Status
from .records import InputError, RecordError

__version__ = "0.1.0"

__all__ = [
    "AnchorError",
    "CompileError",
    "CriterionResult",
    "Decision",
    "Diagnostic",
    "InputError",
    "Outcome",
    "RecordError",
    "Span",
    "Status",
    "Trial",
    "check_source",
    "compile_file",
    "compile_source",
    "evaluate_expression",
]

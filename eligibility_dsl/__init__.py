"""eligibility_dsl: clinical-trial eligibility criteria as a small language, checked, compiled and explained.

The pipeline, one subpackage per stage: ``language`` (grammar, parser, AST, imports),
``records`` (the patient model, the record binder, its JSON Schema), ``check`` (names,
types, units; every diagnostic at once; the checked IR), ``explain`` (traces,
decisions, renderers), ``backends`` (IR to evaluators), ``runtime`` (exact
quantities, calendar, three-valued logic, events, codes) and ``cli``; ``api`` is
the public API.
"""

from .api import AnchorError, EvaluationError, Trial, check_source, compile_file, compile_source, evaluate_expression
from .diagnostics import CompileError, Diagnostic, Span
from .explain import CriterionResult, Decision, Outcome, RecordFailure, Status
from .records.binder import InputError, RecordError
from .version import __version__

__all__ = [
    "AnchorError",
    "CompileError",
    "CriterionResult",
    "Decision",
    "Diagnostic",
    "EvaluationError",
    "InputError",
    "Outcome",
    "RecordError",
    "RecordFailure",
    "Span",
    "Status",
    "Trial",
    "__version__",
    "check_source",
    "compile_file",
    "compile_source",
    "evaluate_expression",
]

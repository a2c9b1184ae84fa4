"""Explain: decisions, their outcome rule, and renderers (text, JSON)."""

from .decision import CriterionResult, Decision, Outcome, RecordFailure, Status, decide
from .render import decision_to_dict, render_text, summarize

__all__ = ["CriterionResult", "Decision", "Outcome", "RecordFailure", "Status", "decide", "decision_to_dict",
           "render_text", "summarize"]

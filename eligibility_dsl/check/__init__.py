"""Check: names, types, units and histories, in one pass that reports every mistake; the checked IR."""

from .checker import check, check_expression

__all__ = ["check", "check_expression"]

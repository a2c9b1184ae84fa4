"""Kleene three-valued logic over ``True``, ``False`` and ``None`` (unknown).

Why three values: a patient record often lacks the datum a criterion needs,
and "unknown" must propagate honestly -- an exclusion that *might* apply is
neither a pass nor a fail.  Kleene's strong logic (the one CQL and SQL use)
still decides whenever the known values suffice: ``False and unknown`` is
false, ``True or unknown`` is true.

These are the reference semantics: the compiler inlines faster equivalents,
and the tests check both against these functions.
"""

from __future__ import annotations

__all__ = ["and_", "implies", "is_true", "not_", "or_"]

Truth = bool | None


def _check(value: object) -> None:
    # 0, 1 or "" standing in for a truth value is a compiler bug; fail loudly.
    if value is not None and type(value) is not bool:
        raise TypeError(f"truth values are True, False or None, not {value!r}")


def and_(*values: Truth) -> Truth:
    """False if any operand is False, else unknown if any is unknown, else True (empty: True)."""
    result: Truth = True
    for value in values:
        _check(value)
        if value is False:
            result = False
        elif value is None and result is True:
            result = None
    return result


def or_(*values: Truth) -> Truth:
    """True if any operand is True, else unknown if any is unknown, else False (empty: False)."""
    result: Truth = False
    for value in values:
        _check(value)
        if value is True:
            result = True
        elif value is None and result is False:
            result = None
    return result


def not_(value: Truth) -> Truth:
    """Negation; the negation of unknown is unknown."""
    _check(value)
    return None if value is None else not value


def implies(a: Truth, b: Truth) -> Truth:
    """``not a or b``: ``False implies unknown`` is true, ``unknown implies False`` is unknown."""
    return or_(not_(a), b)


def is_true(value: Truth) -> bool:
    """Whether ``value`` is definitely true; unknown counts as not true."""
    _check(value)
    return value is True

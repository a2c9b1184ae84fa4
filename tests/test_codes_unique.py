"""Every diagnostic code names one mistake: the CODES table in eligibility_dsl/diagnostics.py is a dict
literal, where a repeated key silently keeps the last name (parallel work once gave E0170 three meanings)."""

import ast
from pathlib import Path

import eligibility_dsl.diagnostics as diagnostics


def test_no_diagnostic_code_is_declared_twice():
    tree = ast.parse(Path(diagnostics.__file__).read_text(encoding="utf-8"))
    keys = [k.value for node in ast.walk(tree) if isinstance(node, ast.Dict)
            for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
            and k.value[:1] in "EW" and k.value[1:].isdigit()]
    assert keys, "no codes found"
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []

"""The pipeline's shape: imports flow one way, and modules stay small enough to read at one sitting."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "eligibility_dsl"

# Each module's layer; a module may import only from its own layer or lower ones.
LAYERS = {
    "diagnostics": 0, "runtime": 0,
    "ast": 1,
    "syntax": 2,
    "types": 3, "ir": 3, "patient_model": 3,
    "check_history": 4, "check": 4, "records": 4, "schema": 4,
    "trace": 5, "values": 5, "compile_history": 5, "compile": 5,
    "explain": 6,
    "report": 7, "api": 7,
    "cli": 8, "__init__": 8,
}


def layer_of(path: Path) -> tuple[str, int]:
    rel = path.relative_to(PACKAGE).with_suffix("")
    name = rel.parts[0]
    return name, LAYERS[name]


def imported_layers(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(PACKAGE).parts) - 1
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            up = node.level - depth  # levels above the package root
            if up > 1:
                continue
            target = (node.module or "").split(".")[0] if node.level > depth else None
            if target is None:
                continue  # a sibling inside the same subpackage
            names = [target] if target else [a.name for a in node.names]
            for name in names:
                if name in LAYERS:
                    yield name, node.lineno


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_flow_one_way(path):
    name, layer = layer_of(path)
    for target, line in imported_layers(path):
        assert LAYERS[target] <= layer, f"{name} (layer {layer}) imports {target} (layer {LAYERS[target]}) at {line}"


def test_runtime_imports_nothing_else_from_the_package():
    for path in (PACKAGE / "runtime").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{path.name} reaches outside runtime"


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_modules_stay_under_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600

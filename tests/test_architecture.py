"""The pipeline's shape: imports flow one way, and modules stay small enough to read at one sitting.

The map (a subpackage or top-level module and its layer; a module may import only from its own layer or
lower ones):

    0  diagnostics, report, version, runtime   data every stage shares; exact values; imports nothing above
    1  language                                 grammar, parser, AST, the language's types, the import loader
    1  terminology                              code systems' relations: ingredient -> products, FHIR ValueSets
    2  records                                  the patient model, the record binder, its JSON Schema
    3  check                                    names, types, units, histories -> the checked IR
    4  explain                                  traces, decisions, renderers
    5  backends                                 IR -> evaluators (generated Python; SQL later)
    6  api, screening                           the public API; population screening over it (engines,
                                                inputs, resumable output, attrition), beside the API
    7  cli, __init__                            the `elig` command; the package's re-exports
    7  authoring                                test files next to a trial, their runner, outcome coverage

Within the package, no two modules import each other, directly or through others (no cycles at all).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "eligibility_dsl"

LAYERS = {
    "diagnostics": 0, "report": 0, "version": 0, "runtime": 0,
    "language": 1, "terminology": 1,
    "records": 2,
    "check": 3,
    "explain": 4,
    "backends": 5,
    "api": 6, "screening": 6,
    "cli": 7, "__init__": 7,
    "lsp": 7,
    "amendments": 6,
    "authoring": 7,
}

MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def layer_of(path: Path) -> tuple[str, int]:
    rel = path.relative_to(PACKAGE).with_suffix("")
    name = rel.parts[0]
    return name, LAYERS[name]


def _imports(path: Path):
    """(absolute module inside the package, line) for every relative import in the file, anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = module_name(path).split(".") if module_name(path) else []
    package = own if path.name == "__init__.py" else own[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            if node.level - 1 > len(package):
                continue
            target = base + (node.module.split(".") if node.module else [])
            if node.module:
                yield ".".join(target), node.lineno
            else:
                for alias in node.names:
                    yield ".".join([*target, alias.name]), node.lineno


def _top(module: str) -> str:
    return module.split(".")[0] if module else "__init__"


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_flow_one_way(path):
    name, layer = layer_of(path)
    for target, line in _imports(path):
        top = _top(target)
        if top not in LAYERS:  # `from .. import __version__` and the like: a name, not a module
            continue
        assert LAYERS[top] <= layer, f"{name} (layer {layer}) imports {top} (layer {LAYERS[top]}) at line {line}"


def test_every_subpackage_and_top_level_module_has_a_layer():
    for path in PACKAGE.iterdir():
        if path.name.startswith(("_", ".")) and path.name != "__init__.py":
            continue
        if (path.is_dir() and (path / "__init__.py").exists()) or path.suffix == ".py":
            assert path.stem in LAYERS, f"{path.name} is not on the map: give it a layer"


def test_no_import_cycles():
    known = {module_name(p) for p in MODULES}
    graph: dict[str, set[str]] = {module_name(p): set() for p in MODULES}
    for path in MODULES:
        for target, _ in _imports(path):
            while target and target not in known:  # `from .x import name`: the module x
                target = target.rpartition(".")[0]
            if target and target != module_name(path):
                graph[module_name(path)].add(target)
    state: dict[str, int] = {}

    def visit(start: str) -> list[str] | None:
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, edges = stack[-1]
            for nxt in edges:
                if node == "" or nxt.startswith(node + "."):  # a package re-exporting its own modules
                    continue
                if state.get(nxt) == 1:
                    return path[path.index(nxt):] + [nxt]
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(sorted(graph[nxt]))))
                    path.append(nxt)
                    break
            else:
                state[node] = 2
                stack.pop()
                path.pop()
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_runtime_imports_nothing_else_from_the_package():
    for path in (PACKAGE / "runtime").glob("*.py"):
        for target, line in _imports(path):
            assert _top(target) == "runtime", f"{path.name} reaches outside runtime ({target}, line {line})"


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_modules_stay_under_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600


def test_the_package_exports_what_it_lists():
    import eligibility_dsl

    assert set(eligibility_dsl.__all__) == {"__version__", *eligibility_dsl._EXPORTS}
    for name in eligibility_dsl.__all__:
        assert getattr(eligibility_dsl, name) is not None

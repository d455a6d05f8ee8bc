"""The layers point down only (dashboard -> data_pipeline -> indicators -> geodata) and no
module imports itself through others.

The graph is read from the source (every ``import``, also those inside functions), so an
import that only runs on one code path counts too; a second check imports each lower layer
in a fresh interpreter and looks at what got loaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Top to bottom: a package may import the ones after it, never the ones before it.
LAYERS = ("dashboard", "data_pipeline", "indicators", "geodata")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``path`` imports (a ``from package import name`` that names a
    module counts as importing that module)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != me:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) for name, path in modules.items()}


def layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports_inside_functions_and_relative_ones():
    edges = graph()
    assert "data_pipeline.warehouse" in edges["data_pipeline.analysis"]
    assert "geodata.codes" in edges["geodata.hierarchy"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_a_layer_above_its_own():
    upward = sorted(f"{a} imports {b}" for a, targets in graph().items() for b in targets if layer(b) < layer(a))
    assert upward == []


def test_no_import_cycles():
    assert cycles(graph()) == []


@pytest.mark.parametrize("package", LAYERS[1:])
def test_importing_a_lower_layer_loads_nothing_above_it(package):
    above = LAYERS[: LAYERS.index(package)]
    modules = sorted(m for m in project_modules() if m.split(".")[0] == package)
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(above)!r}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- declared dependencies


def _declared() -> tuple[set[str], set[str]]:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(requirements):
        return {re.match(r"[A-Za-z0-9._-]+", r).group().lower().replace("_", "-") for r in requirements}

    return names(project["dependencies"]), names(project["optional-dependencies"]["test"])


def _third_party_imports(paths: list[Path]) -> dict[str, set[str]]:
    """Distribution name -> the files that import one of its modules (stdlib and our own left out)."""
    from importlib.metadata import packages_distributions

    ours = {*LAYERS, "app", "tests", "bench", *(p.stem for p in (ROOT / "bench").glob("*.py"))}
    distributions = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in sys.stdlib_module_names or top in ours or top in ("__future__", "compression"):
                    continue
                for dist in distributions.get(top, [top]):
                    found.setdefault(dist.lower().replace("_", "-"), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_declared():
    runtime, test = _declared()
    product = [ROOT / "app.py", *project_modules().values()]
    undeclared = {d: files for d, files in _third_party_imports(product).items() if d not in runtime}
    assert undeclared == {}
    checks = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    undeclared = {d: files for d, files in _third_party_imports(checks).items() if d not in runtime | test}
    assert undeclared == {}

"""The package's shape: no import cycles, and recipes validate without the training stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

# Import cycles the package is known to have (none since the metrics registry: task kinds
# import only adaptxfer.metrics). Any cycle fails.
KNOWN_CYCLES: list[set[str]] = []


def modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "adaptxfer").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Nodes under ``if TYPE_CHECKING:``: annotations only, never imported at run time."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(inner) for child in node.body for inner in ast.walk(child)}
    return skipped


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules ``module`` imports anywhere (top level or inside functions)."""

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skipped = _type_checking_nodes(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {resolve(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else resolve(base))
    return {m for m in found if m and m != module}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [{"a", "b", "c"}]


def test_no_import_cycles_in_the_package():
    known = modules()
    graph = {module: imports_of(module, path, known) for module, path in known.items()}
    assert "adaptxfer.artifacts" in graph["adaptxfer.experiment"]  # the walk sees imports
    unexpected = [c for c in cycles(graph) if c not in KNOWN_CYCLES]
    assert unexpected == [], unexpected


VALIDATE_ALL = """
import sys
from pathlib import Path
from adaptxfer.recipes.loading import list_recipes, load_recipe
from adaptxfer.grid import load_grid

recipes = list_recipes(Path("recipes"))
for entry in recipes:
    load_recipe(entry.path)
grids = sorted(Path("recipes/grids").glob("*.yaml"))
for path in grids:
    load_grid(path, Path("/nonexistent-grid-dir"))
heavy = sorted(m for m in ("torch", "transformers", "peft", "adapters") if m in sys.modules)
print(len(recipes), len(grids), heavy)
"""


def test_validating_every_shipped_recipe_and_grid_leaves_torch_unloaded():
    proc = subprocess.run(
        [sys.executable, "-c", VALIDATE_ALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    recipes, grids, heavy = proc.stdout.split(maxsplit=2)
    assert int(recipes) > 100 and int(grids) >= 1
    assert heavy.strip() == "[]"

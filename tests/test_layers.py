"""The shape the code keeps: imports flow one way, names live in the contracts, modules
stay small enough to read in one sitting.

These read the source (ast), so a violation names the file and line that broke it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("models", "contracts", "workflows", "activities", "infra", "presentation", "cli", "api")
PACKAGES = (*LAYERS, "benchmarks", "tests")

# What each layer must never import (directly, at any depth of the module).
FORBIDDEN: dict[str, set[str]] = {
    "models": {"contracts", "workflows", "activities", "infra", "presentation", "cli", "api"},
    "contracts": {"workflows", "activities", "infra", "presentation", "cli", "api"},
    "workflows": {"infra", "presentation", "cli", "api"},
    "activities": {"workflows", "presentation", "cli", "api"},
    "infra": {"presentation", "cli", "api"},
    "presentation": {"workflows", "activities", "infra", "cli", "api"},
    "cli": {"activities"},
    # The HTTP API sits beside the CLI: the same client functions in infra, never the CLI's.
    "api": {"activities", "cli"},
}
MAX_LINES = 500
MAX_WORKFLOW_LINES = 450

# Calls and decorators whose first argument (or `name=`) is an Update, query, signal or
# activity name: only the contracts may spell one out.
NAMED_CALLS = {
    "execute_update",
    "start_update",
    "query",
    "signal",
    "execute_activity",
    "start_activity",
}
NAMED_DECORATORS = {"update", "query", "signal", "defn"}


def _modules(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))
    if "cli" in packages:
        # worker.py is the composition root (it registers the activities): not a layer.
        yield ROOT / "starter.py"


def _imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def _layer(path: Path) -> str:
    top = path.relative_to(ROOT).parts[0]
    return "cli" if top == "starter.py" else top


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_flow_one_way(layer: str) -> None:
    broken = [
        f"{_where(path, line)} imports {name}"
        for path in _modules(layer)
        for line, name in _imported(ast.parse(path.read_text()))
        if name.split(".")[0] in FORBIDDEN[_layer(path)]
    ]
    assert not broken, "\n".join(broken)


def test_only_tests_import_tests() -> None:
    broken = [
        f"{_where(path, line)} imports {name}"
        for path in [*_modules(*LAYERS, "benchmarks"), ROOT / "worker.py"]
        for line, name in _imported(ast.parse(path.read_text()))
        if name.split(".")[0] == "tests"
    ]
    assert not broken, "\n".join(broken)


def _name_literals(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        candidates: list[ast.expr] = [kw.value for kw in node.keywords if kw.arg == "name"]
        if called in NAMED_CALLS and node.args:
            candidates.append(node.args[0])
        if called not in NAMED_CALLS | NAMED_DECORATORS:
            continue
        for value in candidates:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield node.lineno, value.value


def test_no_update_query_signal_or_activity_name_outside_the_contracts() -> None:
    spelled = [
        f"{_where(path, line)} names {name!r}"
        for path in _modules(*LAYERS, "benchmarks", "tests")
        for line, name in _name_literals(ast.parse(path.read_text()))
    ]
    assert not spelled, "\n".join(spelled)


def test_modules_fit_in_one_sitting() -> None:
    too_long = []
    for path in _modules(*LAYERS):
        lines = len(path.read_text().splitlines())
        limit = MAX_WORKFLOW_LINES if _layer(path) == "workflows" else MAX_LINES
        if lines > limit:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines (at most {limit})")
    assert not too_long, "\n".join(too_long)


def test_activities_load_no_workflow_even_indirectly() -> None:
    # A direct import is caught above; this catches one through infra or models.
    loads = (
        "import sys, activities.cycle, activities.notify, activities.register; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'workflows')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", loads], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


def _contract_names() -> set[str]:
    import contracts.case
    import contracts.cycle
    from contracts.refs import ActivityRef, QueryRef, SignalRef, UpdateRef

    refs = (ActivityRef, QueryRef, SignalRef, UpdateRef)
    return {
        value.name
        for module in (contracts.case, contracts.cycle)
        for value in vars(module).values()
        if isinstance(value, refs)
    }


def test_no_contract_name_is_copied_into_a_constant_elsewhere() -> None:
    # Names of more than one word cannot be mistaken for ordinary text ("review" can);
    # a string equal to one, anywhere outside contracts/, is a copy of the contract.
    distinctive = {name for name in _contract_names() if "_" in name}
    copied = [
        f"{_where(path, node.lineno)} spells {node.value!r}"
        for path in _modules(*LAYERS, "benchmarks", "tests")
        if _layer(path) != "contracts"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in distinctive
    ]
    assert not copied, "\n".join(copied)

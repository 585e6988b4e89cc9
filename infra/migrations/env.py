"""Alembic environment of the register, for both programmatic and command-line use.

`infra.database.migrate()` hands over an open connection (already holding the
migration lock) in ``config.attributes["connection"]``. From the command line
(``alembic upgrade head`` at the repository root) this module opens its own async engine:
the URL is ``sqlalchemy.url`` from the configuration when set, otherwise the
register's configured URL (``OCOP_DATABASE_URL``, default a SQLite file in
``OCOP_DATA_DIR``).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from infra.database import create_engine, ensure_database_folder, migration_connection
from infra.settings import load_settings
from models.register import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    # Only the command line configures logging; a host application keeps its own.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    return configured or load_settings().register_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most constraints; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run_on(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL to standard output (``alembic upgrade head --sql``) without connecting."""
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online_async() -> None:
    url = _database_url()
    ensure_database_folder(url)
    engine = create_engine(url)
    try:
        async with migration_connection(engine) as connection:
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Migrate over the connection handed over by `migrate()`, or over a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    else:
        asyncio.run(_run_online_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

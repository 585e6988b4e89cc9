"""Small tools of the benchmark: bounded concurrency, waiting on the register, CPU time
from /proc, progress lines on stderr."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any, Final, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.history.v1 import HistoryEvent

from benchmarks.fanout.figures import BenchmarkError
from infra.waiting import StillWaitingError, poll_until

T = TypeVar("T")


POLL_S: Final = 0.05


async def bounded(limit: int, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the jobs, at most `limit` at a time; their results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def until(
    check: Callable[[], Awaitable[bool]], what: str, within: float, every: float = POLL_S
) -> float:
    """Poll until `check` holds; the wall-clock time (time.time()) it was first seen."""

    async def seen() -> float | None:
        return time.time() if await check() else None

    try:
        return await poll_until(seen, within=within, every=every, what=what)
    except StillWaitingError as error:
        raise BenchmarkError(str(error)) from None


def at_least(
    engine: AsyncEngine, statement: Select[Any], wanted: int
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with engine.connect() as connection:
            return int((await connection.execute(statement)).scalar_one()) >= wanted

    return check


def stamp(event: HistoryEvent) -> float:
    return event.event_time.ToDatetime(tzinfo=UTC).timestamp()


def progress(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


def dev_server_pid() -> int | None:
    """The `temporal` process this one started (start_local does not say which)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            comm = (entry / "comm").read_text().strip()
            if int(fields[1]) == os.getpid() and comm == "temporal":
                return int(entry.name)
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process, from /proc (None if it cannot be read)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr: the dev server (which inherits it) prints a banner
    and the SDK core logs warnings there, and stdout should carry only the figures."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)

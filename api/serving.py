"""Serving the API inside a process that owns its signals (`ocop dev up`, the demo, tests).

uvicorn's own server takes SIGINT/SIGTERM for itself: run inside the demo it would stop
the API on Ctrl-C before the demo has stopped its people, whose steps then fail. Here
the host process decides when the API stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Generator
from typing import Final

import uvicorn
from fastapi import FastAPI

KEEP_ALIVE_SECONDS: Final = 75
"""How long an idle client connection stays open. It must outlast every client's own
idle expiry (httpx: 5 s): at uvicorn's default, also 5 s, a client reusing a connection
just as the server closes it gets a ReadError instead of an answer — one step of a busy
national year was lost that way."""


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the process it runs in."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: FastAPI, host: str, port: int) -> AsyncIterator[EmbeddedServer]:
    """The app served on host:port while the block runs; stopped when it ends."""
    server = EmbeddedServer(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    )
    task = asyncio.create_task(server.serve(), name="ocop-api")
    try:
        while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn: a flag only)
            await asyncio.sleep(0.02)
        if task.done():
            task.result()  # why it did not start
            raise RuntimeError(f"the API stopped before it served on {host}:{port}")
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await task

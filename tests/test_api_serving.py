"""The API keeps an idle client connection open longer than clients keep it themselves.

At uvicorn's default (5 s, the same as httpx's own idle expiry) a client reusing its
connection just as the server closed it got a ReadError instead of an answer: a step
of the national-year benchmark was lost that way (`benchmarks/national_year.py`).
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from api.serving import KEEP_ALIVE_SECONDS, serving
from infra.ports import find_free_port

CLIENT_IDLE_EXPIRY = httpx.Limits().keepalive_expiry or 0.0
"""httpx's default (5 s): how long a client keeps an idle connection for reuse."""


def test_the_server_outlasts_the_clients_idle_expiry() -> None:
    assert 0 < CLIENT_IDLE_EXPIRY < KEEP_ALIVE_SECONDS


async def test_an_idle_connection_is_still_open_when_the_client_reuses_it() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    port = find_free_port()
    async with serving(app, "127.0.0.1", port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            request = b"GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n"
            writer.write(request)
            await writer.drain()
            assert b"200 OK" in await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(len(b'{"pong":"yes"}'))
            # Idle past the client's own expiry: a client could still be reusing it now.
            await asyncio.sleep(CLIENT_IDLE_EXPIRY + 0.5)
            writer.write(request)
            await writer.drain()
            # At uvicorn's default the server has closed it: the read finds the end.
            assert b"200 OK" in await reader.readuntil(b"\r\n\r\n")
        finally:
            writer.close()

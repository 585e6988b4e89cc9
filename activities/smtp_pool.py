"""SMTP connections kept open between messages, so a worker does not dial, greet, TLS
and authenticate once per email.

A connection goes back to the pool only after a message it carried was accepted (the
session is then ready for the next MAIL FROM); any failure closes it. An idle one is
closed after `IDLE_SECONDS`, and one that has carried `MAX_MESSAGES` is retired, as
servers limit both. A pooled connection the server has meanwhile dropped fails at its
first command, before anything of the message was sent: `deliver` then dials afresh,
once. The exactly-once ledger (`activities.ledger`) is untouched by any of this.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Final

import aiosmtplib

from infra.settings import Settings, SmtpSecurity

IDLE_SECONDS: Final = 30.0
MAX_MESSAGES: Final = 100
MAX_IDLE_CONNECTIONS: Final = 8


@dataclass
class PooledConnection:
    client: aiosmtplib.SMTP
    reused: bool
    messages: int = 0
    idle_since: float = 0.0


class SmtpPool:
    def __init__(self, settings: Settings, max_idle: int = MAX_IDLE_CONNECTIONS) -> None:
        self._settings = settings
        self._max_idle = max_idle
        self._idle: list[PooledConnection] = []
        self._lock = asyncio.Lock()
        self.dialled = 0
        """Connections opened so far (the benchmark and the tests read it)."""

    async def take(self) -> PooledConnection:
        """An open connection: a pooled one still fresh, else a new one (connected)."""
        async with self._lock:
            while self._idle:
                pooled = self._idle.pop()
                if time.monotonic() - pooled.idle_since < IDLE_SECONDS:
                    pooled.reused = True
                    return pooled
                await _hang_up(pooled.client)
        return await self.dial()

    async def dial(self) -> PooledConnection:
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_seconds,
            use_tls=settings.smtp_security == SmtpSecurity.TLS,
            start_tls=settings.smtp_security == SmtpSecurity.STARTTLS,
            username=settings.smtp_username if settings.smtp_password else None,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
        self.dialled += 1
        await client.connect()  # greeting, EHLO, STARTTLS and AUTH
        return PooledConnection(client=client, reused=False)

    async def give_back(self, pooled: PooledConnection) -> None:
        """A connection whose last message was accepted: kept for the next, or closed."""
        pooled.messages += 1
        async with self._lock:
            keep = (
                pooled.client.is_connected
                and pooled.messages < MAX_MESSAGES
                and len(self._idle) < self._max_idle
            )
            if keep:
                pooled.idle_since = time.monotonic()
                self._idle.append(pooled)
                return
        await _hang_up(pooled.client)

    async def discard(self, pooled: PooledConnection) -> None:
        await _hang_up(pooled.client)

    async def close(self) -> None:
        async with self._lock:
            idle, self._idle = self._idle, []
        for pooled in idle:
            await _hang_up(pooled.client)


async def _hang_up(client: aiosmtplib.SMTP) -> None:
    """Say QUIT politely when still connected; never let closing mask the real outcome."""
    if not client.is_connected:
        return
    try:
        await client.quit()
    except Exception:
        client.close()

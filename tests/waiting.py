"""Waiting for something that happens in real time (a worker's activity, visibility, a
fan-out of Updates), with no deadline of its own.

A fixed number of real seconds holds on one machine and fails on a busier one. The
bound is the test's hard timeout (pytest-timeout, `tests/fixtures/timeouts.py`): if it
strikes during a wait, the failure goes through the wait's frame and says what the test
was waiting for and what it saw last.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.05


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    what: str | Callable[[], str],
    poll: float = POLL_SECONDS,
) -> T:
    """Poll `check` until it returns something other than None, and return that.

    `what` names the awaited event; a callable is asked only if the wait is cut short,
    so it can describe the last state seen.
    """
    try:
        while True:
            found = await check()
            if found is not None:
                return found
            await asyncio.sleep(poll)
    except asyncio.CancelledError as stopped:
        stopped.add_note(f"still waiting for {what if isinstance(what, str) else what()}")
        raise

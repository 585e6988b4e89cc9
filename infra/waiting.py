"""Waiting for something another process does: poll a check until it answers.

A case opening its next round, a server becoming ready, a fan-out reaching the
register: the code outside the workflows learns of these only by asking again. Every
such wait goes through `poll_until`, so each caller states just what it waits for and
how long it may wait; what it does when the wait runs out (carry on with what it saw
last, or fail with one clear line) stays with the caller.

Workflows never wait this way: they sleep through their business clock. The tests have
their own `tests/waiting.py`, bounded by each test's hard timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from temporalio.service import RPCError, RPCStatusCode

T = TypeVar("T")

POLL_SECONDS = 0.05
"""How often to ask by default: far below what a person notices, well above a busy loop."""


class StillWaitingError(TimeoutError):
    """The check gave no answer within the caller's bound."""

    def __init__(self, what: str, within: float) -> None:
        super().__init__(f"{what} did not happen within {within:g} s")
        self.what = what
        self.within = within


BUSY_ANSWERS: Final = frozenset(
    {RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED}
)
"""What Temporal answers when a worker did not get to a question in time ("Timeout
expired", "operation was canceled") or a workflow has too many queries waiting
("consistent query buffer is full"): a busy machine, not a broken case. Ask again."""


def is_busy(error: RPCError) -> bool:
    """Whether the error says only that the machine was too busy to answer in time."""
    return error.status in BUSY_ANSWERS


BACKOFF = 1.5
"""How much longer each wait grows when a poll backs off (`slowest`)."""


async def poll_until(
    check: Callable[[], Awaitable[T | None]],
    *,
    within: float | None,
    every: float = POLL_SECONDS,
    what: str = "the awaited event",
    slowest: float | None = None,
) -> T:
    """Ask `check` every `every` seconds until it returns something other than None;
    with `slowest`, each wait half as long again as the last, up to `slowest` seconds
    (thousands of waiters asking ten times a second would crowd out what they await).

    The check is asked at least once, and once more after `within` seconds have passed,
    so a slow first answer does not cost the last chance; after that the wait raises
    `StillWaitingError` (naming `what`). `within=None` waits as long as it takes: the
    caller bounds it otherwise (a timeout around the call, a cancellation). An error
    the check raises ends the wait at once.
    """
    loop = asyncio.get_running_loop()
    deadline = None if within is None else loop.time() + within
    while True:
        last_chance = deadline is not None and loop.time() >= deadline
        found = await check()
        if found is not None:
            return found
        if last_chance and within is not None:
            raise StillWaitingError(what, within)
        await asyncio.sleep(every)
        if slowest is not None:
            every = min(slowest, every * BACKOFF)

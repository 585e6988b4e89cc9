"""The rehearsal's calendar: it stands still while anyone is busy, then moves on.

Why: on a compressed wall clock a busy machine lets official deadlines pass between
the demo's own steps, and every date in the story shifts with the load. Here the
cycles and cases run on a *paced* calendar (`CasePolicy.paced_calendar`): their
business time stands at one moment until the pacer moves it (`CalendarMove`). The
pacer moves it only when

- every actor of the story (a producer, an office, a council) has done what it does
  at this moment and waits for a later one, and
- every workflow it moved has finished what the moment set off (no workflow task and
  no activity pending),

and only to the next moment somebody waits for: an actor's next step, a case's next
deadline (read from its `status`), or a cycle's calendar date. So each step happens
at its business moment whatever the machine's speed; only the wall time changes.
The workflows are the ones production runs: a paced calendar is one more kind of
clock in their policy, like the compressed one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from contracts.case import CALENDAR_MOVED
from infra.cases import case_handle
from models.case import CaseStatus
from models.clock import VIETNAM, CalendarMove

log = logging.getLogger("ocop.demo.pacer")

QUIET_POLL_SECONDS = 0.05
"""How often a moved workflow is asked whether it has finished (real time, not a margin)."""
MOVE_CONCURRENCY = 16
ASK_CONCURRENCY = 64
"""How many workflows the pacer asks at once whether they are busy, or what they wait
for: a national year moves thousands of cases at some moments."""

Hook = Callable[[datetime], Awaitable[None]]


T = TypeVar("T")


async def _bounded(ask: Callable[[str], Awaitable[T]], workflow_ids: list[str]) -> list[T]:
    """`ask` each workflow, at most `ASK_CONCURRENCY` at once; the answers in order."""
    limit = asyncio.Semaphore(ASK_CONCURRENCY)

    async def one(workflow_id: str) -> T:
        async with limit:
            return await ask(workflow_id)

    return await asyncio.gather(*(one(w) for w in workflow_ids))


class PacerError(Exception):
    """The calendar cannot move on; the message names what it waits for."""


@dataclass(order=True)
class _Parked:
    moment: datetime
    seq: int
    workflow_ids: tuple[str, ...] = field(compare=False)
    woken: asyncio.Future[None] = field(compare=False)


class Pacer:
    """Holds the rehearsal's business time; actors wait for their moments through it."""

    def __init__(self, client: Client, start: datetime, days_per_second: float | None) -> None:
        self._client = client
        self._now = start
        self._days_per_second = days_per_second
        self._followers: list[str] = []  # moved at every move: the cycles
        self._calendar: list[datetime] = []  # the followers' own moments
        self._cases: set[str] = set()  # every case ever named: terminated on failure
        self._wake_ups: dict[str, datetime] = {}  # a case's next deadline
        self._parked: list[_Parked] = []
        self._running = 0
        self._seq = 0
        self._changed = asyncio.Event()
        self._moved_last: set[str] = set()
        self._ended: set[str] = set()  # not running at the last whole quiet pass
        self._hooks: list[Hook] = []
        self.moves = 0

    # ---------------------------------------------------------------- reading

    @property
    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.astimezone(VIETNAM).date()

    @property
    def workflow_ids(self) -> list[str]:
        """Every workflow this calendar drives: the cycles, then the cases."""
        return [*self._followers, *sorted(self._cases)]

    # ---------------------------------------------------------------- wiring

    def follow(self, workflow_id: str, moments: Iterable[datetime]) -> None:
        """A workflow moved at every move (a cycle), whose calendar adds `moments`."""
        self._followers.append(workflow_id)
        self._calendar.extend(moments)
        self._moved_last.add(workflow_id)

    def watch(self, workflow_ids: Iterable[str]) -> None:
        """Cases started by someone else (a register's certificates): the calendar reads
        their deadlines at the next quiet moment and stops at each from then on."""
        ids = set(workflow_ids)
        self._cases |= ids
        self._moved_last |= ids
        self._changed.set()

    def on_hold(self, hook: Hook) -> None:
        """Called at every moment once everything is quiet (the narrator reads then)."""
        self._hooks.append(hook)

    def spawn(self, group: asyncio.TaskGroup, actor: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run an actor of the story: the calendar waits for it whenever it is busy."""
        self._running += 1

        async def acting() -> Any:
            try:
                return await actor
            finally:
                self._running -= 1
                self._changed.set()

        return group.create_task(acting())

    async def at(self, moment: datetime, *workflow_ids: str) -> None:
        """Wait until the calendar stands at `moment`; the cases named are moved there."""
        self._cases.update(workflow_ids)
        if moment <= self._now:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        self._parked.append(_Parked(moment, self._seq, workflow_ids, future))
        self._running -= 1
        self._changed.set()
        await future  # counted as running again by `drive`, before it looks for quiet

    # ---------------------------------------------------------------- driving

    async def drive(self, actors_done: Callable[[], bool]) -> None:
        """Move the calendar from moment to moment until every actor has finished."""
        while True:
            await self._actors_quiet()
            await self._workflows_quiet(self._moved_last)
            await self._read_wake_ups(self._moved_last - set(self._followers))
            for hook in self._hooks:
                await hook(self._now)
            if actors_done():
                return
            moment = self._next_moment()
            if moment is None:
                raise PacerError("the story waits for nothing, yet some actors have not finished")
            await self._move_to(moment)
            for parked in [p for p in self._parked if p.moment <= moment]:
                self._parked.remove(parked)
                # Counted here, not when the actor resumes: until then the calendar
                # would look quiet and move on without it.
                self._running += 1
                parked.woken.set_result(None)

    async def _actors_quiet(self) -> None:
        while self._running > 0:
            self._changed.clear()
            await self._changed.wait()

    def _next_moment(self) -> datetime | None:
        later = [
            *(p.moment for p in self._parked),
            *(m for m in self._wake_ups.values() if m > self._now),
            *(m for m in self._calendar if m > self._now),
        ]
        return min(later, default=None)

    async def _move_to(self, moment: datetime) -> None:
        """Cases first, then the cycles: a cycle's decision finds its cases already there."""
        cases = {w for p in self._parked if p.moment <= moment for w in p.workflow_ids}
        cases |= {w for w, due in self._wake_ups.items() if due <= moment}
        if self._days_per_second:
            days = (moment - self._now).total_seconds() / 86_400
            await asyncio.sleep(min(days / self._days_per_second, 5.0))
        move = CalendarMove(to=moment)
        await self._signal_all(sorted(cases), move)
        await self._signal_all(self._followers, move)
        self._now = moment
        self._moved_last = cases | set(self._followers)
        self.moves += 1

    async def _signal_all(self, workflow_ids: list[str], move: CalendarMove) -> None:
        limit = asyncio.Semaphore(MOVE_CONCURRENCY)

        async def signal(workflow_id: str) -> None:
            async with limit:
                handle = self._client.get_workflow_handle(workflow_id)
                try:
                    await handle.signal(CALENDAR_MOVED.name, move)
                except RPCError as error:
                    if error.status != RPCStatusCode.NOT_FOUND:
                        raise
                    # Not opened yet, or ended: nothing of it waits for the calendar.
                    self._wake_ups.pop(workflow_id, None)

        async with asyncio.TaskGroup() as group:
            for workflow_id in workflow_ids:
                group.create_task(signal(workflow_id))

    async def _workflows_quiet(self, workflow_ids: set[str]) -> None:
        """Until a whole pass finds no workflow task and no activity pending in any of them.

        Between whole passes only those still busy are asked again: at a busy moment of a
        national year hundreds of cases move, and asking every one of them 20 times a
        second would cost the server more than their work does. A whole pass still ends
        it, since a quiet case may be woken again by another (a cycle's decision).
        """
        everyone = sorted(workflow_ids)
        # No bound of its own: the demo's --timeout ends a rehearsal that hangs.
        while True:
            self._ended = set()  # as this whole pass finds them
            busy = await self._still_busy(everyone)
            if not busy:
                return
            while busy:
                await asyncio.sleep(QUIET_POLL_SECONDS)
                busy = await self._still_busy(busy)

    async def _still_busy(self, workflow_ids: list[str]) -> list[str]:
        answers = await _bounded(self._busy, workflow_ids)
        return [w for w, busy in zip(workflow_ids, answers, strict=True) if busy]

    async def _busy(self, workflow_id: str) -> bool:
        try:
            described = await self._client.get_workflow_handle(workflow_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                self._ended.add(workflow_id)
                return False
            raise
        if described.status != WorkflowExecutionStatus.RUNNING:
            self._ended.add(workflow_id)
            return False
        raw = described.raw_description
        if raw.HasField("pending_workflow_task"):
            return True
        return any(
            a.state != PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
            for a in raw.pending_activities
        )

    async def _read_wake_ups(self, case_ids: set[str]) -> None:
        """Each moved case's next deadline becomes a moment the calendar stops at."""
        ids = sorted(case_ids)
        for workflow_id, status in zip(ids, await _bounded(self._status, ids), strict=True):
            deadline = status.next_deadline if status is not None else None
            if deadline is None or deadline.due <= self._now:
                self._wake_ups.pop(workflow_id, None)  # nothing ahead to wake it for
            else:
                self._wake_ups[workflow_id] = deadline.due

    async def _status(self, workflow_id: str) -> CaseStatus | None:
        from workflows.product_lifecycle import ProductLifecycleWorkflow

        if workflow_id in self._ended:  # not running at the last pass: waits for nothing
            return None
        handle = case_handle(self._client, workflow_id)
        try:
            # Running when the quiet pass just described it: asked without describing again.
            return await handle.query(ProductLifecycleWorkflow.status)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    # ---------------------------------------------------------------- ending

    async def abandon(self) -> int:
        """Terminate every running workflow of the rehearsal; how many were running."""
        ended = 0
        for workflow_id in self.workflow_ids:
            handle = self._client.get_workflow_handle(workflow_id)
            with contextlib.suppress(RPCError):
                described = await handle.describe()
                if described.status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate(reason="the demo's run was abandoned")
                    ended += 1
        return ended

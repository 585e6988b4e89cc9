"""Business time for a case, and the one way its main coroutine waits for people or time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from temporalio import workflow

from workflows.case.state import LifecycleState

with workflow.unsafe.imports_passed_through():
    from models.case import days
    from models.clock import VIETNAM, end_of_day
    from models.working_days import WorkingCalendar, add_working_days


def calendar_date(moment: datetime) -> date:
    """The date a moment falls on in Vietnam, as letters and the register state it."""
    return moment.astimezone(VIETNAM).date()


class CaseTime:
    """Reads the case's business clock, and waits on business deadlines through it."""

    def __init__(self, state: LifecycleState) -> None:
        self._state = state
        self.awaiting_people_or_time = False
        """True while the main coroutine waits for people or time: an Update handler
        whose request the case has acted on may return then, with the stage it reached."""

    def now(self) -> datetime:
        return self._state.clock.business_now(workflow.now())

    def today(self) -> date:
        return self._state.clock.business_today(workflow.now())

    def after(self, number_of_days: int) -> datetime:
        return self.now() + days(number_of_days)

    def deadline(self, number_of_days: int, calendar: WorkingCalendar | None) -> datetime:
        """A deadline of so many working days (to the end of the last one) when the case
        pinned a working calendar, else of so many calendar days (cases started before)."""
        if calendar is None:
            return self.after(number_of_days)
        return end_of_day(add_working_days(self.today(), number_of_days, calendar))

    async def wait_until(
        self, condition: Callable[[], bool], business_deadline: datetime | None
    ) -> bool:
        """Wait for `condition` until the business deadline; True if it came true."""
        self.awaiting_people_or_time = True
        try:
            if business_deadline is None:
                await workflow.wait_condition(condition)
                return True
            return await self._wait_with_deadline(condition, business_deadline)
        finally:
            self.awaiting_people_or_time = False

    async def wait_until_due(
        self, condition: Callable[[], bool], due: Callable[[], datetime]
    ) -> bool:
        """Wait like `wait_until` on a deadline an extension may move: when it moves, the
        wait goes on to the new one. False once the deadline in force has passed."""
        while True:
            current = due()
            moved_or_met = await self.wait_until(
                lambda current=current: condition() or due() != current,  # type: ignore[misc]
                current,
            )
            if condition():
                return True
            if not moved_or_met:
                return False

    async def wait_beside(self, condition: Callable[[], bool], business_deadline: datetime) -> bool:
        """Wait like `wait_until`, from a coroutine beside the main one: Update handlers
        keep waiting for the main coroutine, not for this one."""
        return await self._wait_with_deadline(condition, business_deadline)

    async def _wait_with_deadline(
        self, condition: Callable[[], bool], business_deadline: datetime
    ) -> bool:
        delay = self._state.clock.real_delay(workflow.now(), business_deadline)
        while delay is None:
            # A paced calendar holds before the deadline: only a move can bring it.
            held = self._state.clock
            await workflow.wait_condition(
                lambda held=held: condition() or self._state.clock is not held  # type: ignore[misc]
            )
            if condition():
                return True
            delay = self._state.clock.real_delay(workflow.now(), business_deadline)
        if delay <= timedelta(0):
            return condition()
        try:
            await workflow.wait_condition(condition, timeout=delay)
        except TimeoutError:
            return condition()
        return True

"""What every long-lived OCOP workflow shares about its business calendar."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts import case
    from models.clock import BusinessClock, CalendarMove, calendar_move_refusal


class KeepsBusinessCalendar:
    """A workflow whose business time its `_clock` keeps; a paced calendar's pacer moves it.

    A move that must be ignored (backwards, or on a real calendar) is logged, never
    applied: the signal comes from outside and is not taken at its word. The workflow
    may keep `_clock` as an attribute or as a property over its state.
    """

    _clock: BusinessClock

    @workflow.signal(name=case.CALENDAR_MOVED.name)
    def calendar_moved(self, move: CalendarMove) -> None:
        refusal = calendar_move_refusal(self._clock, move)
        if refusal is not None:
            workflow.logger.warning("calendar move ignored: %s", refusal)
            return
        self._clock = self._clock.moved(move)

"""A step's deadline given more time: checked, applied to the wait in force, recorded."""

from __future__ import annotations

from temporalio import workflow

from workflows.case.letters import producer
from workflows.case.part import CasePart
from workflows.case.timekeeping import calendar_date

with workflow.unsafe.imports_passed_through():
    from models.case import NextDeadline
    from models.clock import end_of_day
    from models.deadline_rules import extension_refusal
    from models.deadlines import DeadlineExtension, DeadlineStep, GrantedExtension, extended_due
    from models.errors import Refusal
    from models.events import DeadlineExtended
    from models.transitions import CaseTransition


class DeadlineKeeper(CasePart):
    """Extensions of the deadline the case waits on."""

    def refusal(self, request: DeadlineExtension) -> Refusal | None:
        round = self._state.round
        due = round.next_deadline.due if round.next_deadline else None
        return extension_refusal(
            request, round.stage, due, self._time.now(), tuple(round.extensions)
        )

    async def extend(self, request: DeadlineExtension, actor: str) -> GrantedExtension:
        """Move the deadline the main coroutine waits on, then record why (the producer is
        told). A review's clock is given the days, so its count after a supplement keeps them."""
        round = self._state.round
        current = round.next_deadline
        assert current is not None  # the validator refused a step without one
        calendar = self._input.policy.working_calendar
        due = extended_due(current.due, request.working_days, calendar)
        if request.step == DeadlineStep.REVIEW and round.review_clock and calendar:
            clock = round.review_clock
            round.review_clock = clock.model_copy(
                update={"allowed_days": clock.allowed_days + request.working_days}
            )
            due = end_of_day(round.review_clock.due_on(calendar, self._time.today()))
        round.next_deadline = NextDeadline(what=current.what, due=due)
        granted = GrantedExtension(
            step=request.step,
            working_days=request.working_days,
            reason=request.reason,
            extended_by=request.extended_by,
            granted_at=self._time.now(),
            due_before=current.due,
            due_after=due,
        )
        round.extensions.append(granted)
        await self._record(
            CaseTransition.DEADLINE_EXTENDED,
            actor=actor,
            reason=request.reason,
            event=DeadlineExtended(
                case=self._facts(),
                step=request.step,
                stage=round.stage,
                working_days=request.working_days,
                reason=request.reason,
                extended_by=request.extended_by,
                due_before=calendar_date(current.due),
                due_after=calendar_date(due),
            ),
            recipients=producer(round.dossier),
            details={
                "step": request.step.value,
                "working_days": request.working_days,
                "due_before": current.due.isoformat(),
                "due_after": due.isoformat(),
            },
        )
        return granted

"""The Updates that set a step in time: more days for its deadline, a dated meeting.

A mixin of `ProductLifecycleWorkflow` (its module holds the main human steps): each
Update here is signed like every human action and checked by the rules of
`models.deadline_rules` and `models.council_meetings` before it enters history.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.case.deadlines import DeadlineKeeper
from workflows.case.letters import council_members, producer
from workflows.case.recorder import TransitionRecorder
from workflows.case.state import LifecycleState
from workflows.case.timekeeping import CaseTime
from workflows.handlers import update_handler
from workflows.refusal import refuse
from workflows.signed_actions import SignedActions, as_sent

with workflow.unsafe.imports_passed_through():
    from contracts import case as contract
    from models import actors as access
    from models.actors import CaseFacts
    from models.assertions import SignedAction
    from models.case import LifecycleInput
    from models.council import MeetingSlot
    from models.council_meetings import meeting_refusal
    from models.deadline_rules import extension_actor_refusal
    from models.deadlines import DeadlineExtension, GrantedExtension
    from models.events import CouncilMeetingScheduled
    from models.transitions import CaseTransition


class StepsInTime:
    """Deadline extensions and council meetings, for the case workflow."""

    _input: LifecycleInput
    _state: LifecycleState
    _time: CaseTime
    _recorder: TransitionRecorder
    _signed: SignedActions
    _deadlines: DeadlineKeeper

    def _signed_by(self, action: str, signed: SignedAction | None) -> str | None:
        raise NotImplementedError

    def _facts(self) -> CaseFacts:
        raise NotImplementedError

    @update_handler(contract.EXTEND_DEADLINE)
    async def extend_deadline(
        self, request: DeadlineExtension, signed: SignedAction | None = None
    ) -> GrantedExtension:
        request = as_sent(DeadlineExtension, request)
        actor = self._signed_by(contract.EXTEND_DEADLINE.name, signed)
        return await self._deadlines.extend(request, actor or request.extended_by)

    @extend_deadline.validator
    def _validate_extension(
        self, request: DeadlineExtension, signed: SignedAction | None = None
    ) -> None:
        actor = self._signed.verified(signed, contract.EXTEND_DEADLINE.name, request)
        refuse(extension_actor_refusal(actor, self._facts(), request.step))
        refuse(self._deadlines.refusal(request))

    @update_handler(contract.JOIN_MEETING)
    async def join_meeting(
        self, slot: MeetingSlot, signed: SignedAction | None = None
    ) -> MeetingSlot:
        """Put the product on a meeting's agenda; its members and producer are told, and
        the members get the dossier. The same meeting called again changes nothing."""
        slot = as_sent(MeetingSlot, slot)
        actor = self._signed_by(contract.JOIN_MEETING.name, signed)
        session, dossier = self._state.round.session, self._state.round.dossier
        if session.meeting == slot:
            return slot
        session.meeting = slot
        await self._recorder.record(
            CaseTransition.COUNCIL_MEETING_SCHEDULED,
            actor=actor or slot.called_by,
            reason=f"meeting {slot.meeting_id} on {slot.meets_on.isoformat()} at {slot.venue}",
            event=CouncilMeetingScheduled(
                case=self._recorder.facts(),
                level=slot.level,
                meets_on=slot.meets_on,
                venue=slot.venue,
                called_by=slot.called_by,
                documents=tuple(document.file_name for document in dossier.documents),
            ),
            recipients=(*council_members(self._input, slot.level), *producer(dossier)),
            details={"meeting": slot.meeting_id, "meets_on": slot.meets_on.isoformat()},
        )
        return slot

    @join_meeting.validator
    def _validate_meeting(self, slot: MeetingSlot, signed: SignedAction | None = None) -> None:
        actor = self._signed.verified(signed, contract.JOIN_MEETING.name, slot)
        round = self._state.round
        refuse(
            meeting_refusal(
                slot,
                stage=round.stage,
                level=round.level,
                today=self._time.today(),
                due=round.next_deadline.due if round.next_deadline else None,
                calendar=self._input.policy.working_calendar,
                current=round.session.meeting,
            )
        )
        refuse(access.close_session_refusal(actor, self._input.council(slot.level), calling=True))

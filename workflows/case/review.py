"""The local review of a round: completeness, supplements, the review clock, acceptance.

Part of `EvaluationRound` (which ends the round and escalates deadlines): the review
waits for the reviewer's decision, loops through supplements (the review clock stands
still while the dossier is with its producer), and tells the producer when the dossier
is accepted and sent to the council.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

from workflows.case import revision
from workflows.case.letters import producer
from workflows.case.part import CasePart
from workflows.case.state import RoundState
from workflows.case.timekeeping import calendar_date

with workflow.unsafe.imports_passed_through():
    from contracts import case as contract
    from models.admin_units import coordination_office
    from models.case import CaseStage, NextDeadline, ReviewAction, ReviewDecision
    from models.clock import end_of_day
    from models.council import CouncilResult
    from models.dossier import missing_documents, with_documents
    from models.events import (
        DossierAccepted,
        DossierRejected,
        DossierReturned,
        SupplementReceived,
        SupplementRequested,
    )
    from models.rulebook import LevelRule
    from models.transitions import CaseTransition
    from models.working_days import ReviewClock

PATCH_TELL_PRODUCER_ACCEPTED = "tell-producer-accepted"
"""The producer is told when the dossier is accepted (a letter recorded rounds lacked)."""
PATCH_REVIEW_ESCALATES = "review-escalates"
"""A late review passes to the province's coordination office (recorded rounds only warned)."""


class DossierReview(CasePart):
    """The review steps of a round; the round itself says how it ends and escalates."""

    @property
    def _round(self) -> RoundState:
        return self._state.round

    async def _end_round(
        self, outcome: CaseStage, reason: str, result: CouncilResult | None = None
    ) -> None:
        raise NotImplementedError

    async def _escalate(
        self, stage: CaseStage, level: str, deadline: datetime, escalated_to: str | None = None
    ) -> None:
        raise NotImplementedError

    def _due(self) -> datetime:
        """The deadline in force for the step the case waits on (an extension moves it)."""
        assert self._round.next_deadline is not None
        return self._round.next_deadline.due

    async def _review_overdue(self, level: LevelRule) -> None:
        """The review passed its deadline: the administrators are told, and in cases
        started since, the province's coordination office may take the review."""
        office = None
        if revision.patched(PATCH_REVIEW_ESCALATES):
            self._round.review_escalated = True
            office = coordination_office(self._round.dossier.province, self._time.today())
        await self._escalate(CaseStage.LOCAL_REVIEW, level.name, self._due(), office)

    async def _local_review(self, level: LevelRule) -> None:
        await self._stage.move_to(CaseStage.LOCAL_REVIEW, level.name)
        requests = self._round.requests
        policy = self._input.policy
        if policy.working_calendar is not None:
            self._round.review_clock = ReviewClock(
                started_on=self._time.today(), allowed_days=policy.review_deadline_days
            )
        deadline = self._review_deadline()
        while True:
            self._round.next_deadline = NextDeadline(what=f"{level.name} review", due=deadline)
            if not await self._time.wait_until_due(lambda: requests.review is not None, self._due):
                await self._review_overdue(level)
                await self._time.wait_until(lambda: requests.review is not None, None)
            decision = requests.review
            assert decision is not None
            requests.review = None
            if decision.action == ReviewAction.ACCEPT:
                await self._accept(level, decision)
                return
            if decision.action == ReviewAction.REJECT:
                await self._record(
                    CaseTransition.REVIEW_REJECTED,
                    actor=self._round.actor_of(contract.REVIEW.name, decision.reviewer),
                    reason=decision.reason,
                    event=DossierRejected(
                        case=self._facts(), reviewer=decision.reviewer, reason=decision.reason
                    ),
                    recipients=producer(self._round.dossier),
                )
                await self._end_round(CaseStage.REJECTED, decision.reason)
            await self._supplement_loop(level, decision)
            deadline = self._review_deadline()

    async def _accept(self, level: LevelRule, decision: ReviewDecision) -> None:
        """Record the acceptance; cases started since the producer is told (a letter)."""
        tells_producer = revision.patched(PATCH_TELL_PRODUCER_ACCEPTED)
        self._round.local_assessment = decision.local_assessment
        scoring = level if level.scores else self._input.rulebook.next_level(level.name)
        await self._record(
            CaseTransition.REVIEW_ACCEPTED,
            actor=self._round.actor_of(contract.REVIEW.name, decision.reviewer),
            reason=decision.reason,
            event=DossierAccepted(
                case=self._facts(),
                reviewer=decision.reviewer,
                level=level.name,
                council_level=scoring.name if scoring else level.name,
            )
            if tells_producer
            else None,
            recipients=producer(self._round.dossier) if tells_producer else (),
        )

    def _review_deadline(self) -> datetime:
        """The review's deadline: on a working calendar, the review clock's (moved on by
        the days it stood still); else a fresh count of calendar days (older cases)."""
        clock, calendar = self._round.review_clock, self._input.policy.working_calendar
        if clock is None or calendar is None:
            return self._time.after(self._input.policy.review_deadline_days)
        return end_of_day(clock.due_on(calendar, self._time.today()))

    async def _supplement_loop(self, level: LevelRule, decision: ReviewDecision) -> None:
        requested = decision.documents_requested or tuple(missing_documents(self._round.dossier))
        self._round.requested_documents = requested
        policy = self._input.policy
        deadline = self._time.deadline(policy.supplement_deadline_days, policy.working_calendar)
        if self._round.review_clock is not None:
            # The dossier is with its producer: the review's days stand still.
            self._round.review_clock = self._round.review_clock.stopped(self._time.today())
        await self._stage.move_to(CaseStage.AWAITING_SUPPLEMENT, level.name)
        self._round.next_deadline = NextDeadline(what="supplement from the producer", due=deadline)
        await self._record(
            CaseTransition.SUPPLEMENT_REQUESTED,
            actor=self._round.actor_of(contract.REVIEW.name, decision.reviewer),
            reason=decision.reason,
            event=SupplementRequested(
                case=self._facts(),
                documents=requested,
                deadline=calendar_date(deadline),
                reviewer=decision.reviewer,
                reason=decision.reason,
            ),
            recipients=producer(self._round.dossier),
            details={"documents": ", ".join(requested), "deadline": deadline.isoformat()},
        )
        requests = self._round.requests
        if not await self._time.wait_until_due(lambda: requests.supplement is not None, self._due):
            deadline = self._due()
            await self._record(
                CaseTransition.SUPPLEMENT_MISSED,
                actor="system",
                reason="supplement deadline passed",
                event=DossierReturned(
                    case=self._facts(), deadline=calendar_date(deadline), documents=requested
                ),
                recipients=producer(self._round.dossier),
            )
            await self._end_round(
                CaseStage.RETURNED,
                f"the supplement requested until {calendar_date(deadline).isoformat()} "
                "did not arrive",
            )
        supplement = requests.supplement
        assert supplement is not None
        requests.supplement = None
        if self._round.review_clock is not None:
            self._round.review_clock = self._round.review_clock.resumed(self._time.today())
        self._round.requested_documents = ()
        self._round.dossier = with_documents(self._round.dossier, supplement.documents)
        still_missing = tuple(missing_documents(self._round.dossier))
        await self._stage.move_to(CaseStage.LOCAL_REVIEW, level.name)
        await self._record(
            CaseTransition.SUPPLEMENT_RECEIVED,
            actor=self._round.actor_of(contract.SUPPLY_SUPPLEMENT.name, supplement.submitted_by),
            event=SupplementReceived(
                case=self._facts(),
                file_names=tuple(d.file_name for d in supplement.documents),
                still_missing=still_missing,
            ),
            recipients=producer(self._round.dossier),
            details={"files": ", ".join(d.file_name for d in supplement.documents)},
        )

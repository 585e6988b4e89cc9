"""The product lifecycle: one workflow per product, for as long as it is in OCOP.

A run is one evaluation round (local review, council scoring at each level the
rulebook names, recognition) followed by the certificate's life (reminders, expiry,
revocation). An application for re-evaluation or upgrade continues the case as new,
so each round has its own history while the product keeps its id and certificate.

Human steps arrive as Updates: their validators refuse bad input before it reaches
history. Most handlers hand the request to the main coroutine, which decides what
happens next; the steps that are complete in themselves (a scorecard, closing a
session, an application, a revocation) are recorded by their handler. Every side
effect goes through activities, in the order the case decided it.

This module holds the workflow class only: what Temporal calls (init, run, the
Updates with their validators, the query). Each part of the case lives in
`workflows/case/`, one concern a module, and the class owns one of each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.calendar import KeepsBusinessCalendar
from workflows.case import revision, view
from workflows.case.certificate import CertificateLife
from workflows.case.deadlines import DeadlineKeeper
from workflows.case.evaluation import EvaluationRound
from workflows.case.recorder import TransitionRecorder
from workflows.case.stage import StagePublisher
from workflows.case.state import LifecycleState, RoundState
from workflows.case.step_updates import StepsInTime
from workflows.case.timekeeping import CaseTime
from workflows.handlers import update_handler
from workflows.refusal import refuse
from workflows.signed_actions import SignedActions, as_sent

with workflow.unsafe.imports_passed_through():
    from contracts import case as contract
    from models import actors as access
    from models.actors import CaseAccess, CaseFacts, actor_label
    from models.assertions import SignedAction
    from models.case import (
        Application,
        CarriedState,
        CaseStage,
        CaseStatus,
        CloseSessionRequest,
        CloseSessionResult,
        LifecycleInput,
        MemberScore,
        RecognitionDecision,
        ReviewDecision,
        RevocationDecision,
        ScorecardSubmission,
        SupplementSubmission,
    )
    from models.case_rules import (
        CaseState,
        application_refusal,
        close_refusal,
        recognition_refusal,
        review_refusal,
        revocation_refusal,
        scorecard_refusal,
        session_refusal,
        supplement_refusal,
    )
    from models.clock import BusinessClock
    from models.council import QuorumMissing, RescoreRequired, close_session
    from models.council_meetings import early_scorecard_refusal
    from models.criteria import evaluated
    from models.deadline_rules import escalated_review_refusal
    from models.records import ScorecardEntry
    from models.transitions import CaseTransition


# Changes to live logic, so cases started before them still replay.
PATCH_AUDIT_SESSION_CLOSED = "audit-session-closed"
PATCH_AUDIT_APPLICATION = "audit-application"
PATCH_CLAIM_CERTIFICATE_NUMBER = "claim-certificate-number"
PATCH_CERTIFICATE_EXPIRES_IN_ROUND = "certificate-expires-in-round"


def _first_carried(input: LifecycleInput) -> CarriedState:
    """A new case: a fresh id, and business time anchored at its first workflow task."""
    now = workflow.now()
    return CarriedState(
        case_id=str(workflow.uuid4()),
        clock=BusinessClock.anchored(
            now,
            input.business_start or now,
            input.policy.clock_speed,
            input.policy.paced_calendar,
        ),
        round_number=1,
        event_seq=0,
        # A case loaded from the register starts with the certificate issued before it.
        certificate=input.holding.certificate() if input.holding else None,
        current_stars=input.holding.stars if input.holding else None,
        decisions=(input.holding.decision(),) if input.holding else (),
    )


@workflow.defn(name=contract.WORKFLOW_TYPE)
class ProductLifecycleWorkflow(StepsInTime, KeepsBusinessCalendar):
    @workflow.init
    def __init__(self, input: LifecycleInput) -> None:
        self._input = input
        # A copy: the state changes as the case goes on, the recorded input never does.
        carried = input.carried.model_copy() if input.carried else _first_carried(input)
        self._state = LifecycleState(
            carried=carried,
            round=RoundState(
                dossier=input.dossier,
                started_at=carried.clock.business_now(workflow.now()),
                level=input.rulebook.levels[0].name,
            ),
        )
        self._time = CaseTime(self._state)
        self._recorder = TransitionRecorder(input, self._state, self._time)
        self._stage = StagePublisher(input, self._state)
        parts = (input, self._state, self._time, self._recorder, self._stage)
        self._evaluation = EvaluationRound(*parts)
        self._certificate_life = CertificateLife(*parts)
        self._deadlines = DeadlineKeeper(*parts)
        self._signed = SignedActions(lambda: self._state.carried)

    # The calendar mixin moves the clock the state carries from run to run.
    @property
    def _clock(self) -> BusinessClock:
        return self._state.carried.clock

    @_clock.setter
    def _clock(self, clock: BusinessClock) -> None:
        self._state.carried.clock = clock

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, input: LifecycleInput) -> CaseStatus:
        revision.lean_round()  # decided in the run's first task, before any step
        mailer = asyncio.create_task(self._recorder.send_emails_in_order())
        if input.holding is not None and input.carried is None:
            await self._certificate_life.take_held(input.holding)  # no round to run
        else:
            await self._evaluate()
        if self._certificate_life.holds_valid_certificate():
            next_input = await self._certificate_life.run()
            if next_input is not None:
                await self._settle(mailer)
                workflow.continue_as_new(self._certificate_life.with_current_clock(next_input))
        await self._settle(mailer)
        return self._status()

    async def _evaluate(self) -> None:
        """The run's evaluation round, the certificate it re-evaluates ending on its day."""
        if self._state.carried.certificate is not None and revision.patched(
            PATCH_CERTIFICATE_EXPIRES_IN_ROUND
        ):
            # Rounds recorded before it kept the old certificate valid until the result.
            expiry = asyncio.create_task(self._certificate_life.expire_during_round())
        else:
            expiry = None
        await self._evaluation.run()
        if expiry is not None:
            await expiry

    async def _settle(self, mailer: asyncio.Task[None]) -> None:
        """Finish every handler and every queued email before the run ends."""
        # The main coroutine decides nothing more: Updates still running may return.
        self._time.awaiting_people_or_time = True
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and self._recorder.all_sent()
        )
        mailer.cancel()

    async def _stage_once_acted_on(self, acted_on: Callable[[], bool]) -> CaseStage:
        """Let an Update return once the case has acted on it and waits again.

        The caller then gets the stage its request led to, not the one it found.
        """
        await workflow.wait_condition(lambda: acted_on() and self._time.awaiting_people_or_time)
        return self._state.round.stage

    def _rules_view(self) -> CaseState:
        return view.rules_view(self._state, self._input, self._time.today())

    def _status(self) -> CaseStatus:
        return view.case_status(
            self._state,
            self._input,
            workflow_id=workflow.info().workflow_id,
            as_of=self._time.now(),
            emails_queued=self._recorder.emails_queued,
            register_writes_pending=self._recorder.writes_pending,
        )

    # -------------------------------------------------------------- updates

    @update_handler(contract.REVIEW)
    async def review(
        self, decision: ReviewDecision, signed: SignedAction | None = None
    ) -> CaseStage:
        decision = as_sent(ReviewDecision, decision)
        self._signed_by(contract.REVIEW.name, signed)
        requests = self._state.round.requests
        requests.review = decision
        return await self._stage_once_acted_on(lambda: requests.review is None)

    @review.validator
    def _validate_review(
        self, decision: ReviewDecision, signed: SignedAction | None = None
    ) -> None:
        actor = self._signed.verified(signed, contract.REVIEW.name, decision)
        refuse(escalated_review_refusal(actor, self._facts(), self._state.round.review_escalated))
        refuse(review_refusal(decision, self._rules_view()))

    @update_handler(contract.SUPPLY_SUPPLEMENT)
    async def supply_supplement(
        self, supplement: SupplementSubmission, signed: SignedAction | None = None
    ) -> CaseStage:
        supplement = as_sent(SupplementSubmission, supplement)
        self._signed_by(contract.SUPPLY_SUPPLEMENT.name, signed)
        requests = self._state.round.requests
        requests.supplement = supplement
        return await self._stage_once_acted_on(lambda: requests.supplement is None)

    @supply_supplement.validator
    def _validate_supplement(
        self, supplement: SupplementSubmission, signed: SignedAction | None = None
    ) -> None:
        actor = self._signed.verified(signed, contract.SUPPLY_SUPPLEMENT.name, supplement)
        refuse(access.own_case_refusal(actor, self._facts()))
        refuse(supplement_refusal(supplement, self._rules_view()))

    @update_handler(contract.SUBMIT_SCORECARD)
    async def submit_scorecard(
        self, submission: ScorecardSubmission, signed: SignedAction | None = None
    ) -> MemberScore:
        submission = as_sent(ScorecardSubmission, submission)
        # A card by criteria is kept with the table's finding on the mandatory criteria.
        card = evaluated(self._input.criteria, submission.scorecard)
        actor = self._signed_by(contract.SUBMIT_SCORECARD.name, signed)
        refuse(session_refusal(card.level, self._rules_view()))
        session = self._state.round.session
        replaced = card.member_id in session.scorecards
        session.scorecards[card.member_id] = card
        await self._recorder.record(
            CaseTransition.SCORECARD_REPLACED if replaced else CaseTransition.SCORECARD_SUBMITTED,
            actor=actor or card.member_id,
            scorecard=ScorecardEntry(attempt=session.attempt, scorecard=card),
            details={
                "level": card.level,
                "total": card.total,
                "attempt": session.attempt,
                **({"meeting": session.meeting.meeting_id} if session.meeting else {}),
            },
        )
        return view.member_score(card)

    @submit_scorecard.validator
    def _validate_scorecard(
        self, submission: ScorecardSubmission, signed: SignedAction | None = None
    ) -> None:
        actor = self._signed.verified(signed, contract.SUBMIT_SCORECARD.name, submission)
        card = submission.scorecard
        refuse(scorecard_refusal(card, self._rules_view()))
        refuse(early_scorecard_refusal(self._state.round.session.meeting, self._time.today()))
        council = self._input.council(card.level)
        refuse(access.scorecard_refusal(actor, council, card.level, card.member_id))

    @update_handler(contract.CLOSE_SESSION)
    async def close_session(
        self, request: CloseSessionRequest, signed: SignedAction | None = None
    ) -> CloseSessionResult:
        request = as_sent(CloseSessionRequest, request)
        actor = self._signed_by(contract.CLOSE_SESSION.name, signed)
        if actor is not None:
            request = request.model_copy(update={"closed_by": actor})
        refuse(session_refusal(request.level, self._rules_view()))
        session = self._state.round.session
        outcome = close_session(
            self._input.council(request.level), self._input.rulebook.council, session.scorecards
        )
        if isinstance(outcome, QuorumMissing):
            raise ApplicationError(outcome.explain(), type="QuorumMissing")
        closing_attempt = session.attempt
        if isinstance(outcome, RescoreRequired):
            # The members score again from scratch; the main coroutine tells them why.
            session.attempt += 1
            session.scorecards = {}
            session.rescore = outcome
            await self._audit_session_closed(request, closing_attempt, outcome.explain())
            await self._stage_once_acted_on(lambda: session.rescore is None)
            return CloseSessionResult(outcome=outcome.outcome, explanation=outcome.explain())
        explanation = f"mean {outcome.mean} points: {int(outcome.stars)}★"
        session.open = False
        session.result = outcome
        await self._audit_session_closed(request, closing_attempt, explanation)
        await self._stage_once_acted_on(lambda: session.result is None)
        return CloseSessionResult(outcome=outcome.outcome, explanation=explanation, result=outcome)

    async def _audit_session_closed(
        self, request: CloseSessionRequest, attempt: int, explanation: str
    ) -> None:
        """The secretary who closed the session, and what came of it, for the register."""
        if revision.patched(PATCH_AUDIT_SESSION_CLOSED):
            await self._recorder.record(
                CaseTransition.SESSION_CLOSED,
                actor=request.closed_by,
                reason=explanation,
                details={"level": request.level, "attempt": attempt},
            )

    @close_session.validator
    def _validate_close(
        self, request: CloseSessionRequest, signed: SignedAction | None = None
    ) -> None:
        actor = self._signed.verified(signed, contract.CLOSE_SESSION.name, request)
        refuse(close_refusal(request, self._rules_view()))
        refuse(access.close_session_refusal(actor, self._input.council(request.level)))

    @update_handler(contract.RECOGNISE)
    async def recognise(
        self, decision: RecognitionDecision, signed: SignedAction | None = None
    ) -> CaseStage:
        decision = as_sent(RecognitionDecision, decision)
        self._signed_by(contract.RECOGNISE.name, signed)
        if revision.patched(PATCH_CLAIM_CERTIFICATE_NUMBER):
            # The register decides who holds a number: claimed first, refused if taken.
            await self._certificate_life.claim_number(decision)
            refuse(recognition_refusal(decision, self._rules_view()))  # still awaiting it?
        requests = self._state.round.requests
        requests.recognition = decision
        return await self._stage_once_acted_on(lambda: requests.recognition is None)

    @recognise.validator
    def _validate_recognition(
        self, decision: RecognitionDecision, signed: SignedAction | None = None
    ) -> None:
        actor = self._signed.verified(signed, contract.RECOGNISE.name, decision)
        dossier = self._state.round.dossier
        refuse(
            access.signing_refusal(
                actor,
                level=decision.level,
                authority=decision.authority,
                province=dossier.province,
                locality=dossier.locality,
            )
        )
        refuse(recognition_refusal(decision, self._rules_view()))

    @update_handler(contract.APPLY)
    async def apply(
        self, application: Application, signed: SignedAction | None = None
    ) -> CaseStage:
        application = as_sent(Application, application)
        actor = self._signed_by(contract.APPLY.name, signed)
        # Returns at once: the run hands the application to its next round, as new.
        self._state.round.requests.application = application
        if revision.patched(PATCH_AUDIT_APPLICATION):
            dossier = application.dossier
            await self._recorder.record(
                CaseTransition.APPLICATION_RECEIVED,
                actor=actor or dossier.applicant.name,
                reason=f"{dossier.registration_kind.value} for cycle {application.cycle_year}",
                details={
                    "registration_kind": dossier.registration_kind.value,
                    "cycle_year": application.cycle_year,
                },
            )
        return self._state.round.stage

    @apply.validator
    def _validate_application(
        self, application: Application, signed: SignedAction | None = None
    ) -> None:
        actor = self._signed.verified(signed, contract.APPLY.name, application)
        refuse(access.own_case_refusal(actor, self._facts()))
        refuse(application_refusal(application, self._rules_view()))

    @update_handler(contract.REVOKE)
    async def revoke(
        self, decision: RevocationDecision, signed: SignedAction | None = None
    ) -> CaseStage:
        decision = as_sent(RevocationDecision, decision)
        self._signed_by(contract.REVOKE.name, signed)
        await self._certificate_life.revoke(decision)
        return self._state.round.stage

    @revoke.validator
    def _validate_revocation(
        self, decision: RevocationDecision, signed: SignedAction | None = None
    ) -> None:
        actor = self._signed.verified(signed, contract.REVOKE.name, decision)
        refuse(revocation_refusal(decision, self._rules_view()))
        certificate = self._state.carried.certificate
        dossier = self._state.round.dossier
        refuse(
            access.signing_refusal(
                actor,
                level=certificate.level if certificate else "",
                authority=decision.authority,
                province=dossier.province,
                locality=dossier.locality,
            )
        )

    def _signed_by(self, action: str, signed: SignedAction | None) -> str | None:
        """The verified actor of an accepted action, named for the register; None before
        actions were signed. Remembered so the case's records of the action name them."""
        actor = self._signed.accepted(signed)
        if actor is None:
            return None
        label = actor_label(actor)
        self._state.round.signed_by[action] = label
        return label

    def _facts(self) -> CaseFacts:
        return CaseFacts.of(
            workflow.info().workflow_id, self._state.round.dossier, self._state.round.level
        )

    # --------------------------------------------------------------- queries

    @workflow.query(name=contract.STATUS.name)
    def status(self) -> CaseStatus:
        return self._status()

    @workflow.query(name=contract.ACCESS_FACTS.name)
    def access_facts(self) -> CaseAccess:
        certificate = self._state.carried.certificate
        return CaseAccess(
            facts=self._facts(),
            councils=self._input.councils,
            certificate_level=certificate.level if certificate else None,
            review_escalated=self._state.round.review_escalated,
        )

"""The product lifecycle: one workflow per product, for as long as it is in OCOP.

A run is one evaluation round (local review, council scoring at each level the
rulebook names, recognition) followed by the certificate's life (reminders, expiry,
revocation). An application for re-evaluation or upgrade continues the case as new,
so each round has its own history while the product keeps its id and certificate.

Human steps arrive as Updates: their validators refuse bad input before it reaches
history; their handlers only change state. The main coroutine decides what happens
next and performs every side effect through activities, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError

from workflows.calendar import KeepsBusinessCalendar
from workflows.refusal import refuse

with workflow.unsafe.imports_passed_through():
    from activities.contracts import RECORD_CASE_EVENT, SEND_NOTIFICATION
    from models.case import (
        Application,
        CarriedState,
        CaseStage,
        CaseStatus,
        Certificate,
        CloseSession,
        DecisionKind,
        DecisionRecord,
        LifecycleInput,
        MemberScore,
        NextDeadline,
        RecognitionDecision,
        ReviewAction,
        ReviewDecision,
        RevocationDecision,
        RoundSummary,
        ScorecardSubmission,
        SessionClosed,
        SupplementSubmission,
        days,
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
        upgrade_outcome,
    )
    from models.catalogue import DocumentKind
    from models.clock import VIETNAM, BusinessClock, start_of_day
    from models.council import (
        CouncilResult,
        QuorumMissing,
        RescoreRequired,
        close_session,
    )
    from models.cycle import CASE_PROGRESS_SIGNAL, CaseProgress
    from models.dossier import missing_documents, with_documents
    from models.events import (
        CaseEvent,
        CaseFacts,
        CouncilSessionOpened,
        DossierReceived,
        DossierRejected,
        DossierReturned,
        ExpiryReminder,
        ForwardedToLevel,
        Lapsed,
        Notification,
        Recipient,
        RecipientRole,
        Recognised,
        RescoreRequested,
        Revoked,
        ScoringResult,
        StepOverdue,
        SupplementReceived,
        SupplementRequested,
    )
    from models.records import (
        CaseRecord,
        CertificateChange,
        CertificateStatus,
        JsonScalar,
        ProductSnapshot,
        RoundSnapshot,
        ScorecardEntry,
    )
    from models.rulebook import Forward, LevelRule, NoCertificate, Recognise, route_after_scoring
    from models.stars import Stars
    from models.validity import ValidityPeriod, reminder_dates, validity_period
    from workflows import search_attributes as sa

REGISTER_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)


# Changes to live logic, so cases started before them still replay.
PATCH_AUDIT_SESSION_CLOSED = "audit-session-closed"
PATCH_AUDIT_APPLICATION = "audit-application"


class _RoundEnded(Exception):
    """Raised inside a round when it ends early (rejected, returned, not certified)."""


@workflow.defn
class ProductLifecycleWorkflow(KeepsBusinessCalendar):
    @workflow.init
    def __init__(self, input: LifecycleInput) -> None:
        self._input = input
        self._dossier = input.dossier
        carried = input.carried
        if carried is None:
            now = workflow.now()
            carried = CarriedState(
                case_id=str(workflow.uuid4()),
                clock=BusinessClock.anchored(
                    now,
                    input.business_start or now,
                    input.policy.clock_speed,
                    input.policy.paced_calendar,
                ),
                round_number=1,
                event_seq=0,
                certificate=None,
                current_stars=None,
            )
        self._case_id = carried.case_id
        self._clock = carried.clock
        self._round = carried.round_number
        self._seq = carried.event_seq
        self._certificate: Certificate | None = carried.certificate
        self._current_stars: Stars | None = carried.current_stars
        self._decisions: list[DecisionRecord] = list(carried.decisions)
        self._rounds: list[RoundSummary] = list(carried.rounds)
        self._round_started = self._business_now()

        # Every round opens with the first level's review; a reviewer may act at once.
        self._stage = CaseStage.LOCAL_REVIEW
        self._level: str | None = input.rulebook.levels[0].name
        self._next_deadline: NextDeadline | None = None
        self._round_active = True
        # Set by Update handlers, consumed by the main coroutine.
        self._review: ReviewDecision | None = None
        self._supplement: SupplementSubmission | None = None
        self._requested_documents: tuple[DocumentKind, ...] = ()
        self._session_open = False
        self._attempt = 0
        self._scorecards: dict[str, Any] = {}
        self._session_result: CouncilResult | None = None
        self._rescore: RescoreRequired | None = None
        self._last_result: CouncilResult | None = None
        self._recognition_level: str | None = None
        self._result_on: date | None = None
        self._recognition: RecognitionDecision | None = None
        self._application: Application | None = None
        self._revoked = False
        # Register writes run one at a time, in the order the case decided them;
        # emails go through an outbox so an SMTP outage never holds up the case.
        self._register_lock = asyncio.Lock()
        self._outbox: list[Notification] = []
        self._outbox_busy = False
        self._register_writes = 0
        # True while the main coroutine waits for people or time (Updates return then).
        self._waiting = False

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, input: LifecycleInput) -> CaseStatus:
        mailer = asyncio.create_task(self._drain_outbox())
        with contextlib.suppress(_RoundEnded):
            await self._run_round()
        self._round_active = False
        if self._certificate is not None and not self._revoked:
            next_input = await self._certificate_life()
            if next_input is not None:
                await self._settle(mailer)
                workflow.continue_as_new(self._with_current_clock(next_input))
        await self._settle(mailer)
        return self._status()

    async def _settle(self, mailer: asyncio.Task[None]) -> None:
        """Finish every handler and every queued email before the run ends."""
        self._waiting = True
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and not self._outbox and not self._outbox_busy
        )
        mailer.cancel()

    # --------------------------------------------------------------- rounds

    async def _run_round(self) -> None:
        rulebook = self._input.rulebook
        first = rulebook.levels[0]
        await self._set_stage(CaseStage.LOCAL_REVIEW, first.name)
        await self._effect(
            "dossier_received",
            actor=self._dossier.applicant.name,
            event=DossierReceived(
                case=self._facts(),
                registration_kind=self._dossier.registration_kind,
                level=first.name,
            ),
            recipients=self._producer(),
            details={"registration_kind": self._dossier.registration_kind.value},
        )
        await self._local_review(first)
        level = first if first.scores else rulebook.next_level(first.name)
        if not first.scores:
            assert level is not None  # a rulebook always has a scoring level
            await self._forward(first.name, level.name, None)
        while level is not None:
            result = await self._council_session(level)
            routing = upgrade_outcome(
                route_after_scoring(rulebook, level.name, result),
                self._dossier.registration_kind,
                self._current_stars,
            )
            await self._announce_result(level.name, result, routing)
            if isinstance(routing, Forward):
                await self._forward(level.name, routing.to_level, result.mean)
                level = rulebook.level(routing.to_level)
                continue
            if isinstance(routing, NoCertificate):
                await self._end_round(CaseStage.NOT_CERTIFIED, routing.reason, result)
            assert isinstance(routing, Recognise)
            await self._recognise(routing, result)
            return

    async def _local_review(self, level: LevelRule) -> None:
        await self._set_stage(CaseStage.LOCAL_REVIEW, level.name)
        deadline = self._after(self._input.policy.review_deadline_days)
        while True:
            self._next_deadline = NextDeadline(what=f"{level.name} review", due=deadline)
            if not await self._wait_until(lambda: self._review is not None, deadline):
                await self._escalate(CaseStage.LOCAL_REVIEW, level.name, deadline)
                await self._wait_until(lambda: self._review is not None, None)
            decision = self._review
            assert decision is not None
            self._review = None
            if decision.action == ReviewAction.ACCEPT:
                await self._effect(
                    "review_accepted", actor=decision.reviewer, reason=decision.reason
                )
                return
            if decision.action == ReviewAction.REJECT:
                await self._effect(
                    "review_rejected",
                    actor=decision.reviewer,
                    reason=decision.reason,
                    event=DossierRejected(
                        case=self._facts(), reviewer=decision.reviewer, reason=decision.reason
                    ),
                    recipients=self._producer(),
                )
                await self._end_round(CaseStage.REJECTED, decision.reason)
            await self._supplement_loop(level, decision)
            deadline = self._after(self._input.policy.review_deadline_days)

    async def _supplement_loop(self, level: LevelRule, decision: ReviewDecision) -> None:
        requested = decision.documents_requested or tuple(missing_documents(self._dossier))
        self._requested_documents = requested
        deadline = self._after(self._input.policy.supplement_deadline_days)
        await self._set_stage(CaseStage.AWAITING_SUPPLEMENT, level.name)
        self._next_deadline = NextDeadline(what="supplement from the producer", due=deadline)
        await self._effect(
            "supplement_requested",
            actor=decision.reviewer,
            reason=decision.reason,
            event=SupplementRequested(
                case=self._facts(),
                documents=requested,
                deadline=self._date(deadline),
                reviewer=decision.reviewer,
                reason=decision.reason,
            ),
            recipients=self._producer(),
            details={"documents": ", ".join(requested), "deadline": deadline.isoformat()},
        )
        if not await self._wait_until(lambda: self._supplement is not None, deadline):
            await self._effect(
                "supplement_missed",
                actor="system",
                reason="supplement deadline passed",
                event=DossierReturned(
                    case=self._facts(), deadline=self._date(deadline), documents=requested
                ),
                recipients=self._producer(),
            )
            await self._end_round(
                CaseStage.RETURNED,
                f"the supplement requested until {self._date(deadline).isoformat()} did not arrive",
            )
        supplement = self._supplement
        assert supplement is not None
        self._supplement = None
        self._requested_documents = ()
        self._dossier = with_documents(self._dossier, supplement.documents)
        still_missing = tuple(missing_documents(self._dossier))
        await self._set_stage(CaseStage.LOCAL_REVIEW, level.name)
        await self._effect(
            "supplement_received",
            actor=supplement.submitted_by,
            event=SupplementReceived(
                case=self._facts(),
                file_names=tuple(d.file_name for d in supplement.documents),
                still_missing=still_missing,
            ),
            recipients=self._producer(),
            details={"files": ", ".join(d.file_name for d in supplement.documents)},
        )

    async def _council_session(self, level: LevelRule) -> CouncilResult:
        self._attempt = 1
        self._scorecards = {}
        self._session_result = None
        self._session_open = True
        await self._set_stage(CaseStage.COUNCIL_SCORING, level.name)
        deadline = self._after(self._input.policy.council_deadline_days)
        self._next_deadline = NextDeadline(what=f"{level.name} council scoring", due=deadline)
        await self._effect(
            "council_session_opened",
            actor="system",
            event=CouncilSessionOpened(
                case=self._facts(), level=level.name, attempt=1, deadline=self._date(deadline)
            ),
            recipients=self._council_recipients(level.name),
        )
        escalated = False
        while True:
            ready = await self._wait_until(
                lambda: self._session_result is not None or self._rescore is not None,
                None if escalated else deadline,
            )
            if not ready:
                escalated = True
                await self._escalate(CaseStage.COUNCIL_SCORING, level.name, deadline)
                continue
            if self._rescore is not None:
                rescore, self._rescore = self._rescore, None
                await self._effect(
                    "rescore_requested",
                    actor="system",
                    reason=rescore.explain(),
                    event=RescoreRequested(
                        case=self._facts(),
                        level=level.name,
                        attempt=self._attempt,
                        lowest=rescore.lowest,
                        highest=rescore.highest,
                        max_divergence=rescore.max_divergence,
                    ),
                    recipients=self._council_recipients(level.name),
                    details={"spread": rescore.spread, "attempt": self._attempt},
                )
                continue
            result = self._session_result
            assert result is not None
            self._session_result = None
            self._last_result = result
            return result

    async def _announce_result(
        self,
        level: str,
        result: CouncilResult,
        routing: Recognise | Forward | NoCertificate,
    ) -> None:
        if isinstance(routing, Recognise):
            detail = f"recognised at {routing.level} level"
        elif isinstance(routing, Forward):
            detail = f"sent up to {routing.to_level} level"
        else:
            detail = routing.reason
        await self._effect(
            "council_result",
            actor=f"{level} council",
            reason=detail,
            event=ScoringResult(
                case=self._facts(),
                level=level,
                part_means=result.part_means,
                mean=result.mean,
                stars=result.stars,
                mandatory_criteria_met=result.mandatory_criteria_met,
                outcome=routing.route,
                outcome_detail=detail,
            ),
            recipients=self._producer(),
            details={"mean": str(result.mean), "stars": int(result.stars)},
        )

    async def _forward(self, from_level: str, to_level: str, mean: Any) -> None:
        await self._effect(
            "forwarded",
            actor="system",
            reason=f"{from_level} → {to_level}",
            event=ForwardedToLevel(
                case=self._facts(), from_level=from_level, to_level=to_level, mean=mean
            ),
            recipients=self._producer(),
        )

    async def _recognise(self, routing: Recognise, result: CouncilResult) -> None:
        self._recognition_level = routing.level
        self._result_on = self._today()
        self._recognition = None
        await self._set_stage(CaseStage.AWAITING_RECOGNITION, routing.level)
        deadline = self._after(self._input.policy.recognition_deadline_days)
        self._next_deadline = NextDeadline(what=f"{routing.level} recognition", due=deadline)
        if not await self._wait_until(lambda: self._recognition is not None, deadline):
            await self._escalate(CaseStage.AWAITING_RECOGNITION, routing.level, deadline)
            await self._wait_until(lambda: self._recognition is not None, None)
        decision = self._recognition
        assert decision is not None
        self._recognition = None
        level_rule = self._input.rulebook.level(routing.level)
        period = validity_period(decision.decided_on, self._input.rulebook.validity_months)
        previous = self._certificate
        previous_stars = self._current_stars
        if previous is not None:
            await self._effect(
                "certificate_superseded",
                actor=decision.authority,
                reason=f"replaced by certificate {decision.certificate_number}",
                certificate=CertificateChange(
                    certificate=previous,
                    status=CertificateStatus.SUPERSEDED,
                    ended_on=decision.decided_on,
                    end_reason=f"replaced by certificate {decision.certificate_number}",
                ),
            )
        self._certificate = Certificate(
            number=decision.certificate_number,
            stars=routing.stars,
            level=routing.level,
            authority=decision.authority,
            decision_number=decision.decision_number,
            valid_from=period.valid_from,
            valid_until=period.valid_until,
        )
        self._current_stars = routing.stars
        record = DecisionRecord(
            kind=DecisionKind.RECOGNITION,
            level=routing.level,
            authority=decision.authority,
            number=decision.decision_number,
            decided_on=decision.decided_on,
            summary=f"{int(routing.stars)}★ by {level_rule.authority_en}",
        )
        self._decisions.append(record)
        self._recognition_level = None
        await self._set_stage(CaseStage.CERTIFIED, routing.level)
        await self._effect(
            "recognised",
            actor=decision.authority,
            event=Recognised(
                case=self._facts(),
                level=routing.level,
                authority=decision.authority,
                decision_number=decision.decision_number,
                decided_on=decision.decided_on,
                certificate_number=decision.certificate_number,
                stars=routing.stars,
                valid_until=period.valid_until,
                previous_stars=previous_stars,
                registration_kind=self._dossier.registration_kind,
            ),
            recipients=self._producer(),
            decision=record,
            certificate=CertificateChange(
                certificate=self._certificate, status=CertificateStatus.ACTIVE
            ),
        )
        self._close_round(CaseStage.CERTIFIED, "", result)

    async def _end_round(
        self, outcome: CaseStage, reason: str, result: CouncilResult | None = None
    ) -> None:
        keeps_certificate = self._certificate is not None and not self._revoked
        await self._set_stage(CaseStage.CERTIFIED if keeps_certificate else outcome, self._level)
        self._close_round(outcome, reason, result)
        await self._effect("round_ended", actor="system", reason=reason)
        raise _RoundEnded(reason)

    def _close_round(self, outcome: CaseStage, reason: str, result: CouncilResult | None) -> None:
        self._session_open = False
        self._next_deadline = None
        self._rounds.append(
            RoundSummary(
                round_number=self._round,
                registration_kind=self._dossier.registration_kind,
                cycle_year=self._input.cycle_year,
                outcome=outcome,
                level=self._level,
                mean=result.mean if result else None,
                stars=result.stars if result else None,
                ended_at=self._business_now(),
                reason=reason,
            )
        )

    # ------------------------------------------------------ certificate life

    async def _certificate_life(self) -> LifecycleInput | None:
        """Remind, then lapse at expiry, unless an application or a revocation comes first."""
        while self._certificate is not None and not self._revoked:
            certificate = self._certificate
            period = ValidityPeriod(
                valid_from=certificate.valid_from, valid_until=certificate.valid_until
            )
            today = self._today()
            if today >= period.expires_on:
                await self._lapse(certificate)
                return None
            due = [
                (days_before, day)
                for days_before, day in reminder_dates(period, self._input.policy.reminder_days)
                if days_before not in certificate.reminders_sent
            ]
            passed = [days_before for days_before, day in due if day <= today]
            if passed:
                # Reminders whose days passed together (a long round) collapse into the latest.
                await self._remind(certificate, min(passed), period, on_schedule=len(passed) == 1)
                # A revocation may have come while the reminder was being recorded.
                if self._certificate is certificate:
                    self._certificate = certificate.model_copy(
                        update={"reminders_sent": (*certificate.reminders_sent, *passed)}
                    )
                continue
            wake_day = due[0][1] if due else period.expires_on
            self._next_deadline = NextDeadline(
                what="expiry reminder" if due else "certificate expiry",
                due=start_of_day(wake_day),
            )
            await self._upsert_search_attributes()
            await self._wait_until(
                lambda: self._application is not None or self._revoked, start_of_day(wake_day)
            )
            if self._application is not None and not self._revoked:
                return self._next_round_input(self._application)
        return None

    async def _remind(
        self,
        certificate: Certificate,
        days_before: int,
        period: ValidityPeriod,
        on_schedule: bool = True,
    ) -> None:
        await self._effect(
            f"expiry_reminder_{days_before}",
            actor="system",
            event=ExpiryReminder(
                case=self._facts(),
                certificate_number=certificate.number,
                stars=certificate.stars,
                valid_until=certificate.valid_until,
                # On schedule the letter states the official offset; a wake-up a few
                # business hours late must not make "30 days" read "29 days".
                days_left=days_before if on_schedule else (period.expires_on - self._today()).days,
            ),
            recipients=self._producer(),
            details={"days_before_expiry": days_before},
        )

    async def _lapse(self, certificate: Certificate) -> None:
        self._certificate = None
        self._current_stars = None
        await self._set_stage(CaseStage.LAPSED, certificate.level)
        self._next_deadline = None
        await self._effect(
            "certificate_lapsed",
            actor="system",
            reason="expired without re-evaluation",
            event=Lapsed(
                case=self._facts(),
                certificate_number=certificate.number,
                stars=certificate.stars,
                valid_until=certificate.valid_until,
            ),
            recipients=self._producer(),
            certificate=CertificateChange(
                certificate=certificate,
                status=CertificateStatus.LAPSED,
                ended_on=certificate.valid_until,
                end_reason="expired without re-evaluation",
            ),
        )

    def _next_round_input(self, application: Application) -> LifecycleInput:
        return LifecycleInput(
            dossier=application.dossier,
            rulebook=application.rulebook or self._input.rulebook,
            policy=application.policy or self._input.policy,
            councils=application.councils or self._input.councils,
            administrators=self._input.administrators,
            cycle_year=application.cycle_year,
            cycle_workflow_id=application.cycle_workflow_id,
            carried=CarriedState(
                case_id=self._case_id,
                clock=self._clock,
                round_number=self._round + 1,
                event_seq=self._seq,
                certificate=self._certificate,
                current_stars=self._current_stars,
                decisions=tuple(self._decisions),
                rounds=tuple(self._rounds),
            ),
        )

    def _with_current_clock(self, next_input: LifecycleInput) -> LifecycleInput:
        """A paced calendar may have moved while the round settled: carry where it stands."""
        carried = next_input.carried
        if carried is None or carried.clock is self._clock:
            return next_input
        return next_input.model_copy(
            update={"carried": carried.model_copy(update={"clock": self._clock})}
        )

    # -------------------------------------------------------------- updates

    @workflow.update
    async def review(self, decision: ReviewDecision) -> CaseStage:
        self._review = decision
        return await self._settled_after(lambda: self._review is None)

    @review.validator
    def _validate_review(self, decision: ReviewDecision) -> None:
        refuse(review_refusal(decision, self._state()))

    @workflow.update
    async def supply_supplement(self, supplement: SupplementSubmission) -> CaseStage:
        self._supplement = supplement
        return await self._settled_after(lambda: self._supplement is None)

    @supply_supplement.validator
    def _validate_supplement(self, supplement: SupplementSubmission) -> None:
        refuse(supplement_refusal(supplement, self._state()))

    @workflow.update
    async def submit_scorecard(self, submission: ScorecardSubmission) -> MemberScore:
        card = submission.scorecard
        refuse(session_refusal(card.level, self._state()))
        replaced = card.member_id in self._scorecards
        self._scorecards[card.member_id] = card
        await self._effect(
            "scorecard_replaced" if replaced else "scorecard_submitted",
            actor=card.member_id,
            scorecard=ScorecardEntry(attempt=self._attempt, scorecard=card),
            details={"level": card.level, "total": card.total, "attempt": self._attempt},
        )
        return self._member_score(card)

    @submit_scorecard.validator
    def _validate_scorecard(self, submission: ScorecardSubmission) -> None:
        refuse(scorecard_refusal(submission.scorecard, self._state()))

    @workflow.update
    async def close_session(self, request: CloseSession) -> SessionClosed:
        refuse(session_refusal(request.level, self._state()))
        outcome = close_session(
            self._input.council(request.level), self._input.rulebook.council, self._scorecards
        )
        if isinstance(outcome, QuorumMissing):
            raise ApplicationError(outcome.explain(), type="QuorumMissing")
        closing_attempt = self._attempt
        if isinstance(outcome, RescoreRequired):
            self._attempt += 1
            self._scorecards = {}
            self._rescore = outcome
            await self._audit_session_closed(request, closing_attempt, outcome.explain())
            await self._settled_after(lambda: self._rescore is None)
            return SessionClosed(outcome=outcome.outcome, explanation=outcome.explain())
        self._session_open = False
        self._session_result = outcome
        await self._audit_session_closed(
            request, closing_attempt, f"mean {outcome.mean} points: {int(outcome.stars)}★"
        )
        await self._settled_after(lambda: self._session_result is None)
        return SessionClosed(
            outcome=outcome.outcome,
            explanation=f"mean {outcome.mean} points: {int(outcome.stars)}★",
            result=outcome,
        )

    async def _audit_session_closed(
        self, request: CloseSession, attempt: int, explanation: str
    ) -> None:
        """The secretary who closed the session, and what came of it, for the register."""
        if workflow.patched(PATCH_AUDIT_SESSION_CLOSED):
            await self._effect(
                "session_closed",
                actor=request.closed_by,
                reason=explanation,
                details={"level": request.level, "attempt": attempt},
            )

    @close_session.validator
    def _validate_close(self, request: CloseSession) -> None:
        refuse(close_refusal(request, self._state()))

    @workflow.update
    async def recognise(self, decision: RecognitionDecision) -> CaseStage:
        self._recognition = decision
        return await self._settled_after(lambda: self._recognition is None)

    @recognise.validator
    def _validate_recognition(self, decision: RecognitionDecision) -> None:
        refuse(recognition_refusal(decision, self._state()))

    @workflow.update
    async def apply(self, application: Application) -> CaseStage:
        self._application = application
        if workflow.patched(PATCH_AUDIT_APPLICATION):
            dossier = application.dossier
            await self._effect(
                "application_received",
                actor=dossier.applicant.name,
                reason=f"{dossier.registration_kind.value} for cycle {application.cycle_year}",
                details={
                    "registration_kind": dossier.registration_kind.value,
                    "cycle_year": application.cycle_year,
                },
            )
        return self._stage

    @apply.validator
    def _validate_application(self, application: Application) -> None:
        refuse(application_refusal(application, self._state()))

    @workflow.update
    async def revoke(self, decision: RevocationDecision) -> CaseStage:
        certificate = self._certificate
        if certificate is None or self._revoked:
            raise ApplicationError("there is no valid certificate to revoke", type="WrongStage")
        self._revoked = True
        self._certificate = None
        self._current_stars = None
        record = DecisionRecord(
            kind=DecisionKind.REVOCATION,
            level=certificate.level,
            authority=decision.authority,
            number=decision.decision_number,
            decided_on=decision.decided_on,
            summary=f"revoked: {decision.grounds.value}",
        )
        self._decisions.append(record)
        if not self._round_active:
            await self._set_stage(CaseStage.REVOKED, certificate.level)
            self._next_deadline = None
        await self._effect(
            "certificate_revoked",
            actor=decision.authority,
            reason=f"{decision.grounds.value}: {decision.details}".rstrip(": "),
            event=Revoked(
                case=self._facts(),
                certificate_number=certificate.number,
                stars=certificate.stars,
                authority=decision.authority,
                decision_number=decision.decision_number,
                decided_on=decision.decided_on,
                grounds=decision.grounds,
                details=decision.details,
            ),
            recipients=self._producer(),
            decision=record,
            certificate=CertificateChange(
                certificate=certificate,
                status=CertificateStatus.REVOKED,
                ended_on=decision.decided_on,
                end_reason=decision.grounds.value,
            ),
        )
        return self._stage

    @revoke.validator
    def _validate_revocation(self, decision: RevocationDecision) -> None:
        refuse(revocation_refusal(decision, self._state()))

    @workflow.query
    def status(self) -> CaseStatus:
        return self._status()

    # -------------------------------------------------------------- helpers

    def _state(self) -> CaseState:
        """Where the case stands, for the rules deciding what it may accept now."""
        return CaseState(
            stage=self._stage,
            level=self._level,
            dossier=self._dossier,
            rulebook=self._input.rulebook,
            councils=self._input.councils,
            policy=self._input.policy,
            today=self._today(),
            round_active=self._round_active,
            session_open=self._session_open,
            scorecards=self._scorecards,
            recognition_level=self._recognition_level,
            result_on=self._result_on,
            certificate=self._certificate,
            current_stars=self._current_stars,
            revoked=self._revoked,
            review_pending=self._review is not None,
            supplement_pending=self._supplement is not None,
            recognition_pending=self._recognition is not None,
            application_pending=self._application is not None,
        )

    def _business_now(self) -> datetime:
        return self._clock.business_now(workflow.now())

    def _today(self) -> date:
        return self._clock.business_today(workflow.now())

    def _after(self, number_of_days: int) -> datetime:
        return self._business_now() + days(number_of_days)

    @staticmethod
    def _date(moment: datetime) -> date:
        return moment.astimezone(VIETNAM).date()

    async def _wait_until(self, condition: Any, business_deadline: datetime | None) -> bool:
        """Wait for `condition` until the business deadline; True if it came true."""
        self._waiting = True
        try:
            if business_deadline is None:
                await workflow.wait_condition(condition)
                return True
            delay = self._clock.real_delay(workflow.now(), business_deadline)
            while delay is None:
                # A paced calendar holds before the deadline: only a move can bring it.
                held = self._clock
                await workflow.wait_condition(
                    lambda held=held: bool(condition()) or self._clock is not held  # type: ignore[misc]
                )
                if condition():
                    return True
                delay = self._clock.real_delay(workflow.now(), business_deadline)
            if delay <= timedelta(0):
                return bool(condition())
            await workflow.wait_condition(condition, timeout=delay)
        except TimeoutError:
            return bool(condition())
        finally:
            self._waiting = False
        return True

    async def _settled_after(self, consumed: Any) -> CaseStage:
        """Let an Update return once the case has acted on it and waits again."""
        await workflow.wait_condition(lambda: bool(consumed()) and self._waiting)
        return self._stage

    async def _set_stage(self, stage: CaseStage, level: str | None) -> None:
        self._stage = stage
        self._level = level
        await self._upsert_search_attributes()
        if self._input.cycle_workflow_id:
            await self._tell_cycle(self._input.cycle_workflow_id)

    async def _tell_cycle(self, cycle_id: str) -> None:
        """Tell the round's annual cycle where the case stands; a closed cycle stops nothing."""
        progress = CaseProgress(
            workflow_id=workflow.info().workflow_id,
            product_code=self._dossier.product_code,
            locality=self._dossier.locality,
            applicant_kind=self._dossier.applicant.kind,
            registration_kind=self._dossier.registration_kind,
            round_number=self._round,
            stage=self._stage,
            level=self._level,
            stars=self._current_stars,
            awaiting_recognition=self._stage == CaseStage.AWAITING_RECOGNITION,
        )
        try:
            await workflow.get_external_workflow_handle(cycle_id).signal(
                CASE_PROGRESS_SIGNAL, progress
            )
        except FailureError as error:
            # Expected once the cycle has closed (a lapse or revocation years later).
            workflow.logger.info(
                "cycle %s was not told of stage %s: %s", cycle_id, self._stage, error
            )

    async def _upsert_search_attributes(self) -> None:
        certificate, stars = self._certificate, self._current_stars
        workflow.upsert_search_attributes(
            [
                sa.PROVINCE.value_set(self._dossier.province),
                sa.LOCALITY.value_set(self._dossier.locality),
                sa.STAGE.value_set(self._stage.value),
                sa.CYCLE_YEAR.value_set(self._input.cycle_year),
                sa.RULEBOOK.value_set(self._input.rulebook.id),
                sa.LEVEL.value_set(self._level) if self._level else sa.LEVEL.value_unset(),
                sa.STARS.value_set(int(stars)) if stars else sa.STARS.value_unset(),
                sa.VALID_UNTIL.value_set(start_of_day(certificate.valid_until))
                if certificate
                else sa.VALID_UNTIL.value_unset(),
            ]
        )

    async def _escalate(self, stage: CaseStage, level: str, deadline: datetime) -> None:
        await self._effect(
            f"{stage.value}_overdue",
            actor="system",
            reason=f"{stage.value} at {level} passed its deadline",
            event=StepOverdue(
                case=self._facts(), stage=stage, level=level, deadline=self._date(deadline)
            ),
            recipients=tuple(
                Recipient(
                    email=admin.email,
                    name=admin.name,
                    language=admin.language,
                    role=RecipientRole.ADMINISTRATOR,
                )
                for admin in self._input.administrators
            ),
        )

    def _producer(self) -> tuple[Recipient, ...]:
        applicant = self._dossier.applicant
        return (
            Recipient(
                email=applicant.email,
                name=applicant.name,
                language=applicant.preferred_language,
                role=RecipientRole.PRODUCER,
            ),
        )

    def _council_recipients(self, level: str) -> tuple[Recipient, ...]:
        return tuple(
            Recipient(email=m.email, name=m.name, role=RecipientRole.COUNCIL_MEMBER)
            for m in self._input.council(level).members
            if m.email is not None
        )

    def _facts(self) -> CaseFacts:
        return CaseFacts(
            reference=workflow.info().workflow_id,
            product_code=self._dossier.product_code,
            product_name=self._dossier.product_name,
            applicant_name=self._dossier.applicant.name,
            province=self._dossier.province,
            round_number=self._round,
            occurred_on=self._today(),
        )

    async def _effect(
        self,
        action: str,
        *,
        actor: str,
        reason: str = "",
        event: CaseEvent | None = None,
        recipients: tuple[Recipient, ...] = (),
        details: dict[str, JsonScalar] | None = None,
        scorecard: ScorecardEntry | None = None,
        decision: DecisionRecord | None = None,
        certificate: CertificateChange | None = None,
    ) -> None:
        """Write one transition to the register, then queue its email, in decision order."""
        self._seq += 1
        key = f"{self._case_id}:r{self._round}:{self._seq:05d}:{action}"
        record = CaseRecord(
            key=key,
            workflow_id=workflow.info().workflow_id,
            case_id=self._case_id,
            occurred_at=self._business_now(),
            actor=actor,
            action=action,
            reason=reason,
            details=details or {},
            product=self._product_snapshot(),
            round=self._round_snapshot(),
            scorecard=scorecard,
            decision=decision,
            certificate=certificate,
        )
        if event is not None and recipients:
            self._outbox.append(
                Notification(
                    key=key,
                    workflow_id=workflow.info().workflow_id,
                    event=event,
                    recipients=recipients,
                )
            )
        self._register_writes += 1
        try:
            async with self._register_lock:
                await workflow.execute_activity(
                    RECORD_CASE_EVENT,
                    record,
                    start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=REGISTER_RETRY,
                )
        finally:
            self._register_writes -= 1

    async def _drain_outbox(self) -> None:
        """Send queued emails one at a time, so each inbox reads in the order of events."""
        while True:
            await workflow.wait_condition(lambda: bool(self._outbox))
            self._outbox_busy = True
            notification = self._outbox.pop(0)
            try:
                await workflow.execute_activity(
                    SEND_NOTIFICATION,
                    notification,
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=NOTIFY_RETRY,
                )
            finally:
                self._outbox_busy = False

    def _product_snapshot(self) -> ProductSnapshot:
        dossier = self._dossier
        return ProductSnapshot(
            workflow_id=workflow.info().workflow_id,
            province=dossier.province,
            locality=dossier.locality,
            product_code=dossier.product_code,
            product_name=dossier.product_name,
            group=dossier.group,
            product_set=dossier.product_set,
            applicant=dossier.applicant,
            current_stars=self._current_stars,
        )

    def _round_snapshot(self) -> RoundSnapshot:
        last = (
            self._rounds[-1]
            if self._rounds and self._rounds[-1].round_number == self._round
            else None
        )
        return RoundSnapshot(
            round_number=self._round,
            registration_kind=self._dossier.registration_kind,
            rulebook_id=self._input.rulebook.id,
            cycle_year=self._input.cycle_year,
            stage=self._stage,
            level=self._level,
            mean_score=last.mean if last else None,
            stars=last.stars if last else None,
            outcome=last.outcome.value if last else None,
            started_at=self._round_started,
            ended_at=last.ended_at if last else None,
        )

    def _member_score(self, card: Any) -> MemberScore:
        return MemberScore(
            member_id=card.member_id,
            total=card.total,
            part_a=card.part_a,
            part_b=card.part_b,
            part_c=card.part_c,
            mandatory_criteria_met=card.mandatory_criteria_met,
        )

    def _status(self) -> CaseStatus:
        dossier = self._dossier
        return CaseStatus(
            workflow_id=workflow.info().workflow_id,
            case_id=self._case_id,
            province=dossier.province,
            locality=dossier.locality,
            product_code=dossier.product_code,
            product_name=dossier.product_name,
            rulebook=self._input.rulebook.id,
            round_number=self._round,
            registration_kind=dossier.registration_kind,
            cycle_year=self._input.cycle_year,
            stage=self._stage,
            level=self._level,
            session_attempt=self._attempt,
            scores=[self._member_score(card) for _, card in sorted(self._scorecards.items())],
            last_result=self._last_result,
            missing_documents=list(self._requested_documents or missing_documents(dossier))
            if self._round_active
            else [],
            certificate=self._certificate,
            current_stars=self._current_stars,
            next_deadline=self._next_deadline,
            decisions=list(self._decisions),
            rounds=list(self._rounds),
            business_now=self._business_now(),
            emails_queued=len(self._outbox) + int(self._outbox_busy),
            register_writes_pending=self._register_writes,
            cycle_workflow_id=self._input.cycle_workflow_id,
            clock=self._clock,
        )

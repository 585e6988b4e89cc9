"""One evaluation round: local review (`workflows/case/review.py`), council sessions, recognition.

The round runs in the main coroutine. It waits for people (the requests Update handlers
leave in `RoundState.requests` and the session) or for a business deadline, decides
with the rules of `models/`, and records each step through the `TransitionRecorder`.
A round that ends without a certificate raises `_RoundEnded` to leave at once.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal

from temporalio import workflow

from workflows.case.letters import administrators, council_members, producer
from workflows.case.review import DossierReview
from workflows.case.timekeeping import calendar_date

with workflow.unsafe.imports_passed_through():
    from contracts import case as contract
    from models.case import (
        CaseStage,
        Certificate,
        DecisionKind,
        DecisionRecord,
        NextDeadline,
        RecognitionDecision,
        RoundSummary,
    )
    from models.case_rules import upgrade_outcome
    from models.council import CouncilResult
    from models.events import (
        CouncilSessionOpened,
        DossierReceived,
        ForwardedToLevel,
        Recognised,
        RescoreRequested,
        ScoringResult,
        StepOverdue,
    )
    from models.records import CertificateChange, CertificateStatus
    from models.rulebook import Forward, LevelRule, NoCertificate, Recognise, route_after_scoring
    from models.transitions import CaseTransition
    from models.validity import validity_period


class _RoundEnded(Exception):
    """Raised inside a round when it ends early (rejected, returned, not certified)."""


class EvaluationRound(DossierReview):
    """One evaluation round: review, supplement, council sessions, recognition."""

    async def run(self) -> None:
        """Run the round to its end, certified or not; the certificate's life comes next."""
        with contextlib.suppress(_RoundEnded):
            await self._evaluate()
        self._round.active = False

    async def _evaluate(self) -> None:
        rulebook = self._input.rulebook
        first = rulebook.levels[0]
        await self._stage.move_to(CaseStage.LOCAL_REVIEW, first.name)
        dossier = self._round.dossier
        await self._record(
            CaseTransition.DOSSIER_RECEIVED,
            actor=self._input.submitted_by or dossier.applicant.name,
            event=DossierReceived(
                case=self._facts(), registration_kind=dossier.registration_kind, level=first.name
            ),
            recipients=producer(dossier),
            details={"registration_kind": dossier.registration_kind.value},
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
                self._round.dossier.registration_kind,
                self._state.carried.current_stars,
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

    # ------------------------------------------------------------ council

    async def _council_session(self, level: LevelRule) -> CouncilResult:
        session = self._round.session
        session.attempt = 1
        session.scorecards = {}
        session.meeting = None
        session.result = None
        session.open = True
        await self._stage.move_to(CaseStage.COUNCIL_SCORING, level.name)
        policy = self._input.policy
        deadline = self._time.deadline(policy.council_deadline_days, policy.working_calendar)
        self._round.next_deadline = NextDeadline(what=f"{level.name} council scoring", due=deadline)
        await self._record(
            CaseTransition.COUNCIL_SESSION_OPENED,
            actor="system",
            event=CouncilSessionOpened(
                case=self._facts(),
                level=level.name,
                attempt=1,
                deadline=calendar_date(deadline),
                local_assessment=self._round.local_assessment,
            ),
            recipients=council_members(self._input, level.name),
        )
        escalated = False
        while True:

            def decided() -> bool:
                return session.result is not None or session.rescore is not None

            if escalated:
                ready = await self._time.wait_until(decided, None)
            else:
                ready = await self._time.wait_until_due(decided, self._due)
            if not ready:
                escalated = True
                await self._escalate(CaseStage.COUNCIL_SCORING, level.name, self._due())
                continue
            if session.rescore is not None:
                await self._ask_for_rescore(level)
                continue
            result = session.result
            assert result is not None
            session.result = None
            self._round.last_result = result
            return result

    async def _ask_for_rescore(self, level: LevelRule) -> None:
        session = self._round.session
        rescore, session.rescore = session.rescore, None
        assert rescore is not None
        await self._record(
            CaseTransition.RESCORE_REQUESTED,
            actor="system",
            reason=rescore.explain(),
            event=RescoreRequested(
                case=self._facts(),
                level=level.name,
                attempt=session.attempt,
                lowest=rescore.lowest,
                highest=rescore.highest,
                max_divergence=rescore.max_divergence,
            ),
            recipients=council_members(self._input, level.name),
            details={"spread": rescore.spread, "attempt": session.attempt},
        )

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
        await self._record(
            CaseTransition.COUNCIL_RESULT,
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
            recipients=producer(self._round.dossier),
            details={"mean": str(result.mean), "stars": int(result.stars)},
        )

    async def _forward(self, from_level: str, to_level: str, mean: Decimal | None) -> None:
        await self._record(
            CaseTransition.FORWARDED,
            actor="system",
            reason=f"{from_level} → {to_level}",
            event=ForwardedToLevel(
                case=self._facts(), from_level=from_level, to_level=to_level, mean=mean
            ),
            recipients=producer(self._round.dossier),
        )

    # -------------------------------------------------------- recognition

    async def _recognise(self, routing: Recognise, result: CouncilResult) -> None:
        decision = await self._await_recognition(routing)
        await self._grant_certificate(routing, decision)
        self._close_round(CaseStage.CERTIFIED, "", result)

    async def _await_recognition(self, routing: Recognise) -> RecognitionDecision:
        requests = self._round.requests
        self._round.recognition_level = routing.level
        self._round.result_on = self._time.today()
        requests.recognition = None
        await self._stage.move_to(CaseStage.AWAITING_RECOGNITION, routing.level)
        deadline = self._time.after(self._input.policy.recognition_deadline_days)
        self._round.next_deadline = NextDeadline(what=f"{routing.level} recognition", due=deadline)
        if not await self._time.wait_until(lambda: requests.recognition is not None, deadline):
            await self._escalate(CaseStage.AWAITING_RECOGNITION, routing.level, deadline)
            await self._time.wait_until(lambda: requests.recognition is not None, None)
        decision = requests.recognition
        assert decision is not None
        requests.recognition = None
        return decision

    async def _grant_certificate(self, routing: Recognise, decision: RecognitionDecision) -> None:
        """Supersede the certificate held (if any), then record the new one and its decision."""
        carried = self._state.carried
        level_rule = self._input.rulebook.level(routing.level)
        period = validity_period(decision.decided_on, self._input.rulebook.validity_months)
        previous = carried.certificate
        previous_stars = carried.current_stars
        if previous is not None:
            await self._record(
                CaseTransition.CERTIFICATE_SUPERSEDED,
                actor=decision.authority,
                reason=f"replaced by certificate {decision.certificate_number}",
                certificate=CertificateChange(
                    certificate=previous,
                    status=CertificateStatus.SUPERSEDED,
                    ended_on=decision.decided_on,
                    end_reason=f"replaced by certificate {decision.certificate_number}",
                ),
            )
        carried.certificate = Certificate(
            number=decision.certificate_number,
            stars=routing.stars,
            level=routing.level,
            authority=decision.authority,
            decision_number=decision.decision_number,
            valid_from=period.valid_from,
            valid_until=period.valid_until,
        )
        carried.current_stars = routing.stars
        record = DecisionRecord(
            kind=DecisionKind.RECOGNITION,
            level=routing.level,
            authority=decision.authority,
            number=decision.decision_number,
            decided_on=decision.decided_on,
            summary=f"{int(routing.stars)}★ by {level_rule.authority_en}",
        )
        carried.decisions = (*carried.decisions, record)
        self._round.recognition_level = None
        await self._stage.move_to(CaseStage.CERTIFIED, routing.level)
        await self._record(
            CaseTransition.RECOGNISED,
            actor=self._round.actor_of(contract.RECOGNISE.name, decision.authority),
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
                registration_kind=self._round.dossier.registration_kind,
            ),
            recipients=producer(self._round.dossier),
            decision=record,
            certificate=CertificateChange(
                certificate=carried.certificate, status=CertificateStatus.ACTIVE
            ),
        )

    # ---------------------------------------------------------- the end

    async def _end_round(
        self, outcome: CaseStage, reason: str, result: CouncilResult | None = None
    ) -> None:
        keeps_certificate = self._state.carried.certificate is not None and not self._round.revoked
        await self._stage.move_to(
            CaseStage.CERTIFIED if keeps_certificate else outcome, self._round.level
        )
        self._close_round(outcome, reason, result)
        await self._record(CaseTransition.ROUND_ENDED, actor="system", reason=reason)
        raise _RoundEnded(reason)

    def _close_round(self, outcome: CaseStage, reason: str, result: CouncilResult | None) -> None:
        carried = self._state.carried
        self._round.session.open = False
        self._round.next_deadline = None
        summary = RoundSummary(
            round_number=carried.round_number,
            registration_kind=self._round.dossier.registration_kind,
            cycle_year=self._input.cycle_year,
            outcome=outcome,
            level=self._round.level,
            mean=result.mean if result else None,
            stars=result.stars if result else None,
            ended_at=self._time.now(),
            reason=reason,
        )
        carried.rounds = (*carried.rounds, summary)

    async def _escalate(
        self, stage: CaseStage, level: str, deadline: datetime, escalated_to: str | None = None
    ) -> None:
        """Tell the administrators, once, that a step passed its deadline; it waits on,
        taken up by `escalated_to` as well when the step passes to them."""
        reason = f"{stage.value} at {level} passed its deadline"
        await self._record(
            CaseTransition.OVERDUE,
            occasion=stage.value,
            actor="system",
            reason=f"{reason}; escalated to {escalated_to}" if escalated_to else reason,
            event=StepOverdue(
                case=self._facts(),
                stage=stage,
                level=level,
                deadline=calendar_date(deadline),
                escalated_to=escalated_to,
            ),
            # A step that passes to another office changes where the dossier stands.
            recipients=(
                (*administrators(self._input), *producer(self._round.dossier))
                if escalated_to
                else administrators(self._input)
            ),
        )

"""The certificate's life after a round: reminders, lapse, revocation, the next round.

The main coroutine sleeps until the next reminder or the expiry, waking early for an
application (re-evaluation or upgrade, which ends the run with the next round's
input) or a revocation (which ends the certificate at once).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from workflows.case.letters import producer
from workflows.case.part import CasePart
from workflows.case.revision import lean_round

with workflow.unsafe.imports_passed_through():
    from activities.register import RegisterActivities
    from contracts import case as contract
    from models.case import (
        Application,
        CaseStage,
        Certificate,
        DecisionKind,
        DecisionRecord,
        LifecycleInput,
        NextDeadline,
        RecognitionDecision,
        RevocationDecision,
    )
    from models.case_tables import next_round_table
    from models.certificate_numbers import CertificateClaim, number_taken_refusal
    from models.clock import start_of_day
    from models.events import (
        CertificateExpired,
        CertificateLoaded,
        ExpiryReminder,
        Lapsed,
        Revoked,
    )
    from models.held_certificates import HeldCertificate
    from models.records import CertificateChange, CertificateStatus
    from models.transitions import CaseTransition
    from models.validity import ValidityPeriod, ends_during_reevaluation, reminder_dates

CLAIM_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


class CertificateLife(CasePart):
    """From recognition to expiry: reminders, lapse, revocation, the next application."""

    async def claim_number(self, decision: RecognitionDecision) -> None:
        """Claim the decision's certificate number in the register before the case takes
        the recognition; raise the refusal (the Update fails, the case waits on) when
        another product holds it. A claim the product made before is granted again."""
        dossier = self._state.round.dossier
        claim = CertificateClaim(
            authority=decision.authority,
            number=decision.certificate_number,
            province=dossier.province,
            product_code=dossier.product_code,
            workflow_id=workflow.info().workflow_id,
            case_id=self._state.carried.case_id,
            round_number=self._state.carried.round_number,
            claimed_at=self._time.now(),
        )
        if lean_round():
            claimed = await workflow.execute_local_activity_method(
                RegisterActivities.claim_certificate_number,
                claim,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=CLAIM_RETRY,
            )
        else:
            claimed = await workflow.execute_activity_method(
                RegisterActivities.claim_certificate_number,
                claim,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=CLAIM_RETRY,
            )
        if not claimed.granted:
            refusal = number_taken_refusal(decision.certificate_number, decision.authority)
            raise ApplicationError(refusal.message, type=refusal.type, non_retryable=True)

    async def expire_during_round(self) -> None:
        """End the certificate a round re-evaluates on its last day (and any grace the
        rules allow), even while the round goes on: the case then says "expired,
        re-evaluation in progress", and a new result issues a new certificate."""
        carried, this_round = self._state.carried, self._state.round
        certificate = carried.certificate
        if certificate is None:
            return
        ends = ends_during_reevaluation(
            certificate.valid_until, self._input.rulebook.expiry_grace_days
        )
        if await self._time.wait_beside(
            lambda: not this_round.active or carried.certificate is not certificate,
            start_of_day(ends),
        ):
            return  # the round ended, or the certificate was revoked, first
        carried.certificate = None
        carried.current_stars = None
        this_round.expired_certificate = certificate
        await self._record(
            CaseTransition.CERTIFICATE_EXPIRED,
            actor="system",
            reason=f"expired during {this_round.dossier.registration_kind.value}",
            event=CertificateExpired(
                case=self._facts(),
                certificate_number=certificate.number,
                stars=certificate.stars,
                valid_until=certificate.valid_until,
                registration_kind=this_round.dossier.registration_kind,
                stage=this_round.stage,
            ),
            recipients=producer(this_round.dossier),
            certificate=CertificateChange(
                certificate=certificate,
                status=CertificateStatus.EXPIRED,
                ended_on=certificate.valid_until,
                end_reason=f"expired during {this_round.dossier.registration_kind.value}",
            ),
        )
        self._stage.upsert_search_attributes()

    async def take_held(self, held: HeldCertificate) -> None:
        """Start certified with a certificate issued before the case (the register's line):
        recorded, and its holder told when the reminders will come."""
        self._state.round.active = False
        await self._stage.move_to(CaseStage.CERTIFIED, held.level)
        certificate = held.certificate()
        period = ValidityPeriod(valid_from=held.valid_from, valid_until=held.valid_until)
        today = self._time.today()
        upcoming = [
            day
            for _, day in reminder_dates(period, self._input.policy.reminder_days)
            if day > today
        ]
        await self._record(
            CaseTransition.CERTIFICATE_LOADED,
            actor=self._input.submitted_by or "register",
            event=CertificateLoaded(
                case=self._facts(),
                certificate_number=held.number,
                stars=held.stars,
                authority=held.authority,
                decision_number=held.decision_number,
                valid_until=held.valid_until,
                first_reminder=upcoming[0] if upcoming else None,
            ),
            recipients=producer(self._state.round.dossier),
            decision=held.decision(),
            certificate=CertificateChange(certificate=certificate, status=CertificateStatus.ACTIVE),
        )

    def holds_valid_certificate(self) -> bool:
        return self._state.carried.certificate is not None and not self._state.round.revoked

    async def run(self) -> LifecycleInput | None:
        """Remind, then lapse at expiry, unless an application or a revocation comes first.

        Returns the next round's input when an application came, else None (the run ends).
        """
        carried, requests = self._state.carried, self._state.round.requests
        while self.holds_valid_certificate():
            certificate = carried.certificate
            assert certificate is not None
            period = ValidityPeriod(
                valid_from=certificate.valid_from, valid_until=certificate.valid_until
            )
            today = self._time.today()
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
                if carried.certificate is certificate:
                    carried.certificate = certificate.model_copy(
                        update={"reminders_sent": (*certificate.reminders_sent, *passed)}
                    )
                continue
            wake_day = due[0][1] if due else period.expires_on
            self._state.round.next_deadline = NextDeadline(
                what="expiry reminder" if due else "certificate expiry",
                due=start_of_day(wake_day),
            )
            self._stage.upsert_search_attributes()
            await self._time.wait_until(
                lambda: requests.application is not None or self._state.round.revoked,
                start_of_day(wake_day),
            )
            if requests.application is not None and not self._state.round.revoked:
                return self._next_round_input(requests.application)
        return None

    async def _remind(
        self,
        certificate: Certificate,
        days_before: int,
        period: ValidityPeriod,
        on_schedule: bool = True,
    ) -> None:
        await self._record(
            CaseTransition.EXPIRY_REMINDER,
            occasion=days_before,
            actor="system",
            event=ExpiryReminder(
                case=self._facts(),
                certificate_number=certificate.number,
                stars=certificate.stars,
                valid_until=certificate.valid_until,
                # On schedule the letter states the official offset; a wake-up a few
                # business hours late must not make "30 days" read "29 days".
                days_left=days_before
                if on_schedule
                else (period.expires_on - self._time.today()).days,
            ),
            recipients=producer(self._state.round.dossier),
            details={"days_before_expiry": days_before},
        )

    async def _lapse(self, certificate: Certificate) -> None:
        carried = self._state.carried
        carried.certificate = None
        carried.current_stars = None
        await self._stage.move_to(CaseStage.LAPSED, certificate.level)
        self._state.round.next_deadline = None
        await self._record(
            CaseTransition.CERTIFICATE_LAPSED,
            actor="system",
            reason="expired without re-evaluation",
            event=Lapsed(
                case=self._facts(),
                certificate_number=certificate.number,
                stars=certificate.stars,
                valid_until=certificate.valid_until,
            ),
            recipients=producer(self._state.round.dossier),
            certificate=CertificateChange(
                certificate=certificate,
                status=CertificateStatus.LAPSED,
                ended_on=certificate.valid_until,
                end_reason="expired without re-evaluation",
            ),
        )

    async def revoke(self, decision: RevocationDecision) -> None:
        """End the certificate now, in a round or between rounds (the `revoke` Update)."""
        carried, this_round = self._state.carried, self._state.round
        certificate = carried.certificate
        if certificate is None or this_round.revoked:
            raise ApplicationError("there is no valid certificate to revoke", type="WrongStage")
        this_round.revoked = True
        carried.certificate = None
        carried.current_stars = None
        record = DecisionRecord(
            kind=DecisionKind.REVOCATION,
            level=certificate.level,
            authority=decision.authority,
            number=decision.decision_number,
            decided_on=decision.decided_on,
            summary=f"revoked: {decision.grounds.value}",
        )
        carried.decisions = (*carried.decisions, record)
        # A round in progress keeps its own stage; it ends without the old certificate.
        if not this_round.active:
            await self._stage.move_to(CaseStage.REVOKED, certificate.level)
            this_round.next_deadline = None
        await self._record(
            CaseTransition.CERTIFICATE_REVOKED,
            actor=this_round.actor_of(contract.REVOKE.name, decision.authority),
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
            recipients=producer(this_round.dossier),
            decision=record,
            certificate=CertificateChange(
                certificate=certificate,
                status=CertificateStatus.REVOKED,
                ended_on=decision.decided_on,
                end_reason=decision.grounds.value,
            ),
        )

    def _next_round_input(self, application: Application) -> LifecycleInput:
        """The application's round, on its own rules if it names any, carrying the case on."""
        return LifecycleInput(
            dossier=application.dossier,
            rulebook=application.rulebook or self._input.rulebook,
            policy=application.policy or self._input.policy,
            councils=application.councils or self._input.councils,
            administrators=self._input.administrators,
            cycle_year=application.cycle_year,
            cycle_workflow_id=application.cycle_workflow_id,
            dossier_number=application.dossier_number,
            carried=self._state.carried_to_next_round(),
            criteria=next_round_table(
                application, self._input.criteria, application.rulebook or self._input.rulebook
            ),
        )

    def with_current_clock(self, next_input: LifecycleInput) -> LifecycleInput:
        """A paced calendar may have moved while the round settled: carry where it stands."""
        carried = next_input.carried
        if carried is None or carried.clock is self._state.clock:
            return next_input
        return next_input.model_copy(
            update={"carried": carried.model_copy(update={"clock": self._state.clock})}
        )

"""Every transition of a case: one register write, then its email, each in decision order.

Register writes run one at a time (a lock), so the audit log reads in the order the
case decided. They are local activities: the write runs in the workflow task that
decided it, so an Update answers once the register holds its step without a round trip
through the server, and a write costs one marker in the history instead of an activity's
three events and the workflow task that followed. Emails go through an outbox sent by a
coroutine of their own, so an SMTP outage delays letters but never the case, and each
inbox reads in the order of events.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.case import view
from workflows.case.letters import administrators, case_facts
from workflows.case.revision import lean_round
from workflows.case.state import LifecycleState
from workflows.case.timekeeping import CaseTime

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from activities.register import RegisterActivities
    from models.case import DecisionRecord, LifecycleInput
    from models.events import CaseEvent, CaseFacts, Notification, Recipient
    from models.records import CaseRecord, CertificateChange, JsonScalar, ScorecardEntry
    from models.transitions import CaseTransition
    from models.transitions import action as transition_action

REGISTER_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
NOTIFY_HEARTBEAT = timedelta(seconds=15)
"""The email activity heartbeats while it talks to SMTP: a worker that dies mid-send
is noticed after this, and the send retried, instead of after the 2-minute timeout."""


class TransitionRecorder:
    def __init__(self, input: LifecycleInput, state: LifecycleState, time: CaseTime) -> None:
        self._input = input
        self._state = state
        self._time = time
        self._register_lock = asyncio.Lock()
        self._outbox: list[Notification] = []
        self._sending = False
        self.writes_pending = 0
        """Transitions decided and not yet in the register (the `status` query shows it)."""

    @property
    def emails_queued(self) -> int:
        """Notifications not yet handed to SMTP, the one being sent included."""
        return len(self._outbox) + int(self._sending)

    def facts(self) -> CaseFacts:
        """What a letter written now says about the case."""
        return case_facts(
            workflow.info().workflow_id,
            self._state.round.dossier,
            self._state.carried.round_number,
            self._time.today(),
            self._input.dossier_number,
        )

    async def record(
        self,
        transition: CaseTransition,
        *,
        occasion: str | int | None = None,
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
        action = transition_action(transition, occasion)
        carried = self._state.carried
        carried.event_seq += 1
        # The register's idempotency key: a retried write of this transition finds it.
        key = f"{carried.case_id}:r{carried.round_number}:{carried.event_seq:05d}:{action}"
        workflow_id = workflow.info().workflow_id
        record = CaseRecord(
            key=key,
            workflow_id=workflow_id,
            case_id=carried.case_id,
            occurred_at=self._time.now(),
            actor=actor,
            action=action,
            reason=reason,
            details=details or {},
            product=view.product_snapshot(self._state, workflow_id),
            round=view.round_snapshot(self._state, self._input),
            scorecard=scorecard,
            decision=decision,
            certificate=certificate,
        )
        if event is not None and recipients:
            self._outbox.append(
                Notification(
                    key=key,
                    workflow_id=workflow_id,
                    event=event,
                    recipients=recipients,
                    administrators=administrators(self._input),
                )
            )
        self.writes_pending += 1
        try:
            async with self._register_lock:
                await write_record(record)
        finally:
            self.writes_pending -= 1

    async def send_emails_in_order(self) -> None:
        """Send queued emails one at a time, for as long as the run lasts."""
        while True:
            await workflow.wait_condition(lambda: bool(self._outbox))
            self._sending = True
            notification = self._outbox.pop(0)
            try:
                await workflow.execute_activity_method(
                    NotificationActivities.send_notification,
                    notification,
                    start_to_close_timeout=timedelta(minutes=2),
                    heartbeat_timeout=NOTIFY_HEARTBEAT,
                    retry_policy=NOTIFY_RETRY,
                )
            except ActivityError as error:
                # Not retryable: refused for good or unconfirmed, in the ledger, and the
                # administrators alerted. A letter never holds the case.
                workflow.logger.warning("Email %s not delivered: %s", notification.key, error.cause)
            finally:
                self._sending = False

    def all_sent(self) -> bool:
        return not self._outbox and not self._sending


async def write_record(record: CaseRecord) -> None:
    """One transition into the register; idempotent by its key, so a retry finds it."""
    if lean_round():
        await workflow.execute_local_activity_method(
            RegisterActivities.write_case_record,
            record,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=REGISTER_RETRY,
        )
    else:
        await workflow.execute_activity_method(
            RegisterActivities.record_case_event,
            record,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=REGISTER_RETRY,
        )

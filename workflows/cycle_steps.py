"""The annual cycle's steps outside itself: each of its activities, with its timeouts
and retries, as the cycle workflow (and its launcher) calls them.

Called by method reference (`CycleActivities.…`), so the activity names come from
`contracts/cycle.py` through the activities' own registration; the report's email goes
through the lifecycle's `send_notification`, named by `contracts/case.py`. Each step
schedules exactly the activities it did when it lived in the workflow, in the same
order and with the same options (a heartbeat timeout on the report's email aside: options
are not compared on replay): recorded histories replay unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.cycle import CycleActivities
    from contracts.case import SEND_NOTIFICATION
    from models.case import Contact
    from models.cycle import CycleReport, DecisionSummary, UnrecognisedProduct
    from models.cycle_decisions import PlannedDecision, RecognitionBatch, RecognitionOutcome
    from models.cycle_messages import CaseOpened, CloseCycle, CycleAuditEntry, CycleCaseRequest
    from models.cycle_settings import CycleInput, ScheduledOpening
    from models.events import (
        CycleReported,
        Notification,
        Recipient,
        RecipientRole,
        RecognitionIncomplete,
    )
    from models.signed import SignedAction

OPEN_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10), maximum_attempts=10)
REGISTER_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
FANOUT_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
FANOUT_HEARTBEAT = timedelta(seconds=30)
"""The fan-out heartbeats after every product, each bounded by its own time limit
(`PRODUCT_RECOGNITION_TIMEOUT`): a worker lost mid-batch is noticed within this."""
FANOUT_HEARTBEAT_BEFORE = timedelta(minutes=2)
"""Cycles that started before per-product heartbeats keep the options they recorded."""
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
NOTIFY_HEARTBEAT = timedelta(seconds=15)
"""As the lifecycle's letters: a worker dying mid-send is noticed after this."""


async def open_case(request: CycleCaseRequest) -> CaseOpened:
    """Start the product's case, or apply on its running one (`open_cycle_case`)."""
    return await workflow.execute_activity_method(
        CycleActivities.open_cycle_case,
        request,
        start_to_close_timeout=timedelta(seconds=60),
        retry_policy=OPEN_RETRY,
    )


async def fan_out(
    plan: PlannedDecision,
    *,
    chunk: int,
    concurrency: int,
    heartbeat_timeout: timedelta = FANOUT_HEARTBEAT_BEFORE,
    opened_by: SignedAction | None = None,
    opening_digest: str = "",
    province: str = "",
) -> list[RecognitionOutcome]:
    """Recognise every product the decision lists: one `recognise_batch` activity per
    `chunk` products, one after the other, each `concurrency` products at a time."""
    header = plan.model_copy(update={"items": ()})
    outcomes: list[RecognitionOutcome] = []
    for start in range(0, len(plan.items), chunk):
        result = await workflow.execute_activity_method(
            CycleActivities.recognise_batch,
            RecognitionBatch(
                decision=header,
                items=plan.items[start : start + chunk],
                concurrency=concurrency,
                opened_by=opened_by,
                opening_digest=opening_digest,
                province=province,
            ),
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=heartbeat_timeout,
            retry_policy=FANOUT_RETRY,
        )
        outcomes.extend(result.outcomes)
    return outcomes


async def record(entry: CycleAuditEntry) -> None:
    """Write one line of the cycle's story to the register (`record_cycle_event`)."""
    await workflow.execute_activity_method(
        CycleActivities.record_cycle_event,
        entry,
        start_to_close_timeout=timedelta(seconds=60),
        retry_policy=REGISTER_RETRY,
    )


async def send_unrecognised(
    cycle: CycleInput,
    decision: DecisionSummary,
    products: Sequence[UnrecognisedProduct],
    attempt: int,
    today: date,
) -> None:
    """Tell every administrator, in their language, which products a decision could not
    recognise and why (once per decision and attempt: the key says which)."""
    cycle_id = workflow.info().workflow_id
    await workflow.execute_activity(
        SEND_NOTIFICATION.name,
        Notification(
            key=f"{cycle_id}:unrecognised:{decision.authority_key}:{decision.number}:{attempt}",
            workflow_id=cycle_id,
            event=RecognitionIncomplete(
                reference=cycle_id,
                province=cycle.province,
                year=cycle.year,
                occurred_on=today,
                authority=decision.authority,
                decision_number=decision.number,
                decided_on=decision.decided_on,
                listed=decision.listed,
                recognised=decision.recognised,
                products=tuple(products),
            ),
            recipients=_administrators(cycle.administrators),
        ),
        result_type=SEND_NOTIFICATION.result,
        start_to_close_timeout=timedelta(minutes=2),
        retry_policy=NOTIFY_RETRY,
    )


def _administrators(administrators: Sequence[Contact]) -> tuple[Recipient, ...]:
    return tuple(
        Recipient(
            email=admin.email,
            name=admin.name,
            language=admin.language,
            role=RecipientRole.ADMINISTRATOR,
        )
        for admin in administrators
    )


async def send_report(
    cycle_id: str,
    report: CycleReport,
    closing: CloseCycle,
    today: date,
    administrators: Sequence[Contact],
) -> None:
    """Email the closing report to every administrator, in their language.

    A report the server refuses for good (or never confirms) is in the ledger and
    alerted on; the cycle still closes.
    """
    readers = tuple(
        Recipient(
            email=admin.email,
            name=admin.name,
            language=admin.language,
            role=RecipientRole.ADMINISTRATOR,
        )
        for admin in administrators
    )
    try:
        await workflow.execute_activity(
            SEND_NOTIFICATION.name,
            Notification(
                key=f"{cycle_id}:report",
                workflow_id=cycle_id,
                event=CycleReported(
                    reference=cycle_id,
                    occurred_on=today,
                    closed_by=closing.closed_by,
                    reason=closing.reason,
                    report=report,
                ),
                recipients=readers,
                administrators=readers,
            ),
            result_type=SEND_NOTIFICATION.result,
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=NOTIFY_HEARTBEAT,
            retry_policy=NOTIFY_RETRY,
        )
    except ActivityError as error:
        workflow.logger.warning("Cycle report %s not delivered: %s", cycle_id, error.cause)


async def start_scheduled_cycle(request: ScheduledOpening) -> str:
    """Start the year's cycle of a signed schedule unless it exists; the cycle's id."""
    return await workflow.execute_activity_method(
        CycleActivities.start_scheduled_cycle,
        request,
        start_to_close_timeout=timedelta(seconds=60),
        retry_policy=OPEN_RETRY,
    )


async def start_cycle(opening: CycleInput) -> str:
    """Start the year's cycle unless it exists (`start_cycle`); the cycle's id."""
    return await workflow.execute_activity_method(
        CycleActivities.start_cycle,
        opening,
        start_to_close_timeout=timedelta(seconds=60),
        retry_policy=OPEN_RETRY,
    )

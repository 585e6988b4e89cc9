"""What the annual cycle does outside itself: open cases, recognise in batches, record.

Every activity here may run twice and must leave one result:

- `open_cycle_case` starts the product's lifecycle workflow, or applies on its running
  case. A retry finds the case it started (the memo names the cycle) or the round it
  applied for (the case's status names the cycle) and reports success again.
- `recognise_batch` sends the `recognise` Update to each product of a decision,
  `concurrency` at a time (`activities/recognition.py`), heartbeating every outcome
  after each product (a retried attempt resumes from them). A product whose certificate
  already comes from this decision is not asked again; one that cannot take the Update
  (frozen, ended, refusing) is listed with why, and the batch goes on without it; one
  that is only slow is waited for.
- `record_cycle_event` writes one audit line; its key makes a second write a no-op.
- `start_cycle` starts a year's cycle for the yearly schedule (`infra/cycles.py`); one
  already started (or already run) for that year is left as it is.

The activities register under the names in `contracts/cycle.py` and reach a product's
case by its id and the names in `contracts/case.py`: no workflow module is imported
here (the cycle workflow imports this one, to call the activities by reference).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.criteria_tables import pinned_tables, with_group_table
from activities.recognition import CaseHandle, ProductRecognition, not_recognised, workflows_now
from contracts import case, cycle
from contracts.refs import query, update
from infra.action_keys import ActionKeys
from infra.criteria_store import CriteriaStore
from infra.cycles import start_cycle_workflow
from infra.refusals import explain_refusal
from infra.waiting import StillWaitingError, poll_until
from models import register as tables
from models.actors import cycle_administration_refusal
from models.assertions import payload_digest, verify_standing
from models.cycle import RecognitionFailure
from models.cycle_decisions import (
    RecognitionBatch,
    RecognitionBatchResult,
    RecognitionItem,
    resumed_outcomes,
)
from models.cycle_messages import CaseOpened, CycleAuditEntry, CycleCaseRequest, OpenAction
from models.cycle_rules import (
    continuation_refusal,
    round_of_cycle,
    started_by_cycle,
)
from models.cycle_settings import (
    CycleInput,
    ScheduledOpening,
    standing_payload,
    with_working_calendar,
)
from models.errors import Refusal


def refused(message: str, kind: str) -> ApplicationError:
    """A refusal the cycle passes on to the submitter: retrying would not change it."""
    return ApplicationError(message, type=kind, non_retryable=True)


class CycleActivities:
    """Holds the Temporal client (to reach cases), the register and the task queue."""

    def __init__(
        self,
        client: Client,
        sessions: async_sessionmaker[AsyncSession],
        task_queue: str,
        keys: ActionKeys,
        criteria: CriteriaStore | None = None,
    ) -> None:
        self._client = client
        # The province's tables of criteria, which a cycle pins and its cases take.
        self._criteria = criteria
        # Signs what the cycle does in people's names: a producer's application it
        # passes on, an authority's batch decision on each listed case.
        self._keys = keys
        self._sessions = sessions
        self._task_queue = task_queue
        self._recognition = ProductRecognition(client, keys)

    def all(self) -> Sequence[Callable[..., Any]]:
        return (
            self.open_cycle_case,
            self.recognise_batch,
            self.record_cycle_event,
            self.start_cycle,
            self.start_scheduled_cycle,
        )

    # ------------------------------------------------------------- open a case

    @activity.defn(name=cycle.OPEN_CYCLE_CASE.name)
    async def open_cycle_case(self, request: CycleCaseRequest) -> CaseOpened:
        """Start the product's case, or apply on its certified case; refuse otherwise."""
        request = with_group_table(self._criteria, request)
        dossier = request.case.dossier
        workflow_id = case.product_workflow_id(dossier.province, dossier.product_code)
        handle = self._client.get_workflow_handle(workflow_id)
        for _ in range(3):
            running = await _running(handle)
            if running is None:
                try:
                    await self._client.start_workflow(
                        case.WORKFLOW_TYPE,
                        request.case,
                        id=workflow_id,
                        task_queue=self._task_queue,
                        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                        memo={case.CYCLE_MEMO: request.cycle_workflow_id},
                    )
                except WorkflowAlreadyStartedError:
                    continue  # started meanwhile, perhaps by an earlier attempt: look again
                return CaseOpened(workflow_id=workflow_id, action=OpenAction.STARTED)
            # The cycle refuses a product twice, so a case it started is this submission's.
            memo = await running.memo()
            if started_by_cycle(memo.get(case.CYCLE_MEMO), request.cycle_workflow_id):
                return CaseOpened(workflow_id=workflow_id, action=OpenAction.STARTED)
            return await self._continue_case(handle, request)
        raise ApplicationError(f"{workflow_id} kept changing while it was being opened; retrying")

    async def _continue_case(self, handle: CaseHandle, request: CycleCaseRequest) -> CaseOpened:
        dossier = request.case.dossier
        status = await query(handle, case.STATUS)
        if round_of_cycle(status, request.cycle_workflow_id):
            return CaseOpened(workflow_id=handle.id, action=_action(request))
        refusal = continuation_refusal(
            dossier.product_code, handle.id, status, applying=request.application is not None
        )
        if refusal is not None:
            raise refused(refusal.message, refusal.type)
        assert request.application is not None  # the rule refuses a continuation without one
        try:
            signed = None
            if request.actor is not None:
                signed = self._keys.sign(
                    request.actor,
                    action=case.APPLY.name,
                    workflow_id=handle.id,
                    payload=request.application,
                    now=workflows_now(),
                )
            await update(handle, case.APPLY, request.application, signed)
        except WorkflowUpdateFailedError as error:
            if await _became_ours(handle, request.cycle_workflow_id):
                return CaseOpened(workflow_id=handle.id, action=OpenAction.APPLIED)
            raise refused(explain_refusal(error), "ApplicationRefused") from None
        return CaseOpened(workflow_id=handle.id, action=OpenAction.APPLIED)

    # --------------------------------------------------------------- recognise

    @activity.defn(name=cycle.RECOGNISE_BATCH.name)
    async def recognise_batch(self, batch: RecognitionBatch) -> RecognitionBatchResult:
        """Recognise each listed product, `concurrency` at a time, heartbeating after each.

        A product that cannot take the Update (frozen, ended, refusing, too slow) is
        reported with why and never fails the batch. The heartbeat carries every outcome
        so far, so a retried attempt asks only the products still unanswered.
        """
        decision = batch.decision
        unopened = self._opening_refusal(batch)
        if unopened is not None:  # nobody may sign in the authority's name for this cycle
            return RecognitionBatchResult(
                outcomes=tuple(
                    not_recognised(item, RecognitionFailure.REFUSED, unopened)
                    for item in batch.items
                )
            )
        done = resumed_outcomes(activity.info().heartbeat_details, batch.items)
        said = {code: outcome.model_dump(mode="json") for code, outcome in done.items()}
        gate = asyncio.Semaphore(batch.concurrency)

        async def one(item: RecognitionItem) -> None:
            async with gate:
                outcome = await self._recognition.recognise(
                    decision, item, lambda: activity.heartbeat(list(said.values()))
                )
                done[item.product_code] = outcome
                said[item.product_code] = outcome.model_dump(mode="json")
                activity.heartbeat(list(said.values()))

        await asyncio.gather(*(one(item) for item in batch.items if item.product_code not in done))
        return RecognitionBatchResult(
            outcomes=tuple(done[item.product_code] for item in batch.items)
        )

    def _opening_refusal(self, batch: RecognitionBatch) -> str | None:
        """Why the cycle may not have its decisions signed: it was not opened (or scheduled)
        by a verified administrator of its province, over this very input."""
        opened = verify_standing(
            batch.opened_by,
            self._keys.public_keyset(),
            action=cycle.OPEN_CYCLE,
            workflow_id=activity.info().workflow_id or "",
            digest=batch.opening_digest,
        )
        if isinstance(opened, Refusal):
            return opened.message
        refusal = cycle_administration_refusal(opened.actor, batch.province)
        return refusal.message if refusal is not None else None

    # ------------------------------------------------------------------ record

    @activity.defn(name=cycle.RECORD_CYCLE_EVENT.name)
    async def record_cycle_event(self, entry: CycleAuditEntry) -> bool:
        """Write one audit line of the cycle; False when it was written before."""
        try:
            async with self._sessions.begin() as session:
                if await _recorded(session, entry.key):
                    return False
                session.add(
                    tables.AuditEventRow(
                        event_key=entry.key,
                        workflow_id=entry.workflow_id,
                        product_id=None,
                        actor=entry.actor[:200],
                        action=entry.action,
                        reason=entry.reason or None,
                        details=entry.details,
                        occurred_at=entry.occurred_at,
                    )
                )
        except IntegrityError:
            async with self._sessions() as session:
                if await _recorded(session, entry.key):
                    return False
            raise
        return True

    # ------------------------------------------------------------- start cycle

    @activity.defn(name=cycle.START_CYCLE.name)
    async def start_cycle(self, request: CycleInput) -> str:
        """Start the year's cycle unless it exists (running or already run)."""
        handle, started = await start_cycle_workflow(
            self._client, request, self._task_queue, existing_ok=True
        )
        activity.logger.info(
            "cycle %s %s", handle.id, "started" if started else "exists already; left as it is"
        )
        return handle.id

    @activity.defn(name=cycle.START_SCHEDULED_CYCLE.name)
    async def start_scheduled_cycle(self, request: ScheduledOpening) -> str:
        """Open the scheduled year's cycle, signed as the administrator who signed the
        schedule; a schedule nobody verified signed opens nothing."""
        schedule = request.schedule
        signed = verify_standing(
            schedule.scheduled_by,
            self._keys.public_keyset(),
            action=cycle.SCHEDULE_CYCLES,
            workflow_id=cycle.launcher_workflow_id(schedule.province),
            digest=payload_digest(standing_payload(schedule)),
        )
        if isinstance(signed, Refusal):
            raise refused(signed.message, signed.type)
        refusal = cycle_administration_refusal(signed.actor, schedule.province)
        if refusal is not None:
            raise refused(refusal.message, refusal.type)
        opening = pinned_tables(self._criteria, with_working_calendar(request.opening))
        opened_by = self._keys.sign(
            signed.actor,
            action=cycle.OPEN_CYCLE,
            workflow_id=cycle.cycle_workflow_id(opening.province, opening.year),
            payload=standing_payload(opening),
        )
        return await self.start_cycle(opening.model_copy(update={"opened_by": opened_by}))


def _action(request: CycleCaseRequest) -> OpenAction:
    return OpenAction.APPLIED if request.application is not None else OpenAction.STARTED


async def _running(handle: CaseHandle) -> WorkflowExecutionDescription | None:
    """The description of the product's running case, or None if it has none."""
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if description.status != WorkflowExecutionStatus.RUNNING:
        return None
    return description


async def _became_ours(handle: CaseHandle, cycle_workflow_id: str, within: float = 3.0) -> bool:
    """After a refused application: did an earlier attempt's application open our round?"""

    async def ours() -> bool | None:
        return True if round_of_cycle(await query(handle, case.STATUS), cycle_workflow_id) else None

    try:
        return await poll_until(ours, within=within, every=0.2, what="the case's new round")
    except StillWaitingError:
        return False


async def _recorded(session: AsyncSession, key: str) -> bool:
    found = await session.scalar(
        select(tables.AuditEventRow.id).where(tables.AuditEventRow.event_key == key)
    )
    return found is not None

"""Recognising one product of a batch decision: the `recognise` Update on its case,
signed in the deciding authority's name, and why not when the case cannot take it.

A case that cannot answer (gone, ended, frozen) is told from one that is only slow:
the first is listed with why so it never holds the others; the second is waited for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from math import ceil
from typing import Any

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from contracts import case
from contracts.refs import query, update
from infra.action_keys import ActionKeys
from infra.refusals import explain_refusal
from infra.waiting import is_busy
from models.actors import batch_authority
from models.case import CaseStatus, RecognitionDecision
from models.certificate_numbers import CERTIFICATE_NUMBER_TAKEN
from models.cycle import RecognitionFailure
from models.cycle_decisions import (
    PRODUCT_RECOGNITION_LIMIT,
    PRODUCT_RECOGNITION_TIMEOUT,
    PlannedDecision,
    RecognitionItem,
    RecognitionOutcome,
    RecognitionResult,
)
from models.cycle_rules import batch_recognition_refusal, recognised_by
from models.frozen import FROZEN_AFTER, is_frozen

CaseHandle = WorkflowHandle[Any, Any]
"""A product's case, reached by id and contract names: activities import no workflow."""


def workflows_now() -> datetime:
    """Now as the workflows will see it, for signing what the cycle sends them.

    The server's clock when it runs ahead of ours (a time-skipping test server: the
    attempt was scheduled "later" than our now), else ours; the case's validator checks
    a signed action's expiry against its own clock.
    """
    real = datetime.now(UTC)
    return max(real, activity.info().current_attempt_scheduled_time)


class ProductRecognition:
    """Signs and sends a batch decision to one product's case, and reads the case when
    it does not answer."""

    def __init__(self, client: Client, keys: ActionKeys) -> None:
        self._client = client
        self._keys = keys

    async def recognise(
        self, decision: PlannedDecision, item: RecognitionItem, waiting: Callable[[], None]
    ) -> RecognitionOutcome:
        """One product. A case that cannot answer (gone, ended, frozen) is listed with why
        once a wait finds it so; one that is only slow — every case is, on a saturated
        machine at a decision moment — is waited for (`waiting` heartbeats) on the one
        request already sent, up to `PRODUCT_RECOGNITION_LIMIT`: asking it again would
        only add to what keeps it slow."""
        handle = self._client.get_workflow_handle(item.workflow_id)
        update_id = case.batch_recognition_update_id(decision.number, item.certificate_number)
        asked: asyncio.Task[RecognitionOutcome] | None = None
        try:
            for _ in range(ceil(PRODUCT_RECOGNITION_LIMIT / PRODUCT_RECOGNITION_TIMEOUT)):
                if asked is None:
                    asked = asyncio.create_task(
                        self._recognise_one(handle, decision, item, update_id)
                    )
                done, _ = await asyncio.wait(
                    {asked}, timeout=PRODUCT_RECOGNITION_TIMEOUT.total_seconds()
                )
                if asked in done:
                    try:
                        return asked.result()
                    except RPCTimeoutOrCancelledError:
                        asked = None  # the request itself gave up: the same Update again
                        continue
                    except RPCError as error:
                        if not is_busy(error):
                            raise
                        asked = None  # too busy to answer yet: ask again
                        continue
                # Slow, not yet broken, as long as its task has not failed twice: one
                # attempt timed out on a saturated worker is still a slow case.
                broken = await self._broken(handle, "no answer yet", frozen_after=FROZEN_AFTER)
                if broken is not None:
                    return not_recognised(item, *broken)
                waiting()
        except (RPCError, WorkflowQueryFailedError) as error:
            why = await self._why_unanswered(handle, str(error) or type(error).__name__)
            return not_recognised(item, *why)
        except Exception as error:  # anything else of one case must not fail the batch
            activity.logger.warning("recognising %s failed", item.workflow_id, exc_info=True)
            why = await self._why_unanswered(handle, f"{type(error).__name__}: {error}")
            return not_recognised(item, *why)
        finally:
            if asked is not None and not asked.done():
                asked.cancel()  # the Update stays with the case; only the waiting ends
        limit = int(PRODUCT_RECOGNITION_LIMIT.total_seconds() // 60)
        what = f"no answer within {limit} minutes, though the case is not frozen"
        return not_recognised(item, *await self._why_unanswered(handle, what))

    async def _recognise_one(
        self,
        handle: CaseHandle,
        decision: PlannedDecision,
        item: RecognitionItem,
        update_id: str,
    ) -> RecognitionOutcome:
        closed = await self._closed_or_frozen(handle)
        if closed is not None:
            return not_recognised(item, *closed)
        status = await query(handle, case.STATUS)
        if recognised_by(status, decision):
            return recognised(item, status)
        refusal = batch_recognition_refusal(status, decision)
        if refusal is not None:
            return not_recognised(item, RecognitionFailure.REFUSED, refusal.message)
        try:
            recognition = RecognitionDecision(
                level=decision.level,
                authority=decision.authority,
                decision_number=decision.number,
                decided_on=decision.decided_on,
                certificate_number=item.certificate_number,
            )
            signer = batch_authority(decision.level, decision.authority, decision.authority_key)
            signed = self._keys.sign(
                signer,
                action=case.RECOGNISE.name,
                workflow_id=item.workflow_id,
                payload=recognition,
                now=workflows_now(),
            )
            await update(handle, case.RECOGNISE, recognition, signed, update_id=update_id)
        except WorkflowUpdateFailedError as error:
            status = await query(handle, case.STATUS)
            if recognised_by(status, decision):  # an earlier attempt got there first
                return recognised(item, status)
            return not_recognised(item, _refusal_kind(error), explain_refusal(error))
        status = await query(handle, case.STATUS)
        return recognised(item, status)

    async def _closed_or_frozen(
        self, handle: CaseHandle, frozen_after: int = FROZEN_AFTER
    ) -> tuple[RecognitionFailure, str] | None:
        """Why the case cannot take an Update now (gone, ended, frozen), or None.

        Frozen: its pending workflow task is on its `frozen_after`-th attempt or later (a
        single lost worker makes a second attempt; a task that fails every time soon
        makes more). Asked before the Update, and again after one went unanswered."""
        try:
            found = await self._client.workflow_service.describe_workflow_execution(
                DescribeWorkflowExecutionRequest(
                    namespace=self._client.namespace,
                    execution=WorkflowExecution(workflow_id=handle.id),
                ),
                timeout=PRODUCT_RECOGNITION_TIMEOUT,
            )
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return RecognitionFailure.NOT_FOUND, "the product's case was not found"
            raise
        status = found.workflow_execution_info.status
        if status != WorkflowExecutionStatus.RUNNING.value:
            name = WorkflowExecutionStatus(status).name.lower()
            return RecognitionFailure.CLOSED, f"the product's case has ended ({name})"
        task = found.pending_workflow_task
        attempt = task.attempt if found.HasField("pending_workflow_task") else None
        if is_frozen(attempt, frozen_after):
            return RecognitionFailure.FROZEN, (
                f"the product's case is frozen: its workflow task has failed {task.attempt - 1}"
                " times in a row"
            )
        return None

    async def _why_unanswered(
        self, handle: CaseHandle, what: str
    ) -> tuple[RecognitionFailure, str]:
        """After no answer or an error: is the case gone, ended, frozen, or just slow?"""
        broken = await self._broken(handle, what)
        if broken is not None:
            return broken
        return RecognitionFailure.TIMED_OUT, f"the product's case did not answer ({what[:200]})"

    async def _broken(
        self, handle: CaseHandle, what: str, frozen_after: int = 2
    ) -> tuple[RecognitionFailure, str] | None:
        """Why the case can no longer answer (gone, ended, frozen), or None if it still can."""
        try:
            async with asyncio.timeout(PRODUCT_RECOGNITION_TIMEOUT.total_seconds()):
                found = await self._closed_or_frozen(handle, frozen_after=frozen_after)
        except (TimeoutError, RPCError, RPCTimeoutOrCancelledError):
            found = None
        if found is not None:
            return found
        if "failed state" in what.lower():
            return RecognitionFailure.FROZEN, f"the product's case is frozen ({what[:200]})"
        return None


def recognised(item: RecognitionItem, status: CaseStatus) -> RecognitionOutcome:
    certificate = status.certificate
    return RecognitionOutcome(
        product_code=item.product_code,
        certificate_number=item.certificate_number,
        result=RecognitionResult.RECOGNISED,
        stars=certificate.stars if certificate else None,
    )


def not_recognised(
    item: RecognitionItem, failure: RecognitionFailure, reason: str
) -> RecognitionOutcome:
    return RecognitionOutcome(
        product_code=item.product_code,
        certificate_number=item.certificate_number,
        result=RecognitionResult.SKIPPED,
        reason=reason,
        failure=failure,
    )


def _refusal_kind(error: WorkflowUpdateFailedError) -> RecognitionFailure:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == CERTIFICATE_NUMBER_TAKEN:
        return RecognitionFailure.NUMBER_TAKEN
    return RecognitionFailure.REFUSED

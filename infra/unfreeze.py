"""Unfreezing a case: reset it to its last completed workflow task (`models/frozen.py`)."""

from __future__ import annotations

import uuid

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyType
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    ResetWorkflowExecutionRequest,
)
from temporalio.client import Client, WorkflowExecutionStatus

from models.frozen import unfreeze_refusal


class CannotUnfreezeError(Exception):
    """The case is not frozen, has ended, or has no completed workflow task to go back to."""


async def unfreeze_case(client: Client, workflow_id: str, reason: str) -> str:
    """Reset a frozen case to its last completed workflow task; the new run's id.

    Signals after that point are applied again; a request that froze it is not, since it
    was never in history. Activities the dropped tasks had scheduled run again: they are
    idempotent.
    """
    described = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    running = described.workflow_execution_info.status == WorkflowExecutionStatus.RUNNING.value
    attempt = (
        described.pending_workflow_task.attempt
        if described.HasField("pending_workflow_task")
        else None
    )
    refusal = unfreeze_refusal(running, attempt)
    if refusal is not None:
        raise CannotUnfreezeError(refusal)
    run_id = described.workflow_execution_info.execution.run_id
    last_completed = 0
    async for event in client.get_workflow_handle(
        workflow_id, run_id=run_id
    ).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            last_completed = event.event_id
    if not last_completed:
        raise CannotUnfreezeError("the case never completed a workflow task: start it again")
    reset = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            reason=reason,
            workflow_task_finish_event_id=last_completed,
            request_id=str(uuid.uuid4()),
            reset_reapply_type=ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL,
        )
    )
    return reset.run_id

"""Starting a province's annual cycle from outside Temporal (command line, demo, launcher).

Beside `infra/cases.py`, which does the same for a product's case. The cycle is
reached by the workflow type its contract names, not by the workflow class, so the
cycle's activities (its launcher calls this) never import a workflow module.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from contracts.cycle import WORKFLOW_TYPE, cycle_workflow_id
from models.cycle import CycleReport
from models.cycle_settings import CycleInput

CycleHandle = WorkflowHandle[Any, CycleReport]


async def start_cycle_workflow(
    client: Client, cycle: CycleInput, task_queue: str, *, existing_ok: bool
) -> tuple[CycleHandle, bool]:
    """Start a year's cycle; (handle, True) if started now, (handle, False) if it existed.

    A cycle id is used once: a closed cycle is never started again for the same year.
    Without `existing_ok`, an existing cycle raises WorkflowAlreadyStartedError.
    """
    workflow_id = cycle_workflow_id(cycle.province, cycle.year)
    try:
        handle: CycleHandle = await client.start_workflow(
            WORKFLOW_TYPE,
            cycle,
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            result_type=CycleReport,
        )
    except WorkflowAlreadyStartedError:
        if not existing_ok:
            raise
        return client.get_workflow_handle(workflow_id, result_type=CycleReport), False
    return handle, True

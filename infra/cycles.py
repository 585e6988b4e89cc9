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

from contracts.cycle import (
    OPEN_CYCLE,
    SCHEDULE_CYCLES,
    WORKFLOW_TYPE,
    cycle_workflow_id,
    launcher_workflow_id,
)
from infra.action_keys import ActionKeys
from models.actors import Actor
from models.cycle import CycleReport
from models.cycle_settings import CycleInput, ScheduledCycles, standing_payload

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


def opened_by(keys: ActionKeys, administrator: Actor, cycle: CycleInput) -> CycleInput:
    """The cycle's input signed as opened by `administrator`: its batch decisions are
    signed on each case only for a cycle opened so (`CycleInput.opened_by`)."""
    signed = keys.sign(
        administrator,
        action=OPEN_CYCLE,
        workflow_id=cycle_workflow_id(cycle.province, cycle.year),
        payload=standing_payload(cycle),
    )
    return cycle.model_copy(update={"opened_by": signed})


def scheduled_by(
    keys: ActionKeys, administrator: Actor, request: ScheduledCycles
) -> ScheduledCycles:
    """The schedule's request signed by `administrator`: each year's launch opens the
    cycle in their name (`ScheduledCycles.scheduled_by`)."""
    signed = keys.sign(
        administrator,
        action=SCHEDULE_CYCLES,
        workflow_id=launcher_workflow_id(request.province),
        payload=standing_payload(request),
    )
    return request.model_copy(update={"scheduled_by": signed})

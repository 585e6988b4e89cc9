"""Starting and finding product cases from outside Temporal (command line, cycle, tests)."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from contracts.case import DOSSIER_NUMBER, product_workflow_id
from models.case import LifecycleInput
from models.dossier_numbers import is_dossier_number
from workflows.product_lifecycle import ProductLifecycleWorkflow


class CaseAlreadyOpenError(Exception):
    """A product already has a running case; a second submission would duplicate it."""


async def open_case(
    client: Client, case: LifecycleInput, task_queue: str, workflow_id: str | None = None
) -> WorkflowHandle[ProductLifecycleWorkflow, Any]:
    """Start the product's case, or explain why its running case refuses a second one.

    Queries and Updates through the handle reach the latest run; its result follows
    continue-as-new to the case's end.

    The id is derived from province and product code, so the same product can never
    have two cases at once; a product whose earlier case has ended may start again.
    """
    dossier = case.dossier
    case_id = workflow_id or product_workflow_id(dossier.province, dossier.product_code)
    try:
        started = await client.start_workflow(
            ProductLifecycleWorkflow.run,
            case,
            id=case_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
    except WorkflowAlreadyStartedError:
        running = client.get_workflow_handle_for(ProductLifecycleWorkflow.run, case_id)
        status = await running.query(ProductLifecycleWorkflow.status)
        hint = (
            "apply for an upgrade or a re-evaluation on it instead"
            if status.certificate is not None
            else "wait for its round to end"
        )
        raise CaseAlreadyOpenError(
            f"product {dossier.product_code} of {dossier.province} already has an open case "
            f"({case_id}, round {status.round_number}, stage {status.stage.value}); {hint}"
        ) from None
    return started


def case_handle(client: Client, workflow_id: str) -> WorkflowHandle[ProductLifecycleWorkflow, Any]:
    """A handle that follows the case across continue-as-new (no run id pinned)."""
    return client.get_workflow_handle_for(ProductLifecycleWorkflow.run, workflow_id)


async def case_of_dossier_number(client: Client, number: str) -> str | None:
    """The workflow id of the case whose dossier has this number, or None.

    Read from visibility, which follows a start by a moment; a re-evaluated product's
    earlier numbers find its case too (its finished runs keep them)."""
    if not is_dossier_number(number):
        return None
    query = f"{DOSSIER_NUMBER.name} = '{number}'"
    async for execution in client.list_workflows(query, limit=1):
        return execution.id
    return None

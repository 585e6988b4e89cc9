"""`ocop admin unfreeze`: an Update over Temporal's 2 MB limit, from a client other than
ocop's, freezes its case whatever the case answers (the SDK echoes the request, the
server refuses the answer). Resetting the case to its last completed step drops it and
keeps what the case had decided; a case that is not frozen is left alone."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

from benchmarks.hostile.targets import outside_client
from contracts import case
from contracts.refs import query
from infra.cases import open_case
from models.case import CaseStage, ReviewAction, ReviewDecision
from models.frozen import FROZEN_AFTER
from tests.cli_output import ok, refused
from tests.factories import case_input, honey_dossier
from tests.fixtures.cycle import CycleCli
from tests.signing import act, any_signature, reviewer_of
from tests.waiting import eventually

pytestmark = pytest.mark.devserver

OVERSIZED = "x" * 3_000_000


@pytest.mark.timeout(240)
async def test_a_case_frozen_by_an_oversized_update_is_unfrozen_and_decides_again(
    cycle_cli: CycleCli,
) -> None:
    client, province = cycle_cli.client, cycle_cli.province
    dossier = honey_dossier().model_copy(update={"province": province})
    handle = await open_case(client, case_input(dossier), cycle_cli.env["OCOP_TASK_QUEUE"])
    where = (province, dossier.product_code)

    async def in_review() -> bool | None:
        return True if (await query(handle, case.STATUS)).stage == CaseStage.LOCAL_REVIEW else None

    await eventually(in_review, "the case waiting for its review")
    refused(
        await cycle_cli.ocop("admin", "unfreeze", *where, "--reason", "thử"), 1, "is not frozen"
    )
    refused(
        await cycle_cli.ocop("admin", "unfreeze", *where, "--reason", "a\u202eb"),
        2,
        "--reason contains an invisible character (U+202E",
    )

    raw = outside_client(client).get_workflow_handle(handle.id)
    with contextlib.suppress(Exception):  # no answer can come back: that is the point
        async with asyncio.timeout(5):
            oversized = {"action": OVERSIZED, "reviewer": "x"}
            await raw.execute_update(case.REVIEW.name, args=[oversized, any_signature()])

    async def frozen() -> bool | None:
        found = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
            )
        )
        return True if found.pending_workflow_task.attempt >= FROZEN_AFTER else None

    await eventually(frozen, "the case's workflow task failing again and again")

    ok(
        await cycle_cli.ocop("admin", "unfreeze", *where, "--reason", "Update quá cỡ / oversized"),
        "reset to its last completed step",
        "it answers again",
    )
    assert (await query(handle, case.STATUS)).stage == CaseStage.LOCAL_REVIEW
    decision = ReviewDecision(action=ReviewAction.ACCEPT, reviewer="Phòng Nông nghiệp huyện")
    assert (
        await act(handle, reviewer_of(dossier), case.REVIEW, decision) == CaseStage.COUNCIL_SCORING
    )

"""The running cases a person's inbox lists: found by their search attributes, then each
read through the API's status route (its access rule), a few at a time."""

from __future__ import annotations

import asyncio
from typing import Final

from api.portal.outcomes import StepRefused, attempt
from api.routes import cases as case_steps
from api.services import Services
from contracts import case
from models.actors import Actor
from models.case import CaseStatus

READ_AT_ONCE: Final = 10


async def running_cases(
    svc: Services, actor: Actor, clauses: list[str], limit: int
) -> list[CaseStatus]:
    """Where each running case matching `clauses` stands, for the cases `actor` may read
    (values in `clauses` come from patterned scopes and enums: safe to quote)."""
    where = [f"WorkflowType = '{case.WORKFLOW_TYPE}'", "ExecutionStatus = 'Running'", *clauses]
    ids = [e.id async for e in svc.client.list_workflows(" AND ".join(where), limit=limit)]
    gate = asyncio.Semaphore(READ_AT_ONCE)

    async def read(workflow_id: str) -> CaseStatus | None:
        async with gate:
            try:
                return await attempt(case_steps.status(workflow_id, actor, svc))
            except StepRefused:
                return None  # ended, or moved on, since the list was read

    return [status for status in await asyncio.gather(*map(read, ids)) if status is not None]

"""The commune or district office's pages: the dossiers to review at its locality,
soonest deadline first, and the review itself (accept, ask for a supplement, reject)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.portal.cases import CaseId, case_page
from api.portal.outcomes import StepRefused, attempt, validated
from api.portal.rendering import page
from api.portal.session import CheckedForm, PortalActor
from api.routes import cases as case_steps
from api.services import Services, Svc, permit
from contracts import case
from models import actors as access
from models.actors import Actor
from models.case import CaseStage, CaseStatus, ReviewDecision
from models.clock import VIETNAM

router = APIRouter(prefix="/portal", include_in_schema=False)

MAX_INBOX: Final = 100
READ_AT_ONCE: Final = 10
INBOX_STAGES: Final = (CaseStage.LOCAL_REVIEW, CaseStage.AWAITING_SUPPLEMENT)


@dataclass(frozen=True)
class InboxRow:
    case: CaseStatus
    due: datetime | None
    days_left: int | None


def _row(status: CaseStatus) -> InboxRow:
    due = status.next_deadline.due if status.next_deadline else None
    if due is None:
        return InboxRow(status, None, None)
    left = (due.astimezone(VIETNAM).date() - status.as_of.astimezone(VIETNAM).date()).days
    return InboxRow(status, due, left)


async def inbox(svc: Services, actor: Actor) -> list[InboxRow]:
    """The running cases at the office's locality that wait for it or for a supplement."""
    province, locality = actor.scope.province or "", actor.scope.locality or ""
    stages = ", ".join(f"'{stage.value}'" for stage in INBOX_STAGES)
    # Province and locality are Code-patterned in the scope, the stages an enum: safe to quote.
    query = (
        f"WorkflowType = '{case.WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' "
        f"AND {case.PROVINCE.name} = '{province}' AND {case.LOCALITY.name} = '{locality}' "
        f"AND {case.STAGE.name} IN ({stages})"
    )
    ids = [e.id async for e in svc.client.list_workflows(query, limit=MAX_INBOX)]
    gate = asyncio.Semaphore(READ_AT_ONCE)

    async def read(workflow_id: str) -> CaseStatus | None:
        async with gate:
            try:
                return await attempt(case_steps.status(workflow_id, actor, svc))
            except StepRefused:
                return None  # ended or moved on since the list was read

    found = [s for s in await asyncio.gather(*map(read, ids)) if s is not None]
    rows = [_row(s) for s in found if s.stage in INBOX_STAGES]
    return sorted(rows, key=lambda r: (r.due is None, r.due or r.case.as_of))


@router.get("/reviews")
async def reviews(request: Request, actor: PortalActor, svc: Svc) -> Response:
    province, locality = actor.scope.province or "", actor.scope.locality or ""
    try:
        await attempt(
            permit(svc, actor, access.review_refusal(actor, province, locality), "inbox", locality)
        )
    except StepRefused as refusal:
        return page(request, "refused.html.j2", actor, status=refusal.status, refusal=refusal.shown)
    return page(request, "reviews.html.j2", actor, rows=await inbox(svc, actor))


@router.post("/cases/{workflow_id}/review")
async def review(
    request: Request, workflow_id: CaseId, form: CheckedForm, actor: PortalActor, svc: Svc
) -> Response:
    typed = {
        "action": str(form.get("action") or ""),
        "reason": str(form.get("reason") or ""),
        "documents_requested": [str(v) for v in form.getlist("documents_requested")],
    }
    try:
        decision = validated(ReviewDecision, {**typed, "reviewer": actor.display_name})
        await attempt(case_steps.review(workflow_id, decision, actor, svc))
    except StepRefused as refusal:
        return await case_page(request, workflow_id, actor, svc, refusal=refusal, typed=typed)
    return RedirectResponse(f"/portal/cases/{workflow_id}", status_code=303)

"""The commune or district office's pages: the dossiers to review at its locality,
soonest deadline first, and the review itself (accept, ask for a supplement, reject)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.portal.cases import CaseId, case_page
from api.portal.listing import running_cases
from api.portal.outcomes import StepRefused, attempt, refused_page, validated
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
    clauses = [
        f"{case.PROVINCE.name} = '{province}'",
        f"{case.LOCALITY.name} = '{locality}'",
        f"{case.STAGE.name} IN ({stages})",
    ]
    found = await running_cases(svc, actor, clauses, MAX_INBOX)
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
        return refused_page(request, actor, refusal)
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

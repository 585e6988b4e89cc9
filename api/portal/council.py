"""The council's pages: the sessions waiting for this member or secretary, the
scorecard (saved as a draft, then submitted), and closing the session."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete
from starlette.datastructures import FormData

from api.portal.cases import CaseId, case_page
from api.portal.council_view import my_draft
from api.portal.listing import running_cases
from api.portal.outcomes import StepRefused, attempt, validated
from api.portal.rendering import page
from api.portal.session import CheckedForm, PortalActor
from api.routes import cases as case_steps
from api.services import Services, Svc
from contracts import case
from models.actors import Actor, Role
from models.case import CaseStage, CaseStatus, CloseSessionRequest, ScorecardSubmission
from models.register import ScorecardDraftRow

router = APIRouter(prefix="/portal", include_in_schema=False)

MAX_SESSIONS: Final = 100
WHOLE: Final = re.compile(r"^[0-9]{1,3}$")
CARD_FIELDS: Final = ("part_a", "part_b", "part_c", "mandatory_criteria_met", "comment")


async def open_sessions(svc: Services, actor: Actor) -> list[CaseStatus]:
    """The running cases scored now by the council of this person's level."""
    province, level = actor.scope.province or "", actor.scope.level or ""
    clauses = [
        f"{case.PROVINCE.name} = '{province}'",
        f"{case.LEVEL.name} = '{level}'",
        f"{case.STAGE.name} = '{CaseStage.COUNCIL_SCORING.value}'",
    ]
    found = await running_cases(svc, actor, clauses, MAX_SESSIONS)
    return sorted(
        (s for s in found if s.stage == CaseStage.COUNCIL_SCORING and s.level == level),
        key=lambda s: (s.next_deadline.due if s.next_deadline else s.as_of, s.product_code),
    )


@router.get("/council")
async def sessions(request: Request, actor: PortalActor, svc: Svc) -> Response:
    if actor.role not in (Role.COUNCIL_MEMBER, Role.COUNCIL_SECRETARY):
        return page(request, "home.html.j2", actor, status=403)
    found = await open_sessions(svc, actor)
    return page(request, "council.html.j2", actor, cases=found)


def _number(value: Any) -> Any:
    """A form's digits as the whole number they write; anything else as typed, for the
    scorecard's own checks to name."""
    return int(value) if isinstance(value, str) and WHOLE.match(value) else value


def _card_fields(form: FormData) -> dict[str, Any]:
    typed: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in CARD_FIELDS}
    typed["mandatory_criteria_met"] = form.get("mandatory_criteria_met") == "yes"
    return typed


async def _save_draft(
    svc: Services, actor: Actor, status: CaseStatus, typed: dict[str, Any]
) -> None:
    level = status.level or ""
    async with svc.sessions.begin() as session:
        row = await session.scalar(my_draft(actor, status))
        if row is None:
            row = ScorecardDraftRow(
                workflow_id=status.workflow_id,
                level=level,
                attempt=status.session_attempt,
                subject=actor.subject,
            )
            session.add(row)
        row.fields, row.saved_at = typed, datetime.now(UTC)


async def _drop_drafts(svc: Services, actor: Actor, workflow_id: str) -> None:
    async with svc.sessions.begin() as session:
        await session.execute(
            delete(ScorecardDraftRow).where(
                ScorecardDraftRow.workflow_id == workflow_id,
                ScorecardDraftRow.subject == actor.subject,
            )
        )


@router.post("/cases/{workflow_id}/scorecard")
async def scorecard(
    request: Request, workflow_id: CaseId, form: CheckedForm, actor: PortalActor, svc: Svc
) -> Response:
    typed = _card_fields(form)
    try:
        _, _, status = await attempt(case_steps.readable_case(svc, actor, workflow_id))
        card = {
            **{k: _number(v) for k, v in typed.items() if v != ""},
            "member_id": actor.scope.member_id,
            "level": status.level,
        }
        if form.get("intent") == "draft":
            await _save_draft(svc, actor, status, typed)
            return await case_page(request, workflow_id, actor, svc, notice="draft_saved")
        submission = validated(ScorecardSubmission, {"scorecard": card})
        await attempt(case_steps.scorecard(workflow_id, submission, actor, svc))
    except StepRefused as refusal:
        return await case_page(request, workflow_id, actor, svc, refusal=refusal, typed=typed)
    await _drop_drafts(svc, actor, workflow_id)
    return RedirectResponse(f"/portal/cases/{workflow_id}?scored=1", status_code=303)


@router.post("/cases/{workflow_id}/close-session")
async def close_session(
    request: Request, workflow_id: CaseId, form: CheckedForm, actor: PortalActor, svc: Svc
) -> Response:
    try:
        _, _, status = await attempt(case_steps.readable_case(svc, actor, workflow_id))
        closing = validated(
            CloseSessionRequest, {"level": status.level or "", "closed_by": actor.display_name}
        )
        result = await attempt(case_steps.close_session(workflow_id, closing, actor, svc))
    except StepRefused as refusal:
        return await case_page(request, workflow_id, actor, svc, refusal=refusal)
    return await case_page(request, workflow_id, actor, svc, closed=result)

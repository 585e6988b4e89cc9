"""A case's page, for whoever takes part in it, and its documents.

The page is the API's `status` read (with its access rule), the register's timeline in
plain words, the dossier's documents, and the step this person may take now: the
producer's supplement, the office's review.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from api.portal.council_view import session_view
from api.portal.outcomes import StepRefused, attempt, refused_page
from api.portal.rendering import Shown, language, page
from api.portal.session import PortalActor
from api.portal.wording import both
from api.routes import cases as case_steps
from api.services import Services, Svc
from models import actors as access
from models.actors import Actor, CaseAccess
from models.case import CaseStage, CaseStatus, CloseSessionResult, ReviewAction
from models.catalogue import DocumentKind
from models.deadline_rules import escalated_review_refusal
from models.dossier import DocumentRef
from models.dossier_numbers import DOSSIER_NUMBER_PATTERN
from models.register import ApplicantRow, AuditEventRow, ProductRow
from presentation.certificate_pdf import CertificateSheet, certificate_pdf
from presentation.timeline import TimelineLine, timeline_line

router = APIRouter(prefix="/portal/cases", include_in_schema=False)

MAX_TIMELINE = 300

CaseId = Annotated[
    str,
    Path(min_length=1, max_length=200, pattern=rf"^[a-z0-9][a-z0-9-]*$|{DOSSIER_NUMBER_PATTERN}"),
]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


async def timeline(svc: Services, workflow_id: str, request: Request) -> list[TimelineLine]:
    async with svc.sessions() as session:
        rows = await session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.workflow_id == workflow_id)
            .order_by(AuditEventRow.occurred_at, AuditEventRow.id)
            .limit(MAX_TIMELINE)
        )
        found = list(rows)
    lang = language(request)
    return [timeline_line(r.action, r.occurred_at, r.reason, r.details, lang) for r in found]


def steps_open(actor: Actor, found: CaseAccess, status: CaseStatus) -> dict[str, bool]:
    """Which forms the page offers this person now: the access rules' answer for the
    case's stage (the case decides again when the step is sent)."""
    facts = found.facts
    return {
        "supplement": status.stage == CaseStage.AWAITING_SUPPLEMENT
        and access.own_case_refusal(actor, facts) is None,
        "review": status.stage == CaseStage.LOCAL_REVIEW
        and escalated_review_refusal(actor, facts, found.review_escalated) is None,
    }


async def case_page(
    request: Request,
    workflow_id: str,
    actor: Actor,
    svc: Services,
    *,
    refusal: StepRefused | None = None,
    typed: Mapping[str, Any] | None = None,
    notice: str | None = None,
    closed: CloseSessionResult | None = None,
) -> Response:
    """The case as this person may see it; a refused step is shown above its form."""
    try:
        _, found, status = await attempt(case_steps.readable_case(svc, actor, workflow_id))
    except StepRefused as unreadable:
        shown = refusal or unreadable  # the step's own refusal says more than the page's
        return refused_page(request, actor, shown)
    return page(
        request,
        "case.html.j2",
        actor,
        status=refusal.status if refusal else 200,
        refusal=refusal.shown if refusal else None,
        case=status,
        lines=await timeline(svc, status.workflow_id, request),
        steps=steps_open(actor, found, status),
        session=await session_view(svc, actor, found, status),
        typed=typed or {},
        document_kinds=list(DocumentKind),
        review_actions=list(ReviewAction),
        notice=notice or _notice(request),
        closed=closed,
    )


def _notice(request: Request) -> str | None:
    """The word of a step just done, from the address it was sent back to."""
    for key in ("submitted", "scored", "issued"):
        if request.query_params.get(key):
            return key
    return None


@router.get("/{workflow_id}")
async def show(request: Request, workflow_id: CaseId, actor: PortalActor, svc: Svc) -> Response:
    return await case_page(request, workflow_id, actor, svc)


def _attachment(document: DocumentRef) -> str:
    ascii_name = document.file_name.encode("ascii", "replace").decode().replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.file_name)}"


@router.get("/{workflow_id}/documents/{sha256}")
async def document(
    request: Request, workflow_id: CaseId, sha256: Sha256, actor: PortalActor, svc: Svc
) -> Response:
    """A document of the case, for whoever may read the case."""
    try:
        _, _, status = await attempt(case_steps.readable_case(svc, actor, workflow_id))
    except StepRefused as refused:
        return refused_page(request, actor, refused)
    listed = next((d for d in status.documents if d.sha256 == sha256), None)
    chunks = await svc.documents.read(sha256) if listed is not None else None
    if listed is None or chunks is None:
        missing = Shown(
            "Không tìm thấy — not found",
            "hồ sơ không có tài liệu này — the dossier has no such document",
        )
        return refused_page(request, actor, missing, 404)
    return StreamingResponse(
        chunks,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": _attachment(listed),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


async def _holder(svc: Services, workflow_id: str) -> str:
    async with svc.sessions() as session:
        name = await session.scalar(
            select(ApplicantRow.name)
            .join(ProductRow, ProductRow.applicant_id == ApplicantRow.id)
            .where(ProductRow.workflow_id == workflow_id)
        )
    return name or "—"


@router.get("/{workflow_id}/certificate.pdf")
async def certificate(
    request: Request, workflow_id: CaseId, actor: PortalActor, svc: Svc
) -> Response:
    """The case's certificate as a printable PDF, for whoever may read the case."""
    try:
        _, _, status = await attempt(case_steps.readable_case(svc, actor, workflow_id))
    except StepRefused as refused:
        return refused_page(request, actor, refused)
    held = status.certificate
    if held is None:
        none = Shown("Không tìm thấy — not found", both("no_certificate"))
        return refused_page(request, actor, none, 404)
    decision = next((d for d in status.decisions if d.number == held.decision_number), None)
    sheet = CertificateSheet(
        number=held.number,
        product=status.product_name,
        holder=await _holder(svc, status.workflow_id),
        stars=int(held.stars),
        authority=held.authority,
        decision_number=held.decision_number,
        decided_on=decision.decided_on if decision else None,
        valid_from=held.valid_from,
        valid_until=held.valid_until,
    )
    body = await asyncio.to_thread(certificate_pdf, sheet)
    name = f"giay-chung-nhan-ocop-{status.product_code}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )

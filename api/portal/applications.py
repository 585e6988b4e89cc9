"""The producer applies for an upgrade or a re-evaluation of a certified product,
reusing its last dossier: the register's record of the product and its holder, and the
documents the case holds, with new files where the round needs them (the three-year
report of a re-evaluation). The cycle decides on it as on any submission, and the
case's own rules (its window, its stars) refuse what does not fit, in their words."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from api.portal.cases import CaseId, case_page
from api.portal.outcomes import StepRefused, attempt, validated
from api.portal.producer import open_cycle_year
from api.portal.rendering import Shown, page
from api.portal.session import CheckedForm, PortalActor
from api.portal.uploads import Handed, documents_of, kept_value
from api.portal.wording import both
from api.routes import cases as case_steps
from api.routes import cycles as cycle_steps
from api.services import Services, Svc
from models.applicants import RegistrationKind
from models.case import CaseStatus
from models.catalogue import required_documents
from models.dossier import DocumentRef, Dossier
from models.register import ApplicantRow, ProductRow

router = APIRouter(prefix="/portal", include_in_schema=False)

KINDS = (RegistrationKind.UPGRADE, RegistrationKind.REEVALUATION)


async def last_dossier(svc: Services, status: CaseStatus) -> dict[str, Any] | None:
    """The product's last dossier as the register keeps it, without its documents."""
    async with svc.sessions() as session:
        found = (
            await session.execute(
                select(ProductRow, ApplicantRow)
                .join(ApplicantRow, ProductRow.applicant_id == ApplicantRow.id)
                .where(ProductRow.workflow_id == status.workflow_id)
            )
        ).first()
    if found is None:
        return None
    product, holder = found
    return {
        "province": product.province,
        "locality": product.locality,
        "product_code": product.product_code,
        "product_name": product.name,
        "group": product.group_code,
        "product_set": product.set_code,
        "applicant": {
            "name": holder.name,
            "kind": holder.kind,
            "email": holder.email,
            "phone": holder.phone,
            "preferred_language": holder.preferred_language,
        },
    }


def _form(
    request: Request,
    actor: Any,
    status: CaseStatus,
    last: dict[str, Any],
    kind: RegistrationKind,
    kept: list[DocumentRef],
    refusal: StepRefused | None = None,
) -> Response:
    needed = sorted(required_documents(last["group"], kind))
    present = {d.kind for d in kept}
    return page(
        request,
        "apply.html.j2",
        actor,
        status=refusal.status if refusal else 200,
        refusal=refusal.shown if refusal else None,
        case=status,
        kind=kind,
        kinds=KINDS,
        kept=kept,
        kept_value=kept_value,
        missing=[k for k in needed if k not in present],
    )


async def _readable(
    svc: Services, actor: Any, workflow_id: str
) -> tuple[CaseStatus, dict[str, Any]]:
    _, _, status = await attempt(case_steps.readable_case(svc, actor, workflow_id))
    last = await last_dossier(svc, status)
    if last is None or status.certificate is None:
        raise StepRefused(409, Shown(both("refused"), both("no_certificate")))
    return status, last


@router.get("/cases/{workflow_id}/apply")
async def application_form(
    request: Request, workflow_id: CaseId, actor: PortalActor, svc: Svc
) -> Response:
    try:
        status, last = await _readable(svc, actor, workflow_id)
    except StepRefused as refusal:
        return await case_page(request, workflow_id, actor, svc, refusal=refusal)
    wanted = request.query_params.get("kind", RegistrationKind.REEVALUATION.value)
    kind = next((k for k in KINDS if k.value == wanted), RegistrationKind.REEVALUATION)
    return _form(request, actor, status, last, kind, list(status.documents))


@router.post("/cases/{workflow_id}/apply")
async def apply(
    request: Request, workflow_id: CaseId, form: CheckedForm, actor: PortalActor, svc: Svc
) -> Response:
    try:
        status, last = await _readable(svc, actor, workflow_id)
    except StepRefused as refusal:
        return await case_page(request, workflow_id, actor, svc, refusal=refusal)
    kind = next((k for k in KINDS if k.value == form.get("kind")), RegistrationKind.REEVALUATION)
    handed = Handed([], [])
    try:
        handed = await attempt(documents_of(form, svc.documents, status.documents))
        if handed.refused:
            raise StepRefused(422, Shown(both("refused"), " · ".join(handed.refused)))
        fields = {
            **last,
            "registration_kind": kind.value,
            "current_stars": status.current_stars,
            "documents": [d.model_dump(mode="json") for d in handed.documents],
        }
        dossier = validated(Dossier, fields)
        year = await open_cycle_year(svc, dossier.province)
        if year is None:
            raise StepRefused(409, Shown(both("refused"), both("no_open_cycle")))
        await attempt(cycle_steps.submit(dossier.province, year, dossier, actor, svc))
    except StepRefused as refusal:
        return _form(request, actor, status, last, kind, handed.documents, refusal)
    return RedirectResponse(f"/portal/cases/{workflow_id}?submitted=1", status_code=303)

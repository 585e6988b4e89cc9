"""The producer's pages: my products, a new dossier with its documents, a supplement.

Every step goes through the API's own route function (its access rule, its signed
action); the portal adds the forms, the uploads and the completeness check shown before
the dossier is sent.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from api.portal.cases import CaseId, case_page
from api.portal.outcomes import StepRefused, attempt, refused_page, validated
from api.portal.rendering import Shown, page
from api.portal.session import CheckedForm, PortalActor
from api.portal.uploads import Handed, documents_of, kept_value
from api.portal.wording import both
from api.routes import cases as case_steps
from api.routes import cycles as cycle_steps
from api.routes import reads
from api.services import Services, Svc
from contracts import cycle
from contracts.cycle import cycle_workflow_id
from models.actors import Actor
from models.admin_units import UNITS
from models.applicants import ApplicantKind, RegistrationKind
from models.case import CaseStatus, SupplementSubmission
from models.catalogue import PRODUCT_GROUPS, DocumentKind, required_documents
from models.documents import ACCEPTED_WORDS
from models.dossier import DocumentRef, Dossier, missing_documents

router = APIRouter(prefix="/portal", include_in_schema=False)

MAX_STATUSES: Final = 50
"""Products whose stage the list reads at once (the rest link to their page)."""
TEXT_FIELDS: Final = (
    "product_code",
    "product_name",
    "locality",
    "group",
    "product_set",
    "applicant.name",
    "applicant.kind",
    "applicant.phone",
)


async def _stage_of(svc: Services, actor: Actor, workflow_id: str) -> CaseStatus | None:
    try:
        return await attempt(case_steps.status(workflow_id, actor, svc))
    except StepRefused:
        return None


@router.get("/products")
async def products(request: Request, actor: PortalActor, svc: Svc) -> Response:
    try:
        mine = await attempt(reads.my_cases(actor, svc))
    except StepRefused as refusal:
        return refused_page(request, actor, refusal)
    statuses = await asyncio.gather(
        *(_stage_of(svc, actor, p.workflow_id) for p in mine[:MAX_STATUSES])
    )
    rows = list(zip(mine, [*statuses, *[None] * (len(mine) - len(statuses))], strict=True))
    return page(request, "products.html.j2", actor, rows=rows)


async def open_cycle_year(svc: Services, province: str) -> int | None:
    """The year of the province's cycle that takes dossiers now, if one runs."""
    query = (
        f"WorkflowType = '{cycle.WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' "
        f"AND WorkflowId STARTS_WITH 'ocop-cycle-{province}-'"
    )
    years = []
    async for execution in svc.client.list_workflows(query, limit=20):
        year = execution.id.rsplit("-", 1)[-1]
        if year.isdigit() and execution.id == cycle_workflow_id(province, int(year)):
            years.append(int(year))
    return max(years) if years else None


def _form_context(
    svc: Services,
    actor: Actor,
    typed: dict[str, str],
    kept: list[DocumentRef],
    missing: list[DocumentKind] | None,
) -> dict[str, Any]:
    group = next((g for g in PRODUCT_GROUPS if g.code == typed.get("group")), None)
    required = sorted(required_documents(group.code, RegistrationKind.FIRST)) if group else []
    province = actor.scope.province or ""
    return {
        "typed": typed,
        "groups": PRODUCT_GROUPS,
        "group": group,
        "required": required,
        "other_kind": DocumentKind.OTHER,
        "limit_mb": f"{svc.settings.document_max_bytes / (1024 * 1024):g}",
        "kept": kept,
        "kept_value": kept_value,
        "kept_kinds": {d.kind for d in kept},
        "missing": missing,
        "applicant_kinds": list(ApplicantKind),
        "localities": sorted(u.code for u in UNITS.values() if u.parent == province),
        "accepted": ACCEPTED_WORDS,
    }


@router.get("/dossiers/new")
async def new_dossier(
    request: Request,
    actor: PortalActor,
    svc: Svc,
    group: Annotated[str, Query(max_length=64)] = "",
    product_set: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    typed = {name: str(request.query_params.get(name, ""))[:300] for name in TEXT_FIELDS}
    typed.update(group=group, product_set=product_set)
    return page(
        request, "dossier_form.html.j2", actor, **_form_context(svc, actor, typed, [], None)
    )


def _dossier_fields(form: FormData, actor: Actor, handed: Handed) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return {
        "province": actor.scope.province,
        "locality": text("locality"),
        "product_code": text("product_code"),
        "product_name": text("product_name"),
        "group": text("group"),
        "product_set": text("product_set"),
        "applicant": {
            "name": text("applicant.name"),
            "kind": text("applicant.kind"),
            "email": actor.scope.applicant,
            "phone": text("applicant.phone") or None,
        },
        "registration_kind": RegistrationKind.FIRST.value,
        "documents": [d.model_dump(mode="json") for d in handed.documents],
    }


@router.post("/dossiers")
async def submit_dossier(
    request: Request, form: CheckedForm, actor: PortalActor, svc: Svc
) -> Response:
    typed = {name: str(form.get(name) or "")[:300] for name in TEXT_FIELDS}
    handed = Handed([], [])

    def again(refusal: StepRefused, missing: list[DocumentKind] | None = None) -> Response:
        context = _form_context(svc, actor, typed, handed.documents, missing)
        return page(
            request,
            "dossier_form.html.j2",
            actor,
            status=refusal.status,
            refusal=refusal.shown,
            **context,
        )

    try:
        handed = await attempt(documents_of(form, svc.documents))
        dossier = validated(Dossier, _dossier_fields(form, actor, handed))
    except StepRefused as refusal:
        return again(refusal)
    if handed.refused:
        return again(StepRefused(422, Shown(both("refused"), " · ".join(handed.refused))))
    missing = missing_documents(dossier)
    if missing and form.get("send_incomplete") != "yes":
        return again(StepRefused(422, Shown(both("refused"), both("incomplete_held"))), missing)
    year = await open_cycle_year(svc, dossier.province)
    if year is None:
        return again(StepRefused(409, Shown(both("refused"), both("no_open_cycle"))))
    try:
        receipt = await attempt(cycle_steps.submit(dossier.province, year, dossier, actor, svc))
    except StepRefused as refusal:
        return again(refusal)
    return RedirectResponse(f"/portal/cases/{receipt.workflow_id}?submitted=1", status_code=303)


@router.post("/cases/{workflow_id}/supplement")
async def supplement(
    request: Request, workflow_id: CaseId, form: CheckedForm, actor: PortalActor, svc: Svc
) -> Response:
    try:
        handed = await attempt(documents_of(form, svc.documents))
        if handed.refused:
            raise StepRefused(422, Shown(both("refused"), " · ".join(handed.refused)))
        submission = validated(
            SupplementSubmission,
            {"submitted_by": actor.display_name, "documents": handed.documents},
        )
        await attempt(case_steps.supplement(workflow_id, submission, actor, svc))
    except StepRefused as refusal:
        return await case_page(request, workflow_id, actor, svc, refusal=refusal)
    return RedirectResponse(f"/portal/cases/{workflow_id}", status_code=303)

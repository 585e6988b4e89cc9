"""What people read: a producer's own products, an operator's lists and histories, and
the public certificate lookup anyone may ask without signing in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from api.limits import LOOKUP_PER_ADDRESS, client_address
from api.problems import ApiProblem
from api.services import CurrentActor, Svc, case_access, not_found, permit
from contracts.case import WORKFLOW_TYPE
from models import actors as access
from models.actors import Role
from models.case import CaseStage
from models.clock import VIETNAM
from models.public_certificate import STATUS_VI, PublicCertificate, public_status
from models.records import CertificateStatus
from models.register import ApplicantRow, CertificateRow, DecisionRow, ProductRow
from presentation.story import CaseNotFoundError, Story, case_story, render_story

router = APIRouter(tags=["reads"])

CaseId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[a-z0-9][a-z0-9-]*$")]
MAX_LISTED = 500


class ProductCase(BaseModel):
    workflow_id: str
    product_code: str
    product_name: str
    locality: str
    stars: int | None


class CaseRow(BaseModel):
    workflow_id: str
    status: str
    stage: str | None


class StoryAnswer(BaseModel):
    workflow_id: str
    lines: list[str] = Field(description="The story in words, as `ocop history` prints it")
    story: Story = Field(description="The same story as data (`ocop history --json`)")


@router.get("/api/v1/me/cases", response_model=list[ProductCase], summary="My products' cases")
async def my_cases(actor: CurrentActor, svc: Svc) -> list[ProductCase]:
    """A producer's products, by the applicant their account acts for."""
    if actor.role != Role.PRODUCER or actor.scope.applicant is None:
        await permit(svc, actor, access.own_case_refusal(actor, _nobody()), "my_cases", "me")
    async with svc.sessions() as session:
        rows = await session.execute(
            select(ProductRow)
            .join(ApplicantRow, ProductRow.applicant_id == ApplicantRow.id)
            .where(func.lower(ApplicantRow.email) == actor.scope.applicant)
            .where(ProductRow.province == actor.scope.province)
            .order_by(ProductRow.product_code)
            .limit(MAX_LISTED)
        )
        products = rows.scalars().all()
    return [
        ProductCase(
            workflow_id=p.workflow_id,
            product_code=p.product_code,
            product_name=p.name,
            locality=p.locality,
            stars=p.current_stars,
        )
        for p in products
    ]


def _nobody() -> access.CaseFacts:
    return access.CaseFacts(workflow_id="-", province="-", locality="-", level=None, applicant="-")


@router.get("/api/v1/cases", response_model=list[CaseRow], summary="The province's cases")
async def list_cases(
    actor: CurrentActor,
    svc: Svc,
    stage: Annotated[CaseStage | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED)] = 100,
) -> list[CaseRow]:
    """For the province's operators, newest first."""
    province = actor.scope.province or ""
    await permit(svc, actor, access.operator_read_refusal(actor, province), "list", province or "-")
    # Both values are checked (a Code pattern, an enum): safe to quote in the query.
    clauses = [f'WorkflowType = "{WORKFLOW_TYPE}"', f'OcopProvince = "{province}"']
    if stage is not None:
        clauses.append(f'OcopStage = "{stage.value}"')
    found = []
    async for execution in svc.client.list_workflows(" AND ".join(clauses), limit=limit):
        stages = execution.typed_search_attributes
        found.append(
            CaseRow(
                workflow_id=execution.id,
                status=execution.status.name.lower() if execution.status else "unknown",
                stage=next(
                    (str(pair.value) for pair in stages if pair.key.name == "OcopStage"), None
                ),
            )
        )
    return found


@router.get(
    "/api/v1/cases/{workflow_id}/history",
    response_model=StoryAnswer,
    summary="The case's whole story, as `ocop history` tells it",
)
async def history(workflow_id: CaseId, actor: CurrentActor, svc: Svc) -> StoryAnswer:
    try:
        _, found = await case_access(svc, workflow_id)
    except ApiProblem as problem:
        if problem.status == 404:  # the words `ocop history` has always said
            raise ApiProblem(
                404,
                "not-found",
                "Không tìm thấy — not found",
                f"no case {workflow_id!r}: neither Temporal nor the register knows it",
            ) from None
        raise
    refusal = access.operator_read_refusal(actor, found.facts.province)
    await permit(svc, actor, refusal, "history", workflow_id)
    try:
        story = await case_story(svc.client, workflow_id, svc.sessions)
    except CaseNotFoundError:
        raise not_found(f"case {workflow_id!r}") from None
    return StoryAnswer(workflow_id=workflow_id, lines=render_story(story), story=story)


Number = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[\w./-]+$")]


@router.get(
    "/public/certificates/{number:path}",
    response_model=PublicCertificate,
    tags=["public"],
    summary="Check an OCOP certificate by its number (no sign-in)",
)
async def certificate(number: Number, request: Request, svc: Svc) -> PublicCertificate:
    svc.limits.check(LOOKUP_PER_ADDRESS, "lookup", client_address(request))
    async with svc.sessions() as session:
        found = (
            await session.execute(
                select(CertificateRow, ProductRow, ApplicantRow, DecisionRow)
                .join(ProductRow, CertificateRow.product_id == ProductRow.id)
                .join(ApplicantRow, ProductRow.applicant_id == ApplicantRow.id)
                .outerjoin(DecisionRow, CertificateRow.decision_id == DecisionRow.id)
                .where(CertificateRow.number == number)
                .order_by(CertificateRow.id.desc())
                .limit(1)
            )
        ).first()
    if found is None:
        raise ApiProblem(
            404,
            "unknown-certificate",
            "Không có giấy chứng nhận này — no such certificate",
            f"không có giấy chứng nhận OCOP số {number!r} — no OCOP certificate numbered "
            f"{number!r} is on record",
        )
    cert, product, holder, decision = found
    today: date = datetime.now(VIETNAM).date()
    status = public_status(CertificateStatus(cert.status), cert.valid_until, today)
    return PublicCertificate(
        number=cert.number,
        product=product.name,
        holder=holder.name,
        stars=cert.stars,
        level=cert.level,
        issuing_authority=cert.issuing_authority,
        decision_number=decision.number if decision is not None else None,
        valid_from=cert.valid_from,
        valid_until=cert.valid_until,
        status=status,
        status_vi=STATUS_VI[status],
    )

"""The authority's pages: the products awaiting its decision, a preview of the batch
decision with each certificate's number, issuing it, and the printable decision.

Issuing signs one recognition per product through the API's route (its signing rule,
its signed action); the certificates are numbered by the cycle's own rule
(`allocate_certificates`: the decision's number and a sequence in product-code order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from api.portal.listing import running_cases
from api.portal.outcomes import StepRefused, attempt, checked, refused_page, validated
from api.portal.rendering import Shown, page
from api.portal.session import CheckedForm, PortalActor
from api.portal.wording import both
from api.routes import cases as case_steps
from api.services import Services, Svc
from contracts import case
from models import actors as access
from models.actors import Actor, Role
from models.case import CaseStage, CaseStatus, RecognitionDecision
from models.clock import VIETNAM
from models.cycle_decisions import RecognitionItem, allocate_certificates
from models.dossier import DocumentNumber
from models.register import CertificateRow, DecisionProductRow, DecisionRow, ProductRow

router = APIRouter(prefix="/portal", include_in_schema=False)

MAX_AWAITING: Final = 200


async def awaiting(svc: Services, actor: Actor) -> list[CaseStatus]:
    """The running cases awaiting a recognition this authority may sign."""
    level = actor.scope.level or ""
    clauses = [
        f"{case.STAGE.name} = '{CaseStage.AWAITING_RECOGNITION.value}'",
        f"{case.LEVEL.name} = '{level}'",
    ]
    if actor.scope.province:
        clauses.append(f"{case.PROVINCE.name} = '{actor.scope.province}'")

    def signs(status: CaseStatus) -> bool:
        signing = access.signing_refusal(
            actor,
            level=level,
            authority=actor.scope.authority or "",
            province=status.province,
            locality=status.locality,
        )
        ready = status.stage == CaseStage.AWAITING_RECOGNITION and status.level == level
        return ready and signing is None

    found = [s for s in await running_cases(svc, actor, clauses, MAX_AWAITING) if signs(s)]
    return sorted(found, key=lambda s: s.product_code)


class DecisionHeading(BaseModel):
    """What the authority types: checked before any certificate is numbered from it."""

    model_config = ConfigDict(extra="forbid")

    decision_number: DocumentNumber
    decided_on: date


@dataclass(frozen=True)
class Issued:
    item: RecognitionItem
    status: CaseStatus
    refusal: Shown | None = None


def _decision_fields(form: Any, today: date) -> dict[str, str]:
    return {
        "decision_number": str(form.get("decision_number") or "").strip(),
        "decided_on": str(form.get("decided_on") or today.isoformat()),
    }


def _today(cases: list[CaseStatus]) -> date:
    """The business day the cases stand at (the demo's calendar, or today)."""
    moment = max((c.as_of for c in cases), default=None)
    return moment.astimezone(VIETNAM).date() if moment is not None else date.today()


@router.get("/decisions")
async def decisions(request: Request, actor: PortalActor, svc: Svc) -> Response:
    if actor.role != Role.AUTHORITY:
        return page(request, "home.html.j2", actor, status=403)
    cases = await awaiting(svc, actor)
    return _decisions_page(request, actor, cases, _decision_fields({}, _today(cases)))


def _decisions_page(
    request: Request,
    actor: Actor,
    cases: list[CaseStatus],
    typed: dict[str, str],
    *,
    chosen: list[tuple[RecognitionItem, CaseStatus]] | None = None,
    heading: DecisionHeading | None = None,
    issued: list[Issued] | None = None,
    refusal: Shown | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "decisions.html.j2",
        actor,
        status=status,
        refusal=refusal,
        cases=cases,
        typed=typed,
        chosen=chosen,
        heading=heading,
        issued=issued,
    )


def _recognition(actor: Actor, typed: dict[str, str], item: RecognitionItem) -> RecognitionDecision:
    return validated(
        RecognitionDecision,
        {
            "level": actor.scope.level,
            "authority": actor.scope.authority,
            **typed,
            "certificate_number": item.certificate_number,
        },
    )


@router.post("/decisions")
async def decide(request: Request, form: CheckedForm, actor: PortalActor, svc: Svc) -> Response:
    cases = await awaiting(svc, actor)
    typed = _decision_fields(form, _today(cases))
    picked = set(form.getlist("workflow_id"))
    chosen = [c for c in cases if c.workflow_id in picked]
    by_id = {c.workflow_id: c for c in chosen}

    if not chosen:
        refusal = Shown(both("refused"), both("none_chosen"))
        return _decisions_page(request, actor, cases, typed, refusal=refusal, status=422)
    try:
        heading = validated(DecisionHeading, typed)
        items = checked(lambda: allocate_certificates(heading.decision_number, chosen))
        decisions = [_recognition(actor, typed, item) for item in items]
    except StepRefused as refused:
        return _decisions_page(
            request, actor, cases, typed, refusal=refused.shown, status=refused.status
        )
    if form.get("intent") != "issue":
        preview = [(item, by_id[item.workflow_id]) for item in items]
        return _decisions_page(request, actor, cases, typed, chosen=preview, heading=heading)
    issued = []
    for item, decision in zip(items, decisions, strict=True):
        try:
            await attempt(case_steps.recognise(item.workflow_id, decision, actor, svc))
            issued.append(Issued(item, by_id[item.workflow_id]))
        except StepRefused as not_issued:
            issued.append(Issued(item, by_id[item.workflow_id], not_issued.shown))
    if any(i.refusal for i in issued):
        refusal = Shown(both("refused"), both("some_not_issued"))
        return _decisions_page(
            request, actor, cases, typed, issued=issued, refusal=refusal, status=409
        )
    number = typed["decision_number"]
    return RedirectResponse(f"/portal/decisions/printed?number={quote(number)}", status_code=303)


@router.get("/decisions/printed")
async def printed(
    request: Request,
    number: Annotated[str, Query(min_length=1, max_length=64)],
    actor: PortalActor,
    svc: Svc,
) -> Response:
    """The decision as recorded in the register, to print and sign."""
    authority = actor.scope.authority or ""
    async with svc.sessions() as session:
        decision = await session.scalar(
            select(DecisionRow).where(
                DecisionRow.number == number, DecisionRow.issuing_authority == authority
            )
        )
        rows = []
        if decision is not None:
            found = await session.execute(
                select(ProductRow, CertificateRow)
                .join(DecisionProductRow, DecisionProductRow.product_id == ProductRow.id)
                .outerjoin(
                    CertificateRow,
                    (CertificateRow.product_id == ProductRow.id)
                    & (CertificateRow.decision_id == decision.id),
                )
                .where(DecisionProductRow.decision_id == decision.id)
                .order_by(ProductRow.product_code)
            )
            rows = [(product, certificate) for product, certificate in found]
    if decision is None:
        missing = Shown("Không tìm thấy — not found", both("no_decision"))
        return refused_page(request, actor, missing, 404)
    return page(request, "decision_print.html.j2", actor, decision=decision, rows=rows)

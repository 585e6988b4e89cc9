"""A product's case: each person's step on it, and what they may read of it.

Each step checks the caller's scope with the rule of `models/actors.py` against the
case's own facts (its `access_facts` query), answers 403 with an audit line when it
does not fit, and otherwise sends the Update signed in the caller's name — with that
name in its name field (reviewer, submitted_by, closed_by), whatever the client wrote.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path
from pydantic import BaseModel

from api.services import (
    CurrentActor,
    Handle,
    Services,
    Svc,
    answered,
    case_access,
    permit,
)
from contracts import case
from contracts.refs import UpdateRef, query
from infra.actions import act
from models import actors as access
from models.actors import Actor, CaseAccess
from models.case import (
    Application,
    CaseStage,
    CaseStatus,
    CloseSessionRequest,
    CloseSessionResult,
    MemberScore,
    RecognitionDecision,
    ReviewDecision,
    RevocationDecision,
    ScorecardSubmission,
    SupplementSubmission,
)
from models.deadline_rules import escalated_review_refusal, extension_actor_refusal
from models.deadlines import DeadlineExtension, GrantedExtension
from models.dossier_numbers import DOSSIER_NUMBER_PATTERN
from models.errors import Refusal

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")

CaseId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=rf"^[a-z0-9][a-z0-9-]*$|{DOSSIER_NUMBER_PATTERN}",
        description="Workflow id, or the dossier number (HS-QN-2024-0037)",
    ),
]


class StageAnswer(BaseModel):
    workflow_id: str
    stage: CaseStage


async def _step(
    svc: Svc,
    actor: Actor,
    handle: Handle,
    ref: UpdateRef[In, Out],
    payload: In,
    refusal: Refusal | None,
) -> Out:
    await permit(svc, actor, refusal, ref.name, handle.id)
    step = access.in_own_name(payload, actor)
    return await answered(act(handle, svc.action_keys, actor, ref, step), ref.name)


def _place(found: CaseAccess) -> tuple[str, str]:
    return found.facts.province, found.facts.locality


@router.post("/{workflow_id}/review", response_model=StageAnswer, summary="Review the dossier")
async def review(
    workflow_id: CaseId, decision: ReviewDecision, actor: CurrentActor, svc: Svc
) -> StageAnswer:
    """The commune or district office of the dossier's locality accepts, asks for a
    supplement or rejects."""
    handle, found = await case_access(svc, workflow_id)
    refusal = escalated_review_refusal(actor, found.facts, found.review_escalated)
    stage = await _step(svc, actor, handle, case.REVIEW, decision, refusal)
    return StageAnswer(workflow_id=handle.id, stage=stage)


@router.post(
    "/{workflow_id}/deadline-extensions",
    response_model=GrantedExtension,
    summary="Give the current step more time",
)
async def extend_deadline(
    workflow_id: CaseId, request: DeadlineExtension, actor: CurrentActor, svc: Svc
) -> GrantedExtension:
    """The province's coordination office extends any step; the office reviewing the
    dossier its review and the producer's supplement. The reason goes to the register
    and to the producer."""
    handle, found = await case_access(svc, workflow_id)
    refusal = extension_actor_refusal(actor, found.facts, request.step)
    return await _step(svc, actor, handle, case.EXTEND_DEADLINE, request, refusal)


@router.post("/{workflow_id}/supplements", response_model=StageAnswer, summary="Bring a supplement")
async def supplement(
    workflow_id: CaseId, submission: SupplementSubmission, actor: CurrentActor, svc: Svc
) -> StageAnswer:
    handle, found = await case_access(svc, workflow_id)
    refusal = access.own_case_refusal(actor, found.facts)
    stage = await _step(svc, actor, handle, case.SUPPLY_SUPPLEMENT, submission, refusal)
    return StageAnswer(workflow_id=handle.id, stage=stage)


@router.post(
    "/{workflow_id}/applications",
    response_model=StageAnswer,
    summary="Apply for an upgrade or a re-evaluation",
)
async def apply(
    workflow_id: CaseId, application: Application, actor: CurrentActor, svc: Svc
) -> StageAnswer:
    handle, found = await case_access(svc, workflow_id)
    refusal = access.own_case_refusal(actor, found.facts)
    stage = await _step(svc, actor, handle, case.APPLY, application, refusal)
    return StageAnswer(workflow_id=handle.id, stage=stage)


@router.post("/{workflow_id}/scorecards", response_model=MemberScore, summary="Submit a scorecard")
async def scorecard(
    workflow_id: CaseId, submission: ScorecardSubmission, actor: CurrentActor, svc: Svc
) -> MemberScore:
    """A member of the level's council, in their own name."""
    handle, found = await case_access(svc, workflow_id)
    card = submission.scorecard
    council = next((c for c in found.councils if c.level == card.level), None)
    refusal = (
        access.scorecard_refusal(actor, council, card.level, card.member_id)
        if council is not None
        else None  # no council at that level: the case's own rule says so
    )
    return await _step(svc, actor, handle, case.SUBMIT_SCORECARD, submission, refusal)


@router.post(
    "/{workflow_id}/sessions/close",
    response_model=CloseSessionResult,
    summary="Close the council's session",
)
async def close_session(
    workflow_id: CaseId, request: CloseSessionRequest, actor: CurrentActor, svc: Svc
) -> CloseSessionResult:
    """The council's chair or secretary."""
    handle, found = await case_access(svc, workflow_id)
    council = next((c for c in found.councils if c.level == request.level), None)
    refusal = access.close_session_refusal(actor, council) if council is not None else None
    return await _step(svc, actor, handle, case.CLOSE_SESSION, request, refusal)


def _signing(actor: Actor, found: CaseAccess, level: str, authority: str) -> Refusal | None:
    province, locality = _place(found)
    return access.signing_refusal(
        actor, level=level, authority=authority, province=province, locality=locality
    )


@router.post("/{workflow_id}/recognition", response_model=StageAnswer, summary="Recognise")
async def recognise(
    workflow_id: CaseId, decision: RecognitionDecision, actor: CurrentActor, svc: Svc
) -> StageAnswer:
    """The authority of the decision's level signs the recognition."""
    handle, found = await case_access(svc, workflow_id)
    refusal = _signing(actor, found, decision.level, decision.authority)
    stage = await _step(svc, actor, handle, case.RECOGNISE, decision, refusal)
    return StageAnswer(workflow_id=handle.id, stage=stage)


@router.post("/{workflow_id}/revocation", response_model=StageAnswer, summary="Revoke")
async def revoke(
    workflow_id: CaseId, decision: RevocationDecision, actor: CurrentActor, svc: Svc
) -> StageAnswer:
    """The authority of the certificate's level revokes it."""
    handle, found = await case_access(svc, workflow_id)
    refusal = _signing(actor, found, found.certificate_level or "", decision.authority)
    stage = await _step(svc, actor, handle, case.REVOKE, decision, refusal)
    return StageAnswer(workflow_id=handle.id, stage=stage)


@router.get("/{workflow_id}", response_model=CaseStatus, summary="Where the case stands")
async def status(workflow_id: CaseId, actor: CurrentActor, svc: Svc) -> Any:
    """For whoever takes part in the case: its producer, the province's operators and
    office, the reviewer of its locality, its councils, the authorities who sign for it."""
    _, _, found = await readable_case(svc, actor, workflow_id)
    return found


async def readable_case(
    svc: Services, actor: Actor, workflow_id: str
) -> tuple[Handle, CaseAccess, CaseStatus]:
    """The case, its access facts and where it stands, for someone who may read it."""
    handle, found = await case_access(svc, workflow_id)
    await permit(svc, actor, access.case_reader_refusal(actor, found), "status", handle.id)
    status: CaseStatus = await answered(query(handle, case.STATUS), "status")
    return handle, found, status

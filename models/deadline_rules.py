"""Who may extend a step's deadline and when, and who may review a late dossier.

The data and the arithmetic are in `models.deadlines`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from models.actors import (
    NOT_PERMITTED,
    Actor,
    CaseFacts,
    Role,
    cycle_administration_refusal,
    review_refusal,
)
from models.case import CaseStage
from models.clock import VIETNAM
from models.deadlines import (
    MAX_EXTENSIONS_PER_STEP,
    STEP_VI,
    DeadlineExtension,
    DeadlineStep,
    GrantedExtension,
)
from models.errors import Refusal

_STEP_OF_STAGE: Final = {
    CaseStage.LOCAL_REVIEW: DeadlineStep.REVIEW,
    CaseStage.AWAITING_SUPPLEMENT: DeadlineStep.SUPPLEMENT,
    CaseStage.COUNCIL_SCORING: DeadlineStep.COUNCIL_SCORING,
}


def step_at(stage: CaseStage) -> DeadlineStep | None:
    """The step with a deadline a case at this stage is waiting on, if any."""
    return _STEP_OF_STAGE.get(stage)


def extension_refusal(
    request: DeadlineExtension,
    stage: CaseStage,
    due: datetime | None,
    now: datetime,
    granted: tuple[GrantedExtension, ...],
) -> Refusal | None:
    """Why the case cannot extend this step now, or None."""
    current = step_at(stage)
    if current == request.step and due is None:
        return Refusal(
            "NotReady",
            f"hồ sơ đang được ghi nhận, chưa có hạn {STEP_VI[request.step]}; đề nghị thử lại "
            f"sau ít phút — the case is still recording its last step and has not set its "
            f"{request.step.value} deadline yet; try again shortly",
        )
    if current != request.step or due is None:
        waiting = f"the case is at {stage.value}, which has no {request.step.value} deadline"
        return Refusal("WrongStage", f"hồ sơ không ở bước {STEP_VI[request.step]} — {waiting}")
    if now > due:
        return Refusal(
            "DeadlinePassed",
            f"hạn {STEP_VI[request.step]} đã qua ngày {due.astimezone(VIETNAM):%d/%m/%Y}, "
            f"không gia hạn được nữa — the {request.step.value} deadline has passed; it is "
            "escalated, not extended",
        )
    used = sum(1 for extension in granted if extension.step == request.step)
    if used >= MAX_EXTENSIONS_PER_STEP:
        return Refusal(
            "TooManyExtensions",
            f"bước {STEP_VI[request.step]} đã được gia hạn {used} lần (tối đa "
            f"{MAX_EXTENSIONS_PER_STEP}) — the {request.step.value} step has been extended "
            f"{used} times, at most {MAX_EXTENSIONS_PER_STEP} are allowed",
        )
    return None


def extension_actor_refusal(actor: Actor, case: CaseFacts, step: DeadlineStep) -> Refusal | None:
    """Who may extend a step: the province's coordination office any step, the office
    reviewing the dossier its review and the producer's supplement."""
    if actor.role == Role.ADMINISTRATOR:
        return cycle_administration_refusal(actor, case.province)
    if step != DeadlineStep.COUNCIL_SCORING and actor.role == Role.REVIEWER:
        return review_refusal(actor, case.province, case.locality)
    return Refusal(
        NOT_PERMITTED,
        f"{actor.display_name}: không được gia hạn bước {STEP_VI[step]} (cần Văn phòng Điều "
        "phối OCOP tỉnh, hoặc đơn vị thẩm định với bước thẩm định và bổ sung) — may not extend "
        f"the {step.value} step; required role: administrator, or the reviewer for the review "
        "and the supplement",
    )


def escalated_review_refusal(actor: Actor, case: CaseFacts, escalated: bool) -> Refusal | None:
    """Review a dossier: its locality's office; once the review is late, the province's
    coordination office too."""
    refusal = review_refusal(actor, case.province, case.locality)
    if refusal is None or not escalated or actor.role != Role.ADMINISTRATOR:
        return refusal
    return cycle_administration_refusal(actor, case.province)

"""Issue 12's impostor actions, and how a test sees a refused Update leave no trace.

Before actions were signed, a client with no credentials could score with council
member ids alone, close a session with `closed_by="không phải thư ký"`, certify a
product by "Kẻ Mạo Danh (impostor)" and revoke a certificate by "Ai đó". Each is kept
here as the Update it was, the stage its case must be at, and the person whose hand it
needs; `refused_leaving_history` checks a refusal and that the history did not change.
Used by tests/test_signed_actions.py and tests/test_signed_scope.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle

from contracts import case as contract
from contracts.refs import UpdateRef
from models.actors import Actor
from models.case import (
    CloseSessionRequest,
    RecognitionDecision,
    RevocationDecision,
    RevocationGround,
    ScorecardSubmission,
)
from models.scorecard import Scorecard
from tests.case_driver import CaseDriver
from tests.factories import case_input
from tests.fixtures.operators import OperatorsWorld
from tests.signing import (
    authority,
    member,
    secretary,
)
from tests.updates import refused

ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
DISTRICT_AUTHORITY = "UBND huyện Bình Liêu"
IMPOSTOR = "Kẻ Mạo Danh (impostor)"
NOT_SECRETARY = "không phải thư ký"
UNSIGNED = "thao tác không có chữ ký xác thực người thực hiện"
FORGED = "the action's signature does not verify against the keys this system trusts"
EXPIRED = "the assertion expired at"
REPLAYED = "this assertion was used before; every action needs a fresh one"
OTHER_CASE = "the assertion was signed for case"
OTHER_REQUEST = "the request differs from the one that was signed"


# ------------------------------------------------------------------ history


async def events(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    return [event async for event in handle.fetch_history_events()]


async def unrecorded_refusal(
    handle: WorkflowHandle[Any, Any], sending: Awaitable[Any], *words: str
) -> str:
    """The Update's refusal (naming `words`); the workflow's history did not change at all."""
    before = await events(handle)
    why = await refused(sending)
    for word in words:
        assert word in why, why
    after = await events(handle)
    assert len(after) == len(before), f"the refused Update left {len(after) - len(before)} events"
    accepted = [e for e in after if e.event_type == ACCEPTED]
    assert len(accepted) == sum(e.event_type == ACCEPTED for e in before)
    return why


async def refused_leaving_history(case: CaseDriver, sending: Awaitable[Any], *words: str) -> str:
    """As `unrecorded_refusal`, on a case settled first (nothing else adds to its history)."""
    await case.mail_sent()
    why = await unrecorded_refusal(case.latest, sending, *words)
    await case.status()  # still answering
    return why


# ------------------------------------------------------- the four impostors


@dataclass(frozen=True)
class Impostor:
    """One of the issue's impostor actions: the stage it needs, the request, its signer.

    `signer` is the person the action would need (so only the assertion can be wrong);
    `other` a request that differs from `request`, for a signature over another one."""

    ref: UpdateRef[Any, Any]
    prepare: Callable[[CaseDriver], Awaitable[None]]
    request: Callable[[], BaseModel]
    other: Callable[[], BaseModel]
    signer: Callable[[str], Actor]


def card(member_id: str = "district-chair", part_a: int = 25) -> ScorecardSubmission:
    card = Scorecard(
        member_id=member_id,
        level="district",
        part_a=part_a,
        part_b=15,
        part_c=22,
        mandatory_criteria_met=True,
    )
    return ScorecardSubmission(scorecard=card)


def recognition(
    authority_name: str = DISTRICT_AUTHORITY, number: str = "QD-1"
) -> RecognitionDecision:
    return RecognitionDecision(
        level="district",
        authority=authority_name,
        decision_number=number,
        decided_on=date(2024, 3, 1),
        certificate_number=f"CN-{uuid.uuid4().hex[:8]}",
    )


def revocation(
    authority_name: str = DISTRICT_AUTHORITY, details: str = "Vi phạm"
) -> RevocationDecision:
    return RevocationDecision(
        authority=authority_name,
        decision_number="QD-THUHOI-1",
        decided_on=date(2024, 3, 1),
        grounds=RevocationGround.FOOD_SAFETY,
        details=details,
    )


async def _scoring(case: CaseDriver) -> None:
    await case.accept()


async def _quorum(case: CaseDriver) -> None:
    await case.accept()
    await case.score("district", 62, 60, 65, 61)


async def _awaiting_recognition(case: CaseDriver) -> None:
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)


async def _certified(case: CaseDriver) -> None:
    await _awaiting_recognition(case)
    number = f"CN-{uuid.uuid4().hex[:8]}"
    await case.recognise("district", date(2024, 3, 1), "QD-1", number, DISTRICT_AUTHORITY)


IMPOSTORS = {
    "score": Impostor(
        contract.SUBMIT_SCORECARD,
        _scoring,
        card,
        lambda: card(part_a=30),
        lambda province: member(province, "district", "district-chair"),
    ),
    "close": Impostor(
        contract.CLOSE_SESSION,
        _quorum,
        lambda: CloseSessionRequest(level="district", closed_by=NOT_SECRETARY),
        lambda: CloseSessionRequest(level="district", closed_by="Thư ký"),
        lambda province: secretary(province, "district"),
    ),
    "recognise": Impostor(
        contract.RECOGNISE,
        _awaiting_recognition,
        recognition,
        lambda: recognition(number="QD-2"),
        lambda province: authority("district", DISTRICT_AUTHORITY, province),
    ),
    "revoke": Impostor(
        contract.REVOKE,
        _certified,
        revocation,
        lambda: revocation(details="Lý do khác"),
        lambda province: authority("district", DISTRICT_AUTHORITY, province),
    ),
}


async def case_at(world: OperatorsWorld, impostor: Impostor) -> CaseDriver:
    case = await world.open_case(case_input())
    await impostor.prepare(case)
    return case


async def province_of(case: CaseDriver) -> str:
    return (await case.access()).facts.province

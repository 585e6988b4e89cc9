"""Issue 12's impostors, straight against Temporal: refused by the validator, history unchanged.

Before actions were signed, a client with no credentials could score with council
member ids alone, close a session with `closed_by="không phải thư ký"`, certify a
product by "Kẻ Mạo Danh (impostor)" and revoke a certificate by "Ai đó". Each of those
Updates is sent here as an outside client could: unsigned, signed with a key the worker
does not trust, expired, replayed, signed for another case or another request, or
signed by someone whose role or scope does not reach the case. Each is refused with the
assertion's (or the scope's) own words, and the case's history is as it was: no event
added, no Update accepted. On the dev server, with the real worker.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from contracts import case as contract
from contracts import cycle as cycle_contract
from contracts.refs import UpdateRef, update
from infra.action_keys import ActionKeys
from infra.cases import open_case
from models.actors import Actor, Role, Scope
from models.case import (
    CloseSessionRequest,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    RevocationGround,
    ScorecardSubmission,
    SupplementSubmission,
)
from models.catalogue import DocumentKind
from models.cycle_messages import CloseCycle
from models.cycle_settings import cycle_input
from models.scorecard import Scorecard
from tests.case_driver import CaseDriver
from tests.factories import ADMIN_EMAIL, case_input, document, honey_dossier
from tests.fixtures.cycle import CYCLE_START, cycle_settings, product
from tests.fixtures.operators import OperatorsWorld, sqlite_operators_world
from tests.signing import (
    KEYS,
    administrator,
    authority,
    member,
    producer,
    producer_of,
    reviewer,
    secretary,
    sign,
)
from tests.updates import refused
from tests.waiting import eventually
from worker import build_worker
from workflows.trust import trust

pytestmark = pytest.mark.devserver
__all__ = ["sqlite_operators_world"]  # the fixture, imported for this module's tests

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


async def _events(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    return [event async for event in handle.fetch_history_events()]


async def unrecorded_refusal(
    handle: WorkflowHandle[Any, Any], sending: Awaitable[Any], *words: str
) -> str:
    """The Update's refusal (naming `words`); the workflow's history did not change at all."""
    before = await _events(handle)
    why = await refused(sending)
    for word in words:
        assert word in why, why
    after = await _events(handle)
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


def _card(member_id: str = "district-chair", part_a: int = 25) -> ScorecardSubmission:
    card = Scorecard(
        member_id=member_id,
        level="district",
        part_a=part_a,
        part_b=15,
        part_c=22,
        mandatory_criteria_met=True,
    )
    return ScorecardSubmission(scorecard=card)


def _recognition(
    authority_name: str = DISTRICT_AUTHORITY, number: str = "QD-1"
) -> RecognitionDecision:
    return RecognitionDecision(
        level="district",
        authority=authority_name,
        decision_number=number,
        decided_on=date(2024, 3, 1),
        certificate_number=f"CN-{uuid.uuid4().hex[:8]}",
    )


def _revocation(
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
        _card,
        lambda: _card(part_a=30),
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
        _recognition,
        lambda: _recognition(number="QD-2"),
        lambda province: authority("district", DISTRICT_AUTHORITY, province),
    ),
    "revoke": Impostor(
        contract.REVOKE,
        _certified,
        _revocation,
        lambda: _revocation(details="Lý do khác"),
        lambda province: authority("district", DISTRICT_AUTHORITY, province),
    ),
}


async def _case_at(world: OperatorsWorld, impostor: Impostor) -> CaseDriver:
    case = await world.open_case(case_input())
    await impostor.prepare(case)
    return case


async def _province(case: CaseDriver) -> str:
    return (await case.access()).facts.province


# ------------------------------------------- (a)–(e): the assertion is wrong


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_an_unsigned_impostor_action_is_refused_and_leaves_history_unchanged(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await _case_at(sqlite_operators_world, impostor)
    # One argument, as the impostor sent it before actions were signed.
    sending = update(case.handle, impostor.ref, impostor.request())
    why = await refused_leaving_history(case, sending, UNSIGNED, "send it through the API")
    assert why.startswith(UNSIGNED)


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_an_action_signed_with_a_key_the_worker_does_not_trust_is_refused(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await _case_at(sqlite_operators_world, impostor)
    request = impostor.request()
    forged = ActionKeys.generate().sign(
        impostor.signer(await _province(case)),
        action=impostor.ref.name,
        workflow_id=case.workflow_id,
        payload=request,
    )
    sending = update(case.handle, impostor.ref, request, forged)
    await refused_leaving_history(case, sending, "chữ ký của thao tác không hợp lệ", FORGED)


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_an_expired_assertion_is_refused(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await _case_at(sqlite_operators_world, impostor)
    request = impostor.request()
    stale = datetime.now(UTC) - timedelta(minutes=20)
    signer = impostor.signer(await _province(case))
    signed = sign(signer, impostor.ref, case.workflow_id, request, now=stale)
    sending = update(case.handle, impostor.ref, request, signed)
    await refused_leaving_history(case, sending, "chữ ký đã hết hạn lúc", EXPIRED, "act again")


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_a_replayed_assertion_is_refused_the_second_time(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await _case_at(sqlite_operators_world, impostor)
    request = impostor.request()
    signed = sign(impostor.signer(await _province(case)), impostor.ref, case.workflow_id, request)
    await update(case.handle, impostor.ref, request, signed)  # the signer's own, accepted

    sending = update(case.handle, impostor.ref, request, signed)
    if impostor.ref is contract.REVOKE:
        # A revocation ends the case: the server itself turns the second one away.
        await case.mail_sent()
        before = await _events(case.latest)
        with pytest.raises(RPCError, match="workflow execution already completed"):
            await sending
        assert len(await _events(case.latest)) == len(before)
        return
    await refused_leaving_history(case, sending, "chữ ký này đã được dùng một lần", REPLAYED)


@pytest.mark.parametrize("name", IMPOSTORS)
async def test_an_assertion_for_another_case_or_another_request_is_refused(
    sqlite_operators_world: OperatorsWorld, name: str
) -> None:
    impostor = IMPOSTORS[name]
    case = await _case_at(sqlite_operators_world, impostor)
    elsewhere = await sqlite_operators_world.open_case(case_input())
    signer = impostor.signer(await _province(case))
    request = impostor.request()

    for_elsewhere = sign(signer, impostor.ref, elsewhere.workflow_id, request)
    sending = update(case.handle, impostor.ref, request, for_elsewhere)
    await refused_leaving_history(case, sending, OTHER_CASE, elsewhere.workflow_id[:40])

    for_another_request = sign(signer, impostor.ref, case.workflow_id, impostor.other())
    sending = update(case.handle, impostor.ref, request, for_another_request)
    await refused_leaving_history(case, sending, "nội dung yêu cầu khác", OTHER_REQUEST)


# -------------------------------------------- (f): signed, by the wrong hand


async def test_scoring_is_refused_to_anyone_but_the_member_on_the_roster(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    case = await _case_at(sqlite_operators_world, IMPOSTORS["score"])
    province = await _province(case)
    ref, chair_card = contract.SUBMIT_SCORECARD, _card()

    # A member signs the chair's card: council member ids alone no longer score.
    m1 = member(province, "district", "district-m1")
    sending = update(case.handle, ref, chair_card, sign(m1, ref, case.workflow_id, chair_card))
    await refused_leaving_history(case, sending, "may score only as themselves")
    # A member of another council, and someone not on the roster, as themselves.
    other = member(province, "province", "district-chair")
    sending = update(case.handle, ref, chair_card, sign(other, ref, case.workflow_id, chair_card))
    await refused_leaving_history(case, sending, "belongs to the 'province' council")
    stranger_card = _card("ong-ba-lan")
    stranger = member(province, "district", "ong-ba-lan")
    signed = sign(stranger, ref, case.workflow_id, stranger_card)
    sending = update(case.handle, ref, stranger_card, signed)
    await refused_leaving_history(case, sending, "'ong-ba-lan' is not a member")


async def test_closing_is_refused_to_anyone_but_the_chair_or_secretary(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    case = await _case_at(sqlite_operators_world, IMPOSTORS["close"])
    province = await _province(case)
    ref = contract.CLOSE_SESSION
    request = CloseSessionRequest(level="district", closed_by=NOT_SECRETARY)
    for hand, words in (
        (member(province, "district", "district-m1"), "only the council's chair or secretary"),
        (producer_of(honey_dossier()), "required role: council_member / council_secretary"),
        (secretary(province, "province"), "belongs to the 'province' council"),
    ):
        signed = sign(hand, ref, case.workflow_id, request)
        sending = update(case.handle, ref, request, signed)
        await refused_leaving_history(case, sending, words)


async def test_a_recognition_is_refused_unless_signed_by_the_authority_it_names(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    case = await _case_at(sqlite_operators_world, IMPOSTORS["recognise"])
    province = await _province(case)
    ref = contract.RECOGNISE

    # The impostor names themselves; the one who signed is the district's authority.
    by_impostor = _recognition(IMPOSTOR)
    true_hand = authority("district", DISTRICT_AUTHORITY, province)
    signed = sign(true_hand, ref, case.workflow_id, by_impostor)
    why = await refused_leaving_history(case, update(case.handle, ref, by_impostor, signed))
    assert f"the district decision is signed by {IMPOSTOR}" in why
    # The impostor signs a decision in the true authority's name.
    honest = _recognition()
    impostor = authority("district", IMPOSTOR, province)
    signed = sign(impostor, ref, case.workflow_id, honest)
    why = await refused_leaving_history(case, update(case.handle, ref, honest, signed))
    assert f"signed by {DISTRICT_AUTHORITY}" in why
    # An authority of another level, and a producer.
    for hand, words in (
        (authority("province", DISTRICT_AUTHORITY, province), "signed by"),
        (producer(province, "hoptien@example.vn"), "required role: authority"),
    ):
        signed = sign(hand, ref, case.workflow_id, honest)
        why = await refused_leaving_history(case, update(case.handle, ref, honest, signed))
        assert words in why, why


async def test_a_revocation_by_an_operator_is_refused(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    case = await _case_at(sqlite_operators_world, IMPOSTORS["revoke"])
    province = await _province(case)
    ref, request = contract.REVOKE, _revocation()
    someone = Actor(
        subject="op-ai-do",
        display_name="Ai đó",
        role=Role.OPERATOR,
        scope=Scope(province=province),
    )
    signed = sign(someone, ref, case.workflow_id, request)
    why = await refused_leaving_history(case, update(case.handle, ref, request, signed))
    assert why.startswith("Ai đó (vận hành hệ thống / operator)"), why
    assert "required role: authority" in why


async def test_a_reviewer_of_another_district_and_another_producer_are_refused(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    case = await sqlite_operators_world.open_case(case_input())
    facts = (await case.access()).facts
    review = ReviewDecision(action=ReviewAction.ACCEPT, reviewer="Phòng Nông nghiệp huyện Tiên Yên")
    other_district = reviewer(facts.province, "tien-yen")
    signed = sign(other_district, contract.REVIEW, case.workflow_id, review)
    why = await refused_leaving_history(case, update(case.handle, contract.REVIEW, review, signed))
    assert "reviews only dossiers of locality 'tien-yen', not 'binh-lieu'" in why

    supplement = SupplementSubmission(
        submitted_by="Chủ thể khác", documents=(document(DocumentKind.TEST_RESULTS),)
    )
    someone_else = producer(facts.province, "dai-yen@example.vn")
    ref = contract.SUPPLY_SUPPLEMENT
    signed = sign(someone_else, ref, case.workflow_id, supplement)
    why = await refused_leaving_history(case, update(case.handle, ref, supplement, signed))
    assert "is not a product of the applicant they act for" in why


# ------------------------------------------------------------- the cycle's Updates


@contextlib.asynccontextmanager
async def _cycle(world: OperatorsWorld) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    """A province's 2024 cycle on the world's worker (it starts no cases), ended after."""
    province = f"quang-ninh-{uuid.uuid4().hex[:6]}"
    start = cycle_input(
        province, 2024, cycle_settings(start_cases=False), business_start=CYCLE_START
    )
    handle = await world.client.start_workflow(
        cycle_contract.WORKFLOW_TYPE,
        start,
        id=cycle_contract.cycle_workflow_id(province, 2024),
        task_queue=world.task_queue,
    )

    async def idle() -> bool | None:
        found = await world.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=world.client.namespace,
                execution=WorkflowExecution(workflow_id=handle.id),
            )
        )
        started = found.workflow_execution_info.history_length > 2
        return True if started and not found.HasField("pending_workflow_task") else None

    try:
        # Its first workflow task done, nothing else adds to its history by itself.
        await eventually(idle, f"{handle.id} to start and wait")
        yield handle
    finally:
        with contextlib.suppress(RPCError):
            await handle.terminate("test finished")


async def test_the_cycle_refuses_a_submission_for_another_producer_and_a_close_by_a_non_admin(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    async with _cycle(sqlite_operators_world) as cycle:
        province = cycle.id.removeprefix("ocop-cycle-").removesuffix("-2024")
        honey = product(province, "MO-BINHLIEU", "Mật ong rừng Bình Liêu")
        submit = cycle_contract.SUBMIT
        someone_else = producer(province, "dai-yen@example.vn")
        signed = sign(someone_else, submit, cycle.id, honey)
        await unrecorded_refusal(
            cycle,
            update(cycle, submit, honey, signed),
            "chỉ được nộp hồ sơ cho chủ thể của mình",
            "may submit dossiers only for the applicant they act for",
        )
        await unrecorded_refusal(cycle, update(cycle, submit, honey), UNSIGNED)

        close, request = cycle_contract.CLOSE, CloseCycle(closed_by=ADMIN_EMAIL)
        for hand, words in (
            (producer_of(honey), "required role: administrator"),
            (administrator("hai-duong"), "of province"),
        ):
            sending = update(cycle, close, request, sign(hand, close, cycle.id, request))
            await unrecorded_refusal(cycle, sending, "may not administer the OCOP cycle", words)
        await unrecorded_refusal(cycle, update(cycle, close, request), UNSIGNED)
        # The province's own office may.
        signed = sign(administrator(province), close, cycle.id, request)
        report = await update(cycle, close, request, signed)
        assert report.closed


# ------------------------------------------------------------------ key rotation


async def test_a_rotated_key_keeps_running_cases_and_a_retired_one_is_refused_after_restart(
    sqlite_operators_world: OperatorsWorld, tmp_path: Path
) -> None:
    world = sqlite_operators_world
    old_kid = KEYS.key_ids[-1]
    rotated = KEYS.rotated()
    key_file = tmp_path / "rotated-keys.json"
    rotated.save(key_file)
    settings = world.settings.model_copy(update={"action_keys_file": key_file})
    queue = f"rotation-{uuid.uuid4().hex[:8]}"
    lifecycle = case_input()
    code = f"{lifecycle.dossier.product_code}-{uuid.uuid4().hex[:6]}"
    lifecycle = lifecycle.model_copy(
        update={"dossier": lifecycle.dossier.model_copy(update={"product_code": code})}
    )
    workflow_id = f"ocop-product-{lifecycle.dossier.province}-{code.lower()}"
    handle = None
    try:
        async with build_worker(world.client, settings, world.sessions, task_queue=queue):
            handle = await open_case(world.client, lifecycle, queue, workflow_id=workflow_id)
            case = CaseDriver(
                world.client,
                handle,
                {c.level: c for c in lifecycle.councils},
                lifecycle.rulebook.maxima,
            )
            # Signed a moment before the rotation, with the old key: still taken.
            await case.accept()
            province = await _province(case)
            chair = member(province, "district", "district-chair")
            card = _card()
            signed = rotated.sign(
                chair, action=contract.SUBMIT_SCORECARD.name, workflow_id=workflow_id, payload=card
            )
            await update(handle, contract.SUBMIT_SCORECARD, card, signed)  # and the new key

        rotated.retired(old_kid).save(key_file)
        async with build_worker(world.client, settings, world.sessions, task_queue=queue):
            # The restarted worker replays the case (signed by both keys) and trusts only
            # the newer key: what the retired one signs is refused, and not recorded.
            member_card = _card("district-m1")
            sending = case.submit(member_card.scorecard)  # the driver signs with the old key
            await refused_leaving_history(case, sending, FORGED)
            m1 = member(province, "district", "district-m1")
            signed = rotated.sign(
                m1,
                action=contract.SUBMIT_SCORECARD.name,
                workflow_id=workflow_id,
                payload=member_card,
            )
            await update(handle, contract.SUBMIT_SCORECARD, member_card, signed)
            assert len((await case.status()).scores) == 2
    finally:
        trust(KEYS.public_jwks())  # the suite's keys, for the tests after this one
        if handle is not None:
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")

"""Issue 12's impostors straight against Temporal, signed, by the wrong hand: refused by
the scope rules the validator applies after the signature, history unchanged.

A member scoring as another or off the roster, closing by someone neither chair nor
secretary, a recognition signed by an authority other than the one it names, a
revocation by an operator, a reviewer of another district, a producer on another's
case; and the cycle's Updates: a submission for another applicant, a close by someone
not its province's administrator. On the dev server, with the real worker.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from contracts import case as contract
from contracts import cycle as cycle_contract
from contracts.refs import update
from models.actors import Actor, Role, Scope
from models.case import (
    CloseSessionRequest,
    ReviewAction,
    ReviewDecision,
    SupplementSubmission,
)
from models.catalogue import DocumentKind
from models.cycle_messages import CloseCycle
from models.cycle_settings import cycle_input
from tests.factories import ADMIN_EMAIL, case_input, document, honey_dossier
from tests.fixtures.cycle import CYCLE_START, cycle_settings, product
from tests.fixtures.operators import OperatorsWorld, sqlite_operators_world
from tests.impostors import (
    DISTRICT_AUTHORITY,
    IMPOSTOR,
    IMPOSTORS,
    NOT_SECRETARY,
    UNSIGNED,
    card,
    case_at,
    province_of,
    recognition,
    refused_leaving_history,
    revocation,
    unrecorded_refusal,
)
from tests.signing import (
    administrator,
    authority,
    member,
    producer,
    producer_of,
    reviewer,
    secretary,
    sign,
)
from tests.waiting import eventually

pytestmark = pytest.mark.devserver
__all__ = ["sqlite_operators_world"]  # the fixture, imported for this module's tests


# -------------------------------------------- (f): signed, by the wrong hand


async def test_scoring_is_refused_to_anyone_but_the_member_on_the_roster(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    case = await case_at(sqlite_operators_world, IMPOSTORS["score"])
    province = await province_of(case)
    ref, chair_card = contract.SUBMIT_SCORECARD, card()

    # A member signs the chair's card: council member ids alone no longer score.
    m1 = member(province, "district", "district-m1")
    sending = update(case.handle, ref, chair_card, sign(m1, ref, case.workflow_id, chair_card))
    await refused_leaving_history(case, sending, "may score only as themselves")
    # A member of another council, and someone not on the roster, as themselves.
    other = member(province, "province", "district-chair")
    sending = update(case.handle, ref, chair_card, sign(other, ref, case.workflow_id, chair_card))
    await refused_leaving_history(case, sending, "belongs to the 'province' council")
    stranger_card = card("ong-ba-lan")
    stranger = member(province, "district", "ong-ba-lan")
    signed = sign(stranger, ref, case.workflow_id, stranger_card)
    sending = update(case.handle, ref, stranger_card, signed)
    await refused_leaving_history(case, sending, "'ong-ba-lan' is not a member")


async def test_closing_is_refused_to_anyone_but_the_chair_or_secretary(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    case = await case_at(sqlite_operators_world, IMPOSTORS["close"])
    province = await province_of(case)
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
    case = await case_at(sqlite_operators_world, IMPOSTORS["recognise"])
    province = await province_of(case)
    ref = contract.RECOGNISE

    # The impostor names themselves; the one who signed is the district's authority.
    by_impostor = recognition(IMPOSTOR)
    true_hand = authority("district", DISTRICT_AUTHORITY, province)
    signed = sign(true_hand, ref, case.workflow_id, by_impostor)
    why = await refused_leaving_history(case, update(case.handle, ref, by_impostor, signed))
    assert f"the district decision is signed by {IMPOSTOR}" in why
    # The impostor signs a decision in the true authority's name.
    honest = recognition()
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
    case = await case_at(sqlite_operators_world, IMPOSTORS["revoke"])
    province = await province_of(case)
    ref, request = contract.REVOKE, revocation()
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

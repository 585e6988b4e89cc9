"""Local review: completeness, supplements, deadlines and refusals, as the producer lives them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.case import CaseStage
from models.catalogue import DocumentKind
from tests.factories import ADMIN_EMAIL, PRODUCER_EMAIL, case_input, document, honey_dossier
from tests.fixtures.lifecycle import CaseWorld
from tests.updates import refused


@pytest.mark.record_history
async def test_a_supplement_asked_for_and_brought_lets_the_dossier_through(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input(honey_dossier(complete=False)))
    assert (await case.status()).missing_documents == [DocumentKind.TEST_RESULTS]

    await case.request_supplement()
    status = await case.status()
    assert status.stage == CaseStage.AWAITING_SUPPLEMENT
    assert status.missing_documents == [DocumentKind.TEST_RESULTS]
    assert status.next_deadline is not None
    assert status.next_deadline.due.date().isoformat() == "2024-03-16"  # 15 days

    await case.supply(document(DocumentKind.TEST_RESULTS, "kiem-nghiem-2024.pdf"))
    status = await case.status()
    assert status.stage == CaseStage.LOCAL_REVIEW and status.missing_documents == []
    await case.accept()
    assert await case.stage() == CaseStage.COUNCIL_SCORING

    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "supplement_requested",
        "supplement_received",
        "review_accepted",
    ]
    supplement_mail = case_world.smtp.messages_to(PRODUCER_EMAIL)[1]
    body = supplement_mail.get_body(("plain",))
    assert body is not None and "Phiếu kết quả kiểm nghiệm" in body.get_content()
    assert "16/03/2024" in body.get_content()


@pytest.mark.record_history
async def test_a_missed_supplement_deadline_returns_the_dossier_with_the_reason(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input(honey_dossier(complete=False)))
    await case.request_supplement(DocumentKind.TEST_RESULTS)

    final = await case.outcome()  # the server skips the 15 days

    assert final.stage == CaseStage.RETURNED
    assert "did not arrive" in final.rounds[-1].reason
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL)[-1] == "supplement_missed"
    assert (await case_world.audit(case.workflow_id))[-2:] == ["supplement_missed", "round_ended"]


async def test_a_rejected_dossier_ends_the_round_and_tells_the_producer_why(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.reject("Sản phẩm không thuộc danh mục OCOP của tỉnh")

    final = await case.outcome()
    assert final.stage == CaseStage.REJECTED
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL) == ["dossier_received", "review_rejected"]
    body = case_world.smtp.messages_to(PRODUCER_EMAIL)[-1].get_body(("plain",))
    assert body is not None and "không thuộc danh mục OCOP" in body.get_content()


async def test_an_incomplete_dossier_cannot_be_accepted(case_world: CaseWorld) -> None:
    case = await case_world.open_case(case_input(honey_dossier(complete=False)))
    assert "documents are missing: test_results" in await refused(case.accept())
    assert await case.stage() == CaseStage.LOCAL_REVIEW


@pytest.mark.record_history
async def test_an_overdue_review_is_escalated_to_the_administrators_once(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case_world.env.sleep(timedelta(days=31))
    await case.mail_sent()
    assert case_world.inbox(ADMIN_EMAIL) == ["overdue"]

    await case_world.env.sleep(timedelta(days=31))
    await case.accept()  # late, but still accepted
    assert await case.stage() == CaseStage.COUNCIL_SCORING
    await case.mail_sent()
    assert case_world.inbox(ADMIN_EMAIL) == ["overdue"]

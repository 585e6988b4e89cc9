"""A product's first round, from submission to certificate, on each route the rules allow."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import case as search_attributes
from models.case import CaseStage
from models.rulebook import QD1489_2025
from models.stars import Stars
from tests.factories import PRODUCER_EMAIL, case_input, local_assessment
from tests.fixtures.lifecycle import CaseWorld
from tests.updates import refused


@pytest.mark.record_history
async def test_a_district_council_score_of_62_earns_three_stars_from_the_district(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    closed = await case.score_and_close("district", 62, 60, 65, 61)
    assert closed.result is not None and closed.result.stars == Stars.THREE
    assert await case.stage() == CaseStage.AWAITING_RECOGNITION

    await case.recognise(
        "district", date(2024, 3, 1), decision="QD-125/UBND", certificate="BL-3S-01"
    )

    status = await case.status()
    assert status.stage == CaseStage.CERTIFIED
    assert status.certificate is not None
    assert (status.certificate.stars, status.certificate.level) == (Stars.THREE, "district")
    assert status.certificate.valid_until == date(2027, 3, 1)
    assert [d.number for d in status.decisions] == ["QD-125/UBND"]
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "review_accepted",
        "council_result",
        "recognised",
    ]
    assert await case_world.certificates(case.workflow_id) == [("BL-3S-01", 3, "active")]
    found = (await case.handle.describe()).typed_search_attributes
    assert found.get(search_attributes.STAGE) == "certified"
    assert found.get(search_attributes.STARS) == 3
    assert found.get(search_attributes.PROVINCE) == "quang-ninh"
    assert found.get(search_attributes.RULEBOOK) == "qd148-2023"
    audit = await case_world.audit(case.workflow_id)
    assert audit[:2] == ["dossier_received", "review_accepted"]
    assert audit.count("scorecard_submitted") == 4
    assert audit[-2:] == ["council_result", "recognised"]


async def test_a_district_score_above_70_goes_up_and_the_province_recognises_four_stars(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 76, 74, 78, 75)
    status = await case.status()
    assert (status.stage, status.level) == (CaseStage.COUNCIL_SCORING, "province")

    closed = await case.score_and_close("province", 80, 78, 79, 81)
    assert closed.result is not None and closed.result.mean == 79.5
    await case.recognise("province", date(2024, 3, 1), decision="215/QĐ-UBND")

    status = await case.status()
    assert status.certificate is not None
    assert (status.certificate.stars, status.certificate.level) == (Stars.FOUR, "province")
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "review_accepted",
        "council_result",
        "forwarded",
        "council_result",
        "recognised",
    ]
    # Each council heard of its own session only.
    assert case_world.inbox("district.chair@example.vn") == ["council_session_opened"]
    assert case_world.inbox("province.m3@example.vn") == ["council_session_opened"]


async def test_ninety_points_at_province_go_to_the_central_council_for_five_stars(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 93, 91, 92, 90)
    await case.score_and_close("province", 92, 90, 94, 91)
    await case.score_and_close("central", 95, 93, 94, 92)
    assert (await case.status()).level == "central"
    await case.recognise("central", date(2024, 3, 1), decision="999/QĐ-BNNMT")

    status = await case.status()
    assert status.certificate is not None and status.certificate.stars == Stars.FIVE
    assert status.certificate.authority == "UBND central"


async def test_a_province_score_below_70_is_recognised_back_at_the_district(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 72, 71, 73, 70)
    closed = await case.score_and_close("province", 66, 68, 65, 67)
    assert closed.result is not None and closed.result.stars == Stars.THREE
    status = await case.status()
    assert (status.stage, status.level) == (CaseStage.AWAITING_RECOGNITION, "district")


@pytest.mark.record_history
async def test_failing_a_mandatory_criterion_ends_the_round_without_a_certificate(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    await case.score("district", 75, 74, 76, 73, mandatory=False)
    closed = await case.close("district")
    assert closed.result is not None
    assert (closed.result.stars, closed.result.mandatory_criteria_met) == (Stars.TWO, False)

    final = await case.outcome()
    assert final.stage == CaseStage.NOT_CERTIFIED and final.certificate is None
    assert "mandatory" in final.rounds[-1].reason
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL)[-1] == "council_result"
    assert await case_world.certificates(case.workflow_id) == []


@pytest.mark.record_history
async def test_under_the_2025_rules_the_commune_checks_and_the_province_scores(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input(rulebook=QD1489_2025))
    status = await case.status()
    assert (status.rulebook, status.level) == ("qd1489-2025", "commune")
    assert "its assessment of the four local-origin criteria" in await refused(
        case.accept(reviewer="UBND xã Bình Liêu")
    )
    await case.accept(reviewer="UBND xã Bình Liêu", local_assessment=local_assessment())
    status = await case.status()
    assert status.level == "province"
    assert status.local_assessment is not None and status.local_assessment.met_count == 4

    await case.score_and_close("province", 63, 60, 61, 64)
    await case.recognise("province", date(2024, 3, 1), decision="88/QĐ-UBND")

    status = await case.status()
    assert status.certificate is not None
    assert (status.certificate.stars, status.certificate.level) == (Stars.THREE, "province")
    await case.mail_sent()
    # The provincial council receives the commune's assessment with the dossier.
    opened = case_world.smtp.messages_to("province.chair@example.vn")[0].get_body(("plain",))
    assert opened is not None
    assert "Nguồn gốc sản phẩm hoặc nguyên liệu: đạt" in opened.get_content()
    assert "bien-ban-danh-gia-cua-xa.pdf" in opened.get_content()
    assert case_world.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "review_accepted",
        "forwarded",
        "council_result",
        "recognised",
    ]

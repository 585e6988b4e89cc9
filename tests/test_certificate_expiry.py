"""A certificate keeps its dates: it expires at the end of its 36 months even while its
re-evaluation is under way, unless the province's rules grant a grace period."""

from __future__ import annotations

from datetime import date

import pytest

from models.applicants import RegistrationKind
from models.case import CaseStage
from models.rulebook import QD148_2023
from models.stars import Stars
from tests.factories import PRODUCER_EMAIL, case_input
from tests.fixtures.lifecycle import CaseWorld
from tests.test_lifecycle_certificate import DECIDED, application, skip_to


@pytest.mark.record_history
async def test_the_old_certificate_expires_on_its_last_day_while_the_reevaluation_goes_on(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    await case.recognise("district", DECIDED, decision="125/QĐ-UBND", certificate="BL-01")
    await skip_to(case_world, case, date(2026, 12, 10))
    await case.apply(await application(case, RegistrationKind.REEVALUATION))
    await case.accept()

    await skip_to(case_world, case, date(2027, 3, 1))  # its last valid day
    assert (await case.status()).certificate is not None
    await skip_to(case_world, case, date(2027, 3, 2))
    status = await case.status()
    assert status.stage == CaseStage.COUNCIL_SCORING  # the re-evaluation goes on
    assert status.certificate is None and status.current_stars is None
    assert status.expired_certificate is not None
    assert status.expired_certificate.number == "BL-01"
    assert await case_world.certificates(case.workflow_id) == [("BL-01", 3, "expired")]
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL)[-1] == "certificate_expired"
    letter = case_world.smtp.messages_to(PRODUCER_EMAIL)[-1].get_body(("plain",))
    assert letter is not None and "đã hết hiệu lực" in letter.get_content()

    await case.score_and_close("district", 66, 64, 65, 63)
    today = (await case.status()).as_of.date()
    await case.recognise("district", today, decision="301/QĐ-UBND", certificate="BL-02")
    status = await case.status()
    assert status.certificate is not None and status.certificate.stars == Stars.THREE
    assert await case_world.certificates(case.workflow_id) == [
        ("BL-01", 3, "expired"),
        ("BL-02", 3, "active"),
    ]


async def test_a_grace_period_in_the_rules_keeps_it_valid_that_much_longer(
    case_world: CaseWorld,
) -> None:
    rules = QD148_2023.model_copy(update={"expiry_grace_days": 30})
    case = await case_world.open_case(case_input(rulebook=rules))
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    await case.recognise("district", DECIDED, decision="125/QĐ-UBND", certificate="BL-01")
    await skip_to(case_world, case, date(2026, 12, 10))
    await case.apply(await application(case, RegistrationKind.REEVALUATION))

    await skip_to(case_world, case, date(2027, 3, 31))  # 30 days after its last day
    assert (await case.status()).certificate is not None
    await skip_to(case_world, case, date(2027, 4, 1))
    status = await case.status()
    assert status.certificate is None and status.expired_certificate is not None
    assert status.stage == CaseStage.LOCAL_REVIEW


async def test_a_reevaluation_decided_before_expiry_replaces_the_certificate_as_before(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    await case.recognise("district", DECIDED, decision="125/QĐ-UBND", certificate="BL-01")
    await skip_to(case_world, case, date(2026, 12, 10))
    await case.apply(await application(case, RegistrationKind.REEVALUATION))
    await case.accept()
    await case.score_and_close("district", 66, 64, 65, 63)
    today = (await case.status()).as_of.date()
    await case.recognise("district", today, decision="301/QĐ-UBND", certificate="BL-02")
    await skip_to(case_world, case, date(2027, 3, 5))
    status = await case.status()
    assert status.expired_certificate is None and status.certificate is not None
    assert await case_world.certificates(case.workflow_id) == [
        ("BL-01", 3, "superseded"),
        ("BL-02", 3, "active"),
    ]

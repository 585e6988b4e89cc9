"""A certificate's three years: reminders, lapse, re-evaluation, upgrade, revocation."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from infra.cases import CaseAlreadyOpenError, open_case
from models.applicants import RegistrationKind
from models.case import Application, CaseStage, RevocationGround
from models.stars import Stars
from tests.case_driver import CaseDriver
from tests.factories import PRODUCER_EMAIL, START, case_input, honey_dossier
from tests.fixtures.lifecycle import CaseWorld
from tests.updates import refused

DECIDED = date(2024, 3, 1)


async def certified(world: CaseWorld) -> CaseDriver:
    """A honey case recognised 3★ by the district on 1 March 2024."""
    case = await world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    await case.recognise("district", DECIDED, decision="125/QĐ-UBND", certificate="BL-01")
    return case


async def skip_to(world: CaseWorld, case: CaseDriver, day: date) -> None:
    """Let the case's business time run to `day` (the test server skips it at once)."""
    now = (await case.status()).as_of
    await world.env.sleep(datetime(day.year, day.month, day.day, 3, tzinfo=START.tzinfo) - now)


async def application(case: CaseDriver, kind: RegistrationKind) -> Application:
    status = await case.status()
    dossier = honey_dossier(registration_kind=kind, current_stars=int(status.current_stars or 0))
    dossier = dossier.model_copy(update={"product_code": status.product_code})
    return Application(dossier=dossier, cycle_year=status.as_of.year)


@pytest.mark.record_history
async def test_reminders_at_90_and_30_days_then_the_certificate_lapses_after_36_months(
    case_world: CaseWorld,
) -> None:
    case = await certified(case_world)
    status = await case.status()
    assert status.next_deadline is not None
    assert status.next_deadline.due.date() == date(2026, 12, 2)  # 90 days before 2 March 2027

    final = await case.outcome()  # three years skipped in well under a second

    assert final.stage == CaseStage.LAPSED
    assert final.certificate is None and final.current_stars is None
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "review_accepted",
        "council_result",
        "recognised",
        "expiry_reminder",
        "expiry_reminder",
        "certificate_lapsed",
    ]
    reminders = case_world.smtp.messages_to(PRODUCER_EMAIL)[4:6]
    texts = [m.get_body(("plain",)).get_content() for m in reminders]  # type: ignore[union-attr]
    assert "90 ngày" in texts[0] and "30 ngày" in texts[1]
    assert await case_world.certificates(case.workflow_id) == [("BL-01", 3, "lapsed")]


@pytest.mark.parametrize(
    ("totals", "stars", "change"),
    [
        ((63, 61, 64, 60), Stars.THREE, "kept"),
        ((58, 55, 57, 54), Stars.THREE, "kept"),
        ((45, 44, 46, 47), None, "lost at expiry"),
    ],
)
async def test_a_reevaluation_in_the_last_months_renews_or_ends_the_certificate(
    case_world: CaseWorld, totals: tuple[int, ...], stars: Stars | None, change: str
) -> None:
    case = await certified(case_world)
    await skip_to(case_world, case, date(2026, 12, 10))  # after the 90-day reminder
    await case.apply(await application(case, RegistrationKind.REEVALUATION))

    status = await case.status()
    assert (status.round_number, status.stage) == (2, CaseStage.LOCAL_REVIEW)
    assert status.certificate is not None  # still valid while the new round runs
    await case.accept()
    await case.score_and_close("district", *totals)
    if stars is None:
        final = await case.outcome()
        assert final.stage == CaseStage.LAPSED and final.rounds[-1].outcome == "not_certified"
        return
    today = (await case.status()).as_of.date()
    await case.recognise("district", today, decision="301/QĐ-UBND", certificate="BL-02")
    status = await case.status()
    assert status.certificate is not None and status.certificate.stars == stars
    assert status.certificate.valid_from == today
    assert [r.round_number for r in status.rounds] == [1, 2]
    assert await case_world.certificates(case.workflow_id) == [
        ("BL-01", 3, "superseded"),
        ("BL-02", int(stars), "active"),
    ]


@pytest.mark.record_history
async def test_a_reevaluation_can_raise_or_lower_the_stars(case_world: CaseWorld) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 76, 74, 75, 77)  # forwarded, then 4★ at province
    await case.score_and_close("province", 78, 76, 77, 75)
    await case.recognise("province", DECIDED, decision="215/QĐ-UBND", certificate="QN-4S-01")
    await skip_to(case_world, case, date(2026, 12, 10))

    await case.apply(await application(case, RegistrationKind.REEVALUATION))
    await case.accept()
    await case.score_and_close("district", 64, 62, 63, 61)  # lower: district 3★
    today = (await case.status()).as_of.date()
    await case.recognise("district", today, decision="302/QĐ-UBND", certificate="BL-03")

    status = await case.status()
    assert status.current_stars == Stars.THREE
    await case.mail_sent()
    last = case_world.smtp.messages_to(PRODUCER_EMAIL)[-1]
    assert last["X-Ocop-Event"] == "recognised"
    assert "bị hạ hạng" in last.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_reevaluation_can_raise_the_stars_through_the_province(
    case_world: CaseWorld,
) -> None:
    case = await certified(case_world)
    await skip_to(case_world, case, date(2026, 12, 10))
    await case.apply(await application(case, RegistrationKind.REEVALUATION))
    await case.accept()
    await case.score_and_close("district", 76, 74, 75, 77)
    await case.score_and_close("province", 78, 76, 77, 75)
    today = (await case.status()).as_of.date()
    await case.recognise("province", today, decision="455/QĐ-UBND", certificate="QN-4S-09")

    assert (await case.status()).current_stars == Stars.FOUR
    await case.mail_sent()
    last = case_world.smtp.messages_to(PRODUCER_EMAIL)[-1]
    assert "được nâng hạng" in last.get_body(("plain",)).get_content()  # type: ignore[union-attr]


@pytest.mark.record_history
async def test_an_upgrade_during_validity_raises_the_stars(case_world: CaseWorld) -> None:
    case = await certified(case_world)
    await skip_to(case_world, case, date(2025, 6, 1))
    await case.apply(await application(case, RegistrationKind.UPGRADE))
    await case.accept()
    await case.score_and_close("district", 74, 72, 73, 75)
    await case.score_and_close("province", 76, 75, 77, 74)
    today = (await case.status()).as_of.date()
    await case.recognise("province", today, decision="410/QĐ-UBND", certificate="QN-4S-02")

    status = await case.status()
    assert status.current_stars == Stars.FOUR
    assert status.certificate is not None and status.certificate.valid_from == date(2025, 6, 1)


async def test_an_upgrade_that_does_not_reach_more_stars_keeps_the_certificate(
    case_world: CaseWorld,
) -> None:
    case = await certified(case_world)
    await skip_to(case_world, case, date(2025, 6, 1))
    await case.apply(await application(case, RegistrationKind.UPGRADE))
    await case.accept()
    await case.score_and_close("district", 66, 64, 65, 63)

    status = await case.status()
    assert status.stage == CaseStage.CERTIFIED
    assert status.certificate is not None and status.certificate.number == "BL-01"
    assert "upgrade needs more than the 3★" in status.rounds[-1].reason


async def test_reevaluation_is_refused_before_its_window_opens(case_world: CaseWorld) -> None:
    case = await certified(case_world)
    early = await refused(case.apply(await application(case, RegistrationKind.REEVALUATION)))
    assert "re-evaluation opens on 2026-09-03" in early
    assert (await case.status()).stage == CaseStage.CERTIFIED


@pytest.mark.record_history
async def test_revocation_ends_the_certificate_at_once(case_world: CaseWorld) -> None:
    case = await certified(case_world)
    await skip_to(case_world, case, date(2025, 1, 15))
    await case.revoke(date(2025, 1, 15), RevocationGround.FOOD_SAFETY)

    final = await case.outcome()
    assert final.stage == CaseStage.REVOKED and final.certificate is None
    assert [d.kind for d in final.decisions] == ["recognition", "revocation"]
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL)[-1] == "certificate_revoked"
    assert await case_world.certificates(case.workflow_id) == [("BL-01", 3, "revoked")]


async def test_a_second_submission_of_an_open_product_is_refused(case_world: CaseWorld) -> None:
    case = await case_world.open_case(case_input())
    status = await case.status()
    again = case_input(honey_dossier().model_copy(update={"product_code": status.product_code}))
    with pytest.raises(CaseAlreadyOpenError, match=r"already has an open case .* local_review"):
        await open_case(case_world.client, again, case_world.task_queue)
    assert (await case.status()).round_number == 1

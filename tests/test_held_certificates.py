"""A certificate issued before ocop-flow, loaded from the national register: its case
starts certified, tells the producer, reminds and lapses like any other — or takes a
re-evaluation — and the register holds it as issued."""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.client import WorkflowHistory

from infra.temporal import encrypted_converter
from models.applicants import RegistrationKind
from models.case import CaseStage
from models.held_certificates import HeldCertificate
from models.stars import Stars
from presentation.story import render_story, tell_story
from presentation.story.history import RunHistory, history_facts
from tests.factories import PRODUCER_EMAIL, case_input
from tests.fixtures.lifecycle import CaseWorld
from tests.test_lifecycle_certificate import application, skip_to
from tests.test_story import HISTORIES, RECORDED_UNDER

HELD = HeldCertificate(
    number="BL-2023-07",
    stars=Stars.FOUR,
    level="province",
    authority="UBND tỉnh Quảng Ninh",
    decision_number="88/2023/QĐ-UBND",
    decided_on=date(2023, 6, 1),
    valid_from=date(2023, 6, 1),
    valid_until=date(2026, 6, 1),
)


@pytest.mark.record_history
async def test_a_loaded_certificate_is_followed_to_its_reminders_and_its_lapse(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input(holding=HELD))
    status = await case.status()
    assert status.stage == CaseStage.CERTIFIED
    assert status.certificate is not None and status.certificate.number == "BL-2023-07"
    assert status.current_stars == Stars.FOUR
    assert status.next_deadline is not None
    assert status.next_deadline.due.date() == date(2026, 3, 4)  # 90 days before 2 June 2026
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL) == ["certificate_loaded"]
    letter = case_world.smtp.messages_to(PRODUCER_EMAIL)[0].get_body(("plain",))
    assert letter is not None
    text = letter.get_content()
    assert "BL-2023-07" in text and "01/06/2026" in text and "04/03/2026" in text
    assert await case_world.certificates(case.workflow_id) == [("BL-2023-07", 4, "active")]

    final = await case.outcome()

    assert final.stage == CaseStage.LAPSED and final.certificate is None
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL) == [
        "certificate_loaded",
        "expiry_reminder",
        "expiry_reminder",
        "certificate_lapsed",
    ]
    assert await case_world.certificates(case.workflow_id) == [("BL-2023-07", 4, "lapsed")]


async def test_a_loaded_certificate_takes_a_reevaluation_like_one_recognised_here(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input(holding=HELD))
    await skip_to(case_world, case, date(2026, 3, 10))  # after the 90-day reminder
    await case.apply(await application(case, RegistrationKind.REEVALUATION))
    status = await case.status()
    assert (status.round_number, status.stage) == (2, CaseStage.LOCAL_REVIEW)
    assert status.certificate is not None  # still valid while its re-evaluation runs

    await case.accept()
    await case.score_and_close("district", 63, 61, 64, 60)
    today = (await case.status()).as_of.date()
    await case.recognise("district", today, decision="301/QĐ-UBND", certificate="BL-2026-02")
    status = await case.status()
    assert status.certificate is not None and status.certificate.number == "BL-2026-02"
    assert await case_world.certificates(case.workflow_id) == [
        ("BL-2023-07", 4, "superseded"),
        ("BL-2026-02", 3, "active"),
    ]


async def test_the_story_of_a_loaded_case_says_where_its_certificate_came_from() -> None:
    path = next(HISTORIES.glob("i15-held-test_a_loaded_certificate_*-run1.json"))
    events = WorkflowHistory.from_json("wf", path.read_text(encoding="utf-8")).events
    facts = await history_facts(
        [RunHistory(run_id="run-1", events=events)], encrypted_converter(RECORDED_UNDER)
    )
    lines = render_story(tell_story("wf", facts, [], [], register_read=False))
    told = "\n".join(lines)
    assert "Case opened holding certificate BL-2023-07, issued before ocop-flow" in told
    assert (
        "Certificate BL-2023-07 (4★, UBND tỉnh Quảng Ninh, valid until 2026-06-01) loaded "
        "from the national register" in told
    )
    assert told.index("loaded from the national register") < told.index("Expiry reminder: 90")
    assert "Certificate BL-2023-07 (4★) lapsed after 2026-06-01" in told

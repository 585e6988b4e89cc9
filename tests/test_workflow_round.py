"""One evaluation round, the workflow alone (fake activities): at every branch, what the
case writes to the register, to whom it writes, and the stage it then reports.

The same routes run end to end, with the real register and SMTP, in
tests/test_lifecycle_*.py; here each takes about a second.
"""

from __future__ import annotations

from datetime import date, timedelta

from models.actors import actor_label
from models.case import CaseStage
from models.catalogue import DocumentKind
from models.events import (
    CouncilSessionOpened,
    DossierRejected,
    DossierReturned,
    RecipientRole,
    Recognised,
    RescoreRequested,
    ScoringResult,
    StepOverdue,
    SupplementRequested,
)
from models.records import CertificateStatus
from models.stars import Stars
from models.transitions import CaseTransition
from tests.factories import (
    ADMIN_EMAIL,
    PRODUCER_EMAIL,
    START,
    case_input,
    document,
    honey_dossier,
    scorecard_for_total,
)
from tests.fixtures.fakes import FakeWorld
from tests.signing import reviewer
from tests.updates import ok, refused

REVIEWER = "Phòng Nông nghiệp huyện Bình Liêu"
DISTRICT_COUNCIL = [
    "district.chair@example.vn",
    *(f"district.m{n}@example.vn" for n in range(1, 5)),
]


# ------------------------------------------------------------------ local review


async def test_an_accepted_dossier_opens_the_district_council_and_tells_its_members(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input())
    status = await case.status()
    assert (status.stage, status.level) == (CaseStage.LOCAL_REVIEW, "district")
    assert status.next_deadline is not None
    assert (status.next_deadline.what, status.next_deadline.due.date()) == (
        "district review",
        date(2024, 3, 31),
    )

    stage = await ok(case.accept(REVIEWER))

    assert stage == CaseStage.COUNCIL_SCORING  # the Update answers once the case has acted
    status = await case.status()
    assert (status.stage, status.level, status.session_attempt) == (
        CaseStage.COUNCIL_SCORING,
        "district",
        1,
    )
    assert status.next_deadline is not None
    assert status.next_deadline.what == "district council scoring"
    fakes = fake_world.fakes
    assert fakes.actions(case.workflow_id) == [
        "dossier_received",
        "review_accepted",
        "council_session_opened",
    ]
    # The register names the verified reviewer: name, role and subject.
    facts = (await case.access()).facts
    office = reviewer(facts.province, facts.locality, REVIEWER)
    assert fakes.records(case.workflow_id)[1].actor == actor_label(office)
    await case.mail_sent()
    assert fakes.inbox(PRODUCER_EMAIL) == ["dossier_received", "review_accepted"]
    [opened] = [
        n
        for n in fakes.letters(case.workflow_id)
        if n.event.kind == CaseTransition.COUNCIL_SESSION_OPENED
    ]
    assert [r.email for r in opened.recipients] == DISTRICT_COUNCIL
    assert {r.role for r in opened.recipients} == {RecipientRole.COUNCIL_MEMBER}
    assert isinstance(opened.event, CouncilSessionOpened)
    assert (opened.event.attempt, opened.event.deadline) == (1, date(2024, 3, 31))


async def test_a_rejection_ends_the_round_and_its_reason_reaches_the_producer(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input())
    reason = "Sản phẩm không thuộc danh mục OCOP của tỉnh"
    await case.reject(reason)

    final = await case.outcome()

    assert final.stage == CaseStage.REJECTED and final.certificate is None
    assert [(r.outcome, r.reason) for r in final.rounds] == [(CaseStage.REJECTED, reason)]
    fakes = fake_world.fakes
    assert fakes.actions(case.workflow_id) == ["dossier_received", "review_rejected", "round_ended"]
    assert fakes.records(case.workflow_id)[-1].reason == reason
    assert fakes.inbox(PRODUCER_EMAIL) == ["dossier_received", "review_rejected"]
    rejection = fakes.letters(case.workflow_id)[-1].event
    assert isinstance(rejection, DossierRejected) and rejection.reason == reason


async def test_an_incomplete_dossier_cannot_be_accepted_and_the_refusal_writes_nothing(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input(honey_dossier(complete=False)))

    assert "documents are missing: test_results" in await refused(case.accept())

    assert await case.stage() == CaseStage.LOCAL_REVIEW
    assert fake_world.fakes.actions(case.workflow_id) == ["dossier_received"]


async def test_a_supplement_brought_on_the_last_day_sends_the_dossier_back_to_review(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input(honey_dossier(complete=False)))
    await case.request_supplement(DocumentKind.TEST_RESULTS)
    status = await case.status()
    assert status.stage == CaseStage.AWAITING_SUPPLEMENT
    assert status.missing_documents == [DocumentKind.TEST_RESULTS]
    assert status.next_deadline is not None
    assert status.next_deadline.due.date() == date(2024, 3, 16)

    await fake_world.skip_to(case, START + timedelta(days=15) - timedelta(hours=1))
    await case.supply(document(DocumentKind.TEST_RESULTS, "kiem-nghiem-2024.pdf"))

    status = await case.status()
    assert (status.stage, status.missing_documents) == (CaseStage.LOCAL_REVIEW, [])
    await case.accept()
    assert await case.stage() == CaseStage.COUNCIL_SCORING
    assert fake_world.fakes.actions(case.workflow_id) == [
        "dossier_received",
        "supplement_requested",
        "supplement_received",
        "review_accepted",
        "council_session_opened",
    ]
    await case.mail_sent()
    assert fake_world.fakes.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "supplement_requested",
        "supplement_received",
        "review_accepted",
    ]
    request = fake_world.fakes.letters(case.workflow_id)[1].event
    assert isinstance(request, SupplementRequested)
    assert (request.documents, request.deadline) == (
        (DocumentKind.TEST_RESULTS,),
        date(2024, 3, 16),
    )


async def test_a_supplement_that_never_comes_returns_the_dossier_at_its_deadline(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input(honey_dossier(complete=False)))
    await case.request_supplement(DocumentKind.TEST_RESULTS)

    final = await case.outcome()  # the server skips the 15 days

    assert final.stage == CaseStage.RETURNED
    assert final.rounds[-1].reason == "the supplement requested until 2024-03-16 did not arrive"
    fakes = fake_world.fakes
    assert fakes.actions(case.workflow_id) == [
        "dossier_received",
        "supplement_requested",
        "supplement_missed",
        "round_ended",
    ]
    missed = fakes.records(case.workflow_id)[2]
    assert (missed.actor, missed.occurred_at.date()) == ("system", date(2024, 3, 16))
    assert fakes.inbox(PRODUCER_EMAIL)[-1] == "supplement_missed"
    returned = fakes.letters(case.workflow_id)[-1].event
    assert isinstance(returned, DossierReturned)
    assert returned.documents == (DocumentKind.TEST_RESULTS,)


async def test_an_overdue_review_passes_to_the_province_and_both_sides_hear_once(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input())
    await fake_world.skip_to(case, START + timedelta(days=31))

    overdue = await fake_world.recorded(case, "local_review_overdue")
    assert overdue.occurred_at.date() == date(2024, 3, 31)
    await case.mail_sent()
    [letter] = [
        n
        for n in fake_world.fakes.letters(case.workflow_id)
        if n.event.kind == CaseTransition.OVERDUE
    ]
    # The office that may now take the review, and the producer whose dossier moved.
    assert [(r.email, r.role) for r in letter.recipients] == [
        (ADMIN_EMAIL, RecipientRole.ADMINISTRATOR),
        (PRODUCER_EMAIL, RecipientRole.PRODUCER),
    ]
    assert isinstance(letter.event, StepOverdue)
    assert letter.event.escalated_to == "Văn phòng Điều phối Chương trình OCOP tỉnh Quảng Ninh"
    assert (letter.event.stage, letter.event.deadline) == (
        CaseStage.LOCAL_REVIEW,
        date(2024, 3, 31),
    )

    await fake_world.skip_to(case, START + timedelta(days=62))
    await case.accept()  # late, but still accepted

    assert await case.stage() == CaseStage.COUNCIL_SCORING
    assert fake_world.fakes.actions(case.workflow_id).count("local_review_overdue") == 1
    assert fake_world.fakes.inbox(ADMIN_EMAIL) == ["overdue"]


# ---------------------------------------------------------------------- council


async def test_a_session_short_of_quorum_or_without_its_chair_cannot_close(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input())
    await case.accept()
    chair, *members = case.councils["district"].members
    for member, total in zip(members[:3], (62, 60, 65), strict=True):
        await case.submit(scorecard_for_total(member.member_id, "district", total, case.maxima))

    message = await refused(case.close("district"))

    assert "quorum not reached: 3 of the 4 scorecards needed" in message
    assert "the chair has not scored" in message
    assert "session_closed" not in fake_world.fakes.actions(case.workflow_id)
    assert await case.stage() == CaseStage.COUNCIL_SCORING

    await case.submit(scorecard_for_total(chair.member_id, "district", 61, case.maxima))
    closed = await case.close("district")
    assert closed.result is not None and closed.result.stars == Stars.THREE
    assert fake_world.fakes.actions(case.workflow_id)[-3:] == [
        "scorecard_submitted",
        "session_closed",
        "council_result",
    ]
    assert await case.stage() == CaseStage.AWAITING_RECOGNITION


async def test_totals_more_than_ten_apart_reopen_the_session_and_only_the_members_hear_why(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input())
    await case.accept()

    closed = await case.score_and_close("district", 70, 58, 64, 66)

    assert closed.outcome == "rescore_required"
    status = await case.status()
    assert (status.stage, status.session_attempt, status.scores) == (
        CaseStage.COUNCIL_SCORING,
        2,
        [],
    )
    closed = await case.score_and_close("district", 66, 62, 64, 65)
    assert closed.result is not None and closed.result.mean == 64.25
    fakes = fake_world.fakes
    scoring = [r for r in fakes.records(case.workflow_id) if r.scorecard is not None]
    assert [r.scorecard.attempt for r in scoring if r.scorecard] == [1, 1, 1, 1, 2, 2, 2, 2]
    assert fakes.actions(case.workflow_id)[7:10] == [
        "session_closed",
        "rescore_requested",
        "scorecard_submitted",
    ]
    await case.mail_sent()
    [rescore] = [
        n
        for n in fakes.letters(case.workflow_id)
        if n.event.kind == CaseTransition.RESCORE_REQUESTED
    ]
    assert [r.email for r in rescore.recipients] == DISTRICT_COUNCIL
    assert isinstance(rescore.event, RescoreRequested)
    assert (rescore.event.lowest, rescore.event.highest) == (58, 70)
    assert fakes.inbox(PRODUCER_EMAIL) == ["dossier_received", "review_accepted", "council_result"]


async def test_seventy_points_at_the_district_send_the_case_up_to_the_province_council(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input())
    await case.accept()

    await case.score_and_close("district", 76, 74, 78, 75)

    status = await case.status()
    assert (status.stage, status.level) == (CaseStage.COUNCIL_SCORING, "province")
    assert status.last_result is not None and status.last_result.mean == 75.75
    fakes = fake_world.fakes
    assert fakes.actions(case.workflow_id)[-3:] == [
        "council_result",
        "forwarded",
        "council_session_opened",
    ]
    await case.mail_sent()
    assert fakes.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "review_accepted",
        "council_result",
        "forwarded",
    ]
    result = next(
        n.event
        for n in fakes.letters(case.workflow_id)
        if n.event.kind == CaseTransition.COUNCIL_RESULT
    )
    assert isinstance(result, ScoringResult) and result.outcome == "forward"
    # Each council hears of its own session only.
    assert fakes.inbox("district.chair@example.vn") == ["council_session_opened"]
    assert fakes.inbox("province.chair@example.vn") == ["council_session_opened"]


async def test_a_failed_mandatory_criterion_ends_the_round_without_a_certificate(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input())
    await case.accept()
    await case.score("district", 75, 74, 76, 73, mandatory=False)
    await case.close("district")

    final = await case.outcome()

    assert final.stage == CaseStage.NOT_CERTIFIED and final.certificate is None
    assert "mandatory" in final.rounds[-1].reason
    fakes = fake_world.fakes
    assert fakes.actions(case.workflow_id)[-3:] == [
        "session_closed",
        "council_result",
        "round_ended",
    ]
    assert all(r.certificate is None for r in fakes.records(case.workflow_id))
    result = fakes.letters(case.workflow_id)[-1].event
    assert isinstance(result, ScoringResult)
    assert (result.outcome, result.stars) == ("no_certificate", Stars.TWO)


# ------------------------------------------------------------------ recognition


async def test_a_recognition_decision_certifies_the_product_for_36_months(
    fake_world: FakeWorld,
) -> None:
    case = await fake_world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    status = await case.status()
    assert (status.stage, status.level) == (CaseStage.AWAITING_RECOGNITION, "district")

    await case.recognise("district", date(2024, 3, 1), decision="125/QĐ-UBND", certificate="BL-01")

    status = await case.status()
    assert status.stage == CaseStage.CERTIFIED and status.certificate is not None
    assert (status.certificate.number, status.certificate.stars) == ("BL-01", Stars.THREE)
    assert status.certificate.valid_until == date(2027, 3, 1)
    assert status.next_deadline is not None
    assert (status.next_deadline.what, status.next_deadline.due.date()) == (
        "expiry reminder",
        date(2026, 12, 2),
    )
    recognised = fake_world.fakes.records(case.workflow_id)[-1]
    assert recognised.action == "recognised"
    assert recognised.decision is not None and recognised.decision.number == "125/QĐ-UBND"
    assert recognised.certificate is not None
    assert recognised.certificate.status == CertificateStatus.ACTIVE
    await case.mail_sent()
    assert fake_world.fakes.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "review_accepted",
        "council_result",
        "recognised",
    ]
    letter = fake_world.fakes.letters(case.workflow_id)[-1].event
    assert isinstance(letter, Recognised)
    assert (letter.stars, letter.valid_until, letter.previous_stars) == (
        Stars.THREE,
        date(2027, 3, 1),
        None,
    )

"""Council sessions: quorum, divergence, re-scoring, and every refused scorecard."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts.case import SUBMIT_SCORECARD
from models.case import CaseStage
from models.scorecard import Scorecard
from models.stars import Stars
from tests.factories import PRODUCER_EMAIL, case_input
from tests.fixtures.lifecycle import CaseWorld
from tests.signing import any_signature
from tests.updates import refused


def card(member: str, level: str = "district", **parts: Any) -> Scorecard:
    values = {"part_a": 25, "part_b": 15, "part_c": 22, "mandatory_criteria_met": True} | parts
    return Scorecard(member_id=member, level=level, **values)


@pytest.mark.record_history
async def test_totals_more_than_ten_apart_reopen_the_session_and_tell_the_members_why(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    closed = await case.score_and_close("district", 70, 58, 64, 66)

    assert closed.outcome == "rescore_required"
    assert "range from 58 to 70 points, 12 apart" in closed.explanation
    status = await case.status()
    assert (status.stage, status.session_attempt, status.scores) == (
        CaseStage.COUNCIL_SCORING,
        2,
        [],
    )

    closed = await case.score_and_close("district", 66, 62, 64, 65)
    assert closed.result is not None and closed.result.mean == 64.25
    await case.mail_sent()
    assert case_world.inbox("district.m2@example.vn") == [
        "council_session_opened",
        "rescore_requested",
    ]
    rescore_mail = case_world.smtp.messages_to("district.m2@example.vn")[-1]
    body = rescore_mail.get_body(("plain",))
    assert body is not None and "12" in body.get_content()
    # Both rounds of scorecards are kept in the register.
    assert (await case_world.audit(case.workflow_id)).count("scorecard_submitted") == 8


async def test_a_session_without_quorum_or_chair_cannot_close(case_world: CaseWorld) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    members = case.councils["district"].members  # the chair and four members
    for member in members[1:4]:  # three members, no chair
        await case.submit(card(member.member_id))

    message = await refused(case.close("district"))
    assert "quorum not reached: 3 of the 4 scorecards needed" in message
    assert "the chair has not scored" in message

    await case.submit(card(members[0].member_id))
    closed = await case.close("district")
    assert closed.result is not None and closed.result.stars == Stars.THREE


async def test_a_member_may_replace_their_scorecard_until_the_session_closes(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    await case.accept()
    await case.score("district", 60, 60, 60, 60)
    await case.submit(card("district-chair", part_a=30, part_b=20, part_c=25))  # 75 replaces 60

    status = await case.status()
    chair = next(score for score in status.scores if score.member_id == "district-chair")
    assert chair.total == 75 and len(status.scores) == 4
    assert "scorecard_replaced" in await case_world.audit(case.workflow_id)


@pytest.mark.record_history
async def test_bad_scorecards_and_decisions_are_refused_and_the_case_carries_on(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_input())
    early = await refused(case.submit(card("district-chair")))
    assert "no council session is open" in early

    await case.accept()
    before = await case.status()
    stranger = await refused(case.submit(card("ong-ba-lan")))
    assert "'ong-ba-lan' is not a member of the district council" in stranger
    wrong_level = await refused(case.submit(card("province-chair", level="province")))
    assert "the open session is at district level, not province" in wrong_level
    too_many = await refused(case.submit(card("district-chair", part_a=45)))
    assert "part_a has 45 points but its maximum is 40" in too_many
    assert "A 0–40, B 0–25, C 0–35" in too_many

    # Malformed payloads (a client that skips our models) are refused on arrival too.
    for payload, expected in (
        ({"scorecard": card("district-m1").model_dump() | {"part_b": -3}}, "part_b"),
        ({"scorecard": {"member_id": "district-m1", "level": "district", "part_a": 30}}, "part_c"),
    ):
        # With a second argument the payload is decoded by its type, so it is refused
        # as input before any signature is looked at.
        malformed = case.handle.execute_update(
            SUBMIT_SCORECARD.name, args=[payload, any_signature()]
        )
        assert expected in await refused(malformed)

    wrong_recognition = await refused(
        case.recognise("district", date(2024, 3, 1), "1/QĐ", "C-1", "UBND")
    )
    assert "not awaiting a recognition decision" in wrong_recognition

    # Nothing of the above touched the case: it goes on as if they never came.
    after = await case.status()
    assert (after.stage, after.scores, after.session_attempt) == (
        before.stage,
        before.scores,
        before.session_attempt,
    )
    await case.score_and_close("district", 62, 61, 63, 60)
    closed_again = await refused(case.close("district"))
    assert "no council session is open" in closed_again
    future = await refused(case.recognise("district", date(2031, 1, 1), "1/QĐ", "C-1", "UBND"))
    assert "is in the future" in future
    wrong_level_decision = await refused(
        case.recognise("province", date(2024, 3, 1), "1/QĐ", "C-1", "UBND")
    )
    assert "to be recognised at district level, not province" in wrong_level_decision
    await case.recognise("district", date(2024, 3, 1))
    assert await case.stage() == CaseStage.CERTIFIED
    await case.mail_sent()
    assert case_world.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "review_accepted",
        "council_result",
        "recognised",
    ]

"""Dated council meetings: an agenda of several products, two working days' notice,
scorecards taken at the meeting, minutes kept in the register and printed.

The rules, then two products through one meeting on the dev server through the API,
their cases on a paced calendar that the test moves to the meeting day."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from contracts import case as contract
from infra.cases import case_handle, open_case
from models.case import CasePolicy, CaseStage
from models.clock import CalendarMove, end_of_day
from models.council import MeetingSlot
from models.council_meetings import (
    MeetingCall,
    earliest_meeting_day,
    early_scorecard_refusal,
    meeting_refusal,
)
from models.holiday_tables import official_working_calendar
from models.register import AuditEventRow, CouncilMeetingRow
from tests.factories import PRODUCER_EMAIL, case_input, honey_dossier, scorecard_for_total
from tests.fixtures.api import ApiWorld
from tests.fixtures.lifecycle import CaseWorld
from tests.signing import member as member_actor
from tests.signing import secretary
from tests.test_api_cli import ocop
from tests.updates import ok as ok_update
from tests.updates import refused
from tests.waiting import eventually

CALENDAR = official_working_calendar((2026,))
SLOT = MeetingSlot(
    meeting_id="hd-quang-ninh-district-2026-03-04-ubndbinhlieu",
    level="district",
    meets_on=date(2026, 3, 4),
    venue="Hội trường UBND huyện Bình Liêu",
    called_by="Thư ký hội đồng",
)


def refusal_of(slot: MeetingSlot, **changes: Any) -> str | None:
    facts: dict[str, Any] = {
        "stage": CaseStage.COUNCIL_SCORING,
        "level": "district",
        "today": date(2026, 3, 2),
        "due": end_of_day(date(2026, 4, 13)),
        "calendar": CALENDAR,
        "current": None,
        **changes,
    }
    found = meeting_refusal(slot, **facts)
    return found.message if found else None


# ---------------------------------------------------------------------- rules


def test_members_get_the_dossiers_two_working_days_ahead() -> None:
    assert earliest_meeting_day(date(2026, 3, 2), CALENDAR) == date(2026, 3, 4)  # Mon → Wed
    assert earliest_meeting_day(date(2026, 2, 13), CALENDAR) == date(2026, 2, 24)  # over Tết
    assert refusal_of(SLOT) is None
    soon = refusal_of(SLOT.model_copy(update={"meets_on": date(2026, 3, 3)}))
    assert soon is not None and "earliest meeting day is 2026-03-04" in soon


def test_a_meeting_takes_only_products_waiting_for_its_council_before_their_deadline() -> None:
    assert "not waiting for the district council" in (
        refusal_of(SLOT, stage=CaseStage.LOCAL_REVIEW) or ""
    )
    assert "not waiting" in (refusal_of(SLOT, level="province") or "")
    late = refusal_of(SLOT, due=end_of_day(date(2026, 3, 3)))
    assert late is not None and "extend it first" in late
    other = SLOT.model_copy(update={"meeting_id": "hd-other", "meets_on": date(2026, 3, 6)})
    taken = refusal_of(SLOT, current=other)
    assert taken is not None and "already on the agenda" in taken
    assert refusal_of(SLOT, current=SLOT) is None  # called again: the same meeting


def test_scorecards_are_taken_from_the_meeting_day() -> None:
    early = early_scorecard_refusal(SLOT, date(2026, 3, 3))
    assert early is not None and "scored at the meeting of 2026-03-04" in early.message
    assert early_scorecard_refusal(SLOT, date(2026, 3, 4)) is None
    assert early_scorecard_refusal(None, date(2026, 3, 3)) is None


def test_an_agenda_names_each_product_once_and_is_bounded() -> None:
    base = {"level": "district", "meets_on": "2026-03-04", "venue": "x", "called_by": "x"}
    with pytest.raises(ValidationError, match="repeated: a-case"):
        MeetingCall.model_validate({**base, "agenda": ["a-case", "a-case"]})
    with pytest.raises(ValidationError) as too_many:
        MeetingCall.model_validate({**base, "agenda": [f"case-{n}" for n in range(41)]})
    assert too_many.value.errors()[0]["loc"] == ("agenda",)
    with pytest.raises(ValidationError):
        MeetingCall.model_validate({**base, "agenda": ["Not An Id!"]})


# ---------------------------------------------------------------- a meeting


MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


def card(member: str, total: int) -> dict[str, Any]:
    scorecard = scorecard_for_total(member, "district", total, honey_dossier_maxima(), True)
    return {"scorecard": scorecard.model_dump(mode="json")}


def honey_dossier_maxima() -> Any:
    return case_input().rulebook.maxima


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _at_council(world: ApiWorld, name: str) -> str:
    dossier = honey_dossier().model_copy(
        update={
            "province": world.province,
            "product_code": f"MO-{uuid.uuid4().hex[:6]}",
            "product_name": name,
        }
    )
    policy = CasePolicy(working_calendar=CALENDAR, paced_calendar=True)
    case = case_input(dossier, policy=policy, business_start=MONDAY)
    handle = await open_case(world.client, case, world.task_queue)
    accept = {"action": "accept", "reviewer": "x"}
    path = f"/api/v1/cases/{handle.id}/review"
    answer = ok(await world.call("POST", path, "reviewer-bl", json=accept))
    assert answer["stage"] == "council_scoring"
    return handle.id


@pytest.mark.devserver
async def test_one_meeting_scores_two_products_and_its_minutes_are_kept_and_printed(
    api_world: ApiWorld, tmp_path: Path
) -> None:
    world = api_world
    honey = await _at_council(world, "Mật ong rừng Bình Liêu")
    tea = await _at_council(world, "Chè Hoa vàng Ba Chẽ")
    call = {
        "level": "district",
        "meets_on": "2026-03-03",
        "venue": "Hội trường UBND huyện Bình Liêu",
        "agenda": [honey, tea],
        "called_by": "x",
    }
    soon = await world.call("POST", "/api/v1/council-meetings", "secretary", json=call)
    assert soon.status_code == 422 and "earliest meeting day is 2026-03-04" in soon.text
    producer = await world.call(
        "POST", "/api/v1/council-meetings", "producer", json={**call, "meets_on": "2026-03-04"}
    )
    assert producer.status_code == 403
    nowhere = await world.call(
        "POST", "/api/v1/council-meetings", "secretary", json={**call, "level": "hamlet"}
    )
    assert nowhere.status_code == 422 and "no council at level 'hamlet'" in nowhere.text
    called = ok(
        await world.call(
            "POST", "/api/v1/council-meetings", "secretary", json={**call, "meets_on": "2026-03-04"}
        )
    )
    assert called["on_agenda"] == [honey, tea] and called["refused"] == []
    assert called["slot"]["called_by"] == "Thư ký hội đồng huyện"  # the signed-in name
    meeting = called["meeting_id"]

    early = await world.call(
        "POST",
        f"/api/v1/cases/{honey}/scorecards",
        "district-chair",
        json=card("district-chair", 80),
    )
    assert early.status_code in (409, 422) and "2026-03-04" in early.text

    # The meeting day comes: each case's paced calendar moves to it.
    for workflow_id in (honey, tea):
        await case_handle(world.client, workflow_id).signal(
            contract.CALENDAR_MOVED.name, CalendarMove(to=datetime(2026, 3, 4, 1, tzinfo=UTC))
        )
    for seat, total in (("chair", 80), ("m1", 76), ("m2", 78), ("m3", 74)):
        member = f"district-{seat}"

        async def scored(member: str = member, total: int = total) -> bool | None:
            answer = await world.call(
                "POST", f"/api/v1/cases/{honey}/scorecards", member, json=card(member, total)
            )
            return True if answer.status_code == 200 else None  # the move not yet taken

        await eventually(scored, f"{member}'s scorecard at the meeting")
    close = {"level": "district", "closed_by": "x"}
    ok(await world.call("POST", f"/api/v1/cases/{honey}/sessions/close", "secretary", json=close))
    ok(
        await world.call(
            "POST", f"/api/v1/cases/{tea}/scorecards", "district-m1", json=card("district-m1", 50)
        )
    )

    closed = await ocop(world, "district-chair", "meeting", "close", meeting, "--json")
    assert closed.exit_code == 0, closed.output
    minutes = json.loads(closed.stdout)
    first, second = minutes["items"]
    assert (first["workflow_id"], first["concluded"], first["stars"]) == (honey, True, 4)
    assert first["scored_by"] == ["district-chair", "district-m1", "district-m2", "district-m3"]
    assert first["quorum"] and first["mean"] == "77.00"
    assert (second["concluded"], second["quorum"], second["scored_by"]) == (
        False,
        False,
        ["district-m1"],
    )
    assert minutes["attended"] == ["district-chair", "district-m1", "district-m2", "district-m3"]
    async with world.sessions() as session:
        row = await session.scalar(
            select(CouncilMeetingRow).where(CouncilMeetingRow.meeting_id == meeting)
        )
    assert row is not None and row.minutes is not None and row.agenda == [honey, tea]

    page = await world.call("GET", f"/api/v1/council-meetings/{meeting}/minutes.html", "secretary")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for words in (
        "Biên bản họp Hội đồng đánh giá, phân hạng sản phẩm OCOP",
        "04/03/2026",
        "Mật ong rừng Bình Liêu",
        "Chè Hoa vàng Ba Chẽ",
        "4 sao",
        "chưa kết luận",
    ):
        assert words in page.text, words
    stranger = await world.call("GET", f"/api/v1/council-meetings/{meeting}/minutes", "producer")
    assert stranger.status_code == 403
    printed = tmp_path / "bien-ban.html"
    written = await ocop(world, "secretary", "meeting", "minutes", meeting, "--html", str(printed))
    assert written.exit_code == 0, written.output
    assert "Chè Hoa vàng Ba Chẽ" in printed.read_text(encoding="utf-8")
    again = await ocop(world, "secretary", "meeting", "minutes", meeting)
    assert again.exit_code == 0 and "not concluded" in again.stdout


# ------------------------------------------------- the case's side, on skipped time


@pytest.mark.record_history
async def test_a_product_on_a_meetings_agenda_is_scored_from_its_day(
    case_world: CaseWorld,
) -> None:
    policy = CasePolicy(working_calendar=CALENDAR)
    case = await case_world.open_case(case_input(policy=policy, business_start=MONDAY))
    assert await case.accept() == CaseStage.COUNCIL_SCORING
    province = (await case.access()).facts.province
    slot = SLOT.model_copy(update={"meeting_id": f"hd-{province}-district-2026-03-04-x"})
    assert await ok_update(
        case.act_as(secretary(province, "district"), contract.JOIN_MEETING, slot)
    )
    assert (await case.status()).council_meeting == slot
    assert "scored at the meeting of 2026-03-04" in await refused(case.score("district", 80))
    member = member_actor(province, "district", "district-m1")
    assert "may call its meetings" in await refused(
        case.act_as(member, contract.JOIN_MEETING, slot)
    )

    await case_world.env.sleep(datetime(2026, 3, 4, 1, tzinfo=UTC) - MONDAY)
    result = await case.score_and_close("district", 80, 76, 78, 74)
    assert result.result is not None and result.result.stars == 4
    await case.mail_sent()
    assert "council_meeting_scheduled" in case_world.inbox(PRODUCER_EMAIL)
    # The register keeps each scorecard as the meeting's.
    async with case_world.sessions() as session:
        cards = (
            await session.scalars(
                select(AuditEventRow).where(
                    AuditEventRow.workflow_id == case.workflow_id,
                    AuditEventRow.action == "scorecard_submitted",
                )
            )
        ).all()
    assert len(cards) == 4 and {c.details["meeting"] for c in cards} == {slot.meeting_id}

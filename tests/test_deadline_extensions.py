"""More time for a step, with a reason, and a late review passing to the province.

The rules first (who may extend, when, how far; who may review a late dossier), then a
case on Vietnam's working calendar around Tết 2026 on the time-skipping server."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from contracts import case as contract
from infra.cases import open_case
from models.actors import CaseFacts
from models.case import CasePolicy, CaseStage, ReviewAction, ReviewDecision
from models.clock import VIETNAM, end_of_day
from models.deadline_rules import (
    escalated_review_refusal,
    extension_actor_refusal,
    extension_refusal,
)
from models.deadlines import DeadlineExtension, DeadlineStep, GrantedExtension, extended_due
from models.holiday_tables import official_working_calendar
from models.working_days import add_working_days
from tests.factories import ADMIN_EMAIL, PRODUCER_EMAIL, case_input, honey_dossier
from tests.fixtures.api import ApiWorld
from tests.fixtures.lifecycle import CaseWorld
from tests.signing import administrator, member, producer_of, reviewer_of
from tests.updates import ok, refused
from tests.waiting import eventually

CALENDAR = official_working_calendar((2025, 2026))
BEFORE_TET_2026 = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
DOSSIER = honey_dossier()
FACTS = CaseFacts.of("ocop-product-x", DOSSIER, "district")


def extension(step: DeadlineStep = DeadlineStep.REVIEW, days: int = 5) -> DeadlineExtension:
    return DeadlineExtension(
        step=step,
        working_days=days,
        reason="Chờ kết quả kiểm tra thực địa tại cơ sở sản xuất",
        extended_by="Phòng Nông nghiệp huyện Bình Liêu",
    )


def granted(step: DeadlineStep) -> GrantedExtension:
    moment = datetime(2026, 2, 2, tzinfo=UTC)
    return GrantedExtension(
        step=step,
        working_days=1,
        reason="x",
        extended_by="x",
        granted_at=moment,
        due_before=moment,
        due_after=moment,
    )


# ---------------------------------------------------------------------- rules


def test_five_working_days_from_the_friday_before_tet_end_the_friday_after() -> None:
    due = end_of_day(date(2026, 2, 13))
    assert extended_due(due, 5, CALENDAR).astimezone(VIETNAM).date() == date(2026, 2, 27)
    # A case from before working calendars counts calendar days, as its deadlines did.
    assert extended_due(due, 5, None) - due == timedelta(days=5)


def test_an_extension_needs_a_reason_and_stays_within_bounds() -> None:
    with pytest.raises(ValidationError, match="must give its reason"):
        extension().model_copy(update={"reason": "   "}).model_validate(
            {**extension().model_dump(), "reason": "   "}
        )
    for days in (0, 31):
        with pytest.raises(ValidationError) as refusal:
            DeadlineExtension.model_validate({**extension().model_dump(), "working_days": days})
        assert refusal.value.errors()[0]["loc"] == ("working_days",)
    with pytest.raises(ValidationError):  # counts are strict: "5" is not 5
        DeadlineExtension.model_validate({**extension().model_dump(), "working_days": "5"})


def test_only_the_step_the_case_waits_on_and_only_before_it_is_late() -> None:
    now = datetime(2026, 2, 10, tzinfo=UTC)
    due = end_of_day(date(2026, 2, 13))
    assert extension_refusal(extension(), CaseStage.LOCAL_REVIEW, due, now, ()) is None
    wrong = extension_refusal(
        extension(DeadlineStep.SUPPLEMENT), CaseStage.LOCAL_REVIEW, due, now, ()
    )
    assert wrong is not None and wrong.type == "WrongStage"
    late = extension_refusal(extension(), CaseStage.LOCAL_REVIEW, due, due + timedelta(1), ())
    assert late is not None and "13/02/2026" in late.message and "escalated" in late.message
    twice = (granted(DeadlineStep.REVIEW), granted(DeadlineStep.REVIEW))
    third = extension_refusal(extension(), CaseStage.LOCAL_REVIEW, due, now, twice)
    assert third is not None and "at most 2" in third.message


def test_who_may_extend_which_step() -> None:
    office, commune = administrator(DOSSIER.province), reviewer_of(DOSSIER)
    assert extension_actor_refusal(office, FACTS, DeadlineStep.COUNCIL_SCORING) is None
    assert extension_actor_refusal(commune, FACTS, DeadlineStep.SUPPLEMENT) is None
    council = extension_actor_refusal(commune, FACTS, DeadlineStep.COUNCIL_SCORING)
    assert council is not None and "may not extend the council_scoring step" in council.message
    assert extension_actor_refusal(producer_of(DOSSIER), FACTS, DeadlineStep.SUPPLEMENT)
    other = extension_actor_refusal(administrator("ha-giang"), FACTS, DeadlineStep.REVIEW)
    assert other is not None and "quang-ninh" in other.message


def test_the_province_reviews_only_a_late_dossier() -> None:
    office = administrator(DOSSIER.province)
    assert escalated_review_refusal(office, FACTS, escalated=False) is not None
    assert escalated_review_refusal(office, FACTS, escalated=True) is None
    assert escalated_review_refusal(reviewer_of(DOSSIER), FACTS, escalated=False) is None
    assert escalated_review_refusal(administrator("ha-giang"), FACTS, escalated=True)
    assert escalated_review_refusal(member(DOSSIER.province, "district", "m1"), FACTS, True)


# ---------------------------------------------------------------------- a case


@pytest.mark.record_history
async def test_a_review_extended_twice_then_late_passes_to_the_province(
    case_world: CaseWorld,
) -> None:
    policy = CasePolicy(working_calendar=CALENDAR)
    case = await case_world.open_case(
        case_input(honey_dossier(), policy=policy, business_start=BEFORE_TET_2026)
    )
    province = (await case.access()).facts.province
    office = administrator(province)
    dossier = (await case.access()).facts
    accept = ReviewDecision(action=ReviewAction.ACCEPT, reviewer="Văn phòng Điều phối")
    before = await refused(case.act_as(office, contract.REVIEW, accept))
    assert "reviews only" in before or "không được thẩm định" in before

    await case.mail_sent()  # the receipt recorded: the review's deadline is set
    first_due = add_working_days(date(2026, 2, 2), 30, CALENDAR)
    commune = reviewer_of(honey_dossier().model_copy(update={"province": dossier.province}))
    one = await ok(case.act_as(commune, contract.EXTEND_DEADLINE, extension(days=5)))
    assert one.due_before.astimezone(VIETNAM).date() == first_due
    second_due = add_working_days(first_due, 5, CALENDAR)
    assert one.due_after.astimezone(VIETNAM).date() == second_due
    two = await ok(case.act_as(office, contract.EXTEND_DEADLINE, extension(days=3)))
    final_due = add_working_days(second_due, 3, CALENDAR)
    assert two.due_after.astimezone(VIETNAM).date() == final_due
    assert "at most 2" in await refused(
        case.act_as(office, contract.EXTEND_DEADLINE, extension(days=1))
    )
    status = await case.status()
    assert [e.working_days for e in status.extensions] == [5, 3]
    assert status.next_deadline is not None
    assert status.next_deadline.due.astimezone(VIETNAM).date() == final_due
    assert status.review_clock is not None and status.review_clock.due_on == final_due

    # Past the first deadline nothing is late; past the extended one the province may act.
    await case_world.env.sleep(end_of_day(first_due) - BEFORE_TET_2026 + timedelta(days=1))
    await case.mail_sent()
    assert case_world.inbox(ADMIN_EMAIL) == []
    await case_world.env.sleep(end_of_day(final_due) - end_of_day(first_due))
    await case.mail_sent()
    assert case_world.inbox(ADMIN_EMAIL) == ["overdue"]
    [late] = case_world.smtp.messages_to(ADMIN_EMAIL)
    body = late.get_body(("plain",))
    assert body is not None
    said = " ".join(body.get_content().split())
    assert "được chuyển lên Văn phòng Điều phối Chương trình OCOP tỉnh Quảng Ninh" in said, said
    assert (await case.status()).review_escalated
    assert "has passed" in await refused(
        case.act_as(office, contract.EXTEND_DEADLINE, extension(days=1))
    )
    assert await ok(case.act_as(office, contract.REVIEW, accept)) == CaseStage.COUNCIL_SCORING

    await case.mail_sent()
    kinds = case_world.inbox(PRODUCER_EMAIL)
    assert kinds.count("deadline_extended") == 2
    # The producer learns that the dossier passed to the province, and need do nothing.
    [passed] = [m for m in case_world.smtp.messages_to(PRODUCER_EMAIL) if "Quá hạn" in m["Subject"]]
    passed_text = passed.get_body(("plain",))
    assert passed_text is not None
    assert "không cần nộp lại hồ sơ" in " ".join(passed_text.get_content().split())
    told = [
        m for m in case_world.smtp.messages_to(PRODUCER_EMAIL) if "Gia hạn" in str(m["Subject"])
    ]
    text = told[0].get_body(("plain",))
    assert text is not None
    assert "Chờ kết quả kiểm tra thực địa" in " ".join(text.get_content().split())


# ------------------------------------------------------------ API and command line


@pytest.mark.devserver
async def test_through_the_api_the_office_extends_and_the_producer_may_not(
    api_world: ApiWorld,
) -> None:
    world = api_world
    dossier = honey_dossier().model_copy(
        update={"province": world.province, "product_code": f"MO-{uuid.uuid4().hex[:6]}"}
    )
    handle = await open_case(world.client, case_input(dossier), world.task_queue)
    body = {
        "step": "review",
        "working_days": 5,
        "reason": "Chờ kiểm tra thực địa",
        "extended_by": "x",
    }

    async def extended() -> dict[str, Any] | None:
        answer = await world.call(
            "POST", f"/api/v1/cases/{handle.id}/deadline-extensions", "reviewer-bl", json=body
        )
        if answer.status_code == 409 and "try again shortly" in answer.text:
            return None  # the receipt is still being recorded
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    granted = await eventually(extended, "the review's deadline to be set")
    assert granted["extended_by"] == "Phòng Nông nghiệp huyện Bình Liêu"  # the signed-in name
    assert granted["working_days"] == 5
    producer = await world.call(
        "POST", f"/api/v1/cases/{handle.id}/deadline-extensions", "producer", json=body
    )
    assert producer.status_code == 403 and "may not extend" in producer.json()["detail"]
    typed = await world.call(
        "POST",
        f"/api/v1/cases/{handle.id}/deadline-extensions",
        "reviewer-bl",
        json={**body, "working_days": "5"},
    )
    assert typed.status_code == 422
    assert [e["field"] for e in typed.json()["errors"]] == ["working_days"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["quang-ninh", "MO-BINHLIEU"], "STEP is missing"),
        (["quang-ninh", "MO-BINHLIEU", "later", "--days", "5", "--reason", "r"], "STEP"),
        (["quang-ninh", "MO-BINHLIEU", "review", "--days", "0", "--reason", "r"], "--days"),
        (["quang-ninh", "MO-BINHLIEU", "review", "--days", "5"], "must give its reason"),
    ],
)
def test_ocop_extend_refuses_bad_input_before_sending_anything(args: list[str], said: str) -> None:
    from starter import app  # the whole command line, loaded only when a test runs it

    result = CliRunner().invoke(app, ["extend", *args], env={"OCOP_TOKEN": ""})
    assert result.exit_code == 2, result.output
    assert said in result.output

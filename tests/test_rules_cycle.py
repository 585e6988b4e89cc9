"""The annual cycle's pure rules: calendar, window, batch decisions, the report."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models.applicants import ApplicantKind
from models.case import CaseStage, Contact
from models.cycle import CaseProgress, build_report
from models.cycle_calendar import (
    CycleTargets,
    TargetKind,
    decision_day,
    official_calendar,
    scheduled_cycle_year,
)
from models.cycle_decisions import allocate_certificates, authority_for, plan_decisions
from models.cycle_rules import submission_refusal
from models.cycle_settings import (
    CycleInput,
    CycleSettings,
    DecisionAuthority,
    case_policy,
    cycle_input,
)
from models.rulebook import QD148_2023, QD1489_2025, Rulebook
from models.stars import Stars
from tests.factories import council

# Examples build whole cycle inputs; a loaded CI machine must not fail them on time.
relaxed = hypothesis_settings(deadline=None)

DOCUMENT_NUMBER = re.compile(r"^\w[\w./ -]{0,63}$")
LOCALITIES = ("ha-long", "cam-pha", "binh-lieu", "van-don")


def settings(book: Rulebook = QD148_2023, **changes: Any) -> CycleSettings:
    scoring = [level.name for level in book.levels if level.scores]
    data: dict[str, Any] = {
        "rulebook": book,
        "councils": tuple(council(level) for level in scoring),
        "administrators": (Contact(name="Phạm Văn Đức", email="vanphong@example.vn"),),
    }
    return CycleSettings.model_validate(data | changes)


CYCLE_ID = "ocop-cycle-quang-ninh-2024"


def cycle(year: int = 2024, calendar: dict[str, Any] | None = None, **changes: Any) -> CycleInput:
    return cycle_input("quang-ninh", year, settings(**changes), calendar=calendar)


progress_strategy = st.builds(
    CaseProgress,
    workflow_id=st.just("w"),
    product_code=st.from_regex(r"[A-Z]{2}-[0-9]{4}", fullmatch=True),
    locality=st.sampled_from(LOCALITIES),
    applicant_kind=st.sampled_from(ApplicantKind),
    stage=st.sampled_from(CaseStage),
    level=st.sampled_from(("district", "province", "central")),
    stars=st.none() | st.sampled_from(Stars),
)
products_strategy = st.dictionaries(
    st.from_regex(r"[a-z]{2}-[0-9]{4}", fullmatch=True), progress_strategy, max_size=40
)


# --------------------------------------------------------------------- calendar


@relaxed
@given(st.integers(2018, 2100), st.sampled_from([QD148_2023, QD1489_2025]))
def test_every_year_has_an_official_calendar_inside_it(year: int, book: Rulebook) -> None:
    calendar = official_calendar(year, book)
    assert calendar.submission_opens == date(year, 3, 1)
    assert calendar.closes_on == date(year, 12, 31)
    recognising = [level.name for level in book.levels if level.recognises]
    assert list(calendar.recognition) == recognising
    assert sorted(calendar.recognition.values()) == list(calendar.recognition.values())
    assert all(calendar.council_deadline < day for day in calendar.recognition.values())


def test_a_config_overrides_any_date_and_keeps_the_others() -> None:
    changed = cycle(
        calendar={"submission_closes": "2024-07-15", "recognition": {"district": "2024-10-01"}}
    )
    official = official_calendar(2024)
    assert changed.calendar.submission_closes == date(2024, 7, 15)
    assert changed.calendar.recognition == {**official.recognition, "district": date(2024, 10, 1)}
    assert changed.calendar.review_deadline == official.review_deadline


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        ({"submission_closes": "2024-02-01"}, "submission_closes (2024-02-01) comes before"),
        ({"recognition": {"district": "2024-12-01"}}, "recognition dates must follow the levels"),
        ({"recognition": {"commune": "2024-10-01"}}, "do not recognise stars under qd148-2023"),
        ({"closes_on": "2025-01-31"}, "must open and close in 2024"),
    ],
)
def test_a_calendar_out_of_order_is_refused_saying_why(
    calendar: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        cycle(calendar=calendar)


def test_a_cycle_needs_a_council_for_every_scoring_level() -> None:
    with pytest.raises(ValidationError, match="no council roster given for: central"):
        CycleSettings(
            councils=(council("district"), council("province")),
            administrators=(Contact(name="A", email="a@example.vn"),),
        )


def test_the_rulebook_can_be_named_by_its_id() -> None:
    assert settings(rulebook="qd1489-2025").rulebook == QD1489_2025
    with pytest.raises(ValidationError, match="unknown rulebook 'qd999'"):
        settings(rulebook="qd999")


@relaxed
@given(st.dates(date(2024, 1, 1), date(2024, 12, 31)))
def test_the_window_refuses_exactly_the_days_outside_it_and_names_them(day: date) -> None:
    calendar = official_calendar(2024)
    refusal = submission_refusal(calendar, day)
    assert (refusal is None) == calendar.window_open(day)
    if refusal is not None:
        assert "01/03/2024" in refusal and "30/06/2024" in refusal
        assert "2024-03-01 to 2024-06-30" in refusal
        assert day.strftime("%d/%m/%Y") in refusal


def test_cases_of_a_cycle_wait_for_its_last_recognition_date_without_an_alarm() -> None:
    policy = case_policy(cycle())
    assert policy.recognition_deadline_days == (date(2024, 12, 15) - date(2024, 3, 1)).days + 1
    long_enough = cycle(policy={"recognition_deadline_days": 400})
    assert case_policy(long_enough).recognition_deadline_days == 400


@relaxed
@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_a_scheduled_launch_opens_this_years_cycle_or_the_next(day: date) -> None:
    year = scheduled_cycle_year(day)
    assert year in (day.year, day.year + 1)
    assert (year == day.year) == (day.month <= 6)


# ------------------------------------------------------------------- decisions


@relaxed
@given(st.lists(progress_strategy, max_size=60, unique_by=lambda p: p.product_code))
def test_certificates_are_sequential_in_product_order_whatever_the_input_order(
    products: list[CaseProgress],
) -> None:
    items = allocate_certificates("125/2024/QĐ-UBND", products)
    again = allocate_certificates("125/2024/QĐ-UBND", list(reversed(products)))
    assert items == again
    assert [item.product_code for item in items] == sorted(p.product_code for p in products)
    assert [item.certificate_number for item in items] == [
        f"125/2024/QĐ-UBND-{n:03d}" for n in range(1, len(products) + 1)
    ]
    assert all(DOCUMENT_NUMBER.match(item.certificate_number) for item in items)


AUTHORITIES = (
    DecisionAuthority(
        level="district",
        authority="UBND huyện Bình Liêu",
        localities=("binh-lieu",),
        first_number=125,
    ),
    DecisionAuthority(
        level="district",
        authority="UBND thành phố Hạ Long",
        localities=("ha-long",),
        first_number=3010,
    ),
    DecisionAuthority(level="district", authority="UBND cấp huyện", prefix="QĐ-UBND"),
)


@relaxed
@given(
    st.lists(progress_strategy, max_size=60, unique_by=lambda p: p.product_code),
    st.dictionaries(st.sampled_from([a.key for a in AUTHORITIES]), st.integers(0, 50)),
)
def test_each_product_awaiting_is_listed_once_by_its_own_authority(
    products: list[CaseProgress], issued: dict[str, int]
) -> None:
    the_cycle = cycle(authorities=AUTHORITIES)
    plans = plan_decisions(the_cycle, "district", date(2024, 10, 15), products, issued)
    listed = [item.product_code for plan in plans for item in plan.items]
    assert sorted(listed) == sorted(p.product_code for p in products)
    numbers = [plan.number for plan in plans]
    assert len(set(numbers)) == len(numbers)
    by_code = {p.product_code: p for p in products}
    for plan in plans:
        authority = next(a for a in AUTHORITIES if a.key == plan.authority_key)
        assert (
            plan.number
            == f"{authority.first_number + issued.get(authority.key, 0)}/2024/{authority.prefix}"
        )
        for item in plan.items:
            locality = by_code[item.product_code].locality
            assert authority_for(the_cycle, "district", locality) == authority
            assert item.certificate_number.startswith(plan.number + "-")


@given(st.dates(min_value=date(2024, 3, 1), max_value=date(2024, 12, 31)))
def test_a_batch_decision_bears_its_calendar_date_even_when_reached_late(today: date) -> None:
    calendar = official_calendar(2024)  # district decisions on 15 October
    day = decision_day(calendar, "district", today)
    if today >= date(2024, 10, 15):
        assert day == date(2024, 10, 15)  # signed that day, whenever the batch got out
    else:
        assert day == today  # a cycle closed early decides on the day it closes


def test_without_authorities_the_rulebook_names_who_decides() -> None:
    authority = authority_for(cycle(), "province", "ha-long")
    assert authority.authority == "Ủy ban nhân dân cấp tỉnh"


def test_two_authorities_for_one_locality_are_refused() -> None:
    with pytest.raises(ValidationError, match="localities with two district authorities: ha-long"):
        settings(
            authorities=(
                DecisionAuthority(level="district", authority="A", localities=("ha-long",)),
                DecisionAuthority(level="district", authority="B", localities=("ha-long",)),
            )
        )
    with pytest.raises(ValidationError, match="does not recognise stars"):
        settings(authorities=(DecisionAuthority(level="commune", authority="UBND xã"),))


# ---------------------------------------------------------------------- report


@relaxed
@given(products_strategy, st.integers(0, 30), st.integers(0, 30), st.integers(0, 5))
def test_the_report_adds_up_however_the_products_stand(
    products: dict[str, CaseProgress], three: int, four: int, five: int
) -> None:
    targets = CycleTargets(three_stars_or_more=three, four_stars_or_more=four, five_stars=five)
    the_cycle = cycle(targets=targets)
    report = build_report(the_cycle, products, [], date(2024, 8, 1), cycle_id=CYCLE_ID)
    count = len(products)
    assert report.cycle == CYCLE_ID
    assert report.submissions == count == sum(report.by_stage.values())
    assert sum(report.by_applicant_kind.values()) == count
    assert sum(f.submitted for f in report.by_locality.values()) == count
    certified = [p for p in products.values() if p.stage == CaseStage.CERTIFIED and p.stars]
    assert report.certified == len(certified) == sum(report.by_stars.values())
    assert sum(f.certified for f in report.by_locality.values()) == report.certified
    assert sum(report.awaiting_recognition.values()) == report.by_stage.get(
        CaseStage.AWAITING_RECOGNITION, 0
    )
    held = [int(p.stars) for p in certified if p.stars]
    expected = {
        TargetKind.THREE_STARS_OR_MORE: (three, sum(s >= 3 for s in held)),
        TargetKind.FOUR_STARS_OR_MORE: (four, sum(s >= 4 for s in held)),
        TargetKind.FIVE_STARS: (five, sum(s == 5 for s in held)),
    }
    assert {t.target: (t.goal, t.achieved) for t in report.targets} == {
        kind: figures for kind, figures in expected.items() if figures[0] > 0
    }
    for target in report.targets:
        assert target.met == (target.achieved >= target.goal)
        assert target.remaining == max(target.goal - target.achieved, 0)
    # The same products in another order give the same report.
    reordered = dict(reversed(list(products.items())))
    assert build_report(the_cycle, reordered, [], date(2024, 8, 1), cycle_id=CYCLE_ID) == report


@relaxed
@given(progress_strategy)
def test_progress_survives_continue_as_new_as_a_compact_row(progress: CaseProgress) -> None:
    restored = CaseProgress.from_row(progress.row())
    assert restored == progress.model_copy(
        update={"awaiting_recognition": progress.stage == CaseStage.AWAITING_RECOGNITION}
    )


def test_reviews_after_the_review_deadline_are_counted_overdue() -> None:
    products = {
        "a": CaseProgress(
            workflow_id="w",
            product_code="A",
            locality="ha-long",
            applicant_kind="household",
            stage=CaseStage.LOCAL_REVIEW,
        ),
        "b": CaseProgress(
            workflow_id="w",
            product_code="B",
            locality="ha-long",
            applicant_kind="household",
            stage=CaseStage.COUNCIL_SCORING,
        ),
    }
    the_cycle = cycle()
    before = build_report(the_cycle, products, [], date(2024, 7, 31), cycle_id=CYCLE_ID)
    assert (before.overdue_reviews, before.overdue_scoring) == (0, 0)
    after = build_report(the_cycle, products, [], date(2024, 10, 1), cycle_id=CYCLE_ID)
    assert (after.overdue_reviews, after.overdue_scoring) == (1, 1)
    assert the_cycle.calendar.council_deadline + timedelta(days=1) <= date(2024, 10, 1)

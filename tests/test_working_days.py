"""Deadlines in working days: weekends, Vietnam's public holidays (Tết by the lunar
calendar), days worked in exchange, and a review clock that stands still during a
supplement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.case import CasePolicy, CaseStage
from models.catalogue import DocumentKind
from models.cycle_settings import with_working_calendar
from models.holiday_tables import official_working_calendar, working_calendar_from_table
from models.working_days import (
    ReviewClock,
    WorkingCalendar,
    add_working_days,
    days_off_between,
    weekends_only,
    working_days_between,
)
from tests.factories import PRODUCER_EMAIL, case_input, document, honey_dossier
from tests.fixtures.lifecycle import CaseWorld
from tests.test_rules_cycle import cycle

CALENDAR_2025_2026 = official_working_calendar((2025, 2026))


def test_tet_2026_is_off_from_its_eve_to_the_fourth_day() -> None:
    off = [
        item.on
        for item in days_off_between(date(2026, 2, 1), date(2026, 2, 28), CALENDAR_2025_2026)
    ]
    assert off == [date(2026, 2, d) for d in (16, 17, 18, 19, 20)]
    assert all(
        "Tết" in item.name
        for item in days_off_between(date(2026, 2, 16), date(2026, 2, 20), CALENDAR_2025_2026)
    )


def test_fifteen_working_days_from_before_tet_2026_end_on_2_march() -> None:
    # Mon 2 Feb 2026: 4 days that week, 5 the next, Tết (16–20 Feb), then 5 + 1.
    assert add_working_days(date(2026, 2, 2), 15, CALENDAR_2025_2026) == date(2026, 3, 2)
    # Without the holidays the same count ends a week earlier.
    assert add_working_days(date(2026, 2, 2), 15, weekends_only((2026,))) == date(2026, 2, 23)


def test_fifteen_working_days_over_tet_2025_skip_its_five_weekdays() -> None:
    # Tết Ất Tỵ: 27–31 Jan 2025 off (29 Jan is the lunar new year).
    assert add_working_days(date(2025, 1, 20), 15, CALENDAR_2025_2026) == date(2025, 2, 17)


def test_a_saturday_worked_in_exchange_counts_and_the_day_it_bought_does_not() -> None:
    # 2025: Friday 2 May off, Saturday 26 April worked instead.
    assert CALENDAR_2025_2026.is_working_day(date(2025, 4, 26))
    assert not CALENDAR_2025_2026.is_working_day(date(2025, 5, 2))
    assert not CALENDAR_2025_2026.is_working_day(date(2025, 4, 30))
    assert add_working_days(date(2025, 4, 25), 1, CALENDAR_2025_2026) == date(2025, 4, 26)
    assert add_working_days(date(2025, 4, 29), 1, CALENDAR_2025_2026) == date(2025, 5, 5)


def test_a_period_counts_from_the_day_after_and_never_on_a_weekend() -> None:
    friday = date(2026, 3, 6)
    assert add_working_days(friday, 1, CALENDAR_2025_2026) == date(2026, 3, 9)
    assert working_days_between(date(2026, 3, 7), date(2026, 3, 8), CALENDAR_2025_2026) == 0


def test_the_review_clock_stands_still_while_the_dossier_is_with_its_producer() -> None:
    clock = ReviewClock(started_on=date(2026, 1, 26), allowed_days=30)
    due_before = clock.due_on(CALENDAR_2025_2026, date(2026, 2, 2))
    # Asked for a supplement on Mon 2 Feb; it came back on Mon 2 Mar.
    clock = clock.stopped(date(2026, 2, 2)).resumed(date(2026, 3, 2))
    assert clock.days_stood_still(CALENDAR_2025_2026, date(2026, 3, 2)) == 15
    assert clock.due_on(CALENDAR_2025_2026, date(2026, 3, 2)) == add_working_days(
        due_before, 15, CALENDAR_2025_2026
    )
    reading = clock.reading(CALENDAR_2025_2026, date(2026, 3, 3))
    assert (reading.days_used, reading.days_stood_still, reading.running) == (6, 15, True)


def test_a_province_loads_its_own_table_and_a_wrong_one_is_refused() -> None:
    own = working_calendar_from_table(
        {
            "years": [2027],
            "days_off": [{"on": "2027-02-11", "name": "Nghỉ Tết bổ sung của tỉnh"}],
            "source": "Thông báo của UBND tỉnh",
        }
    )
    assert not own.is_working_day(date(2027, 2, 11))
    with pytest.raises(ValueError, match="outside the calendar's years"):
        WorkingCalendar.model_validate(
            {"years": [2027], "days_off": [{"on": "2028-01-03", "name": "x"}], "source": "x"}
        )
    with pytest.raises(ValueError, match="must be Saturdays or Sundays"):
        WorkingCalendar.model_validate(
            {"years": [2027], "working_weekends": ["2027-03-03"], "source": "x"}
        )


def test_a_cycle_opened_pins_the_days_off_of_its_year_and_the_next() -> None:
    opened = with_working_calendar(cycle(year=2025))
    calendar = opened.policy.working_calendar
    assert calendar is not None and calendar.years == (2025, 2026)
    assert not calendar.is_working_day(date(2026, 2, 17))
    # A province's own table is kept as it came.
    own = weekends_only((2025, 2026))
    kept = opened.model_copy(
        update={"policy": opened.policy.model_copy(update={"working_calendar": own})}
    )
    assert with_working_calendar(kept).policy.working_calendar == own


BEFORE_TET_2026 = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội


@pytest.mark.record_history
async def test_a_supplement_asked_for_before_tet_is_due_fifteen_working_days_later(
    case_world: CaseWorld,
) -> None:
    policy = CasePolicy(working_calendar=CALENDAR_2025_2026)
    case = await case_world.open_case(
        case_input(honey_dossier(complete=False), policy=policy, business_start=BEFORE_TET_2026)
    )
    await case.request_supplement(DocumentKind.TEST_RESULTS)
    status = await case.status()
    assert status.next_deadline is not None
    assert status.next_deadline.due.astimezone(UTC).date() == date(2026, 3, 2)
    assert status.review_clock is not None and not status.review_clock.running

    await case_world.env.sleep(timedelta(days=27))  # brought on Sunday 1 March
    await case.supply(document(DocumentKind.TEST_RESULTS, "kiem-nghiem-2026.pdf"))
    status = await case.status()
    assert status.stage == CaseStage.LOCAL_REVIEW
    clock = status.review_clock
    assert clock is not None and clock.running
    assert clock.days_stood_still == 14  # 3 Feb – 1 Mar, Tết and weekends not counted
    assert clock.due_on == add_working_days(date(2026, 2, 2), 30 + 14, CALENDAR_2025_2026)

    await case.mail_sent()
    letter = case_world.smtp.messages_to(PRODUCER_EMAIL)[1].get_body(("plain",))
    assert letter is not None and "02/03/2026" in letter.get_content()

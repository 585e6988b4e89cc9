"""Working days ("ngày làm việc"): how the regulations count a deadline.

A deadline of N working days counts from the day after the event (Civil Code 2015,
Art. 147) over the days an office works: not Saturdays or Sundays, not public holidays
(Labour Code 2019, Art. 112: Tết Dương lịch, five days of Tết Nguyên đán by the lunar
calendar, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh), and not the days the government
moves a holiday to; a Saturday the government makes a working day ("làm bù") counts.
It ends at the end of the Nth working day.

The days off are data per year (`WorkingCalendar`), pinned into a case when it starts
(`models.holiday_tables` builds them), so an announcement published later never moves
the deadline of a running case or breaks its replay. A year the calendar does not
cover counts weekends only; `covers` tells the caller so it can say so.

The review clock (`ReviewClock`) counts a review's working days; it stands still while
the dossier is with its producer for a supplement and runs again when it comes back.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bounds import MAX_NAME_CHARS, Count
from models.errors import DomainError
from models.text import single_line

MAX_CALENDAR_YEARS = 6
"""Years one pinned calendar covers (a case's rounds run a year or two)."""
MAX_DAYS_OFF_A_YEAR = 40
"""Weekday holidays and moved days of one year (Vietnam has 11 to 14)."""
MAX_REVIEW_PAUSES = 20
"""Supplements one review may wait for (`MAX_DOCUMENTS_REQUESTED` is per request)."""

HolidayName = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]


class DayOff(BaseModel):
    """A day an office does not work that is not a weekend day, with its name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: date
    name: HolidayName

    @model_validator(mode="after")
    def _visible_name(self) -> DayOff:
        single_line(self.name)
        return self


class WorkingCalendar(BaseModel):
    """The days off of some years, as the government announced them (or a province's
    office loaded them), with where they come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    years: tuple[Count, ...] = Field(min_length=1, max_length=MAX_CALENDAR_YEARS)
    days_off: tuple[DayOff, ...] = Field(
        default=(), max_length=MAX_CALENDAR_YEARS * MAX_DAYS_OFF_A_YEAR
    )
    working_weekends: tuple[date, ...] = Field(
        default=(),
        max_length=MAX_CALENDAR_YEARS * 10,
        description="Saturdays or Sundays worked in exchange for a moved holiday (làm bù)",
    )
    source: HolidayName = Field(description="Where these days come from")

    @model_validator(mode="after")
    def _within_its_years(self) -> WorkingCalendar:
        outside = sorted(
            {d.on for d in self.days_off if d.on.year not in self.years}
            | {d for d in self.working_weekends if d.year not in self.years}
        )
        if outside:
            raise ValueError(
                f"days {', '.join(d.isoformat() for d in outside)} lie outside the "
                f"calendar's years {', '.join(str(y) for y in self.years)}"
            )
        not_weekends = [d for d in self.working_weekends if d.weekday() < 5]
        if not_weekends:
            raise ValueError(
                f"working_weekends must be Saturdays or Sundays; "
                f"{', '.join(d.isoformat() for d in not_weekends)} are weekdays"
            )
        return self

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def day_off(self, day: date) -> DayOff | None:
        return next((item for item in self.days_off if item.on == day), None)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and self.day_off(day) is None


def add_working_days(start: date, count: int, calendar: WorkingCalendar) -> date:
    """The last day of a period of `count` working days counted from the day after `start`."""
    if count < 1:
        raise DomainError(f"a period of working days needs at least one day, got {count}")
    day, counted = start, 0
    while counted < count:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def working_days_between(first: date, last: date, calendar: WorkingCalendar) -> int:
    """Working days from `first` to `last`, both included (0 when `last` is before)."""
    counted, day = 0, first
    while day <= last:
        counted += calendar.is_working_day(day)
        day += timedelta(days=1)
    return counted


def days_off_between(first: date, last: date, calendar: WorkingCalendar) -> list[DayOff]:
    """The named days off from `first` to `last` (for a letter to say why a date moved)."""
    return [item for item in calendar.days_off if first <= item.on <= last]


class ReviewPause(BaseModel):
    """A time the dossier was with its producer: from the request to the supplement."""

    model_config = ConfigDict(frozen=True)

    from_day: date
    until_day: date | None = None


class ReviewClock(BaseModel):
    """A review's working days: started on a day, allowed so many, stood still in pauses.

    The days of a pause (from the day after the request to the day the supplement came)
    do not count; the deadline moves on by the working days the clock stood still.
    """

    model_config = ConfigDict(frozen=True)

    started_on: date
    allowed_days: Count = Field(ge=1, le=3650)
    pauses: tuple[ReviewPause, ...] = Field(default=(), max_length=MAX_REVIEW_PAUSES)

    @property
    def running(self) -> bool:
        return not self.pauses or self.pauses[-1].until_day is not None

    def stopped(self, on: date) -> ReviewClock:
        if not self.running:
            return self
        return self.model_copy(update={"pauses": (*self.pauses, ReviewPause(from_day=on))})

    def resumed(self, on: date) -> ReviewClock:
        if self.running:
            return self
        last = self.pauses[-1].model_copy(update={"until_day": on})
        return self.model_copy(update={"pauses": (*self.pauses[:-1], last)})

    def days_stood_still(self, calendar: WorkingCalendar, today: date) -> int:
        """Working days the clock has stood still, up to today for a pause still open."""
        return sum(
            working_days_between(
                pause.from_day + timedelta(days=1), pause.until_day or today, calendar
            )
            for pause in self.pauses
        )

    def due_on(self, calendar: WorkingCalendar, today: date) -> date:
        """The review's last day, moved on by the days it stood still."""
        return add_working_days(
            self.started_on, self.allowed_days + self.days_stood_still(calendar, today), calendar
        )

    def days_used(self, calendar: WorkingCalendar, today: date) -> int:
        """Working days of review spent so far (days stood still not counted)."""
        elapsed = working_days_between(self.started_on + timedelta(days=1), today, calendar)
        return max(elapsed - self.days_stood_still(calendar, today), 0)

    def reading(self, calendar: WorkingCalendar, today: date) -> ReviewClockReading:
        """What the clock shows today, for the case's status."""
        return ReviewClockReading(
            started_on=self.started_on,
            allowed_days=self.allowed_days,
            days_used=self.days_used(calendar, today),
            days_stood_still=self.days_stood_still(calendar, today),
            due_on=self.due_on(calendar, today),
            running=self.running,
            pauses=self.pauses,
        )


class ReviewClockReading(BaseModel):
    """The review clock as a status shows it: every count in working days."""

    started_on: date
    allowed_days: int
    days_used: int
    days_stood_still: int
    due_on: date
    running: bool = Field(description="False while the dossier is with its producer")
    pauses: tuple[ReviewPause, ...] = ()


WEEKENDS_ONLY_SOURCE = "weekends only (no days off loaded for this year)"


def weekends_only(years: tuple[int, ...]) -> WorkingCalendar:
    """A calendar that knows no holidays: what a case counts on when none was pinned."""
    return WorkingCalendar(years=years, source=WEEKENDS_ONLY_SOURCE)

"""A cycle's calendar and its year's targets (chu trình OCOP thường niên), as pure rules.

A province opens one cycle a year: a submission window, review and council deadlines,
one recognition date per recognising level, and the year's targets.

- `official_calendar` derives a year's calendar; a config overrides any date of it
  (`CycleInput` in `models/cycle_settings.py` fills in what the config leaves out);
- `decision_day` is the date a level's batch decision bears;
- `scheduled_cycle_year` is the year a yearly launch opens.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bounds import MAX_LEVELS, Count, Identifier
from models.rulebook import QD148_2023, Rulebook

DECISION_TIME: Final = timedelta(hours=12)
"""Decisions are signed at midday of their date, leaving slack for clocks a little behind."""

# ------------------------------------------------------------------------ calendar


class CycleCalendar(BaseModel):
    """The business dates of one cycle; every date is inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submission_opens: date
    submission_closes: date
    review_deadline: date = Field(description="Dossier reviews (and supplements) done by")
    council_deadline: date = Field(description="Council scoring done by")
    recognition: dict[Identifier, date] = Field(
        max_length=MAX_LEVELS, description="Recognition date of each level that recognises stars"
    )
    closes_on: date = Field(description="Last day of the cycle; the report goes out after it")

    @model_validator(mode="after")
    def _in_order(self) -> CycleCalendar:
        steps = [
            ("submission_opens", self.submission_opens),
            ("submission_closes", self.submission_closes),
            ("review_deadline", self.review_deadline),
            ("council_deadline", self.council_deadline),
            ("closes_on", self.closes_on),
        ]
        for (earlier, first), (later, second) in pairwise(steps):
            if second < first:
                raise ValueError(
                    f"{later} ({second.isoformat()}) comes before {earlier} ({first.isoformat()})"
                )
        for level, day in self.recognition.items():
            if not self.submission_opens <= day <= self.closes_on:
                raise ValueError(
                    f"the {level} recognition date {day.isoformat()} lies outside the cycle "
                    f"({self.submission_opens.isoformat()} – {self.closes_on.isoformat()})"
                )
        return self

    def window_open(self, day: date) -> bool:
        return self.submission_opens <= day <= self.submission_closes


# Official-looking defaults: dossiers received March–June, reviews by the end of July,
# councils by the end of September, then one recognition month per level.
_RECOGNITION_DAYS: Final = ((10, 15), (11, 15), (12, 15))


def recognising_levels(book: Rulebook) -> list[str]:
    return [level.name for level in book.levels if level.recognises]


def official_calendar(year: int, book: Rulebook = QD148_2023) -> CycleCalendar:
    """The default calendar of a year's cycle under a rulebook."""
    levels = recognising_levels(book)
    recognition = {
        name: date(year, *_RECOGNITION_DAYS[min(index, len(_RECOGNITION_DAYS) - 1)])
        for index, name in enumerate(levels)
    }
    return CycleCalendar(
        submission_opens=date(year, 3, 1),
        submission_closes=date(year, 6, 30),
        review_deadline=date(year, 7, 31),
        council_deadline=date(year, 9, 30),
        recognition=recognition,
        closes_on=date(year, 12, 31),
    )


def decision_day(calendar: CycleCalendar, level: str, today: date) -> date:
    """The date a level's batch decision bears: its recognition date, once that has come.

    Signing takes moments on a real calendar; on a compressed one (or after an outage)
    the cycle may get to a level's decisions days late, and they still bear the date
    the calendar set. Before that date (a cycle closed early) they bear today's.
    """
    return min(today, calendar.recognition.get(level, today))


def scheduled_cycle_year(today: date) -> int:
    """The year a scheduled launch opens: this year's in its first half, else the next."""
    return today.year if today.month <= 6 else today.year + 1


# ------------------------------------------------------------------------- targets


class CycleTargets(BaseModel):
    """The year's targets (Hải Dương: ≥ 50 products of ≥ 3★; Quảng Bình: 1–3 of 5★)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submissions: Count = Field(default=0, ge=0, le=1_000_000, description="Dossiers received")
    three_stars_or_more: Count = Field(default=0, ge=0, le=1_000_000)
    four_stars_or_more: Count = Field(default=0, ge=0, le=1_000_000)
    five_stars: Count = Field(default=0, ge=0, le=1_000_000)


class TargetKind(StrEnum):
    SUBMISSIONS = "submissions"
    THREE_STARS_OR_MORE = "three_stars_or_more"
    FOUR_STARS_OR_MORE = "four_stars_or_more"
    FIVE_STARS = "five_stars"

"""The business calendar of a case: the wall clock, a compressed one, or a paced one.

Official durations (36 months of validity, 30-day deadlines) are kept as they are;
only the way business time relates to real time changes:

- the **real** calendar (production): business time is workflow time;
- a **compressed** calendar (`speed` business seconds per real second): benchmarks and
  tests see a year pass in a minute, but a slow machine lets deadlines pass;
- a **paced** calendar (`held_at` set): business time stands still at one moment until
  whoever paces the rehearsal moves it on (`CalendarMove`). Nothing depends on the
  machine's speed: a deadline can only pass when the calendar is moved past it, and
  every step the workflows take while it stands is dated at that moment.

Vietnam keeps one offset all year (UTC+7), so business dates use a fixed offset.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

VIETNAM = timezone(timedelta(hours=7), "ICT")


class CalendarMove(BaseModel):
    """Move a paced calendar on to `to`: the signal its pacer sends to each workflow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: AwareDatetime


class BusinessClock(BaseModel):
    """Maps workflow time to business time: anchored once, then carried unchanged.

    A paced clock (`held_at` set) ignores real time: it reads `held_at` until moved.
    """

    model_config = ConfigDict(frozen=True)

    real_origin: AwareDatetime
    business_origin: AwareDatetime
    speed: float = Field(default=1.0, ge=1.0, le=1e9)
    held_at: AwareDatetime | None = None

    @property
    def paced(self) -> bool:
        return self.held_at is not None

    def business_now(self, real_now: datetime) -> datetime:
        if self.held_at is not None:
            return self.held_at
        return self.business_origin + (real_now - self.real_origin) * self.speed

    def business_today(self, real_now: datetime) -> date:
        return self.business_now(real_now).astimezone(VIETNAM).date()

    def real_delay(self, real_now: datetime, business_until: datetime) -> timedelta | None:
        """How long to sleep on the wall clock until the business moment comes.

        None on a paced clock held before that moment: no timer can bring it, only a
        move of the calendar.
        """
        remaining = business_until - self.business_now(real_now)
        if self.held_at is not None:
            return timedelta(0) if remaining <= timedelta(0) else None
        return max(remaining / self.speed, timedelta(0))

    @classmethod
    def anchored(
        cls, real_now: datetime, business_start: datetime, speed: float, paced: bool
    ) -> BusinessClock:
        """The clock a workflow starts with at its first task."""
        return cls(
            real_origin=real_now,
            business_origin=business_start,
            speed=speed,
            held_at=business_start if paced else None,
        )

    def moved(self, move: CalendarMove) -> BusinessClock:
        """The clock after its pacer's move (checked by `calendar_move_refusal`)."""
        return self.model_copy(update={"held_at": move.to})

    def real_duration(self, business_duration: timedelta) -> timedelta:
        return business_duration / self.speed


def start_of_day(day: date) -> datetime:
    """Midnight in Vietnam at the start of `day`, as an aware datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=VIETNAM)


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in Vietnam: a deadline "until `day`" passes after it."""
    return datetime.combine(day, time.max, tzinfo=VIETNAM)


def calendar_move_refusal(clock: BusinessClock, move: CalendarMove) -> str | None:
    """Why a calendar move must be ignored, or None: only paced calendars move, forwards."""
    if clock.held_at is None:
        return "this case runs on the real (or a compressed) calendar, which nobody moves"
    if move.to < clock.held_at:
        return (
            f"a calendar never moves back: it stands at {clock.held_at.isoformat()}, "
            f"the move asked for {move.to.isoformat()}"
        )
    return None

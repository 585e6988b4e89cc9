"""The business calendar of a case, which may run faster than the wall clock.

Official durations (36 months of validity, 30-day deadlines) are kept as they are;
a demo or benchmark compresses the calendar by `speed` business seconds per real
second, so the same workflow code shows real dates while a year passes in a minute.
Vietnam keeps one offset all year (UTC+7), so business dates use a fixed offset.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

VIETNAM = timezone(timedelta(hours=7), "ICT")


class BusinessClock(BaseModel):
    """Maps workflow time to business time: anchored once, then carried unchanged."""

    model_config = ConfigDict(frozen=True)

    real_origin: AwareDatetime
    business_origin: AwareDatetime
    speed: float = Field(default=1.0, ge=1.0, le=1e9)

    def business_now(self, real_now: datetime) -> datetime:
        return self.business_origin + (real_now - self.real_origin) * self.speed

    def business_today(self, real_now: datetime) -> date:
        return self.business_now(real_now).astimezone(VIETNAM).date()

    def real_delay(self, real_now: datetime, business_until: datetime) -> timedelta:
        """How long to sleep on the wall clock until the business moment comes."""
        remaining = business_until - self.business_now(real_now)
        return max(remaining / self.speed, timedelta(0))

    def real_duration(self, business_duration: timedelta) -> timedelta:
        return business_duration / self.speed


def start_of_day(day: date) -> datetime:
    """Midnight in Vietnam at the start of `day`, as an aware datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=VIETNAM)

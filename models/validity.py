"""Certificate validity and expiry reminders, in calendar dates.

A period counted in months ends on the corresponding day of its last month, or on
that month's last day when the corresponding day does not exist (Civil Code 2015,
Art. 147–148). So a certificate decided on 31 Jan 2024 is valid through 31 Jan 2027,
and one decided on 29 Feb 2024 through 28 Feb 2027. It expires at the start of the
day after `valid_until`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from models.errors import DomainError

OFFICIAL_VALIDITY_MONTHS = 36
OFFICIAL_MINIMUM_REMINDER_DAYS = 30
DEFAULT_REMINDER_DAYS: tuple[int, ...] = (90, 30)


def add_months(start: date, months: int) -> date:
    """The corresponding day `months` later, clamped to the last day of a shorter month."""
    if months < 0:
        raise DomainError(f"a number of months must not be negative, got {months}")
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


class ValidityPeriod(BaseModel):
    model_config = ConfigDict(frozen=True)

    valid_from: date
    valid_until: date

    @property
    def expires_on(self) -> date:
        """The first day on which the certificate is no longer valid."""
        return self.valid_until + timedelta(days=1)

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


def validity_period(decided_on: date, months: int = OFFICIAL_VALIDITY_MONTHS) -> ValidityPeriod:
    if months <= 0:
        raise DomainError(f"certificate validity must be at least one month, got {months}")
    return ValidityPeriod(valid_from=decided_on, valid_until=add_months(decided_on, months))


def check_reminder_offsets(offsets: Iterable[int]) -> tuple[int, ...]:
    """Offsets in days before expiry, largest first; none below the official 30 days."""
    values = tuple(sorted(set(offsets), reverse=True))
    if not values:
        raise DomainError("at least one expiry reminder is required (official minimum: 30 days)")
    too_late = [v for v in values if v < OFFICIAL_MINIMUM_REMINDER_DAYS]
    if too_late:
        raise DomainError(
            f"expiry reminders must come at least {OFFICIAL_MINIMUM_REMINDER_DAYS} days "
            f"before expiry; refused: {too_late}"
        )
    return values


def reminder_dates(period: ValidityPeriod, offsets: Iterable[int]) -> list[tuple[int, date]]:
    """(days before expiry, date) for each reminder that falls after the decision day."""
    return [
        (days, period.expires_on - timedelta(days=days))
        for days in check_reminder_offsets(offsets)
        if period.expires_on - timedelta(days=days) > period.valid_from
    ]


def ends_during_reevaluation(valid_until: date, grace_days: int = 0) -> date:
    """The first day a certificate under re-evaluation is no longer valid: the day after
    its last, or after the grace a province's rules allow (none by default)."""
    if grace_days < 0:
        raise DomainError(f"a grace period must not be negative, got {grace_days} days")
    return valid_until + timedelta(days=1 + grace_days)

"""How a business date is written: 04/03/2024 in Vietnamese, 4 March 2024 in English.

The one place dates are put in words, for letters, refusals, the command line and the
demo; a moment is shown on Vietnam's clock (UTC+7). Machine-readable output (JSON,
the story's timestamps) keeps ISO 8601 instead.

Kept apart from `models.labels` so that the modules the catalogue names things from
(`models.cycle`, for one) can write dates too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from models.clock import VIETNAM
from models.dossier import Language

_MONTHS_EN: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_day(day: date, language: Language | str = Language.VI) -> str:
    """`dd/mm/yyyy` in Vietnamese (as official documents write it), `4 March 2024` in English."""
    if Language(language) == Language.VI:
        return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def format_moment(moment: datetime, language: Language | str = Language.VI) -> str:
    """A moment on Vietnam's clock: `04/03/2024 09:00` (English: `4 March 2024 09:00`)."""
    local = moment.astimezone(VIETNAM)
    return f"{format_day(local.date(), language)} {local:%H:%M}"

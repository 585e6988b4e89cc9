"""Vietnam's days off per year, as data a case pins: from the `holidays` package, or a
province's own table.

The `holidays` package (vacanza/holidays, MIT) keeps Vietnam's public holidays: the
Labour Code 2019, Art. 112 (Tết Dương lịch; Tết Nguyên đán on the Vietnamese lunar
calendar; Giỗ Tổ Hùng Vương, 10/3 lunar; 30/4; 1/5; Quốc khánh 2/9 with a day next to
it; from 2026 Ngày Văn hóa Việt Nam, 24/11), the days in lieu of a holiday that falls on
a weekend, and the days the government moved with a Saturday worked in exchange (2024:
29/4 for 4/5; 2025: 2/5 for 26/4; 2026: 31/8 for 22/8). Only weekdays are kept: a
weekend is never a working day unless it is worked in exchange.

A province's office whose announcement differs (a later swap, a local day) loads its
own table instead (`working_calendar_from_table`): the same shape as `WorkingCalendar`,
in YAML or JSON. `docs/rules-sources.md` lists every source.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import holidays
from holidays.version import __version__ as holidays_version

from models.errors import DomainError
from models.working_days import MAX_CALENDAR_YEARS, DayOff, WorkingCalendar

OFFICIAL_SOURCE = (
    f"holidays {holidays_version} (Bộ luật Lao động 2019, Điều 112; "
    "thông báo hoán đổi ngày làm việc của Chính phủ)"
)


def official_working_calendar(years: Iterable[int]) -> WorkingCalendar:
    """Vietnam's days off in `years`, weekdays only, with their Vietnamese names."""
    wanted = tuple(sorted(set(years)))
    if not wanted or len(wanted) > MAX_CALENDAR_YEARS:
        raise DomainError(
            f"a working calendar covers 1 to {MAX_CALENDAR_YEARS} years, got {len(wanted)}"
        )
    table = holidays.country_holidays("VN", years=wanted, language="vi")
    days_off = tuple(
        DayOff(on=day, name=name) for day, name in sorted(table.items()) if day.weekday() < 5
    )
    worked = tuple(sorted(day for day in table.weekend_workdays if day.year in wanted))
    return WorkingCalendar(
        years=wanted, days_off=days_off, working_weekends=worked, source=OFFICIAL_SOURCE
    )


def working_calendar_from_table(table: Any) -> WorkingCalendar:
    """A province's own table (parsed YAML or JSON), checked like any input."""
    return WorkingCalendar.model_validate(table)


def calendar_years_for_cycle(year: int) -> tuple[int, int]:
    """The years a cycle's cases count deadlines in: the cycle's, and the next one's
    (a dossier submitted in November is reviewed into January)."""
    return (year, year + 1)

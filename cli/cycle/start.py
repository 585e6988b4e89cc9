"""Opening a year's cycle: ``ocop cycle start`` now, or ``schedule`` every year.

Both read the province's standing settings from a file that may repeat --province
(and, for ``start``, --year) but must not contradict them, and both are the province
administrator's steps: they go through the API with the signed-in administrator's
token, so the cycle is opened (and its decisions later signed) in their name.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from api.routes.cycles import ScheduleAnswer, ScheduleRequest
from cli.acting import take_step
from cli.common import (
    EXIT_BAD_INPUT,
    JsonOption,
    fail,
    print_json,
    print_table,
    read_mapping,
    validated,
)
from cli.cycle.target import ConfigOption, ProvinceOption, YearOption, cycle_app
from cli.cycle.wording import say, when
from models.cycle_rules import schedule_settings_refusal, yearly_day_refusal
from models.cycle_settings import CycleInput, CycleSettings, ScheduledCycles


def _same(data: dict[str, Any], key: str, given: object, where: str) -> None:
    """The file may repeat --province / --year, but must not contradict them."""
    if key in data and str(data[key]).lower() != str(given).lower():
        fail(f"{where} says {key} {data[key]!r} but --{key} is {given!r}", EXIT_BAD_INPUT)


# ------------------------------------------------------------------------ start


@cycle_app.command("start")
def start_command(
    province: ProvinceOption,
    year: YearOption,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Start a province's cycle for a year (one per province and year)."""
    data = read_mapping(config, "cycle settings")
    where = str(config) if config else "the cycle settings"
    _same(data, "province", province, where)
    _same(data, "year", year, where)
    cycle = validated(CycleInput, {**data, "province": province, "year": year}, where)
    # The API signs the opening in the administrator's name: only then are the cycle's
    # decisions signed.
    opened = take_step("ocop cycle start", "POST", "/api/v1/cycles", cycle)
    workflow_id = str(opened["workflow_id"])
    if json_output:
        print_json({"workflow_id": workflow_id, "calendar": cycle.calendar.model_dump(mode="json")})
        return
    say(f"Đã mở chu trình OCOP {year} của {province} — cycle {workflow_id} started.")
    _print_calendar(cycle)


def _print_calendar(cycle: CycleInput) -> None:
    calendar = cycle.calendar
    rows: list[tuple[str, str]] = [
        (
            "Nhận hồ sơ / submissions",
            f"{when(calendar.submission_opens)} – {when(calendar.submission_closes)}",
        ),
        ("Hạn thẩm định / review deadline", when(calendar.review_deadline)),
        ("Hạn chấm điểm / council deadline", when(calendar.council_deadline)),
    ]
    rows += [
        (f"Công nhận cấp {level} / recognition", when(day))
        for level, day in calendar.recognition.items()
    ]
    rows.append(("Kết thúc / closes", when(calendar.closes_on)))
    print_table(f"Lịch chu trình {cycle.year} · {cycle.rulebook.id}", ("", "date"), rows)


# --------------------------------------------------------------------- schedule


@cycle_app.command("schedule")
def schedule_command(
    province: ProvinceOption,
    config: ConfigOption = None,
    on: Annotated[
        str, typer.Option("--on", metavar="MM-DD", help="Day of the year the cycle opens.")
    ] = "01-02",
    at: Annotated[str, typer.Option("--at", metavar="HH:MM", help="Time (Vietnam).")] = "08:00",
    now: Annotated[
        bool, typer.Option("--now", help="Also open the coming cycle right away.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Create (or replace) the yearly Schedule that opens the province's next cycle.

    Each year on --on at --at (Vietnam time) it starts that year's cycle with the
    official calendar; a launch in the second half of a year opens the next year's.
    A cycle that exists already is left as it is.
    """
    data = read_mapping(config, "cycle settings")
    where = str(config) if config else "the cycle settings"
    _same(data, "province", province, where)
    own_calendar = schedule_settings_refusal(data)
    if own_calendar is not None:
        fail(f"{where}: {own_calendar.message}", EXIT_BAD_INPUT)
    data.pop("province", None)
    standing = validated(CycleSettings, data, where)
    validated(
        ScheduledCycles, {"province": province, "settings": standing.model_dump()}, "--province"
    )
    month, day = _parse_pair(on, "-", "--on", "MM-DD, e.g. 01-02", (1, 12), (1, 31))
    not_every_year = yearly_day_refusal(month, day, written=on)
    if not_every_year is not None:
        fail(f"--on: {not_every_year.message}", EXIT_BAD_INPUT)
    hour, minute = _parse_pair(at, ":", "--at", "HH:MM, e.g. 08:00", (0, 23), (0, 59))
    request = ScheduleRequest(
        settings=standing, on=f"{month:02d}-{day:02d}", at=f"{hour:02d}:{minute:02d}", now=now
    )
    set_at = f"/api/v1/cycles/{province}/schedule"
    answer = ScheduleAnswer.model_validate(take_step("ocop cycle schedule", "PUT", set_at, request))
    if json_output:
        print_json(answer)
        return
    verb = "created" if answer.created else "replaced"
    say(f"Schedule {answer.schedule_id} {verb}: each year on {on} at {at} (Vietnam time).")
    print_table("Next runs", ("opens the cycle on",), [(moment,) for moment in answer.next_runs])


def _parse_pair(
    value: str,
    separator: str,
    flag: str,
    shape: str,
    first_range: tuple[int, int],
    second_range: tuple[int, int],
) -> tuple[int, int]:
    try:
        first, second = (int(part) for part in value.split(separator))
    except ValueError:
        fail(f"{flag}: {value!r} is not {shape}", EXIT_BAD_INPUT)
    if not (
        first_range[0] <= first <= first_range[1] and second_range[0] <= second <= second_range[1]
    ):
        fail(f"{flag}: {value!r} is not {shape}", EXIT_BAD_INPUT)
    return first, second

"""``ocop cycle …`` and ``ocop submit``: a province's annual cycle from the command line.

Administrators start a year's cycle from a config file (or leave it to a yearly
Temporal Schedule), follow it with ``status`` and ``report``, and close it; producers'
agents submit dossiers through the cycle, which refuses them with one clear line
outside its window, for a product already in the cycle or a dossier that is not its.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.text import Text
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.cycle import start_cycle_workflow
from cli.common import (
    EXIT_BAD_INPUT,
    JsonOption,
    answer_query,
    answer_update,
    console,
    fail,
    load_model,
    plural,
    print_json,
    print_table,
    read_mapping,
    run,
    validated,
)
from infra.settings import Settings
from models.clock import VIETNAM
from models.cycle import (
    CloseCycle,
    CycleInput,
    CycleReport,
    CycleSettings,
    ScheduledCycles,
    SubmissionReceipt,
    cycle_workflow_id,
)
from models.cycle_rules import schedule_settings_refusal, yearly_day_refusal
from models.dates import format_day
from models.dossier import Dossier, Language
from models.labels import Form, label
from workflows.annual_cycle import AnnualCycleWorkflow, CycleLauncherWorkflow

cycle_app = typer.Typer(
    help="A province's annual OCOP cycle: start, schedule, status, report, close.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

CycleHandle = WorkflowHandle[AnnualCycleWorkflow, CycleReport]
T = TypeVar("T")

ProvinceArg = Annotated[
    str, typer.Argument(metavar="PROVINCE", help="Province code, e.g. quang-ninh.")
]
YearArg = Annotated[int, typer.Argument(metavar="YEAR", help="The cycle's year, e.g. 2024.")]
ProvinceOption = Annotated[
    str, typer.Option("--province", "-p", help="Province code, e.g. quang-ninh.")
]
YearOption = Annotated[int, typer.Option("--year", "-y", help="The cycle's year, e.g. 2024.")]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="CYCLE.yaml",
        help="Councils, administrators, targets, calendar, authorities (JSON or YAML); "
        "see examples/cycle-quang-ninh-2024.yaml.",
    ),
]


def _say(message: str) -> None:
    console.print(Text(message), soft_wrap=True)


def _same(data: dict[str, Any], key: str, given: object, where: str) -> None:
    """The file may repeat --province / --year, but must not contradict them."""
    if key in data and str(data[key]).lower() != str(given).lower():
        fail(f"{where} says {key} {data[key]!r} but --{key} is {given!r}", EXIT_BAD_INPUT)


def _when(day: date) -> str:
    return format_day(day)


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

    async def action(client: Client, settings: Settings) -> str:
        try:
            handle, _ = await start_cycle_workflow(
                client, cycle, settings.task_queue, existing_ok=False
            )
        except WorkflowAlreadyStartedError:
            fail(
                f"the {year} cycle of {province} exists already ({cycle.workflow_id}); "
                f"see `ocop cycle status {province} {year}`"
            )
        return handle.id

    workflow_id = run(action)
    if json_output:
        print_json({"workflow_id": workflow_id, "calendar": cycle.calendar.model_dump(mode="json")})
        return
    _say(f"Đã mở chu trình OCOP {year} của {province} — cycle {workflow_id} started.")
    _print_calendar(cycle)


def _print_calendar(cycle: CycleInput) -> None:
    calendar = cycle.calendar
    rows: list[tuple[str, str]] = [
        (
            "Nhận hồ sơ / submissions",
            f"{_when(calendar.submission_opens)} – {_when(calendar.submission_closes)}",
        ),
        ("Hạn thẩm định / review deadline", _when(calendar.review_deadline)),
        ("Hạn chấm điểm / council deadline", _when(calendar.council_deadline)),
    ]
    rows += [
        (f"Công nhận cấp {level} / recognition", _when(day))
        for level, day in calendar.recognition.items()
    ]
    rows.append(("Kết thúc / closes", _when(calendar.closes_on)))
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
    launch = validated(
        ScheduledCycles, {"province": province, "settings": standing.model_dump()}, "--province"
    )
    month, day = _parse_pair(on, "-", "--on", "MM-DD, e.g. 01-02", (1, 12), (1, 31))
    not_every_year = yearly_day_refusal(month, day, written=on)
    if not_every_year is not None:
        fail(f"--on: {not_every_year.message}", EXIT_BAD_INPUT)
    hour, minute = _parse_pair(at, ":", "--at", "HH:MM, e.g. 08:00", (0, 23), (0, 59))
    schedule_id = f"ocop-cycle-schedule-{province}".lower()

    async def action(client: Client, settings: Settings) -> dict[str, Any]:
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                CycleLauncherWorkflow.run,
                launch,
                id=f"ocop-cycle-launch-{province}".lower(),
                task_queue=settings.task_queue,
            ),
            spec=ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(
                        month=[ScheduleRange(month)],
                        day_of_month=[ScheduleRange(day)],
                        hour=[ScheduleRange(hour)],
                        minute=[ScheduleRange(minute)],
                        comment=f"OCOP cycle of {province}",
                    )
                ],
                time_zone_name="Asia/Ho_Chi_Minh",
            ),
            policy=SchedulePolicy(catchup_window=timedelta(days=7)),
        )
        try:
            handle = await client.create_schedule(schedule_id, schedule)
            created = True
        except ScheduleAlreadyRunningError:
            handle = client.get_schedule_handle(schedule_id)

            def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=schedule)

            await handle.update(replace)
            created = False
        if now:
            await handle.trigger()
        description = await handle.describe()
        return {
            "schedule_id": schedule_id,
            "created": created,
            "next_runs": [
                moment.astimezone(VIETNAM).isoformat()
                for moment in description.info.next_action_times[:3]
            ],
        }

    answer = run(action)
    if json_output:
        print_json(answer)
        return
    verb = "created" if answer["created"] else "replaced"
    _say(f"Schedule {schedule_id} {verb}: each year on {on} at {at} (Vietnam time).")
    print_table("Next runs", ("opens the cycle on",), [(moment,) for moment in answer["next_runs"]])


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


# ---------------------------------------------------------------- status, report


async def _cycle(client: Client, province: str, year: int) -> tuple[CycleHandle, bool]:
    """The cycle's handle and whether it still runs; a missing cycle is one clear line."""
    handle = client.get_workflow_handle_for(
        AnnualCycleWorkflow.run, cycle_workflow_id(province, year)
    )
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            fail(
                f"no {year} cycle for {province}; start it with "
                f"`ocop cycle start --province {province} --year {year}`"
            )
        raise
    return handle, description.status == WorkflowExecutionStatus.RUNNING


async def _update_open_cycle(
    client: Client,
    province: str,
    year: int,
    update: Callable[[CycleHandle], Awaitable[T]],
    closed: str,
    check: str,
) -> T:
    """The outcome of `update` on a running cycle; a closed cycle (before, or as the
    Update met it completing) is the line `closed`; one no worker completes in time is
    one line with `check`, to see what came of it."""
    handle, running = await _cycle(client, province, year)
    if not running:
        fail(closed)
    try:
        return await answer_update(client, handle, update(handle), check)
    except RPCError:
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            fail(closed)
        raise


async def _report(client: Client, province: str, year: int) -> CycleReport:
    handle, running = await _cycle(client, province, year)
    if running:
        return await answer_query(client, handle, handle.query(AnnualCycleWorkflow.report))
    try:
        return await handle.result()
    except Exception as error:  # terminated, failed: say so rather than a stack trace
        status = (await handle.describe()).status
        how = status.name.lower().replace("_", " ") if status else "ended"
        cause = getattr(error, "cause", None) or error  # "Workflow execution failed" says little
        fail(f"the {year} cycle of {province} ended without a report ({how}: {cause})")


@cycle_app.command("status")
def status_command(province: ProvinceArg, year: YearArg, json_output: JsonOption = False) -> None:
    """Where the cycle stands: window, counts, what waits for a decision, targets."""
    report = run(lambda client, _: _report(client, province, year))
    if json_output:
        print_json(report)
        return
    calendar = report.calendar
    state = "đã kết thúc / closed" if report.closed else "đang diễn ra / open"
    _say(f"Chu trình OCOP {report.year} · {report.province} · {state} · {_when(report.as_of)}")
    rows: list[tuple[str, Any]] = [
        (
            "submission window",
            f"{_when(calendar.submission_opens)} – {_when(calendar.submission_closes)}",
        ),
        ("dossiers received", report.submissions),
        ("products recognised", report.certified),
    ]
    rows += [
        (f"awaiting recognition ({level}, on {_when(calendar.recognition[level])})", count)
        for level, count in report.awaiting_recognition.items()
    ]
    rows += [
        (
            f"target: {label(target.target, Language.EN, Form.SHORT)}",
            f"{target.achieved}/{target.goal}" + (" ✓" if target.met else ""),
        )
        for target in report.targets
    ]
    rows.append(("decisions issued", len(report.decisions)))
    print_table(report.cycle, ("", ""), rows)


@cycle_app.command("report")
def report_command(province: ProvinceArg, year: YearArg, json_output: JsonOption = False) -> None:
    """The cycle's report: counts by stage, stars, locality, applicant kind; targets; decisions."""
    report = run(lambda client, _: _report(client, province, year))
    if json_output:
        print_json(report)
        return
    print_report(report)


def print_report(report: CycleReport) -> None:
    """The report as tables (also printed by the demo and by `ocop cycle close`)."""
    state = "closed" if report.closed else "open"
    _say(
        f"Báo cáo chu trình OCOP {report.year} · {report.province} · {state} · as of "
        f"{_when(report.as_of)} · {plural(report.submissions, 'dossier')}, "
        f"{report.certified} recognised"
    )
    if report.targets:
        print_table(
            "Chỉ tiêu / targets",
            ("target", "goal", "achieved", ""),
            [
                (
                    label(t.target, Language.EN, Form.SHORT),
                    t.goal,
                    t.achieved,
                    "met" if t.met else f"{t.remaining} short",
                )
                for t in report.targets
            ],
        )
    print_table(
        "Theo giai đoạn / by stage",
        ("stage", "products"),
        [(stage.value, count) for stage, count in report.by_stage.items()],
    )
    if report.by_stars:
        print_table(
            "Theo hạng sao / by stars",
            ("stars", "products"),
            [(f"{stars}★", count) for stars, count in report.by_stars.items()],
        )
    print_table(
        "Theo địa bàn / by locality",
        ("locality", "dossiers", "recognised"),
        [(name, f.submitted, f.certified) for name, f in report.by_locality.items()],
    )
    print_table(
        "Theo loại hình chủ thể / by applicant kind",
        ("applicant kind", "products"),
        [(kind.value, count) for kind, count in report.by_applicant_kind.items()],
    )
    if report.decisions:
        print_table(
            "Quyết định công nhận / recognition decisions",
            ("number", "date", "authority", "level", "recognised", "certificates"),
            [
                (
                    d.number,
                    _when(d.decided_on),
                    d.authority,
                    d.level,
                    f"{d.recognised}/{d.listed}",
                    f"{d.first_certificate} … {d.last_certificate}" if d.first_certificate else "",
                )
                for d in report.decisions
            ],
        )
    if report.overdue_reviews or report.overdue_scoring:
        _say(
            f"Overdue: {report.overdue_reviews} in review after "
            f"{_when(report.calendar.review_deadline)}, {report.overdue_scoring} before a council "
            f"after {_when(report.calendar.council_deadline)}."
        )


# ------------------------------------------------------------------------ close


@cycle_app.command("close")
def close_command(
    province: ProvinceArg,
    year: YearArg,
    by: Annotated[
        str, typer.Option("--by", metavar="EMAIL", help="The administrator closing the cycle.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="A note for the report.")] = "",
    json_output: JsonOption = False,
) -> None:
    """Close the cycle: closing decisions for products still awaiting, then the report
    is emailed to the administrators and recorded in the register."""
    request = validated(CloseCycle, {"closed_by": by, "reason": reason}, "--by/--reason")

    closed = f"the {year} cycle of {province} is closed already; see `ocop cycle report`"

    async def action(client: Client, _: Settings) -> CycleReport:
        return await _update_open_cycle(
            client,
            province,
            year,
            lambda handle: handle.execute_update(AnnualCycleWorkflow.close, request),
            closed,
            f"`ocop cycle status {province} {year}`",
        )

    report = run(action)
    if json_output:
        print_json(report)
        return
    _say(
        f"Đã kết thúc chu trình — cycle {report.cycle} closed; "
        "the report goes to the administrators."
    )
    print_report(report)


# ----------------------------------------------------------------------- submit


def submit(
    dossier_file: Annotated[
        Path,
        typer.Argument(
            metavar="DOSSIER",
            help="The dossier (JSON or YAML); see examples/dossier-*.yaml.",
            show_default=False,
        ),
    ],
    province: ProvinceOption,
    year: YearOption,
    json_output: JsonOption = False,
) -> None:
    """Submit a producer's dossier to the province's cycle of a year.

    The cycle refuses it outside its submission window, for a product already in the
    cycle, or for a dossier of another province or locality; an accepted dossier opens
    the product's case (or a re-evaluation / upgrade round on its certified case).
    """
    dossier = load_model(dossier_file, Dossier, "dossier fields")

    closed = (
        f"chu trình OCOP {year} của {province} đã kết thúc — the {year} cycle of {province} "
        "is closed"
    )

    async def action(client: Client, _: Settings) -> SubmissionReceipt:
        return await _update_open_cycle(
            client,
            province,
            year,
            lambda handle: handle.execute_update(AnnualCycleWorkflow.submit, dossier),
            closed,
            f"`ocop cycle report {province} {year}`",
        )

    receipt = run(action)
    if json_output:
        print_json(receipt)
        return
    _say(
        f"Đã tiếp nhận hồ sơ sản phẩm “{receipt.product_name}” ngày {_when(receipt.received_on)} "
        f"— dossier received ({receipt.action.value})."
    )
    print_table(
        receipt.cycle,
        ("", ""),
        [
            ("product", f"{receipt.product_code} · {receipt.product_name}"),
            ("case", receipt.workflow_id),
            ("next", f"ocop status {dossier.province} {receipt.product_code}"),
        ],
    )

"""The demo's story: Quảng Ninh's 2024 cycle, three years of certificates, the 2027 cycle.

Every product's task sleeps until its date on the province's compressed calendar, then
acts as its people would; the cycles, the cases and the register do the rest.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rich.markup import escape
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from activities.cycle import start_cycle_workflow
from cli.cycle import print_report
from cli.demo.narrator import Narrator
from cli.demo.people import (
    DemoClock,
    ProductCase,
    business_start_of,
    console,
    say,
    stars,
    workflow_clock,
)
from cli.demo.province import (
    ENTRIES,
    LATE_ENTRY,
    NEXT_CYCLE_OPENS,
    PROVINCE_AUTHORITY,
    REVOCATION_DETAILS,
    REVOCATION_ON,
    TARGETS_2024,
    TARGETS_2027,
    Entry,
    Fate,
    councils,
    cycle_settings,
    dossier,
)
from cli.demo.stack import DemoError
from infra.cases import explain_refusal
from models.applicants import ApplicantKind
from models.case import CaseStage, CaseStatus
from models.clock import VIETNAM
from models.cycle import CycleInput, CycleReport, CycleTargets, cycle_input
from workflows.annual_cycle import AnnualCycleWorkflow

CycleHandle = WorkflowHandle[AnnualCycleWorkflow, CycleReport]

CYCLE_START = datetime(2024, 2, 26, 8, 0, tzinfo=VIETNAM)
"""The office opens the cycle a few days before the window (1 March)."""

OFFICE = "Văn phòng Điều phối OCOP"
KIND_EN = {
    ApplicantKind.ENTERPRISE: "enterprise",
    ApplicantKind.COOPERATIVE: "cooperative",
    ApplicantKind.COOPERATIVE_GROUP: "cooperative group",
    ApplicantKind.HOUSEHOLD: "household",
}


@dataclass
class DemoRun:
    """One run of the demo: its rehearsal province and the calendar's compression."""

    client: Client
    task_queue: str
    register_url: str
    number: int
    province: str
    days_per_second: float
    entries: tuple[Entry, ...] = ENTRIES

    @property
    def speed(self) -> float:
        """Business seconds per real second, as CasePolicy.clock_speed wants it."""
        return self.days_per_second * 86_400

    @property
    def shift(self) -> int:
        return 10 * (self.number % 500)


@dataclass
class Outcome:
    """Where a product ended up, and what happened to it after 2024."""

    case: ProductCase
    first: CaseStatus | None = None  # as the 2024 decision left it
    later: str = ""


@dataclass
class Story:
    """Everything the demo printed a summary of at the end."""

    run: DemoRun
    cycles: dict[int, CycleHandle] = field(default_factory=dict)
    reports: dict[int, CycleReport] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    narrator: Narrator | None = None


async def start_cycle(
    run: DemoRun, year: int, business_start: datetime, targets: CycleTargets
) -> tuple[CycleHandle, CycleInput]:
    settings = cycle_settings(run.number, run.province, run.speed, targets)
    cycle = cycle_input(run.province, year, settings, business_start=business_start)
    try:
        handle, _ = await start_cycle_workflow(run.client, cycle, run.task_queue, existing_ok=False)
    except Exception as error:
        raise DemoError(f"the {year} cycle of {run.province} could not start: {error}") from None
    return handle, cycle


def _announce(cycle: CycleInput, day: date) -> None:
    calendar = cycle.calendar
    window = (
        f"{calendar.submission_opens.strftime('%d/%m')}–"
        f"{calendar.submission_closes.strftime('%d/%m')}"
    )
    decisions = ", ".join(
        f"{level} {when.strftime('%d/%m')}" for level, when in calendar.recognition.items()
    )
    say(
        day,
        OFFICE,
        f"[bold]opens the {cycle.year} OCOP cycle[/] ({escape(cycle.workflow_id)}): dossiers "
        f"{window}, decisions {decisions}",
    )


async def _refused(
    clock: DemoClock, cycle: CycleHandle, day: date, who: str, dossier_: Any
) -> None:
    """A dossier the cycle must refuse, and the one line the producer reads."""
    await clock.sleep_until(business_start_of(day, 10))
    try:
        await cycle.execute_update(AnnualCycleWorkflow.submit, dossier_)
    except WorkflowUpdateFailedError as error:
        say(clock.today(), who, f"[red]refused[/]: {escape(explain_refusal(error))}")
        return
    raise DemoError(f"the cycle accepted a dossier it should refuse: {who}")


async def refusals(run: DemoRun, clock: DemoClock, cycle: CycleHandle) -> None:
    """A second copy, a dossier for another province, a late one."""
    first = min(run.entries, key=lambda entry: entry.submitted)
    await _refused(
        clock, cycle, first.submitted + timedelta(days=7), first.name, dossier(first, run.province)
    )
    cake = Entry(
        "BDX-RONGVANG-HG",
        "Bánh đậu xanh Rồng Vàng Hoàng Gia",
        "Công ty CP Hoàng Giang",
        ApplicantKind.ENTERPRISE,
        "ha-long",
        "food",
        "processed_food",
        date(2024, 4, 1),
        80,
    )
    await _refused(
        clock,
        cycle,
        cake.submitted,
        cake.name,
        dossier(cake, "hai-duong").model_copy(update={"locality": "tp-hai-duong"}),
    )
    await _refused(
        clock, cycle, LATE_ENTRY.submitted, LATE_ENTRY.name, dossier(LATE_ENTRY, run.province)
    )


async def first_cycle(case: ProductCase, cycle: CycleHandle) -> bool:
    """Submission, review and councils in 2024; True if the product awaits recognition."""
    entry, clock = case.entry, case.clock
    await clock.sleep_until(business_start_of(entry.submitted, 9))
    await case.submit_first(cycle)
    case.say(
        f"submitted by {escape(entry.applicant)} ({KIND_EN[entry.kind]}, "
        f"{escape(entry.district.name)})"
    )
    await clock.pause(3)
    if not await case.review():
        return False
    line = await case.evaluate(entry.quality)
    case.say(line)
    return (await case.status()).stage == CaseStage.AWAITING_RECOGNITION


async def product_story(
    run: DemoRun,
    case: ProductCase,
    started: tuple[CycleHandle, CycleInput],
    next_cycle: asyncio.Future[tuple[CycleHandle, CycleInput]],
) -> Outcome:
    cycle, cycle_2024 = started
    outcome = Outcome(case)
    if not await first_cycle(case, cycle):
        return outcome
    outcome.first = status = await case.certified(cycle_2024.calendar.recognition)
    held = status.certificate
    assert held is not None
    entry, clock = case.entry, case.clock
    if entry.fate == Fate.REVOKE:
        await clock.sleep_until(business_start_of(REVOCATION_ON, 10))
        await case.revoke(PROVINCE_AUTHORITY, f"{3100 + run.shift}/QĐ-UBND", REVOCATION_DETAILS)
        outcome.later = "revoked on a post-inspection"
    elif entry.fate == Fate.REEVALUATE and entry.reevaluation_submitted is not None:
        later, cycle_2027 = await next_cycle
        await clock.sleep_until(business_start_of(entry.reevaluation_submitted, 9))
        await case.submit_reevaluation(later, int(held.stars))
        await clock.pause(3)
        await case.review(first=False)
        case.say(await case.evaluate(entry.reevaluated))
        renewed = (
            await case.certified(cycle_2027.calendar.recognition, round_number=2)
        ).certificate
        assert renewed is not None
        change = (
            "kept"
            if renewed.stars == held.stars
            else "raised"
            if renewed.stars > held.stars
            else "lowered"
        )
        outcome.later = (
            f"re-evaluated in 2027: {stars(held.stars)} → {stars(renewed.stars)} ({change})"
        )
    return outcome


async def year_marks(clock: DemoClock, finished: asyncio.Event) -> None:
    """A rule at each new business year, so the fast-forward reads as time passing."""
    year = clock.today().year
    while not finished.is_set():
        if clock.today().year != year:
            year = clock.today().year
            console.rule(f"[dim]{year}[/]", style="dim")
        await asyncio.sleep(0.05)


async def play(run: DemoRun) -> Story:
    story = Story(run)
    cycle, cycle_2024 = await start_cycle(run, 2024, CYCLE_START, TARGETS_2024)
    story.cycles[2024] = cycle
    clock = DemoClock(await workflow_clock(cycle, CYCLE_START, run.speed))
    _announce(cycle_2024, clock.today())
    rosters = {council.level: council for council in councils(run.province)}
    cases = [ProductCase(run.client, run.province, e, clock, rosters) for e in run.entries]
    narrator = story.narrator = Narrator(
        run.register_url, run.province, {e.code: e.name for e in run.entries}, clock.now
    )
    finished = asyncio.Event()
    next_cycle: asyncio.Future[tuple[CycleHandle, CycleInput]] = (
        asyncio.get_running_loop().create_future()
    )

    async def open_next_cycle() -> None:
        await clock.sleep_until(business_start_of(NEXT_CYCLE_OPENS))
        handle, cycle_2027 = await start_cycle(run, 2027, clock.now(), TARGETS_2027)
        story.cycles[2027] = handle
        _announce(cycle_2027, clock.today())
        next_cycle.set_result((handle, cycle_2027))

    async def report(year: int) -> None:
        closed = await story.cycles[year].result()
        story.reports[year] = closed
        console.print()
        say(
            closed.as_of,
            OFFICE,
            f"[bold]the {year} cycle closes[/]; its report goes to the administrators:",
        )
        print_report(closed)
        console.print()

    async with asyncio.TaskGroup() as background:
        background.create_task(narrator.run(finished))
        background.create_task(year_marks(clock, finished))
        async with asyncio.TaskGroup() as group:
            stories = [
                group.create_task(product_story(run, case, (cycle, cycle_2024), next_cycle))
                for case in cases
            ]
            group.create_task(refusals(run, clock, cycle))
            group.create_task(report(2024))
            group.create_task(open_next_cycle())
        await report(2027)
        story.outcomes = [task.result() for task in stories]
        for case in cases:
            await case.mail_sent()
        finished.set()
    return story

"""The demo's story: Quảng Ninh's 2024 cycle, three years of certificates, the 2027 cycle.

Every product's actor waits for its date on the rehearsal's paced calendar, then acts
as its people would; the cycles, the cases and the register do the rest. The calendar
moves on only once everyone has finished with the moment it stands at (`pacer`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rich.markup import escape
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.service import RPCError

from cli.api_client import StepRefused
from cli.cycle import print_report
from cli.demo.cast import administrator, person
from cli.demo.chronicle import Chronicle
from cli.demo.door import ApiDoor, cycle_year
from cli.demo.narrator import Narrator
from cli.demo.pacer import Pacer
from cli.demo.people import ProductCase, business_start_of, stars
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
from cli.demo.stack import DemoError, one_line
from contracts.cycle import cycle_workflow_id
from models.actors import Role, Scope, applicant_key
from models.applicants import ApplicantKind
from models.case import CaseStage, CaseStatus
from models.clock import VIETNAM, start_of_day
from models.cycle import CycleReport
from models.cycle_calendar import DECISION_TIME, CycleTargets
from models.cycle_settings import CycleInput, cycle_input
from models.dates import format_day
from models.dossier import Dossier, Language
from models.labels import Form, label
from workflows.annual_cycle import AnnualCycleWorkflow

CycleHandle = WorkflowHandle[AnnualCycleWorkflow, CycleReport]

CYCLE_START = datetime(2024, 2, 26, 8, 0, tzinfo=VIETNAM)
"""The office opens the cycle a few days before the window (1 March)."""

OFFICE = "Văn phòng Điều phối OCOP"


@dataclass
class DemoRun:
    """One run of the demo: its rehearsal province and the calendar's compression."""

    client: Client
    door: ApiDoor
    task_queue: str
    register_url: str
    number: int
    province: str
    days_per_second: float | None
    entries: tuple[Entry, ...] = ENTRIES

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
class DemoRecap:
    """Everything the demo printed a summary of at the end."""

    run: DemoRun
    chronicle: Chronicle
    cycles: dict[int, CycleHandle] = field(default_factory=dict)
    reports: dict[int, CycleReport] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    narrator: Narrator | None = None
    pacer: Pacer | None = None
    accounts: tuple[Any, ...] = ()
    """The portal accounts the demo left (`cli.demo.showcase.PortalAccount`)."""


def cycle_moments(cycle: CycleInput) -> list[datetime]:
    """The moments a cycle acts at by itself: its decisions and its close."""
    calendar = cycle.calendar
    decisions = [start_of_day(day) + DECISION_TIME for day in calendar.recognition.values()]
    return [*decisions, start_of_day(calendar.closes_on + timedelta(days=1))]


async def start_cycle(
    run: DemoRun, pacer: Pacer, year: int, targets: CycleTargets
) -> tuple[CycleHandle, CycleInput]:
    """Open a cycle on the rehearsal's calendar, standing where the pacer stands."""
    settings = cycle_settings(run.number, run.province, year, targets)
    cycle = cycle_input(run.province, year, settings, business_start=pacer.now)
    try:  # the province's office opens it through the API, signed in its name
        workflow_id = await run.door.open_cycle(cycle, administrator(run.province))
    except Exception as error:
        raise DemoError(
            f"the {year} cycle of {run.province} ({cycle_workflow_id(run.province, year)}) "
            f"could not start on "
            f"{format_day(pacer.today())}: {error}"
        ) from None
    handle: CycleHandle = run.client.get_workflow_handle_for(AnnualCycleWorkflow.run, workflow_id)
    pacer.follow(handle.id, cycle_moments(cycle))
    return handle, cycle


def _announce(chronicle: Chronicle, cycle: CycleInput, when: datetime) -> None:
    calendar = cycle.calendar
    window = (
        f"{calendar.submission_opens.strftime('%d/%m')}–"
        f"{calendar.submission_closes.strftime('%d/%m')}"
    )
    decisions = ", ".join(
        f"{level} {when.strftime('%d/%m')}" for level, when in calendar.recognition.items()
    )
    chronicle.say(
        when,
        OFFICE,
        f"[bold]opens the {cycle.year} OCOP cycle[/] "
        f"({escape(cycle_workflow_id(cycle.province, cycle.year))}): dossiers "
        f"{window}, decisions {decisions}",
    )


async def _refused(
    run: DemoRun,
    pacer: Pacer,
    chronicle: Chronicle,
    cycle: CycleHandle,
    day: date,
    who: str,
    dossier_: Dossier,
) -> None:
    """A dossier the cycle must refuse, and the one line the producer reads."""
    await pacer.at(business_start_of(day, 10))
    try:
        producer = person(
            Role.PRODUCER,
            dossier_.applicant.name,
            Scope(
                province=dossier_.province, applicant=applicant_key(str(dossier_.applicant.email))
            ),
        )
        await run.door.submit(run.province, cycle_year(cycle.id), dossier_, producer)
    except StepRefused as error:
        chronicle.say(pacer.now, who, f"[red]refused[/]: {escape(str(error))}")
        return
    except RPCError as error:
        raise DemoError(
            f"{who} ({cycle.id}), a submission on {format_day(pacer.today())}: {error.message}"
        ) from None
    raise DemoError(
        f"{who} ({cycle.id}), a submission on {format_day(pacer.today())}: the cycle "
        "accepted a dossier it must refuse"
    )


async def refusals(run: DemoRun, story: DemoRecap, cycle: CycleHandle) -> None:
    """A second copy, a dossier for another province, a late one."""
    pacer, chronicle = _pacer(story), story.chronicle
    first = min(run.entries, key=lambda entry: entry.submitted)
    await _refused(
        run,
        pacer,
        chronicle,
        cycle,
        first.submitted + timedelta(days=7),
        first.name,
        dossier(first, run.province),
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
        run,
        pacer,
        chronicle,
        cycle,
        cake.submitted,
        cake.name,
        dossier(cake, "hai-duong").model_copy(update={"locality": "tp-hai-duong"}),
    )
    await _refused(
        run,
        pacer,
        chronicle,
        cycle,
        LATE_ENTRY.submitted,
        LATE_ENTRY.name,
        dossier(LATE_ENTRY, run.province),
    )


async def first_cycle(case: ProductCase, cycle: CycleHandle) -> bool:
    """Submission, review and councils in 2024; True if the product awaits recognition."""
    entry = case.entry
    await case.at(business_start_of(entry.submitted, 9))
    await case.submit_first(cycle)
    case.say(
        f"submitted by {escape(entry.applicant)} ({label(entry.kind, Language.EN, Form.SHORT)}, "
        f"{escape(entry.district.name)})"
    )
    await case.pause(3)
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
    entry = case.entry
    if entry.fate == Fate.REVOKE:
        await case.at(business_start_of(REVOCATION_ON, 10))
        await case.revoke(PROVINCE_AUTHORITY, f"{3100 + run.shift}/QĐ-UBND", REVOCATION_DETAILS)
        outcome.later = "revoked on a post-inspection"
    elif entry.fate == Fate.REEVALUATE and entry.reevaluation_submitted is not None:
        # The 2027 cycle opens in February, before any re-evaluation is submitted.
        await case.at(business_start_of(entry.reevaluation_submitted, 9))
        later, cycle_2027 = await next_cycle
        await case.submit_reevaluation(later, int(held.stars))
        await case.pause(3)
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


def _pacer(story: DemoRecap) -> Pacer:
    assert story.pacer is not None
    return story.pacer


async def play(run: DemoRun, chronicle: Chronicle, pacer: Pacer) -> DemoRecap:
    """The whole story, actor by actor, on the rehearsal's calendar."""
    story = DemoRecap(run, chronicle=chronicle, pacer=pacer)
    cycle, cycle_2024 = await start_cycle(run, pacer, 2024, TARGETS_2024)
    story.cycles[2024] = cycle
    _announce(chronicle, cycle_2024, pacer.now)
    rosters = {council.level: council for council in councils(run.province)}
    cases = [
        ProductCase(run.client, run.door, run.province, entry, pacer, chronicle, rosters)
        for entry in run.entries
    ]
    narrator = story.narrator = Narrator(
        run.register_url, run.province, {e.code: e.name for e in run.entries}, chronicle
    )
    pacer.on_hold(narrator.at_hold)
    next_cycle: asyncio.Future[tuple[CycleHandle, CycleInput]] = (
        asyncio.get_running_loop().create_future()
    )

    async def report(year: int, cycle_input: CycleInput) -> None:
        await pacer.at(cycle_moments(cycle_input)[-1])
        try:
            closed = await story.cycles[year].result()
        except (WorkflowFailureError, RPCError) as error:
            raise DemoError(
                f"the {year} cycle ({cycle_workflow_id(cycle_input.province, year)}) "
                f"did not close on "
                f"{format_day(pacer.today())}: {one_line(error.cause or error)}"
                if isinstance(error, WorkflowFailureError)
                else f"the {year} cycle ({cycle_workflow_id(cycle_input.province, year)}): "
                f"{error.message}"
            ) from None
        story.reports[year] = closed
        chronicle.say(
            closed.as_of,
            OFFICE,
            f"[bold]the {year} cycle closes[/]; its report goes to the administrators:",
        )
        chronicle.show(closed.as_of, OFFICE, lambda console: _print_closed(console, closed))

    async def the_next_cycle() -> None:
        await pacer.at(business_start_of(NEXT_CYCLE_OPENS))
        handle, cycle_2027 = await start_cycle(run, pacer, 2027, TARGETS_2027)
        story.cycles[2027] = handle
        _announce(chronicle, cycle_2027, pacer.now)
        next_cycle.set_result((handle, cycle_2027))
        await report(2027, cycle_2027)

    try:
        async with asyncio.TaskGroup() as group:
            story_tasks = [
                pacer.spawn(group, product_story(run, case, (cycle, cycle_2024), next_cycle))
                for case in cases
            ]
            actors = [
                *story_tasks,
                pacer.spawn(group, refusals(run, story, cycle)),
                pacer.spawn(group, report(2024, cycle_2024)),
                pacer.spawn(group, the_next_cycle()),
            ]
            group.create_task(pacer.drive(lambda: all(task.done() for task in actors)))
        story.outcomes = [task.result() for task in story_tasks]
        for case in cases:
            await case.mail_sent()
    finally:
        await narrator.close()
    return story


def _print_closed(console: Any, report: CycleReport) -> None:
    console.print()
    print_report(report)
    console.print()

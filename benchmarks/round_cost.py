"""What one evaluation round costs, against a bare-Temporal skeleton with its steps.

One process run, one dev server on a SQLite file: the skeleton's rounds, the project's
rounds, the skeleton's again; each phase N rounds, `--concurrency` at a time. Each
worker (`worker.py`, the skeleton's), the server and the SMTP sink run as processes of
their own. Printed for each phase: rounds/s, CPU seconds per round of each process,
the scorecard Update's p50/p95, history events per round; then the project's figures
as ratios to the mean of the two skeleton phases.

    .venv/bin/python -m benchmarks.round_cost                     # 150 rounds, 50 at a time
    .venv/bin/python -m benchmarks.round_cost --rounds 60 --concurrency 20
    .venv/bin/python -m benchmarks.round_cost --workers 2 \
        --register postgresql+asyncpg://root@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle

from benchmarks.fanout.tools import bounded, cpu_seconds, dev_server_pid, progress, stdout_to_stderr
from benchmarks.processes import (
    start_sink,
    start_skeleton_worker,
    start_worker,
    stop,
    throwaway_register,
)
from benchmarks.round.rounds import Timings, project_round, skeleton_round
from benchmarks.stack import start_dev_server
from contracts import case
from contracts.refs import query
from infra.action_keys import ActionKeys
from infra.payload_codec import PayloadKeys
from infra.settings import Settings
from infra.temporal import encrypted_converter
from infra.waiting import poll_until

SETTLE_WITHIN = 600.0


@dataclass(frozen=True)
class Phase:
    name: str
    rounds: int
    seconds: float
    worker_cpu: float
    server_cpu: float
    driver_cpu: float
    sink_cpu: float
    update_p50: float
    update_p95: float
    events: float

    @property
    def per_second(self) -> float:
        return self.rounds / self.seconds


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _events(handles: Sequence[WorkflowHandle[Any, Any]]) -> float:
    """History events per round: the mean over up to 20 rounds' runs."""
    sample = list(handles)[:20]
    counts = [len((await handle.fetch_history()).events) for handle in sample]
    return statistics.mean(counts)


async def _settled(client: Client, handles: Sequence[WorkflowHandle[Any, Any]]) -> None:
    """Every case has written its transitions and handed over its emails."""

    async def all_quiet() -> bool | None:
        for handle in handles:
            status = await query(client.get_workflow_handle(handle.id), case.STATUS)
            if status.emails_queued or status.register_writes_pending:
                return None
        return True

    await poll_until(all_quiet, within=SETTLE_WITHIN, every=0.2, what="the cases to settle")


def _job(
    one: Callable[[int, Timings], Awaitable[None]], index: int, timings: Timings
) -> Callable[[], Awaitable[None]]:
    return lambda: one(index, timings)


@dataclass(frozen=True)
class Processes:
    """The pids whose CPU a phase counts: its workers', the server's, the sink's."""

    workers: tuple[int, ...]
    server: int
    sink: int


def _cpu(pid: int) -> float:
    seconds = cpu_seconds(pid)
    if seconds is None:
        raise RuntimeError(f"the CPU time of process {pid} cannot be read")
    return seconds


async def _phase(
    name: str,
    rounds: int,
    concurrency: int,
    one: Callable[[int, Timings], Awaitable[None]],
    processes: Processes,
    settle: Callable[[Timings], Awaitable[None]] | None = None,
) -> Phase:
    progress(f"{name}: {rounds} rounds, {concurrency} at a time")
    timings = Timings()

    def spent() -> tuple[float, float, float]:
        workers = sum(_cpu(pid) for pid in processes.workers)
        return workers, _cpu(processes.server), _cpu(processes.sink)

    before = spent()
    driver_before = time.process_time()
    begun = time.perf_counter()
    await bounded(concurrency, [_job(one, i, timings) for i in range(rounds)])
    if settle is not None:
        await settle(timings)
    seconds = time.perf_counter() - begun
    worker, server, sink = ((now - was) / rounds for now, was in zip(spent(), before, strict=True))
    return Phase(
        name=name,
        rounds=rounds,
        seconds=seconds,
        worker_cpu=worker,
        server_cpu=server,
        driver_cpu=(time.process_time() - driver_before) / rounds,
        sink_cpu=sink,
        update_p50=_percentile(timings.scorecards, 0.5),
        update_p95=_percentile(timings.scorecards, 0.95),
        events=await _events(timings.handles),
    )


def _print(phases: Sequence[Phase]) -> None:
    print("CPU seconds per round, by process (the worker and the server are the system;")
    print("the driver plays the people, the sink the province's mail server)")
    print(
        f"{'phase':<12}{'rounds/s':>9}{'worker':>8}{'server':>8}{'driver':>8}{'sink':>7}"
        f"{'update p50':>12}{'p95':>7}{'events':>8}"
    )
    for p in phases:
        print(
            f"{p.name:<12}{p.per_second:>9.2f}{p.worker_cpu:>8.3f}{p.server_cpu:>8.3f}"
            f"{p.driver_cpu:>8.3f}{p.sink_cpu:>7.3f}"
            f"{p.update_p50:>12.3f}{p.update_p95:>7.3f}{p.events:>8.0f}"
        )
    skeletons = [p for p in phases if p.name.startswith("skeleton")]
    project = next(p for p in phases if p.name == "project")
    rate = statistics.mean(p.per_second for p in skeletons)
    cpu = statistics.mean(p.worker_cpu + p.server_cpu for p in skeletons)
    everything = statistics.mean(p.worker_cpu + p.server_cpu + p.driver_cpu for p in skeletons)
    p95 = statistics.mean(p.update_p95 for p in skeletons)
    events = statistics.mean(p.events for p in skeletons)
    total = project.worker_cpu + project.server_cpu
    print()
    print("project / skeleton (mean of the skeleton phases):")
    print(f"  rounds/s            {project.per_second / rate:.2f}×  (goal ≥ 0.8×)")
    print(f"  CPU per round       {total / cpu:.2f}×  (goal ≤ 1.5×; worker + server)")
    print(
        f"    with the driver   {(total + project.driver_cpu) / everything:.2f}×"
        f"  (the sink's {project.sink_cpu:.3f} s a round aside)"
    )
    print(f"  scorecard p95       {project.update_p95 / p95:.2f}×  (goal ≤ 1.5×)")
    print(f"  history events      {project.events:.0f} against {events:.0f}  (goal ≤ 80)")


@dataclass(frozen=True)
class Setup:
    rounds: int
    concurrency: int
    workers: int
    register_server: str | None


async def main(setup: Setup) -> list[Phase]:
    with tempfile.TemporaryDirectory(prefix="ocop-round-") as name:
        folder = Path(name)
        payload_keys = PayloadKeys.load_or_create(folder / "payload-keys.json")
        # Made before the workers start, so they read these rather than make their own.
        keys = ActionKeys.load_or_create(Settings(data_dir=folder).action_keys_path)
        env = await start_dev_server(encrypted_converter(payload_keys), folder / "temporal.db")
        sink, smtp_port = start_sink(folder)
        queue = f"bench-round-{uuid.uuid4().hex[:8]}"
        skeleton_queue = f"{queue}-skeleton"
        address = env.client.service_client.config.target_host
        started: list[subprocess.Popen[bytes]] = [sink]
        try:
            async with throwaway_register(folder, setup.register_server) as register:
                workers = [
                    start_worker(folder, address, register, smtp_port, queue)
                    for _ in range(setup.workers)
                ]
                skeletons = [
                    start_skeleton_worker(folder, address, skeleton_queue)
                    for _ in range(setup.workers)
                ]
                started += workers + skeletons
                server = dev_server_pid()
                if server is None:
                    raise RuntimeError("the dev server's process was not found")
                phases = await _phases(
                    env.client,
                    keys,
                    (queue, skeleton_queue),
                    Processes(tuple(w.pid for w in workers), server, sink.pid),
                    Processes(tuple(s.pid for s in skeletons), server, sink.pid),
                    setup.rounds,
                    setup.concurrency,
                )
                for process in workers + skeletons:  # before their register goes
                    stop(process)
        finally:
            for process in started:
                stop(process)
            await env.shutdown()
    return phases


async def _phases(
    client: Client,
    keys: ActionKeys,
    queues: tuple[str, str],
    project_processes: Processes,
    skeleton_processes: Processes,
    rounds: int,
    concurrency: int,
) -> list[Phase]:
    queue, skeleton_queue = queues
    province = f"bench-{uuid.uuid4().hex[:6]}"

    async def skeleton(i: int, into: Timings) -> None:
        await skeleton_round(client, skeleton_queue, i, into)

    async def project(i: int, into: Timings) -> None:
        await project_round(client, keys, queue, province, i, into)

    async def warm_project(i: int, into: Timings) -> None:
        await project(10_000 + i, into)

    async def settle(timings: Timings) -> None:
        await _settled(client, timings.handles)

    # Long enough for the server's SQLite file to settle: the first measured skeleton
    # phase ran 1.6x slower than the last after a short warm-up.
    warm = max(concurrency, rounds // 3)
    await _phase("warm-up", warm, concurrency, skeleton, skeleton_processes)
    await _phase("warm-up", warm, concurrency, warm_project, project_processes, settle)
    return [
        await _phase("skeleton", rounds, concurrency, skeleton, skeleton_processes),
        await _phase("project", rounds, concurrency, project, project_processes, settle),
        await _phase("skeleton 2", rounds, concurrency, skeleton, skeleton_processes),
    ]


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (as many for the skeleton)"
    )
    parser.add_argument(
        "--register",
        default=None,
        help="a PostgreSQL server's URL: the register in a throwaway database there "
        "(default: a SQLite file, as the embedded stack keeps it)",
    )
    args = parser.parse_args()
    setup = Setup(args.rounds, args.concurrency, args.workers, args.register)
    with stdout_to_stderr():  # the server's banner and the SDK's warnings: not figures
        phases = asyncio.run(main(setup))
    print(
        f"{setup.workers} worker process(es) each; register on "
        f"{'PostgreSQL' if setup.register_server else 'a SQLite file'}"
    )
    _print(phases)


if __name__ == "__main__":
    cli()

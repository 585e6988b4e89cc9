"""What one evaluation round costs, against a bare-Temporal skeleton with its steps.

One process run, one dev server on a SQLite file: the skeleton's rounds, the project's
rounds, the skeleton's again; each phase N rounds, `--concurrency` at a time. Printed
for each: rounds/s, CPU seconds per round of this process (driver, worker, activities,
SMTP sink) and of the server, the scorecard Update's p50/p95, history events per round;
then the project's figures as ratios to the mean of the two skeleton phases.

    .venv/bin/python -m benchmarks.round_cost                     # 150 rounds, 50 at a time
    .venv/bin/python -m benchmarks.round_cost --rounds 60 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from benchmarks.fanout.tools import bounded, cpu_seconds, dev_server_pid, progress, stdout_to_stderr
from benchmarks.round.rounds import Timings, project_round, skeleton_round
from benchmarks.round.skeleton import RoundSkeleton, noop
from benchmarks.stack import local_stack
from contracts import case
from contracts.refs import query
from infra.action_keys import ActionKeys
from infra.waiting import poll_until

SETTLE_WITHIN = 600.0


@dataclass(frozen=True)
class Phase:
    name: str
    rounds: int
    seconds: float
    worker_cpu: float
    server_cpu: float | None
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


async def _phase(
    name: str,
    rounds: int,
    concurrency: int,
    one: Callable[[int, Timings], Awaitable[None]],
    settle: Callable[[Timings], Awaitable[None]] | None = None,
) -> Phase:
    progress(f"{name}: {rounds} rounds, {concurrency} at a time")
    timings = Timings()
    server = dev_server_pid()
    cpu_before, server_before = time.process_time(), cpu_seconds(server)
    begun = time.perf_counter()
    await bounded(concurrency, [_job(one, i, timings) for i in range(rounds)])
    if settle is not None:
        await settle(timings)
    seconds = time.perf_counter() - begun
    server_after = cpu_seconds(server)
    return Phase(
        name=name,
        rounds=rounds,
        seconds=seconds,
        worker_cpu=(time.process_time() - cpu_before) / rounds,
        server_cpu=(server_after - server_before) / rounds
        if server_after is not None and server_before is not None
        else None,
        update_p50=_percentile(timings.scorecards, 0.5),
        update_p95=_percentile(timings.scorecards, 0.95),
        events=await _events(timings.handles),
    )


def _print(phases: Sequence[Phase]) -> None:
    print(
        f"{'phase':<12}{'rounds/s':>10}{'cpu/round':>11}{'server/round':>14}"
        f"{'update p50':>12}{'p95':>8}{'events':>8}"
    )
    for p in phases:
        server = f"{p.server_cpu:.3f}" if p.server_cpu is not None else "—"
        print(
            f"{p.name:<12}{p.per_second:>10.2f}{p.worker_cpu:>11.3f}{server:>14}"
            f"{p.update_p50:>12.3f}{p.update_p95:>8.3f}{p.events:>8.0f}"
        )
    skeletons = [p for p in phases if p.name.startswith("skeleton")]
    project = next(p for p in phases if p.name == "project")
    rate = statistics.mean(p.per_second for p in skeletons)
    cpu = statistics.mean(p.worker_cpu + (p.server_cpu or 0.0) for p in skeletons)
    p95 = statistics.mean(p.update_p95 for p in skeletons)
    events = statistics.mean(p.events for p in skeletons)
    print()
    print("project / skeleton (mean of the skeleton phases):")
    print(f"  rounds/s            {project.per_second / rate:.2f}×  (goal ≥ 0.8×)")
    total = project.worker_cpu + (project.server_cpu or 0.0)
    print(f"  CPU per round       {total / cpu:.2f}×  (goal ≤ 1.5×)")
    print(f"  scorecard p95       {project.update_p95 / p95:.2f}×  (goal ≤ 1.5×)")
    print(f"  history events      {project.events:.0f} against {events:.0f}  (goal ≤ 80)")


async def main(rounds: int, concurrency: int) -> list[Phase]:
    with tempfile.TemporaryDirectory(prefix="ocop-round-") as folder:
        queue = f"bench-round-{uuid.uuid4().hex[:8]}"
        async with local_stack(Path(folder), queue, server_on_file=True) as stack:
            client = stack.client
            keys = ActionKeys.load_or_create(stack.settings.action_keys_path)
            province = f"bench-{uuid.uuid4().hex[:6]}"
            skeleton_queue = f"{queue}-skeleton"
            async with Worker(
                client, task_queue=skeleton_queue, workflows=[RoundSkeleton], activities=[noop]
            ):

                async def skeleton(i: int, into: Timings) -> None:
                    await skeleton_round(client, skeleton_queue, i, into)

                async def project(i: int, into: Timings) -> None:
                    await project_round(client, keys, queue, province, i, into)

                async def settle(timings: Timings) -> None:
                    await _settled(client, timings.handles)

                # Long enough for the server's SQLite file to settle: the first measured
                # skeleton phase ran 1.6x slower than the last after a short warm-up.
                warm = max(concurrency, rounds // 3)
                await _phase("warm-up", warm, concurrency, skeleton)

                async def warm_project(i: int, into: Timings) -> None:
                    await project(10_000 + i, into)

                await _phase("warm-up", warm, concurrency, warm_project)
                phases = [
                    await _phase("skeleton", rounds, concurrency, skeleton),
                    await _phase("project", rounds, concurrency, project, settle),
                    await _phase("skeleton 2", rounds, concurrency, skeleton),
                ]
    return phases


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with stdout_to_stderr():  # the server's banner and the SDK's warnings: not figures
        phases = asyncio.run(main(args.rounds, args.concurrency))
    _print(phases)


if __name__ == "__main__":
    cli()

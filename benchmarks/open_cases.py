"""How much memory a worker needs for many open cases: N cases opened and left waiting
for their review, the worker in a process of its own, its resident memory sampled.

The worker keeps at most `--cache` workflows in memory (`OCOP_WORKER_MAX_CACHED_WORKFLOWS`);
a case that waits for a person or a timer costs the worker nothing once evicted, and is
replayed from its history when it next has work. Printed: cases opened per second, the
worker's and the server's peak and final RSS, and how many cases were waiting at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks.fanout.tools import bounded, dev_server_pid, progress, stdout_to_stderr
from benchmarks.processes import start_worker
from benchmarks.round.rounds import case_input
from benchmarks.stack import start_dev_server
from contracts import case
from contracts.refs import query
from infra.cases import open_case
from infra.database import migrate
from infra.mailsink import MailSink
from infra.payload_codec import PayloadKeys
from infra.temporal import encrypted_converter
from infra.waiting import poll_until

PROJECT: Final = Path(__file__).resolve().parent.parent
WAITING_WITHIN: Final = 1800.0
"""Seconds every opened case has to reach its review (a hang names itself)."""


@dataclass
class Peak:
    """The highest and the last resident memory of one process, in MiB."""

    pid: int
    peak: float = 0.0
    last: float = 0.0

    def sample(self) -> None:
        self.last = rss_mib(self.pid)
        self.peak = max(self.peak, self.last)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def sample_every(peaks: list[Peak], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for peak in peaks:
            peak.sample()
        await asyncio.sleep(0.5)


async def main(cases: int, concurrency: int, cache: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="ocop-open-") as name:
        folder = Path(name)
        keys = PayloadKeys.load_or_create(folder / "payload-keys.json")
        env = await start_dev_server(encrypted_converter(keys), folder / "temporal.db")
        sink = MailSink(folder / "mail", host="127.0.0.1", port=0)
        await sink.start()
        register = f"sqlite+aiosqlite:///{folder / 'register.db'}"
        await migrate(register)
        queue = f"bench-open-{uuid.uuid4().hex[:8]}"
        address = env.client.service_client.config.target_host
        worker = start_worker(folder, address, register, sink.port, queue, cache)
        server = dev_server_pid()
        if server is None:
            raise RuntimeError("the dev server's process was not found")
        peaks = [Peak(worker.pid), Peak(server)]
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_every(peaks, stop))
        province = f"bench-{uuid.uuid4().hex[:6]}"
        try:
            begun = time.perf_counter()

            async def opened(index: int) -> None:
                handle = await open_case(env.client, case_input(province, index), queue)
                # The query waits for the case's first task: at most `concurrency` cases
                # wait for the worker, instead of a backlog in the server's task queue.
                await query(handle, case.STATUS)

            def opening(index: int) -> Callable[[], Awaitable[None]]:
                return lambda: opened(index)

            progress(f"opening {cases} cases, {concurrency} at a time")
            await bounded(concurrency, (opening(i) for i in range(cases)))
            in_review = (
                f"{case.PROVINCE.name} = '{province}' AND {case.STAGE.name} = 'local_review'"
            )

            async def all_waiting() -> bool | None:
                counted = await env.client.count_workflows(in_review)
                return True if counted.count >= cases else None

            await poll_until(all_waiting, within=WAITING_WITHIN, every=2.0, what="every case")
            seconds = time.perf_counter() - begun
            await asyncio.sleep(5)  # the worker settles: evictions, a last sample
            waiting = (await env.client.count_workflows(in_review)).count
        finally:
            stop.set()
            await sampler
            worker.terminate()
            worker.wait(timeout=30)
            await sink.stop()
            await env.shutdown()
    worker_peak, server_peak = peaks
    return [
        f"cases opened          {cases} ({concurrency} at a time), waiting at the end: {waiting}",
        f"opened per second     {cases / seconds:.1f}  ({seconds:.0f} s until all waited)",
        f"worker cache          {cache} workflows",
        f"worker RSS            peak {worker_peak.peak:.0f} MiB, end {worker_peak.last:.0f} MiB",
        f"server RSS            peak {server_peak.peak:.0f} MiB, end {server_peak.last:.0f} MiB",
    ]


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--cache", type=int, default=1000, help="max_cached_workflows")
    args = parser.parse_args()
    with stdout_to_stderr():  # the server's banner and the SDK's warnings: not figures
        lines = asyncio.run(main(args.cases, args.concurrency, args.cache))
    print("\n".join(lines))


if __name__ == "__main__":
    cli()

"""Loading a national register's certificates: N synthetic lines (default 18,243, the
live certificates of December 2025, in about the national star mix) written to a CSV,
checked by `read_register`, loaded by `load_certificates` as `ocop admin certificates
load` does, with the worker, the SMTP sink and the dev server (on a SQLite file) each a
process of its own. Printed: seconds to check the file, starts per second, seconds until
every case is certified and waiting, letters delivered (one per certificate, each
once), the worker's and the server's peak RSS, and a second load's figures (resuming:
nothing should start).

    .venv/bin/python -m benchmarks.load_register                       # 18,243 certificates
    .venv/bin/python -m benchmarks.load_register --certificates 2000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

from temporalio.client import Client

from benchmarks.fanout.province import council
from benchmarks.fanout.tools import dev_server_pid, progress, stdout_to_stderr
from benchmarks.open_cases import Peak, sample_every
from benchmarks.processes import start_sink, start_worker, stop, throwaway_register
from benchmarks.sink_process import delivered
from benchmarks.stack import start_dev_server
from contracts import case
from infra.certificate_loading import (
    LoadProgress,
    held_case,
    load_certificates,
    read_register,
)
from infra.payload_codec import PayloadKeys
from infra.temporal import encrypted_converter
from infra.waiting import poll_until
from models.case import Contact
from models.clock import VIETNAM
from models.cycle_settings import CycleSettings
from models.held_certificates import REGISTER_COLUMNS
from models.rulebook import QD148_2023
from models.transitions import CaseTransition
from models.validity import add_months

LOADED: Final = CaseTransition.CERTIFICATE_LOADED.value
SETTLED_WITHIN: Final = 3600.0
"""Seconds every loaded case has to be certified and waiting (a hang names itself)."""
STAR_MIX: Final = ((3, "district", 73), (4, "province", 24), (5, "central", 3))
"""Stars, the level that recognises them (Decision 148) and the share in a hundred."""
AUTHORITIES: Final = {
    "district": "UBND huyện Bench",
    "province": "UBND tỉnh Bench",
    "central": "Bộ Nông nghiệp và Môi trường",
}


def register_rows(count: int, today: date) -> list[dict[str, str]]:
    """Certificates in force today, decided over the last 35 months, in the star mix."""
    shares = [stars for stars, _, share in STAR_MIX for _ in range(share)]
    rows = []
    for index in range(count):
        stars = shares[index % len(shares)]
        level = next(name for s, name, _ in STAR_MIX if s == stars)
        decided = today - timedelta(days=(index * 37) % (35 * 30))
        rows.append(
            {
                "product_code": f"SP-{index:05d}",
                "product_name": f"Sản phẩm OCOP số {index}",
                "locality": f"huyen-{index % 9 + 1:02d}",
                "group": "food",
                "product_set": "processed_food",
                "applicant_name": f"HTX số {index}",
                "applicant_kind": "cooperative",
                "applicant_email": f"sp-{index:05d}@bench.vn",
                "applicant_phone": "",
                "stars": str(stars),
                "level": level,
                "issuing_authority": AUTHORITIES[level],
                "decision_number": f"{index // 100 + 1}/QĐ-UBND",
                "decided_on": decided.isoformat(),
                "certificate_number": f"GCN-{index:05d}",
                "valid_from": decided.isoformat(),
                "valid_until": add_months(decided, 36).isoformat(),
            }
        )
    return rows


def write_register(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=REGISTER_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


SETTINGS: Final = CycleSettings(
    rulebook=QD148_2023,
    councils=tuple(council(level) for level in ("district", "province", "central")),
    administrators=(Contact(name="Văn phòng OCOP", email="ocop@bench.example.vn"),),
)


async def main(count: int, concurrency: int, workers: int, cache: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="ocop-load-") as name:
        folder = Path(name)
        keys = PayloadKeys.load_or_create(folder / "payload-keys.json")
        env = await start_dev_server(encrypted_converter(keys), folder / "temporal.db")
        sink, smtp_port = start_sink(folder)
        queue = f"bench-load-{uuid.uuid4().hex[:8]}"
        address = env.client.service_client.config.target_host
        province = f"bench-{uuid.uuid4().hex[:6]}"
        try:
            async with throwaway_register(folder, None) as register:
                started = [
                    start_worker(folder, address, register, smtp_port, queue, cache)
                    for _ in range(workers)
                ]
                try:
                    return await _measure(
                        env.client, folder, province, queue, count, concurrency, started
                    )
                finally:
                    for worker in started:
                        stop(worker)
        finally:
            stop(sink)
            await env.shutdown()


async def _measure(
    client: Client,
    folder: Path,
    province: str,
    queue: str,
    count: int,
    concurrency: int,
    workers: list[subprocess.Popen[bytes]],
) -> list[str]:
    server = dev_server_pid()
    if server is None:
        raise RuntimeError("the dev server's process was not found")
    peaks = [Peak(worker.pid) for worker in workers] + [Peak(server)]
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(sample_every(peaks, stop_sampling))
    try:
        today = datetime.now(VIETNAM).date()
        path = folder / "register.csv"
        write_register(path, register_rows(count, today))
        checking = time.perf_counter()
        lines = read_register(path, province, SETTINGS, today)
        checked = time.perf_counter() - checking
        cases = [held_case(line, SETTINGS) for line in lines]
        progress(f"loading {len(cases)} certificates, {concurrency} at a time")
        loading = time.perf_counter()
        first = await load_certificates(
            client, queue, cases, concurrency=concurrency, report=_tell, report_every=15.0
        )
        started_in = time.perf_counter() - loading
        certified = f"{case.PROVINCE.name} = '{province}' AND {case.STAGE.name} = 'certified'"

        async def all_certified() -> bool | None:
            counted = await client.count_workflows(certified)
            return True if counted.count >= count else None

        await poll_until(all_certified, within=SETTLED_WITHIN, every=2.0, what="every case")
        settled_in = time.perf_counter() - loading
        letters = await _letters(folder / "mail", count)
        letters_in = time.perf_counter() - loading
        resuming = time.perf_counter()
        again = await load_certificates(client, queue, cases, concurrency=concurrency)
        resumed_in = time.perf_counter() - resuming
    finally:
        stop_sampling.set()
        await sampler
    *worker_peaks, server_peak = peaks
    return [
        f"certificates          {count} ({concurrency} started at once, {len(workers)} worker(s))",
        f"file checked in       {checked:.1f} s",
        f"cases started         {first.started} in {started_in:.0f} s "
        f"({first.started / started_in:.0f}/s)",
        f"all certified after   {settled_in:.0f} s ({count / settled_in:.1f} certificates/s)",
        "letters delivered     "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(letters.kinds.items()))
        + f"; {letters.duplicates} message(s) received twice; the last after {letters_in:.0f} s",
        f"second load (resume)  started {again.started}, already loaded {again.already_loaded} "
        f"in {resumed_in:.0f} s",
        "worker RSS peak       " + ", ".join(f"{peak.peak:.0f} MiB" for peak in worker_peaks),
        f"server RSS peak       {server_peak.peak:.0f} MiB",
    ]


def _tell(at: LoadProgress) -> None:
    progress(f"{at.done}/{at.total} started, {at.per_second:.1f}/s so far")


@dataclass(frozen=True)
class Letters:
    """What the sink received: letters by kind, and copies of a message received twice."""

    kinds: Counter[str]
    duplicates: int


async def _letters(mail_dir: Path, expected: int) -> Letters:
    """The letters delivered, once at least as many as expected have arrived."""

    async def arrived() -> Letters | None:
        letters = Letters(*await asyncio.to_thread(delivered, mail_dir))
        return letters if letters.kinds[LOADED] >= expected else None

    return await poll_until(arrived, within=SETTLED_WITHIN, every=2.0, what="every letter")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=18_243)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache", type=int, default=1000, help="max_cached_workflows")
    args = parser.parse_args()
    with stdout_to_stderr():  # the server's banner and the SDK's warnings: not figures
        lines = asyncio.run(main(args.certificates, args.concurrency, args.workers, args.cache))
    print("\n".join(lines))


if __name__ == "__main__":
    cli()

"""A national OCOP year on one box: first evaluations through their provinces' cycles and
the national register's certificates, from their loading to the year's end.

What runs (sizes of December 2025 by default; `benchmarks/national/script.py` says
where every share comes from):

- the 18,243 certificates in force are loaded from register files, one per province,
  as `ocop admin certificates load` does; over the year about 4,200 of them run out and
  lapse after their reminders, and about 550 are re-evaluated in this year's cycle;
- 3,600 first dossiers go to the provinces' 2026 cycles through the HTTP API, each
  person with an account and a token of their own: the commune reviews (a third lack a
  document and are asked for it; some never bring it; 3 % are rejected), the province's
  council scores (4 members, 5 % diverge and re-score, 3 % fail the mandatory criteria),
  the cycle's batch decisions recognise, the ministry decides the 5★;
- everything runs on the demo's paced calendar (`cli/demo/pacer.py`): business time
  moves to the next moment somebody waits for once everybody has finished with the
  present one. So no deadline can pass because the machine is slow; the benchmark
  checks it by comparing every case's ending with its script.

The stack is the embedded one, each part a process of its own: the Temporal dev server
on a SQLite file, the worker (`worker.py`; `--workers N` for more), the SMTP sink, and
this process (the API and the people). Printed: wall time (loading, the year), rounds
and emails per second, business days per second, CPU seconds and peak RSS per process,
emails delivered by kind and how many twice, and the endings against the script.

    .venv/bin/python -m benchmarks.national_year                         # the whole country
    .venv/bin/python -m benchmarks.national_year --scale 0.1             # a tenth of it
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from rich.console import Console
from temporalio.client import Client

from benchmarks.fanout.tools import cpu_seconds, dev_server_pid, progress, stdout_to_stderr
from benchmarks.load_register import write_register
from benchmarks.national.figures import Figures, endings, mail_settled, report
from benchmarks.national.script import (
    LOADED_ON,
    RULES,
    YEAR,
    Held,
    first_evaluations,
    held_certificates,
    register_row,
)
from benchmarks.national.stories import (
    Ending,
    Tally,
    first_ending,
    first_story,
    held_ending,
    renewal_ending,
    renewal_story,
)
from benchmarks.open_cases import Peak, sample_every
from benchmarks.processes import start_sink, start_worker, stop, throwaway_register
from benchmarks.stack import start_dev_server
from cli.demo.cast import administrator
from cli.demo.chronicle import Chronicle
from cli.demo.door import ApiDoor, served_door
from cli.demo.pacer import Pacer
from cli.demo.people import ProductCase, business_start_of
from cli.demo.province import Fate, authorities, councils, cycle_settings
from cli.demo.scenario import CycleHandle, cycle_moments
from contracts.case import product_workflow_id
from infra.action_keys import ActionKeys
from infra.certificate_loading import held_case, load_certificates, read_register
from infra.payload_codec import PayloadKeys
from infra.settings import Settings
from infra.temporal import encrypted_converter
from models.case import LifecycleInput
from models.clock import start_of_day
from models.cycle_calendar import CycleTargets
from models.cycle_settings import CycleInput, cycle_input
from workflows.annual_cycle import AnnualCycleWorkflow

NATIONAL_EVALUATIONS: Final = 3_600
NATIONAL_CERTIFICATES: Final = 18_243
YEAR_END: Final = date(YEAR + 1, 1, 1)
LIMIT_SECONDS: Final = 4 * 3600.0
"""Only a hang detector for the whole run: nothing in the story depends on time."""
GIVE_UP_SECONDS: Final = 3600.0
"""How long a product's people wait for its case to answer: at the decision moments
every province recognises its products at once, and on one worker that takes minutes."""


@dataclass(frozen=True)
class Options:
    evaluations: int
    certificates: int
    provinces: int
    workers: int
    cache: int
    concurrency: int
    register: str | None
    folder: Path | None = None
    """Where the run keeps its files (the letters, the register, Temporal's store) to be
    read afterwards; a temporary folder, removed at the end, when None."""


@dataclass
class Country:
    """The run's provinces, their cycles' inputs, and every case's scripted ending."""

    provinces: list[str]
    settings: dict[str, CycleInput]
    expected: dict[str, Ending]


@dataclass(frozen=True)
class Stack:
    """What one run stands on: the dev server's client, the API's door, the worker
    processes, the register, and the folder every part keeps its files in."""

    client: Client
    door: ApiDoor
    folder: Path
    queue: str
    register: str
    worker_pids: list[int]


async def main(options: Options) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="ocop-national-") as name:
        folder = options.folder or Path(name)
        folder.mkdir(parents=True, exist_ok=True)
        keys = PayloadKeys.load_or_create(folder / "payload-keys.json")
        env = await start_dev_server(encrypted_converter(keys), folder / "temporal.db")
        sink, smtp_port = start_sink(folder)
        queue = f"bench-national-{uuid.uuid4().hex[:8]}"
        address = env.client.service_client.config.target_host
        try:
            async with throwaway_register(folder, options.register) as register:
                settings = Settings(
                    data_dir=folder,
                    database_url=register,
                    smtp_host="127.0.0.1",
                    smtp_port=smtp_port,
                    task_queue=queue,
                    temporal_address=address,
                )
                # Made before the worker starts, so the worker and the API read one file.
                ActionKeys.load_or_create(settings.action_keys_path)
                workers = [
                    start_worker(folder, address, register, smtp_port, queue, options.cache)
                    for _ in range(options.workers)
                ]
                try:
                    async with served_door(settings, env.client) as door:
                        pids = [worker.pid for worker in workers]
                        stack = Stack(env.client, door, folder, queue, register, pids)
                        return await _measure(stack, options)
                finally:
                    for worker in workers:
                        stop(worker)
        finally:
            stop(sink)
            await env.shutdown()


async def _measure(stack: Stack, options: Options) -> list[str]:
    server = dev_server_pid()
    if server is None:
        raise RuntimeError("the dev server's process was not found")
    pids = {"worker": stack.worker_pids, "server": [server], "driver": [os.getpid()]}
    peaks = {role: [Peak(pid) for pid in found] for role, found in pids.items()}
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(
        sample_every([p for group in peaks.values() for p in group], stop_sampling)
    )
    cpu_before = _cpu(pids)
    began = time.perf_counter()
    try:
        async with asyncio.timeout(LIMIT_SECONDS):
            run = await _year(stack, options)
            year_in = time.perf_counter() - began
            letters = await mail_settled(stack.folder, stack.register)
            settled_in = time.perf_counter() - began
            found = await endings(stack.client, run.country.provinces)
    finally:
        stop_sampling.set()
        await sampler
    cpu = {role: after - cpu_before[role] for role, after in _cpu(pids).items()}
    figures = Figures(run, found, letters, year_in, settled_in, cpu, peaks)
    return report(options, figures)


def _cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    return {role: sum(cpu_seconds(pid) or 0.0 for pid in found) for role, found in pids.items()}


@dataclass
class YearRun:
    """The year as the actors lived it: what they were meant to end at, how many rounds
    they took to the end, the seconds the loading took, the calendar's moves."""

    country: Country
    tally: Tally
    loaded_in: float
    moves: int
    last_day: date


async def _year(stack: Stack, options: Options) -> YearRun:
    client, door = stack.client, stack.door
    pacer = Pacer(client, business_start_of(LOADED_ON, 8), days_per_second=None)
    chronicle = Chronicle(Console(file=io.StringIO()))  # the story is not printed here
    tag = uuid.uuid4().hex[:5]
    provinces = [f"bench{tag}-p{k:02d}" for k in range(options.provinces)]
    firsts = first_evaluations(options.evaluations)
    helds = held_certificates(options.certificates)
    country = Country(provinces, {}, {})
    tally = Tally()
    cycles: dict[str, CycleHandle] = {}
    loaded = asyncio.get_running_loop().create_future()

    def province_of(index: int) -> str:
        return provinces[index % len(provinces)]

    async def open_cycles() -> None:
        for run, province in enumerate(provinces):
            settings = cycle_settings(run, province, YEAR, _targets(options, len(provinces)))
            cycle = cycle_input(province, YEAR, settings, business_start=pacer.now)
            workflow_id = await door.open_cycle(cycle, administrator(province))
            cycles[province] = client.get_workflow_handle_for(AnnualCycleWorkflow.run, workflow_id)
            country.settings[province] = cycle
            pacer.follow(workflow_id, cycle_moments(cycle))

    async def load() -> None:
        began = time.perf_counter()
        cases = _held_cases(stack.folder, provinces, helds, country, pacer)
        progress(f"loading {len(cases)} certificates, {options.concurrency} at a time")
        await load_certificates(
            client,
            stack.queue,
            cases,
            concurrency=options.concurrency,
            report_every=30.0,
            report=lambda at: progress(f"{at.done}/{at.total} loaded, {at.per_second:.1f}/s"),
        )
        pacer.watch(product_workflow_id(c.dossier.province, c.dossier.product_code) for c in cases)
        loaded.set_result(time.perf_counter() - began)
        progress("loaded; the year begins")

    async def story(index: int, renewal: Held | None) -> None:
        await loaded  # the year's stories start once the register is in
        entry = renewal.entry if renewal else firsts[index]
        province = province_of(index)
        rosters = {council.level: council for council in councils(province, RULES)}
        product = ProductCase(client, door, province, entry, pacer, chronicle, rosters)
        product.give_up_seconds = GIVE_UP_SECONDS
        calendar = country.settings[province].calendar
        if renewal is None:
            country.expected[product.workflow_id] = first_ending(entry)
            await first_story(product, cycles[province], calendar, tally)
        else:
            country.expected[product.workflow_id] = renewal_ending(entry)
            await renewal_story(product, cycles[province], calendar, renewal.stars, tally)

    async def year_end() -> None:
        await loaded
        await pacer.at(start_of_day(YEAR_END) + timedelta(hours=1))
        telling.cancel()

    async def tell() -> None:
        await loaded
        while True:
            await asyncio.sleep(30.0)
            progress(
                f"{pacer.today().isoformat()}: {tally.rounds} rounds ended, "
                f"{len(tally.off_script)} off script, {pacer.moves} moves"
            )

    await open_cycles()
    async with asyncio.TaskGroup() as group:
        telling = group.create_task(tell())
        actors = [pacer.spawn(group, load()), pacer.spawn(group, year_end())]
        actors += [pacer.spawn(group, story(i, None)) for i in range(len(firsts))]
        actors += [
            pacer.spawn(group, story(i, held))
            for i, held in enumerate(helds)
            if held.entry.fate == Fate.REEVALUATE
        ]
        group.create_task(pacer.drive(lambda: all(actor.done() for actor in actors)))
    return YearRun(country, tally, loaded.result(), pacer.moves, pacer.today())


def _targets(options: Options, provinces: int) -> CycleTargets:
    """Each province's share of the national year's aims (about 73 % of dossiers ≥ 3★)."""
    share = max(1, options.evaluations // provinces)
    return CycleTargets(submissions=share, three_stars_or_more=share * 7 // 10)


def _held_cases(
    folder: Path, provinces: list[str], helds: Sequence[Held], country: Country, pacer: Pacer
) -> list[LifecycleInput]:
    """Each province's register file, read and checked as the command reads it."""
    cases: list[LifecycleInput] = []
    for number, province in enumerate(provinces):
        mine = [h for i, h in enumerate(helds) if i % len(provinces) == number]
        names = {a.level: a.authority for a in authorities(number, YEAR)}
        path = folder / f"register-{province}.csv"
        write_register(path, [register_row(h, names[h.level], i) for i, h in enumerate(mine)])
        settings = country.settings[province]
        for line, held in zip(
            read_register(path, province, settings, LOADED_ON), mine, strict=True
        ):
            start = held_case(line, settings).model_copy(update={"business_start": pacer.now})
            cases.append(start)
            if held.entry.fate != Fate.REEVALUATE:
                workflow_id = product_workflow_id(province, held.entry.code)
                country.expected[workflow_id] = held_ending(held.valid_until, YEAR_END, held.stars)
    return cases


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the country")
    parser.add_argument("--evaluations", type=int, help="first dossiers (default 3,600 × scale)")
    parser.add_argument("--certificates", type=int, help="in force (default 18,243 × scale)")
    parser.add_argument("--provinces", type=int, default=9, help="cycles the dossiers go to")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache", type=int, default=1000, help="max_cached_workflows")
    parser.add_argument("--concurrency", type=int, default=50, help="certificates started at once")
    parser.add_argument("--register", help="a PostgreSQL URL for the register (default SQLite)")
    parser.add_argument("--keep", type=Path, help="keep the run's files in this (new) folder")
    args = parser.parse_args()
    options = Options(
        evaluations=args.evaluations or round(NATIONAL_EVALUATIONS * args.scale),
        certificates=args.certificates or round(NATIONAL_CERTIFICATES * args.scale),
        provinces=args.provinces,
        workers=args.workers,
        cache=args.cache,
        concurrency=args.concurrency,
        register=args.register,
        folder=args.keep,
    )
    with stdout_to_stderr():  # the server's banner and the SDK's warnings: not figures
        lines = asyncio.run(main(options))
    print("\n".join(lines))


if __name__ == "__main__":
    cli()

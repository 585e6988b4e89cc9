"""What the national year measured, read back from the stack, and the lines it prints."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, select
from temporalio.client import Client

from benchmarks.national.script import LOADED_ON
from benchmarks.national.stories import Ending
from benchmarks.open_cases import Peak
from benchmarks.sink_process import delivered
from contracts import case
from infra.database import create_engine
from infra.waiting import poll_until
from models.case import CaseStage
from models.register import NotificationRow

if TYPE_CHECKING:
    from benchmarks.national_year import Options, YearRun

MAIL_SETTLES_WITHIN: Final = 900.0
"""Seconds the outbox has to send what the year queued (a hang names itself)."""
SHOWN: Final = 5


@dataclass(frozen=True)
class Letters:
    """What the SMTP sink received: letters by kind, and messages received twice."""

    kinds: Counter[str]
    duplicates: int
    unsent: int

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


async def mail_settled(folder: Path, register: str) -> Letters:
    """Once the register's outbox holds nothing unsent and the sink has every message
    the register says it sent: what arrived."""
    engine = create_engine(register)

    async def outbox() -> Counter[str]:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
            )
            return Counter({str(status): int(n) for status, n in rows})

    async def settled() -> Letters | None:
        statuses = await outbox()
        kinds, twice = await asyncio.to_thread(delivered, folder / "mail")
        unsent = sum(n for status, n in statuses.items() if status != "sent")
        if unsent or sum(kinds.values()) < statuses["sent"]:
            return None
        return Letters(kinds, twice, unsent)

    try:
        return await poll_until(settled, within=MAIL_SETTLES_WITHIN, every=2.0, what="the outbox")
    finally:
        await engine.dispose()


async def endings(client: Client, provinces: list[str]) -> dict[str, Ending]:
    """Every product case's stage and stars at the year's end, from visibility."""
    found: dict[str, Ending] = {}
    for province in provinces:
        query = f"{case.PROVINCE.name} = '{province}' AND WorkflowType = '{case.WORKFLOW_TYPE}'"
        async for execution in client.list_workflows(query, page_size=1000):
            attributes = execution.typed_search_attributes
            stage = attributes.get(case.STAGE)
            stars = attributes.get(case.STARS)
            ending = CaseStage(stage) if stage else CaseStage.SUBMITTED
            found[execution.id] = Ending(
                ending, int(stars) if stars is not None and ending == CaseStage.CERTIFIED else None
            )
    return found


@dataclass(frozen=True)
class Figures:
    run: YearRun
    found: dict[str, Ending]
    letters: Letters
    year_in: float
    settled_in: float
    cpu: Mapping[str, float]
    peaks: Mapping[str, list[Peak]]


def _endings_lines(expected: Mapping[str, Ending], found: Mapping[str, Ending]) -> list[str]:
    wanted = Counter(e.stage.value for e in expected.values())
    got = Counter(found[w].stage.value for w in expected if w in found)
    off = [w for w, e in expected.items() if found.get(w) != e]
    lines = [
        "endings (scripted → found) "
        + ", ".join(f"{stage} {wanted[stage]} → {got[stage]}" for stage in sorted(wanted)),
        f"off their script        {len(off)} of {len(expected)} cases"
        + (" (a deadline passed, or a step was lost)" if off else ": no deadline passed"),
    ]
    lines += [f"  {w}: scripted {expected[w]}, found {found.get(w)}" for w in off[:SHOWN]]
    return lines


def report(options: Options, figures: Figures) -> list[str]:
    run, letters = figures.run, figures.letters
    story_in = figures.year_in - run.loaded_in
    days = (run.last_day - LOADED_ON).days
    rounds = run.tally.rounds
    rss = {role: ", ".join(f"{p.peak:.0f}" for p in peaks) for role, peaks in figures.peaks.items()}
    lines = [
        f"country                 {len(run.country.provinces)} provinces, "
        f"{options.evaluations} first dossiers, {options.certificates} certificates; "
        f"{options.workers} worker(s), cache {options.cache}",
        f"wall time               {figures.settled_in:.0f} s in all: loading "
        f"{run.loaded_in:.0f} s ({options.certificates / max(run.loaded_in, 1e-9):.1f}/s), "
        f"the year {story_in:.0f} s, the last emails "
        f"{figures.settled_in - figures.year_in:.0f} s",
        f"business calendar       {days} days in {story_in:.0f} s "
        f"({days / max(story_in, 1e-9):.2f} days/s), {run.moves} moves",
        f"rounds                  {rounds} to their end "
        f"({rounds / max(story_in, 1e-9):.2f}/s over the year)",
        f"emails                  {letters.total} delivered "
        f"({letters.total / max(figures.settled_in, 1e-9):.1f}/s), {letters.duplicates} "
        f"received twice, {letters.unsent} unsent: "
        + ", ".join(f"{n} {kind}" for kind, n in letters.kinds.most_common()),
        "CPU seconds             "
        + ", ".join(f"{role} {seconds:.0f}" for role, seconds in figures.cpu.items()),
        "peak RSS (MiB)          " + ", ".join(f"{role} {mib}" for role, mib in rss.items()),
        *_endings_lines(run.country.expected, figures.found),
        f"stories off script      {len(run.tally.off_script)}",
    ]
    lines += [f"  {reason}" for reason in run.tally.off_script[:SHOWN]]
    return lines

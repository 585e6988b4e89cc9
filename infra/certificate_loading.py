"""Loading the national register's certificates: one case each, started certified.

`read_register` reads and checks the whole file before anything starts: every line the
rules refuse, every product or certificate number given twice, is listed by its line
number, and nothing is loaded until the file is right. `load_certificates` then starts
the cases, so many at a time (each slot waits for its case's first task, so the load
goes at the workers' pace), telling its caller how far it got; run again on the same
file it starts only the lines not loaded yet (each product's case has a stable id), so
an interrupted load is resumed by running it again.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from contracts.case import HELD_CERTIFICATE_MEMO, product_workflow_id
from models.case import LifecycleInput
from models.cycle_settings import CycleSettings
from models.dossier import Dossier
from models.held_certificates import (
    REGISTER_COLUMNS,
    HeldCertificate,
    RegisterLineError,
    held_certificate_refusal,
    register_line,
)
from workflows.product_lifecycle import ProductLifecycleWorkflow

MAX_REGISTER_BYTES: Final = 64 * 1024 * 1024
"""A national register of 18,243 lines is about 6 MiB; ten times that is still a register."""
MAX_REGISTER_LINES: Final = 200_000
MAX_PROBLEMS_SHOWN: Final = 20


FIRST_TASK_WITHIN: Final = timedelta(minutes=2)
"""How long a started case may wait for a worker to take its first task."""


class RegisterFileError(ValueError):
    """The register file cannot be loaded as it is: why, line by line."""


class NoWorkerError(RuntimeError):
    """No worker took a started case's first task in time: the load stops there (a second
    load of the same file resumes it once a worker polls the task queue)."""


@dataclass(frozen=True)
class RegisterLine:
    number: int
    dossier: Dossier
    held: HeldCertificate


def read_register(
    path: Path, province: str, settings: CycleSettings, today: date
) -> list[RegisterLine]:
    """Every line of the register file, checked; raise naming each line that is not right."""
    reader = csv.DictReader(io.StringIO(_register_text(path)))
    _check_header(path, tuple(reader.fieldnames or ()))
    lines: list[RegisterLine] = []
    problems: list[str] = []
    seen = _SeenOnce()
    for row in reader:
        if len(lines) + len(problems) >= MAX_REGISTER_LINES:
            raise RegisterFileError(f"{path}: more than {MAX_REGISTER_LINES} lines")
        number = reader.line_num
        try:
            dossier, held = register_line(row, province)
        except RegisterLineError as bad:
            problems.append(f"line {number}: {bad}")
            continue
        refusal = held_certificate_refusal(held, settings.rulebook, today)
        twice = seen.twice(number, dossier, held)
        if refusal is not None or twice is not None:
            problems.append(f"line {number}: {refusal.message if refusal else twice}")
            continue
        lines.append(RegisterLine(number, dossier, held))
    if problems:
        shown, more = problems[:MAX_PROBLEMS_SHOWN], len(problems) - MAX_PROBLEMS_SHOWN
        raise RegisterFileError(
            f"{path}: {len(problems)} line(s) cannot be loaded, so none was: "
            + "; ".join(shown)
            + (f"; and {more} more" if more > 0 else "")
        )
    return lines


def _register_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_REGISTER_BYTES:
        raise RegisterFileError(
            f"{path}: {size} bytes; a register file may have at most {MAX_REGISTER_BYTES}"
        )
    try:
        return path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is not a column
    except UnicodeDecodeError:
        raise RegisterFileError(f"{path} is not UTF-8 text (save the sheet as CSV UTF-8)") from None


def _check_header(path: Path, header: tuple[str, ...]) -> None:
    missing = [name for name in REGISTER_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REGISTER_COLUMNS]
    if missing or unknown:
        raise RegisterFileError(
            f"{path}: the header must name the columns {', '.join(REGISTER_COLUMNS)}"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not known: {', '.join(unknown)}" if unknown else "")
        )


class _SeenOnce:
    """A product, and a certificate number of an authority, appear on one line only."""

    def __init__(self) -> None:
        self._products: dict[str, int] = {}
        self._numbers: dict[tuple[str, str], int] = {}

    def twice(self, line: int, dossier: Dossier, held: HeldCertificate) -> str | None:
        code, number = dossier.product_code.lower(), (held.authority, held.number)
        if code in self._products:
            return f"product_code {dossier.product_code} is on line {self._products[code]} too"
        if number in self._numbers:
            return (
                f"certificate_number {held.number} of {held.authority} is on line "
                f"{self._numbers[number]} too"
            )
        self._products[code], self._numbers[number] = line, line
        return None


def held_case(line: RegisterLine, settings: CycleSettings) -> LifecycleInput:
    """The case a register line starts: the province's councils, rules and administrators."""
    return LifecycleInput(
        dossier=line.dossier,
        rulebook=settings.rulebook,
        policy=settings.policy,
        councils=settings.councils,
        administrators=settings.administrators,
        cycle_year=line.held.decided_on.year,
        holding=line.held,
    )


@dataclass
class LoadProgress:
    """How far a load got: told to the caller as it goes, and at its end."""

    total: int
    started: int = 0
    already_loaded: int = 0
    other_case: list[str] = field(default_factory=list)
    """Products whose running case holds another certificate or none: left as they are."""
    began: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        return self.started + self.already_loaded + len(self.other_case)

    @property
    def per_second(self) -> float:
        return self.done / max(time.monotonic() - self.began, 1e-6)


async def load_certificates(
    client: Client,
    task_queue: str,
    cases: Sequence[LifecycleInput],
    *,
    concurrency: int = 50,
    report: Callable[[LoadProgress], None] | None = None,
    report_every: float = 2.0,
    first_task_within: timedelta = FIRST_TASK_WITHIN,
) -> LoadProgress:
    """Start each case not started yet, `concurrency` at a time; `report` now and then."""
    progress = LoadProgress(total=len(cases))
    queue: asyncio.Queue[LifecycleInput] = asyncio.Queue()
    for case in cases:
        queue.put_nowait(case)

    async def starter() -> None:
        while not queue.empty():
            await _start_one(client, task_queue, queue.get_nowait(), progress, first_task_within)

    async def reporter() -> None:
        while report is not None:
            await asyncio.sleep(report_every)
            report(progress)

    ticking = asyncio.create_task(reporter())
    try:
        await asyncio.gather(*(starter() for _ in range(max(1, concurrency))))
    finally:
        ticking.cancel()
    if report is not None:
        report(progress)
    return progress


async def _start_one(
    client: Client,
    task_queue: str,
    case: LifecycleInput,
    progress: LoadProgress,
    first_task_within: timedelta,
) -> None:
    dossier, held = case.dossier, case.holding
    assert held is not None
    workflow_id = product_workflow_id(dossier.province, dossier.product_code)
    try:
        started = await client.start_workflow(
            ProductLifecycleWorkflow.run,
            case,
            id=workflow_id,
            task_queue=task_queue,
            # A product whose earlier case ended (a certificate lapsed) starts a new one.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            memo={HELD_CERTIFICATE_MEMO: held.number},
        )
        # Each start waits for its case's first task (the query is answered then): at most
        # `concurrency` cases wait for a worker. Thousands queued at once slowed the
        # server's matching to a few cases a second (benchmarks/README.md, open_cases).
        try:
            await started.query(ProductLifecycleWorkflow.status, rpc_timeout=first_task_within)
        except RPCError as unanswered:
            raise NoWorkerError(
                f"case {workflow_id} was started but no worker took it within "
                f"{first_task_within.total_seconds():.0f} s ({unanswered.message}): is a worker "
                f"polling task queue {task_queue!r}? Load the file again to resume"
            ) from None
    except WorkflowAlreadyStartedError:
        # Told by the running case's start memo: no replay on a worker, which thousands
        # of status queries on a resumed load would cost.
        if await _held_memo(client, workflow_id) == held.number:
            progress.already_loaded += 1  # an earlier load of this file started it
        else:
            progress.other_case.append(dossier.product_code)
        return
    progress.started += 1


async def _held_memo(client: Client, workflow_id: str) -> object:
    """The certificate number the running case's start memo names, if any.

    Read from the raw description: the SDK's `describe()` also decodes every search
    attribute, and the time-skipping test server returns a datetime one (the case's
    `OcopValidUntil`) in a shape it cannot parse — which failed a resumed load in CI."""
    described = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    fields = described.workflow_execution_info.memo.fields
    if HELD_CERTIFICATE_MEMO not in fields:
        return None
    [number] = await client.data_converter.decode([fields[HELD_CERTIFICATE_MEMO]])
    return number

"""Finding a province's cycle of a year and reading it straight from Temporal (the
operators' reads; people's steps on a cycle go through the API, `cli.acting.on_cycle`).

`find_cycle` says in one line that a cycle does not exist (and how to start it);
`read_report` reads the report of a running cycle, or the result of an ended one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from cli.common import answer_query, fail
from contracts.cycle import cycle_workflow_id
from models.cycle import CycleReport
from workflows.annual_cycle import AnnualCycleWorkflow

cycle_app = typer.Typer(
    help="A province's annual OCOP cycle: start, schedule, status, report, close.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

CycleHandle = WorkflowHandle[AnnualCycleWorkflow, CycleReport]
T = TypeVar("T")

ProvinceArg = Annotated[
    str, typer.Argument(metavar="PROVINCE", help="Province code, e.g. quang-ninh.")
]
YearArg = Annotated[int, typer.Argument(metavar="YEAR", help="The cycle's year, e.g. 2024.")]
ProvinceOption = Annotated[
    str, typer.Option("--province", "-p", help="Province code, e.g. quang-ninh.")
]
YearOption = Annotated[int, typer.Option("--year", "-y", help="The cycle's year, e.g. 2024.")]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="CYCLE.yaml",
        help="Councils, administrators, targets, calendar, authorities (JSON or YAML); "
        "see examples/cycle-quang-ninh-2024.yaml.",
    ),
]


async def find_cycle(client: Client, province: str, year: int) -> tuple[CycleHandle, bool]:
    """The cycle's handle and whether it still runs; a missing cycle is one clear line."""
    handle = client.get_workflow_handle_for(
        AnnualCycleWorkflow.run, cycle_workflow_id(province, year)
    )
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            fail(
                f"no {year} cycle for {province}; start it with "
                f"`ocop cycle start --province {province} --year {year}`"
            )
        raise
    return handle, description.status == WorkflowExecutionStatus.RUNNING


async def read_report(client: Client, province: str, year: int) -> CycleReport:
    handle, running = await find_cycle(client, province, year)
    if running:
        return await answer_query(client, handle, handle.query(AnnualCycleWorkflow.report))
    try:
        return await handle.result()
    except Exception as error:  # terminated, failed: say so rather than a stack trace
        status = (await handle.describe()).status
        how = status.name.lower().replace("_", " ") if status else "ended"
        cause = getattr(error, "cause", None) or error  # "Workflow execution failed" says little
        fail(f"the {year} cycle of {province} ended without a report ({how}: {cause})")

"""A province's annual cycle: its office opens, closes and reads it; producers submit."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.problems import ApiProblem
from api.services import CurrentActor, Svc, answered, not_found, permit
from contracts import cycle
from contracts.cycle import cycle_workflow_id
from contracts.refs import query
from infra.actions import act
from infra.criteria_store import CriteriaStore
from infra.cycles import opened_by, scheduled_by, start_cycle_workflow
from infra.mail_ledger import with_mail_figures
from infra.schedules import YearlyLaunch, set_yearly_schedule
from models import actors as access
from models.cycle import CycleReport
from models.cycle_messages import CloseCycle, SubmissionReceipt
from models.cycle_rules import yearly_day_refusal
from models.cycle_settings import (
    CycleInput,
    CycleSettings,
    ScheduledCycles,
    with_working_calendar,
)
from models.dossier import Dossier
from models.errors import DomainError

router = APIRouter(prefix="/api/v1/cycles", tags=["cycles"])

Province = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Year = Annotated[int, Path(ge=2018, le=2100)]


class CycleOpened(BaseModel):
    workflow_id: str


async def _running_cycle(
    svc: Svc, province: str, year: int
) -> tuple[WorkflowHandle[Any, Any], bool]:
    handle = svc.client.get_workflow_handle(cycle_workflow_id(province, year))
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise not_found(f"the {year} cycle of {province}") from None
        raise
    return handle, description.status == WorkflowExecutionStatus.RUNNING


def _closed(province: str, year: int) -> ApiProblem:
    return ApiProblem(
        409,
        "cycle-closed",
        "Chu trình đã kết thúc — the cycle is closed",
        f"chu trình OCOP {year} của {province} đã kết thúc — the {year} cycle of {province} "
        "is closed",
    )


@router.post("", response_model=CycleOpened, status_code=201, summary="Open a year's cycle")
async def open_cycle(cycle_input: CycleInput, actor: CurrentActor, svc: Svc) -> CycleOpened:
    """The province's office opens its cycle; its decisions are signed only for it."""
    refusal = access.cycle_administration_refusal(actor, cycle_input.province)
    await permit(svc, actor, refusal, cycle.OPEN_CYCLE, cycle_input.province)
    cycle_input = with_working_calendar(cycle_input)
    try:
        tables = CriteriaStore(svc.settings.data_dir).pinned(cycle_input.criteria_tables)
    except DomainError as error:
        raise ApiProblem(
            422, "invalid-input", "Dữ liệu không hợp lệ — invalid input", str(error)
        ) from None
    cycle_input = cycle_input.model_copy(update={"criteria_tables": tables})
    signed = opened_by(svc.action_keys, actor, cycle_input.model_copy(update={"carried": None}))
    try:
        handle, _ = await start_cycle_workflow(
            svc.client, signed, svc.settings.task_queue, existing_ok=False
        )
    except WorkflowAlreadyStartedError:
        raise ApiProblem(
            409,
            "cycle-exists",
            "Chu trình đã có — the cycle exists",
            f"the {cycle_input.year} cycle of {cycle_input.province} exists already",
        ) from None
    return CycleOpened(workflow_id=handle.id)


class ScheduleRequest(BaseModel):
    """The province's standing settings, and when each year its cycle opens."""

    model_config = ConfigDict(extra="forbid")

    settings: CycleSettings
    on: str = Field(default="01-02", pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
    at: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    now: bool = Field(default=False, description="Also open the coming cycle right away")


class ScheduleAnswer(BaseModel):
    schedule_id: str
    created: bool
    next_runs: list[str]


@router.put(
    "/{province}/schedule", response_model=ScheduleAnswer, summary="Set the yearly schedule"
)
async def schedule(
    province: Province, request: ScheduleRequest, actor: CurrentActor, svc: Svc
) -> ScheduleAnswer:
    """Each year on `on` at `at` (Vietnam time) the province's cycle opens with the
    official calendar, in the name of the administrator who set the schedule."""
    refusal = access.cycle_administration_refusal(actor, province)
    await permit(svc, actor, refusal, cycle.SCHEDULE_CYCLES, province)
    month, day = (int(part) for part in request.on.split("-"))
    not_yearly = yearly_day_refusal(month, day, written=request.on)
    if not_yearly is not None:
        raise ApiProblem(
            422, "invalid-input", "Ngày không hợp lệ — invalid day", not_yearly.message
        )
    hour, minute = (int(part) for part in request.at.split(":"))
    launch = scheduled_by(
        svc.action_keys, actor, ScheduledCycles(province=province, settings=request.settings)
    )
    done = await set_yearly_schedule(
        svc.client,
        svc.settings.task_queue,
        launch,
        YearlyLaunch(month, day, hour, minute),
        trigger_now=request.now,
    )
    return ScheduleAnswer(**dataclasses.asdict(done))


@router.post(
    "/{province}/{year}/dossiers",
    response_model=SubmissionReceipt,
    summary="Submit a dossier to the cycle",
)
async def submit(
    province: Province, year: Year, dossier: Dossier, actor: CurrentActor, svc: Svc
) -> SubmissionReceipt:
    """A producer submits a dossier of their own; the cycle's rules decide on it."""
    handle, running = await _running_cycle(svc, province, year)
    await permit(
        svc, actor, access.submission_refusal(actor, dossier), cycle.SUBMIT.name, handle.id
    )
    if not running:
        raise _closed(province, year)
    return await answered(act(handle, svc.action_keys, actor, cycle.SUBMIT, dossier), "submit")


@router.post("/{province}/{year}/close", response_model=CycleReport, summary="Close the cycle")
async def close(
    province: Province, year: Year, request: CloseCycle, actor: CurrentActor, svc: Svc
) -> CycleReport:
    handle, running = await _running_cycle(svc, province, year)
    refusal = access.cycle_administration_refusal(actor, province)
    await permit(svc, actor, refusal, cycle.CLOSE.name, handle.id)
    if not running:
        raise _closed(province, year)
    closing = access.in_own_name(request, actor)
    report = await answered(act(handle, svc.action_keys, actor, cycle.CLOSE, closing), "close")
    return await with_mail_figures(report, svc.sessions)


@router.get("/{province}/{year}/report", response_model=CycleReport, summary="The cycle's report")
async def report(province: Province, year: Year, actor: CurrentActor, svc: Svc) -> CycleReport:
    """For the province's office and operators."""
    handle, running = await _running_cycle(svc, province, year)
    admin = access.cycle_administration_refusal(actor, province)
    operator = access.operator_read_refusal(actor, province)
    await permit(svc, actor, admin and operator, cycle.REPORT.name, handle.id)
    if running:
        report = await answered(query(handle, cycle.REPORT), "report")
    else:
        report = await handle.result()
    # The workflow counts without the register: the ledger's mail figures, at each asking.
    return await with_mail_figures(report, svc.sessions)

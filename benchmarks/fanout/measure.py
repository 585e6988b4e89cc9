"""Where the time went: the register, the cycle's history and its report, read once the
recognition moment has come."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from benchmarks.fanout.figures import (
    BenchmarkError,
    Options,
    Stack,
)
from benchmarks.fanout.tools import (
    at_least,
    cpu_seconds,
    progress,
    stamp,
    until,
)
from contracts.cycle import RECOGNISE_BATCH
from models import register as tables
from models.cycle import CycleReport
from workflows.annual_cycle import AnnualCycleWorkflow


async def real_origin(handle: WorkflowHandle[Any, Any]) -> float:
    """The cycle's clock anchor: workflow.now() of its first workflow task."""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            return stamp(event)
    raise BenchmarkError(f"{handle.id} has not run its first workflow task")


async def until_certified(
    engine: AsyncEngine, stack: Stack, n: int, moment: float
) -> tuple[float, float, float | None]:
    """When all N certificates were in the register; CPU seconds used meanwhile."""
    await asyncio.sleep(max(0.0, moment - time.time()))
    worker_before, server_before = time.process_time(), cpu_seconds(stack.server_pid)
    certificates = select(func.count()).select_from(tables.CertificateRow)
    certified_at = await until(
        at_least(engine, certificates, n), f"{n} certificates", within=60 + n * 2.0
    )
    worker_cpu = time.process_time() - worker_before
    server_after = cpu_seconds(stack.server_pid)
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    return certified_at, worker_cpu, server_cpu


async def until_recorded_and_mailed(
    engine: AsyncEngine, cycle_id: str, options: Options
) -> tuple[float, float | None]:
    n = options.products
    decisions = (
        select(func.count())
        .select_from(tables.AuditEventRow)
        .where(tables.AuditEventRow.workflow_id == cycle_id)
        .where(tables.AuditEventRow.action == "recognition_decision")
    )
    recorded_at = await until(
        at_least(engine, decisions, options.districts), "the decision records", within=60
    )
    mails = (
        select(func.count())
        .select_from(tables.NotificationRow)
        .where(tables.NotificationRow.event_type == "recognised")
        .where(tables.NotificationRow.status == "sent")
    )
    try:
        mailed_at: float | None = await until(
            at_least(engine, mails, n), f"{n} recognition e-mails", within=60 + n * 0.5
        )
    except BenchmarkError as error:
        progress(str(error))
        mailed_at = None
    return recorded_at, mailed_at


async def breakdown(handle: WorkflowHandle[Any, Any], moment: float) -> tuple[float, float, int]:
    """From the cycle's (latest run's) history: timer lag after the moment, fan-out span,
    batches run. A fan-out that began before the moment means the moment is wrong."""
    events = [event async for event in handle.fetch_history_events()]
    scheduled = {
        e.event_id: stamp(e)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == RECOGNISE_BATCH.name
    }
    completed = [
        stamp(e)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
    ]
    if not scheduled or not completed:
        raise BenchmarkError(f"{handle.id} ran no {RECOGNISE_BATCH.name} activity to completion")
    began = min(scheduled.values())
    if began < moment - 0.5:
        raise BenchmarkError(
            f"the fan-out began {moment - began:.1f} s before the computed recognition moment"
        )
    fired = [
        stamp(e)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED and stamp(e) <= began
    ]
    timer_lag = max(fired) - moment if fired else float("nan")
    return timer_lag, max(completed) - began, len(scheduled)


async def check_report(
    handle: WorkflowHandle[AnnualCycleWorkflow, CycleReport], options: Options
) -> CycleReport:
    """The cycle's own account must agree: every product listed and recognised."""
    report = await handle.query(AnnualCycleWorkflow.report)
    listed = sum(d.listed for d in report.decisions)
    recognised = sum(d.recognised for d in report.decisions)
    n = options.products
    if (len(report.decisions), listed, recognised) != (options.districts, n, n):
        raise BenchmarkError(
            f"the cycle issued {len(report.decisions)} decisions listing {listed} products, "
            f"{recognised} recognised; expected {options.districts} listing {n}, all recognised"
        )
    return report

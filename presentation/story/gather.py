"""Gathers what a case's story is told from: every run's history, the register, the ledger.

The I/O half of `ocop history`. A product's case is one workflow id whose runs are
chained by continue-as-new, one run per evaluation round. The chain is followed forward
from the first run (named by the latest run's start event), so a closed case and a
running one read the same way. When the server no longer keeps an early run (the
namespace's retention), the chain is walked back from the latest run instead and the
register tells the rounds before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from models import register as tables
from models.records import JsonScalar
from models.transitions import canonical_kind
from presentation.story.facts import Email, HistoryFact, Story, Transition
from presentation.story.history import RunHistory, history_facts
from presentation.story.merge import tell_story

MAX_RUNS = 1_000
"""A case has one run per round; this only guards against a broken chain."""


class CaseNotFoundError(LookupError):
    """Neither Temporal nor the register knows the case."""


@dataclass
class CaseRuns:
    runs: list[RunHistory] = field(default_factory=list)
    status: str | None = None
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------- Temporal


async def fetch_runs(client: Client, workflow_id: str) -> CaseRuns:
    """Every run of the case's latest chain that the server still keeps, first to last."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        return CaseRuns(notes=[f"Temporal does not know workflow {workflow_id} (any more)"])
    status = description.status.name.lower() if description.status else None
    latest_id = description.run_id
    latest = await _events(client, workflow_id, latest_id) or []
    pending: Sequence[PendingActivityInfo] = ()
    if description.status == WorkflowExecutionStatus.RUNNING:
        pending = list(description.raw_description.pending_activities)
    found = CaseRuns(status=status)
    first_id = _started(latest).first_execution_run_id if latest else ""
    run_id = first_id or latest_id
    for _ in range(MAX_RUNS):
        events = latest if run_id == latest_id else await _events(client, workflow_id, run_id)
        if events is None:
            break
        found.runs.append(RunHistory(run_id, events, pending if run_id == latest_id else ()))
        if run_id == latest_id:
            return found
        next_id = _continued_to(events)
        if not next_id:
            break
        run_id = next_id
    # The first run is gone (retention) or the chain broke: walk back from the latest run.
    found.runs = [RunHistory(latest_id, latest, pending)]
    await _walk_back(client, workflow_id, found)
    return found


async def _walk_back(client: Client, workflow_id: str, found: CaseRuns) -> None:
    """Add the runs before the only one in `found`, as far as the server keeps them."""
    first = found.runs[0].events
    previous = _started(first).continued_execution_run_id if first else ""
    while previous and len(found.runs) < MAX_RUNS:
        events = await _events(client, workflow_id, previous)
        if events is None:
            found.notes.append(
                "Temporal no longer keeps the history of the earliest run(s) of this case "
                "(namespace retention); the register tells those rounds"
            )
            break
        found.runs.append(RunHistory(previous, events))
        previous = _started(events).continued_execution_run_id
    found.runs.reverse()


async def _events(client: Client, workflow_id: str, run_id: str) -> list[HistoryEvent] | None:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        return [event async for event in handle.fetch_history_events()]
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


def _started(events: Sequence[HistoryEvent]) -> Any:
    return events[0].workflow_execution_started_event_attributes


def _continued_to(events: Sequence[HistoryEvent]) -> str:
    last = events[-1] if events else None
    if last is not None and last.HasField("workflow_execution_continued_as_new_event_attributes"):
        return str(last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id)
    return ""


# ------------------------------------------------------------------------- register


async def read_register(
    sessions: async_sessionmaker[AsyncSession], workflow_id: str
) -> tuple[list[Transition], list[Email]]:
    """The case's audit events and ledger rows, in the order they were written."""
    async with sessions() as session:
        audit = await session.scalars(
            select(tables.AuditEventRow)
            .where(tables.AuditEventRow.workflow_id == workflow_id)
            .order_by(tables.AuditEventRow.id)
        )
        transitions = [_transition(row) for row in audit]
        ledger = await session.scalars(
            select(tables.NotificationRow)
            .where(tables.NotificationRow.workflow_id == workflow_id)
            .order_by(tables.NotificationRow.id)
        )
        emails = [_email(row) for row in ledger]
    return transitions, emails


def _transition(row: tables.AuditEventRow) -> Transition:
    details: dict[str, JsonScalar] = {
        key: value
        for key, value in (row.details or {}).items()
        if value is None or isinstance(value, str | int | float | bool)
    }
    round_number = details.get("round")
    return Transition(
        key=row.event_key,
        action=row.action,
        actor=row.actor,
        occurred_at=row.occurred_at,
        reason=row.reason or "",
        round_number=round_number if isinstance(round_number, int) else None,
        details=details,
    )


def _email(row: tables.NotificationRow) -> Email:
    return Email(
        ledger_key=row.notification_key,
        # A register not yet migrated (0002) may still hold a legacy kind.
        event_type=canonical_kind(row.event_type),
        recipient=row.recipient,
        subject=row.subject,
        status=row.status,
        smtp_response=row.smtp_response,
        attempts=row.attempts,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


# ---------------------------------------------------------------------------- story


async def case_story(
    client: Client | None,
    workflow_id: str,
    sessions: async_sessionmaker[AsyncSession] | None,
) -> Story:
    """Tell the case's story from whatever is reachable: Temporal, the register, or both."""
    notes: list[str] = []
    facts: list[HistoryFact] = []
    status = None
    if client is not None:
        runs = await fetch_runs(client, workflow_id)
        notes += runs.notes
        status = runs.status
        facts = await history_facts(runs.runs, client.data_converter)
    transitions: list[Transition] = []
    emails: list[Email] = []
    register_read = False
    if sessions is not None:
        try:
            transitions, emails = await read_register(sessions, workflow_id)
            register_read = True
        except (SQLAlchemyError, OSError) as error:
            first_line = (str(error).splitlines() or [type(error).__name__])[0]
            notes.append(f"the register could not be read ({first_line}); history only")
    if not facts and not transitions and not emails:
        raise CaseNotFoundError(
            f"no case {workflow_id!r}: neither Temporal nor the register knows it"
        )
    return tell_story(
        workflow_id,
        facts,
        transitions,
        emails,
        status=status,
        notes=notes,
        register_read=register_read,
    )

"""Gathers what a case's story is told from: every run's history, the register, the ledger.

The I/O half of `ocop history`; the merging and the words are in `models/story.py`.

A product's case is one workflow id whose runs are chained by continue-as-new, one run
per evaluation round. The chain is followed forward from the first run (named by the
latest run's start event), so a closed case and a running one read the same way. When
the server no longer keeps an early run (the namespace's retention), the chain is
walked back from the latest run instead and the register tells the rounds before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import WorkflowTaskFailedCause
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from contracts.case import RECORD_CASE_EVENT, SEND_NOTIFICATION
from models import register as tables
from models.case import (
    Application,
    CaseStatus,
    CloseSession,
    LifecycleInput,
    RecognitionDecision,
    ReviewDecision,
    RevocationDecision,
    ScorecardSubmission,
    SessionClosed,
    SupplementSubmission,
)
from models.clock import CALENDAR_MOVED_SIGNAL, BusinessClock, CalendarMove
from models.events import Notification
from models.records import CaseRecord, JsonScalar
from models.story import (
    ActivityRun,
    CalendarMoved,
    Email,
    HistoryFact,
    HumanStep,
    RunEnded,
    RunStarted,
    Story,
    TaskFailed,
    TimerFired,
    Transition,
    tell_story,
)

MAX_RUNS = 1_000
"""A case has one run per round; this only guards against a broken chain."""

UPDATE_REQUESTS: dict[str, type[BaseModel]] = {
    "review": ReviewDecision,
    "supply_supplement": SupplementSubmission,
    "submit_scorecard": ScorecardSubmission,
    "close_session": CloseSession,
    "recognise": RecognitionDecision,
    "apply": Application,
    "revoke": RevocationDecision,
}
UPDATE_RESULTS: dict[str, type[BaseModel]] = {"close_session": SessionClosed}
ACTIVITY_INPUTS: dict[str, type[BaseModel]] = {
    RECORD_CASE_EVENT.name: CaseRecord,
    SEND_NOTIFICATION.name: Notification,
}


class CaseNotFoundError(LookupError):
    """Neither Temporal nor the register knows the case."""


@dataclass(frozen=True)
class RunHistory:
    """One run of a case: its events and, while it runs, its activities in flight."""

    run_id: str
    events: Sequence[HistoryEvent]
    pending: Sequence[PendingActivityInfo] = ()


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
    previous = _started(latest).continued_execution_run_id if latest else ""
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
    return found


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


# ----------------------------------------------------------------- history → facts


async def history_facts(runs: Sequence[RunHistory], converter: DataConverter) -> list[HistoryFact]:
    """What the story needs from each run's events, decoded with the case's converter."""
    facts: list[HistoryFact] = []
    for number, run in enumerate(runs, start=1):
        facts += await _run_facts(number, run, converter)
    return facts


@dataclass
class _Activity:
    event_id: int
    at: datetime
    name: str
    value: Any
    attempt: int = 1
    last_failure: str | None = None
    outcome: str = "pending"
    failure: str | None = None
    ended_event_id: int | None = None
    ended_at: datetime | None = None


@dataclass
class _Step:
    event_id: int
    at: datetime
    name: str
    request: Any
    result: Any = None
    failure: str | None = None


async def _run_facts(number: int, run: RunHistory, converter: DataConverter) -> list[HistoryFact]:
    facts: list[HistoryFact] = []
    activities: dict[int, _Activity] = {}
    activity_ids: dict[str, int] = {}
    steps: dict[str, _Step] = {}  # by update id
    timers: dict[str, timedelta] = {}
    start: tuple[int, datetime, LifecycleInput | None] | None = None
    first_task_at: datetime | None = None
    task_at: datetime | None = None  # the workflow's now() while it decides
    for event in run.events:
        at = event.event_time.ToDatetime(tzinfo=UTC)
        which = event.WhichOneof("attributes")
        # What the workflow decides is dated as it dated it: at its task's start.
        decided_at = task_at or at
        if which == "workflow_execution_started_event_attributes":
            attrs = event.workflow_execution_started_event_attributes
            start = (event.event_id, at, await _decode(converter, attrs.input, LifecycleInput))
        elif which == "workflow_task_started_event_attributes":
            task_at = at
            first_task_at = first_task_at or at
        elif which == "workflow_execution_update_accepted_event_attributes":
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            name = request.input.name
            value = await _decode(converter, request.input.args, UPDATE_REQUESTS.get(name))
            steps[request.meta.update_id] = _Step(event.event_id, decided_at, name, value)
        elif which == "workflow_execution_update_completed_event_attributes":
            done = event.workflow_execution_update_completed_event_attributes
            step = steps.get(done.meta.update_id)
            if step is not None:
                if done.outcome.HasField("failure"):
                    step.failure = _failure_text(done.outcome.failure)
                else:
                    step.result = await _decode(
                        converter, done.outcome.success, UPDATE_RESULTS.get(step.name)
                    )
        elif which == "activity_task_scheduled_event_attributes":
            scheduled = event.activity_task_scheduled_event_attributes
            name = scheduled.activity_type.name
            value = await _decode(converter, scheduled.input, ACTIVITY_INPUTS.get(name))
            activities[event.event_id] = _Activity(event.event_id, decided_at, name, value)
            activity_ids[scheduled.activity_id] = event.event_id
        elif which == "activity_task_started_event_attributes":
            started = event.activity_task_started_event_attributes
            activity = activities.get(started.scheduled_event_id)
            if activity is not None:
                activity.attempt = started.attempt or 1
                if started.HasField("last_failure"):
                    activity.last_failure = _failure_text(started.last_failure)
        elif which in _ACTIVITY_ENDINGS:
            outcome, attrs = _ACTIVITY_ENDINGS[which], getattr(event, which)
            activity = activities.get(attrs.scheduled_event_id)
            if activity is not None:
                activity.outcome = outcome
                activity.ended_event_id, activity.ended_at = event.event_id, at
                if outcome in ("failed", "timed_out") and attrs.HasField("failure"):
                    activity.failure = _failure_text(attrs.failure)
        elif which == "workflow_execution_signaled_event_attributes":
            signaled = event.workflow_execution_signaled_event_attributes
            if signaled.signal_name == CALENDAR_MOVED_SIGNAL:
                move = await _decode(converter, signaled.input, CalendarMove)
                if isinstance(move, CalendarMove):
                    facts.append(
                        CalendarMoved(run=number, event_id=event.event_id, at=at, to=move.to)
                    )
        elif which == "timer_started_event_attributes":
            timer = event.timer_started_event_attributes
            timers[timer.timer_id] = timer.start_to_fire_timeout.ToTimedelta()
        elif which == "timer_fired_event_attributes":
            fired = event.timer_fired_event_attributes
            facts.append(
                TimerFired(
                    run=number,
                    event_id=event.event_id,
                    at=at,
                    duration=timers.get(fired.timer_id, timedelta(0)),
                )
            )
        elif which == "workflow_task_failed_event_attributes":
            failed = event.workflow_task_failed_event_attributes
            cause = WorkflowTaskFailedCause.Name(failed.cause)
            facts.append(
                TaskFailed(
                    run=number,
                    event_id=event.event_id,
                    at=at,
                    cause=cause.removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").lower(),
                    message=_failure_text(failed.failure),
                )
            )
        elif which in _RUN_ENDINGS:
            decided = which in _DECIDED_ENDINGS
            ending = await _ending(number, event, decided_at if decided else at, which, converter)
            facts.append(ending)
    for info in run.pending:
        activity = activities.get(activity_ids.get(info.activity_id, -1))
        if activity is not None:
            activity.attempt = info.attempt or activity.attempt
            if info.HasField("last_failure"):
                activity.last_failure = _failure_text(info.last_failure)
    if start is not None:
        facts.insert(0, _run_started(number, run.run_id, *start, first_task_at))
    facts += [_activity_fact(number, activity) for activity in activities.values()]
    facts += [
        HumanStep(
            run=number,
            event_id=step.event_id,
            at=step.at,
            update=step.name,
            actor=_actor(step.request),
            request=step.request,
            result=step.result,
            failure=step.failure,
        )
        for step in steps.values()
    ]
    return facts


_ACTIVITY_ENDINGS = {
    "activity_task_completed_event_attributes": "completed",
    "activity_task_failed_event_attributes": "failed",
    "activity_task_timed_out_event_attributes": "timed_out",
    "activity_task_canceled_event_attributes": "canceled",
}
_DECIDED_ENDINGS = {
    "workflow_execution_completed_event_attributes",
    "workflow_execution_continued_as_new_event_attributes",
    "workflow_execution_failed_event_attributes",
}
_RUN_ENDINGS = {
    "workflow_execution_completed_event_attributes": "completed",
    "workflow_execution_continued_as_new_event_attributes": "continued_as_new",
    "workflow_execution_failed_event_attributes": "failed",
    "workflow_execution_terminated_event_attributes": "terminated",
    "workflow_execution_timed_out_event_attributes": "timed_out",
    "workflow_execution_canceled_event_attributes": "canceled",
}


def _run_started(
    number: int,
    run_id: str,
    event_id: int,
    at: datetime,
    case: LifecycleInput | None,
    first_task_at: datetime | None,
) -> RunStarted:
    if case is None:
        return RunStarted(run=number, event_id=event_id, at=at, run_id=run_id)
    carried = case.carried
    origin = first_task_at or at  # workflow.now() of the run's first task
    clock = (
        carried.clock
        if carried is not None
        else BusinessClock.anchored(
            origin,
            case.business_start or origin,
            case.policy.clock_speed,
            case.policy.paced_calendar,
        )
    )
    dossier = case.dossier
    return RunStarted(
        run=number,
        event_id=event_id,
        at=origin,
        run_id=run_id,
        clock=clock,
        round_number=carried.round_number if carried else 1,
        registration_kind=dossier.registration_kind.value,
        rulebook_id=case.rulebook.id,
        cycle_year=case.cycle_year,
        product=(
            f"{dossier.product_name} ({dossier.product_code}) of {dossier.applicant.name}, "
            f"{dossier.province} / {dossier.locality}"
        ),
        case_id=carried.case_id if carried else None,
    )


async def _ending(
    number: int, event: HistoryEvent, at: datetime, which: str, converter: DataConverter
) -> RunEnded:
    outcome = _RUN_ENDINGS[which]
    attrs = getattr(event, which)
    detail, stage = "", None
    if outcome == "completed":
        status = await _decode(converter, attrs.result, CaseStatus)
        stage = status.stage.value if isinstance(status, CaseStatus) else None
    elif outcome == "terminated":
        by = f" (by {attrs.identity})" if attrs.identity else ""
        detail = f"{attrs.reason or 'no reason given'}{by}"
    elif outcome == "failed":
        detail = _failure_text(attrs.failure)
    return RunEnded(
        run=number, event_id=event.event_id, at=at, outcome=outcome, detail=detail, stage=stage
    )


def _activity_fact(number: int, activity: _Activity) -> ActivityRun:
    value = activity.value
    return ActivityRun(
        run=number,
        event_id=activity.event_id,
        at=activity.at,
        activity=activity.name,
        outcome=activity.outcome,
        attempt=activity.attempt,
        last_failure=activity.last_failure,
        failure=activity.failure,
        ended_event_id=activity.ended_event_id,
        ended_at=activity.ended_at,
        transition=Transition.from_record(value) if isinstance(value, CaseRecord) else None,
        notification_key=value.key if isinstance(value, Notification) else None,
        event_kind=value.event.kind if isinstance(value, Notification) else None,
    )


def _actor(request: Any) -> str:
    """Who made a human step, from the Update's input."""
    if isinstance(request, ReviewDecision):
        return request.reviewer
    if isinstance(request, SupplementSubmission):
        return request.submitted_by
    if isinstance(request, ScorecardSubmission):
        return request.scorecard.member_id
    if isinstance(request, CloseSession):
        return request.closed_by
    if isinstance(request, RecognitionDecision | RevocationDecision):
        return request.authority
    if isinstance(request, Application):
        return request.dossier.applicant.name
    return "someone"


async def _decode(converter: DataConverter, payloads: Any, hint: type[Any] | None) -> Any:
    """The first value of a Payloads message, or None when it cannot be decoded."""
    items = list(payloads.payloads) if payloads is not None else []
    if not items:
        return None
    try:
        values = await converter.decode(items, [hint] * len(items) if hint else None)
    except Exception:  # an old or foreign payload: the story goes on without it
        return None
    return values[0] if values else None


def _failure_text(failure: Failure) -> str:
    """A failure's message, then its causes' until one only repeats what was said."""
    messages: list[str] = []
    current: Failure | None = failure
    while current is not None and len(messages) < 4:
        if current.message:
            if any(current.message in said for said in messages):
                break
            messages.append(current.message)
        current = current.cause if current.HasField("cause") else None
    return ": ".join(messages) or "no message"


# ------------------------------------------------------------------------- register


async def read_register(
    sessions: async_sessionmaker[AsyncSession], workflow_id: str
) -> tuple[list[Transition], list[Email]]:
    """The case's audit events and ledger rows, in the order they were written."""
    async with sessions() as session:
        audit = await session.scalars(
            select(tables.AuditEventRecord)
            .where(tables.AuditEventRecord.workflow_id == workflow_id)
            .order_by(tables.AuditEventRecord.id)
        )
        transitions = [_transition(row) for row in audit]
        ledger = await session.scalars(
            select(tables.NotificationRecord)
            .where(tables.NotificationRecord.workflow_id == workflow_id)
            .order_by(tables.NotificationRecord.id)
        )
        emails = [
            Email(
                ledger_key=row.notification_key,
                event_type=row.event_type,
                recipient=row.recipient,
                subject=row.subject,
                status=row.status,
                smtp_response=row.smtp_response,
                attempts=row.attempts,
                created_at=row.created_at,
                sent_at=row.sent_at,
            )
            for row in ledger
        ]
    return transitions, emails


def _transition(row: tables.AuditEventRecord) -> Transition:
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

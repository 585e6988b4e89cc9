"""A run's workflow history read as the facts its story is told from.

Payloads are decoded with the case's data converter and the types its contract names
(`contracts.case`: each Update's request and result, each activity's input); one that
no longer decodes (an old or foreign payload) is left out and the story goes on. The
events themselves come from `presentation.story.gather` (or a recorded history).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from google.protobuf.message import Message
from temporalio.api.enums.v1 import WorkflowTaskFailedCause
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.converter import DataConverter

from contracts.case import (
    CALENDAR_MOVED,
    RECORD_CASE_EVENT,
    SEND_NOTIFICATION,
    UPDATES,
    WRITE_CASE_RECORD,
)
from models.actors import actor_label
from models.assertions import SignedAction, accepted_claims
from models.case import (
    Application,
    CaseStatus,
    CloseSessionRequest,
    LifecycleInput,
    RecognitionDecision,
    ReviewDecision,
    RevocationDecision,
    ScorecardSubmission,
    SupplementSubmission,
)
from models.clock import BusinessClock, CalendarMove
from models.events import Notification
from models.records import CaseRecord
from presentation.story.facts import (
    ActivityRun,
    CalendarMoved,
    HistoryFact,
    HumanStep,
    RunEnded,
    RunStarted,
    TaskFailed,
    TimerFired,
)
from presentation.story.facts import Transition as StoryTransition

UPDATE_REQUESTS: Final[dict[str, type[Any]]] = {ref.name: ref.argument for ref in UPDATES}
UPDATE_RESULTS: Final[dict[str, type[Any]]] = {ref.name: ref.result for ref in UPDATES}
ACTIVITY_INPUTS: Final[dict[str, type[Any]]] = {
    ref.name: ref.argument for ref in (RECORD_CASE_EVENT, SEND_NOTIFICATION)
}
LOCAL_ACTIVITY_RESULTS: Final[dict[str, type[Any]]] = {WRITE_CASE_RECORD.name: CaseRecord}
"""A local activity leaves only its result: the register write answers with its record."""
LOCAL_ACTIVITY_MARKER: Final = "core_local_activity"


@dataclass(frozen=True)
class RunHistory:
    """One run of a case: its events and, while it runs, its activities in flight."""

    run_id: str
    events: Sequence[HistoryEvent]
    pending: Sequence[PendingActivityInfo] = ()


async def history_facts(runs: Sequence[RunHistory], converter: DataConverter) -> list[HistoryFact]:
    """What the story needs from each run's events, decoded with the case's converter."""
    facts: list[HistoryFact] = []
    for number, run in enumerate(runs, start=1):
        facts += await _RunReader(number, converter).read(run)
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
    signed_by: str | None = None
    """The verified actor of the step (its signed assertion's), if it carried one."""


_ACTIVITY_ENDINGS: Final = {
    "activity_task_completed_event_attributes": "completed",
    "activity_task_failed_event_attributes": "failed",
    "activity_task_timed_out_event_attributes": "timed_out",
    "activity_task_canceled_event_attributes": "canceled",
}
_DECIDED_ENDINGS: Final = {
    "workflow_execution_completed_event_attributes",
    "workflow_execution_continued_as_new_event_attributes",
    "workflow_execution_failed_event_attributes",
}
_RUN_ENDINGS: Final = {
    "workflow_execution_completed_event_attributes": "completed",
    "workflow_execution_continued_as_new_event_attributes": "continued_as_new",
    "workflow_execution_failed_event_attributes": "failed",
    "workflow_execution_terminated_event_attributes": "terminated",
    "workflow_execution_timed_out_event_attributes": "timed_out",
    "workflow_execution_canceled_event_attributes": "canceled",
}


@dataclass
class _RunReader:
    """Reads one run's events in order, collecting what each says."""

    number: int
    converter: DataConverter
    facts: list[HistoryFact] = field(default_factory=list)
    activities: dict[int, _Activity] = field(default_factory=dict)
    activity_ids: dict[str, int] = field(default_factory=dict)
    steps: dict[str, _Step] = field(default_factory=dict)  # by update id
    timers: dict[str, timedelta] = field(default_factory=dict)
    start: tuple[int, datetime, LifecycleInput | None] | None = None
    first_task_at: datetime | None = None
    task_at: datetime | None = None
    """The workflow's now() while it decides: the start of its current task."""

    async def read(self, run: RunHistory) -> list[HistoryFact]:
        handlers = self._handlers()
        for event in run.events:
            await open_failures(self.converter, event)
            which = event.WhichOneof("attributes")
            at = event.event_time.ToDatetime(tzinfo=UTC)
            if which in _ACTIVITY_ENDINGS:
                self._activity_ended(event, at, which)
            elif which in _RUN_ENDINGS:
                await self._run_ended(event, at, which)
            elif which in handlers:
                await handlers[which](event, at)
        for info in run.pending:
            await open_failures(self.converter, info)
            self._still_pending(info)
        facts = list(self.facts)
        if self.start is not None:
            facts.insert(0, _run_started(self.number, run.run_id, *self.start, self.first_task_at))
        facts += [_activity_fact(self.number, activity) for activity in self.activities.values()]
        facts += [_human_step(self.number, step) for step in self.steps.values()]
        return facts

    def _handlers(self) -> dict[str, Callable[[HistoryEvent, datetime], Awaitable[None]]]:
        return {
            "workflow_execution_started_event_attributes": self._started,
            "workflow_task_started_event_attributes": self._task_started,
            "workflow_execution_update_accepted_event_attributes": self._update_accepted,
            "workflow_execution_update_completed_event_attributes": self._update_completed,
            "activity_task_scheduled_event_attributes": self._activity_scheduled,
            "activity_task_started_event_attributes": self._activity_started,
            "workflow_execution_signaled_event_attributes": self._signaled,
            "timer_started_event_attributes": self._timer_started,
            "timer_fired_event_attributes": self._timer_fired,
            "marker_recorded_event_attributes": self._marker,
            "workflow_task_failed_event_attributes": self._task_failed,
        }

    def _decided(self, at: datetime) -> datetime:
        """What the workflow decides is dated as it dated it: at its task's start."""
        return self.task_at or at

    async def _value(self, payloads: Any, hint: type[Any] | None) -> Any:
        return await _decode(self.converter, payloads, hint)

    async def _started(self, event: HistoryEvent, at: datetime) -> None:
        attrs = event.workflow_execution_started_event_attributes
        self.start = (event.event_id, at, await self._value(attrs.input, LifecycleInput))

    async def _task_started(self, event: HistoryEvent, at: datetime) -> None:
        self.task_at = at
        self.first_task_at = self.first_task_at or at

    async def _update_accepted(self, event: HistoryEvent, at: datetime) -> None:
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        name = request.input.name
        args = list(request.input.args.payloads)
        value = await _decode_items(self.converter, args[:1], UPDATE_REQUESTS.get(name))
        signed = await _decode_items(self.converter, args[1:2], SignedAction)
        signer = (
            actor_label(accepted_claims(signed).actor) if isinstance(signed, SignedAction) else None
        )
        self.steps[request.meta.update_id] = _Step(
            event.event_id, self._decided(at), name, value, signed_by=signer
        )

    async def _update_completed(self, event: HistoryEvent, at: datetime) -> None:
        done = event.workflow_execution_update_completed_event_attributes
        step = self.steps.get(done.meta.update_id)
        if step is None:
            return
        if done.outcome.HasField("failure"):
            step.failure = _failure_text(done.outcome.failure)
        else:
            step.result = await self._value(done.outcome.success, UPDATE_RESULTS.get(step.name))

    async def _activity_scheduled(self, event: HistoryEvent, at: datetime) -> None:
        scheduled = event.activity_task_scheduled_event_attributes
        name = scheduled.activity_type.name
        value = await self._value(scheduled.input, ACTIVITY_INPUTS.get(name))
        self.activities[event.event_id] = _Activity(event.event_id, self._decided(at), name, value)
        self.activity_ids[scheduled.activity_id] = event.event_id

    async def _activity_started(self, event: HistoryEvent, at: datetime) -> None:
        started = event.activity_task_started_event_attributes
        activity = self.activities.get(started.scheduled_event_id)
        if activity is not None:
            activity.attempt = started.attempt or 1
            if started.HasField("last_failure"):
                activity.last_failure = _failure_text(started.last_failure)

    def _activity_ended(self, event: HistoryEvent, at: datetime, which: str) -> None:
        outcome, attrs = _ACTIVITY_ENDINGS[which], getattr(event, which)
        activity = self.activities.get(attrs.scheduled_event_id)
        if activity is None:
            return
        activity.outcome = outcome
        activity.ended_event_id, activity.ended_at = event.event_id, at
        if outcome in ("failed", "timed_out") and attrs.HasField("failure"):
            activity.failure = _failure_text(attrs.failure)

    def _still_pending(self, info: PendingActivityInfo) -> None:
        activity = self.activities.get(self.activity_ids.get(info.activity_id, -1))
        if activity is not None:
            activity.attempt = info.attempt or activity.attempt
            if info.HasField("last_failure"):
                activity.last_failure = _failure_text(info.last_failure)

    async def _marker(self, event: HistoryEvent, at: datetime) -> None:
        """A local activity's marker: which one ran, in how many attempts, and its result."""
        marker = event.marker_recorded_event_attributes
        if marker.marker_name != LOCAL_ACTIVITY_MARKER or "data" not in marker.details:
            return
        meta = await self._value(marker.details["data"], dict)
        if not isinstance(meta, dict) or not isinstance(meta.get("activity_type"), str):
            return
        name = meta["activity_type"]
        result = marker.details.get("result")
        value = await self._value(result, LOCAL_ACTIVITY_RESULTS.get(name)) if result else None
        failed = marker.HasField("failure")
        self.activities[event.event_id] = _Activity(
            event.event_id,
            self._decided(at),
            name,
            value,
            attempt=int(meta.get("attempt") or 1),
            outcome="failed" if failed else "completed",
            failure=_failure_text(marker.failure) if failed else None,
            ended_event_id=event.event_id,
            ended_at=at,
        )

    async def _signaled(self, event: HistoryEvent, at: datetime) -> None:
        signaled = event.workflow_execution_signaled_event_attributes
        if signaled.signal_name != CALENDAR_MOVED.name:
            return
        move = await self._value(signaled.input, CALENDAR_MOVED.argument)
        if isinstance(move, CalendarMove):
            self.facts.append(
                CalendarMoved(run=self.number, event_id=event.event_id, at=at, to=move.to)
            )

    async def _timer_started(self, event: HistoryEvent, at: datetime) -> None:
        timer = event.timer_started_event_attributes
        self.timers[timer.timer_id] = timer.start_to_fire_timeout.ToTimedelta()

    async def _timer_fired(self, event: HistoryEvent, at: datetime) -> None:
        fired = event.timer_fired_event_attributes
        duration = self.timers.get(fired.timer_id, timedelta(0))
        self.facts.append(
            TimerFired(run=self.number, event_id=event.event_id, at=at, duration=duration)
        )

    async def _task_failed(self, event: HistoryEvent, at: datetime) -> None:
        failed = event.workflow_task_failed_event_attributes
        cause = WorkflowTaskFailedCause.Name(failed.cause)
        self.facts.append(
            TaskFailed(
                run=self.number,
                event_id=event.event_id,
                at=at,
                cause=cause.removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").lower(),
                message=_failure_text(failed.failure),
            )
        )

    async def _run_ended(self, event: HistoryEvent, at: datetime, which: str) -> None:
        outcome = _RUN_ENDINGS[which]
        attrs = getattr(event, which)
        detail, stage = "", None
        if outcome == "completed":
            status = await self._value(attrs.result, CaseStatus)
            stage = status.stage.value if isinstance(status, CaseStatus) else None
        elif outcome == "terminated":
            by = f" (by {attrs.identity})" if attrs.identity else ""
            detail = f"{attrs.reason or 'no reason given'}{by}"
        elif outcome == "failed":
            detail = _failure_text(attrs.failure)
        when = self._decided(at) if which in _DECIDED_ENDINGS else at
        self.facts.append(
            RunEnded(
                run=self.number,
                event_id=event.event_id,
                at=when,
                outcome=outcome,
                detail=detail,
                stage=stage,
            )
        )


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
        held_certificate=case.holding.number if case.holding and not carried else None,
    )


def _activity_fact(number: int, activity: _Activity) -> ActivityRun:
    value = activity.value
    notification = value if isinstance(value, Notification) else None
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
        transition=StoryTransition.from_record(value) if isinstance(value, CaseRecord) else None,
        notification_key=notification.key if notification else None,
        event_kind=str(notification.event.kind) if notification else None,
    )


def _human_step(number: int, step: _Step) -> HumanStep:
    return HumanStep(
        run=number,
        event_id=step.event_id,
        at=step.at,
        update=step.name,
        actor=step.signed_by or f"{_actor(step.request)} (không xác thực — unverified)",
        request=step.request,
        result=step.result,
        failure=step.failure,
    )


def _actor(request: Any) -> str:
    """Who made a human step, from the Update's input."""
    if isinstance(request, ReviewDecision):
        return request.reviewer
    if isinstance(request, SupplementSubmission):
        return request.submitted_by
    if isinstance(request, ScorecardSubmission):
        return request.scorecard.member_id
    if isinstance(request, CloseSessionRequest):
        return request.closed_by
    if isinstance(request, RecognitionDecision | RevocationDecision):
        return request.authority
    if isinstance(request, Application):
        return request.dossier.applicant.name
    return "someone"


async def _decode(converter: DataConverter, payloads: Any, hint: type[Any] | None) -> Any:
    """The first value of a Payloads message, or None when it cannot be decoded."""
    items = list(payloads.payloads) if payloads is not None else []
    return await _decode_items(converter, items, hint)


async def _decode_items(converter: DataConverter, items: list[Any], hint: type[Any] | None) -> Any:
    """The first of `items` decoded, or None when there is none or it cannot be decoded."""
    if not items:
        return None
    try:
        values = await converter.decode(items, [hint] * len(items) if hint else None)
    except Exception:  # an old or foreign payload: the story goes on without it
        return None
    return values[0] if values else None


async def open_failures(converter: DataConverter, message: Message) -> None:
    """Every failure in `message`, readable: decrypted by the converter's codec, and its
    message and stack trace taken back out of the encoded attributes (failures are
    written with `encode_common_attributes`, so history holds only "Encoded failure")."""
    for failure in _failures_in(message):
        if converter.payload_codec is not None:
            await converter.payload_codec.decode_failure(failure)
        current: Failure | None = failure
        while current is not None:
            if current.HasField("encoded_attributes"):
                [attributes] = converter.payload_converter.from_payloads(
                    [current.encoded_attributes]
                )
                if isinstance(attributes, dict):
                    current.message = str(attributes.get("message", current.message))
                    current.stack_trace = str(attributes.get("stack_trace", ""))
                current.ClearField("encoded_attributes")
            current = current.cause if current.HasField("cause") else None


def _failures_in(message: Message) -> list[Failure]:
    """The outermost failures a history event (or a pending activity) holds."""
    if isinstance(message, Failure):
        return [message]
    found: list[Failure] = []
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        if isinstance(value, Message):
            found += _failures_in(value)
        elif not hasattr(value, "items"):  # a repeated field; maps hold no failures
            for item in value:
                found += _failures_in(item)
    return found


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

"""What the history and the ledger say on their own, in words, and the story as text.

Runs opening and closing, human steps the register does not record by themselves
(closing a council session, applying for a new round), timers, calendar moves, failed
workflow tasks, activity retries, and each email's fate from the notification ledger.
Transitions themselves are worded in `presentation.story.transitions`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from contracts.case import APPLY, CLOSE_SESSION, REGISTER_WRITES, SEND_NOTIFICATION
from models.case import Application, CloseSessionRequest, CloseSessionResult
from models.clock import VIETNAM, BusinessClock
from models.dates import format_moment
from models.records import JsonScalar
from presentation.story.facts import (
    ActivityRun,
    CalendarMoved,
    Email,
    HistoryFact,
    HumanStep,
    RunEnded,
    RunStarted,
    Story,
    StoryEntry,
    TaskFailed,
    TimerFired,
)
from presentation.story.transitions import registration_words

Clocks = Mapping[int, BusinessClock | None]
"""Each run's business clock, by run number."""


# -------------------------------------------------------------------------- emails


def email_entries(
    rows: Sequence[Email], at: datetime, round_number: int | None, recorded_at: datetime | None
) -> list[StoryEntry]:
    """Delivered recipients of one notification in one line; each failure on its own."""
    if not rows:
        return []
    common: dict[str, Any] = {"at": at, "recorded_at": recorded_at, "round": round_number}
    entries: list[StoryEntry] = []
    subject = rows[0].subject
    sent = [row for row in rows if row.status == "sent"]
    if sent:
        answer = sent[0].smtp_response or ""
        to = ", ".join(row.recipient for row in sent)
        tail = f" ({answer})" if len(sent) == 1 and answer else ""
        entries.append(
            StoryEntry(
                **common,
                kind="email",
                text=f'Email "{subject}" sent to {to}{tail}.',
                details={
                    "event": rows[0].event_type,
                    "status": "sent",
                    "recipients": to,
                    "smtp_response": answer or None,
                    "attempts": max(row.attempts for row in sent),
                },
                sources=["ledger"],
            )
        )
    entries += [_undelivered(row, subject, common) for row in rows if row.status != "sent"]
    return entries


def _undelivered(row: Email, subject: str, common: dict[str, Any]) -> StoryEntry:
    if row.status == "failed":
        text = (
            f'Email "{subject}" to {row.recipient} FAILED: {row.smtp_response or "no answer"}'
            " (refused for good; not retried)."
        )
    elif row.status == "unconfirmed":
        text = (
            f'Email "{subject}" to {row.recipient} UNCONFIRMED: transmitted, but the server '
            f"never answered ({row.smtp_response or 'no answer'}); it may not have arrived."
        )
    else:
        text = (
            f'Email "{subject}" to {row.recipient} not delivered yet after {row.attempts} '
            f"attempt(s): {row.smtp_response or 'no answer yet'}."
        )
    return StoryEntry(
        **common,
        kind="email",
        text=text,
        details={
            "event": row.event_type,
            "status": row.status,
            "recipients": row.recipient,
            "smtp_response": row.smtp_response,
            "attempts": row.attempts,
        },
        sources=["ledger"],
    )


def unsent_entry(run: ActivityRun, at: datetime, round_number: int | None) -> StoryEntry:
    """An email whose activity is still running and has no ledger row yet."""
    return StoryEntry(
        at=at,
        recorded_at=run.at,
        round=round_number,
        kind="email",
        text=f'The "{run.event_kind or "?"}" email is being sent (attempt {run.attempt}).',
        details={"event": run.event_kind, "attempts": run.attempt},
        sources=["history"],
    )


# ------------------------------------------------------------------------ retries


def _activity_label(run: ActivityRun) -> str:
    if run.activity in REGISTER_WRITES and run.transition is not None:
        return f'Recording "{run.transition.action}" in the register'
    if run.activity == SEND_NOTIFICATION.name:
        return f'Sending the "{run.event_kind or "?"}" email'
    return f"Activity {run.activity}"


def retry_entry(run: ActivityRun, at: datetime, round_number: int | None) -> StoryEntry | None:
    """An activity that needed more than one attempt, or failed for good; else None."""
    label = _activity_label(run)
    last_failure = run.last_failure
    if last_failure and run.notification_key:  # the key is noise in a sentence
        last_failure = last_failure.removeprefix(f"notification {run.notification_key}: ")
    last = f": {last_failure}" if last_failure else ""
    outcome = run.outcome.replace("_", " ")
    if run.outcome in ("failed", "timed_out"):
        text = (
            f"{label} {outcome} for good after {run.attempt} attempt(s): "
            f"{run.failure or run.last_failure or 'no message'}."
        )
    elif run.attempt <= 1:
        return None
    elif run.outcome == "pending":
        text = f"{label} is being retried (attempt {run.attempt}); last failure{last}."
    elif run.outcome == "completed":
        text = f"{label} succeeded on attempt {run.attempt}; the previous attempt failed{last}."
    else:
        text = f"{label} was {outcome} on attempt {run.attempt}{last}."
    return StoryEntry(
        at=at,
        recorded_at=run.ended_at or run.at,
        round=round_number,
        kind="retry",
        text=text,
        details={
            "activity": run.activity,
            "attempt": run.attempt,
            "last_failure": last_failure,
            "outcome": run.outcome,
        },
        sources=["history"],
    )


# ---------------------------------------------------------------- history facts


def fact_entry(
    fact: HistoryFact, at: datetime, round_number: int | None, clocks: Clocks
) -> StoryEntry | None:
    """A history fact other than an activity in words, or None if it tells nothing."""
    common: dict[str, Any] = {"at": at, "recorded_at": fact.at, "round": round_number}
    teller = _TELLERS.get(type(fact))
    return teller(fact, common, clocks) if teller is not None else None


def _run_started(fact: HistoryFact, common: dict[str, Any], _: Clocks) -> StoryEntry:
    assert isinstance(fact, RunStarted)
    kind = registration_words(fact.registration_kind, fact.registration_kind or "evaluation")
    terms = f"{kind} under rulebook {fact.rulebook_id}, cycle {fact.cycle_year}"
    text = (
        f"Case opened: {terms}."
        if fact.run == 1 and (fact.round_number or 1) == 1
        else f"Round {fact.round_number} opens in a new run of the case: {terms}."
    )
    if fact.held_certificate:
        text = (
            f"Case opened holding certificate {fact.held_certificate}, issued before ocop-flow, "
            f"under rulebook {fact.rulebook_id}."
        )
    return StoryEntry(
        **common,
        kind="round",
        text=text,
        details={"run_id": fact.run_id, "run": fact.run},
        sources=["history"],
    )


def _calendar_moved(fact: HistoryFact, common: dict[str, Any], _: Clocks) -> StoryEntry:
    assert isinstance(fact, CalendarMoved)
    return StoryEntry(
        **common,
        kind="calendar",
        text=(
            f"The paced calendar moved on to {format_moment(fact.to)}; "
            "business time stood still until then."
        ),
        details={"to": fact.to.isoformat()},
        sources=["history"],
    )


def _timer_fired(fact: HistoryFact, common: dict[str, Any], clocks: Clocks) -> StoryEntry:
    assert isinstance(fact, TimerFired)
    clock = clocks.get(fact.run)
    speed = clock.speed if clock is not None else 1.0
    text = f"A durable timer fired after {_duration(fact.duration * speed)}"
    if speed != 1.0:
        text += f" of business time ({_duration(fact.duration)} real, calendar ×{speed:g})"
    return StoryEntry(
        **common,
        kind="timer",
        text=text + ".",
        details={"real_seconds": fact.duration.total_seconds(), "speed": speed},
        sources=["history"],
    )


def _task_failed(fact: HistoryFact, common: dict[str, Any], _: Clocks) -> StoryEntry:
    assert isinstance(fact, TaskFailed)
    return StoryEntry(
        **common,
        kind="failure",
        text=f"A workflow task failed ({fact.cause}): {fact.message}; Temporal retries it.",
        details={"cause": fact.cause},
        sources=["history"],
    )


def _run_ended(fact: HistoryFact, common: dict[str, Any], _: Clocks) -> StoryEntry:
    assert isinstance(fact, RunEnded)
    detail = f": {fact.detail}" if fact.detail else ""
    if fact.outcome == "continued_as_new":
        text = f"Round {common['round']} closes; the case continues as new for the next round."
    elif fact.outcome == "completed":
        stage = f" at stage {fact.stage}" if fact.stage else ""
        text = f"The case closed{stage}."
    else:
        text = f"The case {fact.outcome.replace('_', ' ')}{detail}."
    return StoryEntry(**common, kind="round", text=text, sources=["history"])


def _human_step(fact: HistoryFact, common: dict[str, Any], _: Clocks) -> StoryEntry | None:
    """Updates the register does not record on their own: closing a session, applying."""
    assert isinstance(fact, HumanStep)
    details: dict[str, JsonScalar] = {"update": fact.update}
    if fact.failure is not None:
        text = f"{fact.actor}'s {fact.update.replace('_', ' ')} was accepted but failed: "
        text += f"{fact.failure}."
    elif fact.update == CLOSE_SESSION.name and isinstance(fact.request, CloseSessionRequest):
        text = _closed_text(fact, fact.request)
        result = fact.result if isinstance(fact.result, CloseSessionResult) else None
        details.update(level=fact.request.level, outcome=result.outcome if result else None)
    elif fact.update == APPLY.name and isinstance(fact.request, Application):
        registration = fact.request.dossier.registration_kind.value
        kind = registration_words(registration, registration)
        text = (
            f"{fact.actor} applied for {kind} (cycle {fact.request.cycle_year}); "
            "the case continues in a new run."
        )
        details.update(registration_kind=registration)
    else:
        return None
    return StoryEntry(
        **common,
        kind="session" if fact.update == CLOSE_SESSION.name else "application",
        actor=fact.actor,
        text=text,
        details=details,
        sources=["history"],
    )


def _closed_text(step: HumanStep, request: CloseSessionRequest) -> str:
    result = step.result if isinstance(step.result, CloseSessionResult) else None
    closed = f"{step.actor} closed the {request.level} council session"
    if result is None:
        return f"{closed}."
    if result.outcome == "rescore_required":
        return f"{closed}; it must re-score: {result.explanation}."
    return f"{closed} — {result.explanation}."


_TELLERS: Final[
    dict[type[HistoryFact], Callable[[HistoryFact, dict[str, Any], Clocks], StoryEntry | None]]
] = {
    RunStarted: _run_started,
    HumanStep: _human_step,
    CalendarMoved: _calendar_moved,
    TimerFired: _timer_fired,
    TaskFailed: _task_failed,
    RunEnded: _run_ended,
}


def _duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    if seconds >= 86_400:
        days = seconds / 86_400
        return f"{days:.0f} days" if days >= 10 else f"{days:.1f} days"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.1f} hours"
    if seconds >= 60:
        return f"{seconds / 60:.1f} minutes"
    return f"{seconds:.2f} s"


# -------------------------------------------------------------------------- render


def render_story(story: Story) -> list[str]:
    """The story as lines of text: a header, then one line per entry, round by round."""
    status = f" — {story.status}" if story.status else ""
    runs = f", {story.runs} run(s)" if story.runs else ""
    lines = [f"Story of {story.workflow_id}{runs}{status}"]
    if story.product:
        lines.append(story.product)
    current: int | None = None
    for entry in story.entries:
        if entry.round is not None and entry.round != current:
            current = entry.round
            lines += ["", f"── Round {current} ──"]
        when = entry.at.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")
        lines.append(f"{when}  {entry.text}")
    for note in story.notes:
        lines += ["", f"Note: {note}"]
    return lines

"""The story of a case in words: its workflow history, the register's audit and the mail
ledger, merged into one timeline.

Pure: `infra/story.py` fetches every run's history and reads the register; this module
only merges and words what it is given, so it is tested without a server.

How the three sources fit together:

- the **workflow history** orders everything (run by run, event by event) and is the
  only witness of some things: who closed a council session and what came of it, an
  application that started a new run, timers that fired, activity retries with their
  failure messages, how each run ended;
- the **register's audit** (one row per transition, keyed like the `record_case_event`
  activity that wrote it) says who, when (on the case's business calendar) and why,
  and outlives the history, which the server keeps only for the namespace's retention
  once a run has closed;
- the **notification ledger** says what became of every email, with the SMTP answer.

A transition is placed where the history scheduled its register write, an email where
its sending finished; register rows whose history is gone are placed by business time,
their emails right after them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from models.case import Application, CloseSession, DecisionRecord, SessionClosed
from models.clock import VIETNAM, BusinessClock
from models.records import CaseRecord, CertificateChange, JsonScalar, ScorecardEntry

RECORD_ACTIVITY = "record_case_event"
NOTIFY_ACTIVITY = "send_notification"

_KINDS = {"first": "first evaluation", "upgrade": "upgrade", "reevaluation": "re-evaluation"}


# ---------------------------------------------------------------------------- inputs


@dataclass(frozen=True, kw_only=True)
class Transition:
    """One transition of a case, as the workflow decided it or the register recorded it."""

    key: str
    action: str
    actor: str
    occurred_at: datetime
    """Business time (the case's calendar, which a demo may compress)."""
    reason: str = ""
    round_number: int | None = None
    level: str | None = None
    details: Mapping[str, JsonScalar] = field(default_factory=dict)
    scorecard: ScorecardEntry | None = None
    decision: DecisionRecord | None = None
    certificate: CertificateChange | None = None

    @property
    def case_id(self) -> str:
        """Keys read `<case id>:r<round>:<seq>:<action>`."""
        return self.key.split(":", 1)[0]

    @classmethod
    def from_record(cls, record: CaseRecord) -> Transition:
        return cls(
            key=record.key,
            action=record.action,
            actor=record.actor,
            occurred_at=record.occurred_at,
            reason=record.reason,
            round_number=record.round.round_number,
            level=record.round.level,
            details=dict(record.details),
            scorecard=record.scorecard,
            decision=record.decision,
            certificate=record.certificate,
        )


@dataclass(frozen=True, kw_only=True)
class Email:
    """One recipient's row of the notification ledger."""

    ledger_key: str
    event_type: str
    recipient: str
    subject: str
    status: str
    smtp_response: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None = None

    @property
    def notification_key(self) -> str:
        """The transition's key: ledger keys read `<notification key>:<recipient>`."""
        suffix = f":{self.recipient}"
        if self.ledger_key.endswith(suffix):
            return self.ledger_key[: -len(suffix)]
        return self.ledger_key.rsplit(":", 1)[0]


@dataclass(frozen=True, kw_only=True)
class HistoryFact:
    """Something the workflow history shows, at event `event_id` of run number `run`."""

    run: int
    event_id: int
    at: datetime
    """Real (server) time of the event."""


@dataclass(frozen=True, kw_only=True)
class RunStarted(HistoryFact):
    run_id: str
    clock: BusinessClock | None = None
    round_number: int | None = None
    registration_kind: str | None = None
    rulebook_id: str | None = None
    cycle_year: int | None = None
    product: str | None = None
    case_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunEnded(HistoryFact):
    outcome: str
    """continued_as_new, completed, failed, terminated, timed_out or canceled."""
    detail: str = ""
    stage: str | None = None


@dataclass(frozen=True, kw_only=True)
class HumanStep(HistoryFact):
    """An accepted workflow Update (a refused one never reaches the history)."""

    update: str
    actor: str
    request: Any = None
    result: Any = None
    failure: str | None = None


@dataclass(frozen=True, kw_only=True)
class ActivityRun(HistoryFact):
    """One scheduled activity (`event_id`, `at`: when it was scheduled) and its fate."""

    activity: str
    outcome: str
    """completed, failed, timed_out, canceled or pending."""
    attempt: int = 1
    last_failure: str | None = None
    failure: str | None = None
    ended_event_id: int | None = None
    ended_at: datetime | None = None
    transition: Transition | None = None
    notification_key: str | None = None
    event_kind: str | None = None


@dataclass(frozen=True, kw_only=True)
class TimerFired(HistoryFact):
    duration: timedelta
    """The timer's real duration, as the workflow set it."""


@dataclass(frozen=True, kw_only=True)
class CalendarMoved(HistoryFact):
    """A paced calendar's pacer moved the case's business time on to `to`."""

    to: datetime


@dataclass(frozen=True, kw_only=True)
class TaskFailed(HistoryFact):
    cause: str
    message: str


# --------------------------------------------------------------------------- outputs


class StoryEntry(BaseModel):
    at: AwareDatetime = Field(description="Business time: the case's calendar")
    recorded_at: AwareDatetime | None = Field(
        default=None, description="Real time of the history event, when the history has it"
    )
    round: int | None = None
    kind: str
    actor: str | None = None
    text: str
    details: dict[str, JsonScalar] = Field(default_factory=dict)
    sources: list[str] = Field(description="history, register and/or ledger")


class Story(BaseModel):
    workflow_id: str
    product: str | None = None
    runs: int = 0
    status: str | None = None
    entries: list[StoryEntry]
    notes: list[str] = Field(default_factory=list)


# ----------------------------------------------------------------------------- merge


@dataclass(frozen=True)
class _Run:
    clock: BusinessClock | None
    round_number: int | None


def tell_story(
    workflow_id: str,
    facts: Sequence[HistoryFact],
    transitions: Sequence[Transition],
    emails: Sequence[Email],
    *,
    status: str | None = None,
    notes: Iterable[str] = (),
    register_read: bool = True,
) -> Story:
    """Merge the history's facts with the register's transitions and ledger rows.

    `register_read` says whether the register was consulted: only then is a transition
    the history shows but the register lacks worth pointing out.
    """
    notes = list(notes)
    runs = {f.run: _Run(f.clock, f.round_number) for f in facts if isinstance(f, RunStarted)}
    case_ids = {f.case_id for f in facts if isinstance(f, RunStarted) and f.case_id} | {
        f.transition.case_id for f in facts if isinstance(f, ActivityRun) and f.transition
    }
    if case_ids:
        kept = [t for t in transitions if t.case_id in case_ids]
        if len(kept) < len(transitions):
            notes.append(
                f"{len(transitions) - len(kept)} register entries belong to an earlier case "
                "of the same product (same workflow id) and are not shown"
            )
        transitions = kept
        emails = [e for e in emails if e.ledger_key.split(":", 1)[0] in case_ids]
    audit = {t.key: t for t in transitions}
    ledger: dict[str, list[Email]] = defaultdict(list)
    for email in sorted(emails, key=lambda e: e.created_at):
        ledger[email.notification_key].append(email)

    placed: list[tuple[tuple[int, int, int], StoryEntry]] = []
    told: set[str] = set()
    mailed: set[str] = set()

    moves: dict[int, list[CalendarMoved]] = defaultdict(list)
    for moved in sorted(
        (f for f in facts if isinstance(f, CalendarMoved)), key=lambda f: f.event_id
    ):
        moves[moved.run].append(moved)

    def business(run: int, at: datetime, event_id: int) -> datetime:
        clock = runs[run].clock if run in runs else None
        if clock is None:
            return at
        if clock.held_at is not None:
            # A paced calendar stands where its last move before this event left it.
            held = [m.to for m in moves.get(run, ()) if m.event_id <= event_id]
            return max([clock.held_at, *held])
        return clock.business_now(at)

    def round_of(run: int) -> int | None:
        return runs[run].round_number if run in runs else None

    for fact in sorted(facts, key=lambda f: (f.run, f.event_id)):
        position = (fact.run, fact.event_id, 0)
        when = business(fact.run, fact.at, fact.event_id)
        if isinstance(fact, ActivityRun):
            end = fact.ended_event_id or fact.event_id
            ended = business(fact.run, fact.ended_at or fact.at, end)
            if fact.activity == RECORD_ACTIVITY and fact.transition is not None:
                key = fact.transition.key
                told.add(key)
                entry = _transition_entry(
                    fact.transition, audit.get(key), fact if register_read else None
                )
                placed.append((position, entry))
            if fact.activity == NOTIFY_ACTIVITY and fact.notification_key is not None:
                key = fact.notification_key
                rows = ledger.get(key, [])
                mailed.add(key)
                real_end = fact.ended_at or fact.at
                for entry in _email_entries(rows, ended, round_of(fact.run), real_end):
                    placed.append(((fact.run, end, 1), entry))
                if not rows and fact.outcome == "pending":
                    unsent = _unsent_entry(fact, ended, round_of(fact.run))
                    placed.append(((fact.run, end, 1), unsent))
            retry = _retry_entry(fact, ended, round_of(fact.run))
            if retry is not None:
                placed.append(((fact.run, end, 2), retry))
            continue
        told_fact = _fact_entry(fact, when, round_of(fact.run), runs)
        if told_fact is not None:
            placed.append((position, told_fact))

    entries = [entry for _, entry in sorted(placed, key=lambda item: item[0])]
    # What only the register remembers (the history is gone, or never had it): by time.
    for transition in sorted(
        (t for t in transitions if t.key not in told), key=lambda t: t.occurred_at
    ):
        group = [_transition_entry(None, transition, None)]
        group += _email_entries(
            ledger.get(transition.key, []), transition.occurred_at, transition.round_number, None
        )
        mailed.add(transition.key)
        _insert_by_time(entries, group)
    for key, rows in ledger.items():
        if key not in mailed:
            _insert_by_time(entries, _email_entries(rows, rows[0].created_at, None, None))

    product = next((f.product for f in facts if isinstance(f, RunStarted) and f.product), None)
    return Story(
        workflow_id=workflow_id,
        product=product,
        runs=len(runs),
        status=status,
        entries=entries,
        notes=notes,
    )


def _insert_by_time(entries: list[StoryEntry], group: list[StoryEntry]) -> None:
    """Insert `group` (kept together) before the first entry that happened after it."""
    if not group:
        return
    moment = group[0].at
    index = next((i for i, entry in enumerate(entries) if entry.at > moment), len(entries))
    entries[index:index] = group


# ---------------------------------------------------------------------------- wording


def _level(level: str | None) -> str:
    return level.capitalize() if level else "The"


def _stars(value: int | None) -> str:
    return f"{int(value)}★" if value else "no stars"


def _day(value: Any) -> str:
    text = str(value)
    return text[:10]


def _transition_entry(
    from_history: Transition | None, from_register: Transition | None, run: ActivityRun | None
) -> StoryEntry:
    """One transition in words; the register's row wins for who, when and why."""
    h, r = from_history, from_register
    base = r or h
    assert base is not None
    t = Transition(
        key=base.key,
        action=base.action,
        actor=base.actor,
        occurred_at=base.occurred_at,
        reason=base.reason,
        round_number=base.round_number or (h.round_number if h else None),
        level=(h.level if h else None) or base.level,
        details={**(h.details if h else {}), **base.details},
        scorecard=(h.scorecard if h else None) or base.scorecard,
        decision=(h.decision if h else None) or base.decision,
        certificate=(h.certificate if h else None) or base.certificate,
    )
    kind, text = _describe(t)
    sources = (["history"] if h else []) + (["register"] if r else [])
    details: dict[str, JsonScalar] = {"action": t.action, "key": t.key}
    if t.reason:
        details["reason"] = t.reason
    details.update({k: v for k, v in t.details.items() if k not in ("case_id", "round")})
    if t.scorecard is not None:
        card = t.scorecard.scorecard
        details.update(
            level=card.level,
            member=card.member_id,
            attempt=t.scorecard.attempt,
            part_a=card.part_a,
            part_b=card.part_b,
            part_c=card.part_c,
            total=card.total,
            mandatory_criteria_met=card.mandatory_criteria_met,
        )
    if t.decision is not None:
        details.update(decision=t.decision.number, decided_on=t.decision.decided_on.isoformat())
    if t.certificate is not None:
        details.update(
            certificate=t.certificate.certificate.number,
            certificate_status=t.certificate.status.value,
            valid_until=t.certificate.certificate.valid_until.isoformat(),
        )
    if h is not None and r is None and run is not None:
        if run.outcome == "completed":
            remark = "not found in the register"
        elif run.outcome == "pending":
            remark = "being written to the register"
        else:
            remark = f"the register write {run.outcome.replace('_', ' ')}"
        text = f"{text.rstrip('.')} ({remark})."
    return StoryEntry(
        at=t.occurred_at,
        recorded_at=run.at if run else None,
        round=t.round_number,
        kind=kind,
        actor=t.actor,
        text=text,
        details=details,
        sources=sources,
    )


def _describe(t: Transition) -> tuple[str, str]:
    """(kind, sentence) for a transition."""
    a, d = t.action, t.details
    why = f": {t.reason}" if t.reason else ""
    level = t.level or (t.scorecard.scorecard.level if t.scorecard else None)
    if a == "dossier_received":
        kind = _KINDS.get(str(d.get("registration_kind", "")), "evaluation")
        opens = f"; the {level} review opens" if level else ""
        return "submission", f"Dossier submitted by {t.actor} for {kind}{opens}."
    if a == "review_accepted":
        at = f" at the {level} review" if level else ""
        return "review", f"Dossier accepted{at} by {t.actor}{why}."
    if a == "review_rejected":
        at = f" at the {level} review" if level else ""
        return "review", f"Dossier rejected{at} by {t.actor}{why}."
    if a == "supplement_requested":
        documents = d.get("documents") or "missing documents"
        until = f" by {_day(d['deadline'])}" if d.get("deadline") else ""
        return "supplement", f"{t.actor} asked for a supplement ({documents}){until}{why}."
    if a == "supplement_received":
        files = f": {d['files']}" if d.get("files") else ""
        return "supplement", f"Supplement given by {t.actor}{files}."
    if a == "supplement_missed":
        return "supplement", "The supplement did not arrive by its deadline: dossier returned."
    if a == "council_session_opened":
        return "session", f"{_level(level)} council session opened; members invited to score."
    if a in ("scorecard_submitted", "scorecard_replaced"):
        return "scorecard", _scorecard_text(t)
    if a == "rescore_requested":
        attempt = f" (attempt {d['attempt']})" if d.get("attempt") else ""
        return "session", f"{_level(level)} council session reopened for a re-score{attempt}{why}."
    if a == "council_result":
        mean = f"mean {d['mean']} points, " if d.get("mean") is not None else ""
        return "result", (
            f"{_level(level)} council result: {mean}{_stars(_int(d.get('stars')))}{why}."
        )
    if a == "forwarded":
        return "result", f"Sent up a level ({t.reason or 'next level'})."
    if a == "recognised":
        return "decision", _recognition_text(t)
    if a == "certificate_superseded":
        number = t.certificate.certificate.number if t.certificate else "The certificate"
        return "certificate", f"Certificate {number} superseded{why}."
    if a == "certificate_revoked":
        return "decision", _revocation_text(t)
    if a == "certificate_lapsed":
        if t.certificate is not None:
            cert = t.certificate.certificate
            return "certificate", (
                f"Certificate {cert.number} ({_stars(cert.stars)}) lapsed after "
                f"{cert.valid_until.isoformat()}{why}."
            )
        return "certificate", f"The certificate lapsed{why}."
    if a.startswith("expiry_reminder"):
        days = d.get("days_before_expiry") or a.rsplit("_", 1)[-1]
        held = t.certificate.certificate.number if t.certificate else None
        of = f" of certificate {held}" if held else ""
        return "reminder", f"Expiry reminder{of}: {days} days before expiry."
    if a == "round_ended":
        return "round", f"The round ended{why}."
    if a.endswith("_overdue"):
        return "deadline", f"Overdue{why}; the administrators were alerted."
    by = f" by {t.actor}" if t.actor else ""
    return "other", f"{a.replace('_', ' ').capitalize()}{by}{why}."


def _int(value: JsonScalar) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _scorecard_text(t: Transition) -> str:
    verb = "replaced their scorecard" if t.action == "scorecard_replaced" else "scored"
    if t.scorecard is not None:
        card = t.scorecard.scorecard
        mandatory = "" if card.mandatory_criteria_met else "; mandatory criteria NOT met"
        comment = f' — "{card.comment}"' if card.comment else ""
        return (
            f"{t.actor} {verb} {card.total}/100 at {card.level} level (attempt "
            f"{t.scorecard.attempt}): A {card.part_a} + B {card.part_b} + C {card.part_c}"
            f"{mandatory}{comment}."
        )
    d = t.details
    total = f" {d['total']}/100" if d.get("total") is not None else ""
    at = f" at {d['level']} level" if d.get("level") else ""
    attempt = f" (attempt {d['attempt']})" if d.get("attempt") else ""
    return f"{t.actor} {verb}{total}{at}{attempt}."


def _recognition_text(t: Transition) -> str:
    if t.decision is None:
        return f"Recognised by {t.actor}."
    decision = t.decision
    text = f"Decision {decision.number} of {decision.authority} ({decision.decided_on.isoformat()})"
    if t.certificate is None:
        return f"{text}: {decision.summary}."
    cert = t.certificate.certificate
    return (
        f"{text} recognises {_stars(cert.stars)} at {decision.level} level; certificate "
        f"{cert.number} valid {cert.valid_from.isoformat()} – {cert.valid_until.isoformat()}."
    )


def _revocation_text(t: Transition) -> str:
    why = f": {t.reason}" if t.reason else ""
    cert = f" {t.certificate.certificate.number}" if t.certificate else ""
    if t.decision is None:
        return f"Certificate{cert} revoked by {t.actor}{why}."
    return (
        f"Certificate{cert} revoked by decision {t.decision.number} of {t.decision.authority} "
        f"({t.decision.decided_on.isoformat()}){why}."
    )


def _email_entries(
    rows: Sequence[Email], at: datetime, round_number: int | None, recorded_at: datetime | None
) -> list[StoryEntry]:
    """Delivered recipients of one notification in one line; each failure on its own."""
    if not rows:
        return []
    entries: list[StoryEntry] = []
    subject = rows[0].subject
    sent = [row for row in rows if row.status == "sent"]
    if sent:
        answer = sent[0].smtp_response or ""
        to = ", ".join(row.recipient for row in sent)
        tail = f" ({answer})" if len(sent) == 1 and answer else ""
        entries.append(
            StoryEntry(
                at=at,
                recorded_at=recorded_at,
                round=round_number,
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
    for row in rows:
        if row.status == "sent":
            continue
        if row.status == "failed":
            text = (
                f'Email "{subject}" to {row.recipient} FAILED: {row.smtp_response or "no answer"}'
                " (refused for good; not retried)."
            )
        else:
            text = (
                f'Email "{subject}" to {row.recipient} not delivered yet after {row.attempts} '
                f"attempt(s): {row.smtp_response or 'no answer yet'}."
            )
        entries.append(
            StoryEntry(
                at=at,
                recorded_at=recorded_at,
                round=round_number,
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
        )
    return entries


def _unsent_entry(run: ActivityRun, at: datetime, round_number: int | None) -> StoryEntry:
    return StoryEntry(
        at=at,
        recorded_at=run.at,
        round=round_number,
        kind="email",
        text=f'The "{run.event_kind or "?"}" email is being sent (attempt {run.attempt}).',
        details={"event": run.event_kind, "attempts": run.attempt},
        sources=["history"],
    )


def _activity_label(run: ActivityRun) -> str:
    if run.activity == RECORD_ACTIVITY and run.transition is not None:
        return f'Recording "{run.transition.action}" in the register'
    if run.activity == NOTIFY_ACTIVITY:
        return f'Sending the "{run.event_kind or "?"}" email'
    return f"Activity {run.activity}"


def _retry_entry(run: ActivityRun, at: datetime, round_number: int | None) -> StoryEntry | None:
    label = _activity_label(run)
    last_failure = run.last_failure
    if last_failure and run.notification_key:  # the key is noise in a sentence
        last_failure = last_failure.removeprefix(f"notification {run.notification_key}: ")
    last = f": {last_failure}" if last_failure else ""
    if run.outcome in ("failed", "timed_out"):
        text = (
            f"{label} {run.outcome.replace('_', ' ')} for good after {run.attempt} attempt(s): "
            f"{run.failure or run.last_failure or 'no message'}."
        )
    elif run.attempt <= 1:
        return None
    elif run.outcome == "pending":
        text = f"{label} is being retried (attempt {run.attempt}); last failure{last}."
    elif run.outcome == "completed":
        text = f"{label} succeeded on attempt {run.attempt}; the previous attempt failed{last}."
    else:
        text = f"{label} was {run.outcome.replace('_', ' ')} on attempt {run.attempt}{last}."
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


def _fact_entry(
    fact: HistoryFact, at: datetime, round_number: int | None, runs: Mapping[int, _Run]
) -> StoryEntry | None:
    common: dict[str, Any] = {"at": at, "recorded_at": fact.at, "round": round_number}
    if isinstance(fact, RunStarted):
        kind = _KINDS.get(fact.registration_kind or "", fact.registration_kind or "evaluation")
        terms = f"{kind} under rulebook {fact.rulebook_id}, cycle {fact.cycle_year}"
        text = (
            f"Case opened: {terms}."
            if fact.run == 1 and (fact.round_number or 1) == 1
            else f"Round {fact.round_number} opens in a new run of the case: {terms}."
        )
        return StoryEntry(
            **common,
            kind="round",
            text=text,
            details={"run_id": fact.run_id, "run": fact.run},
            sources=["history"],
        )
    if isinstance(fact, HumanStep):
        return _step_entry(fact, common)
    if isinstance(fact, CalendarMoved):
        return StoryEntry(
            **common,
            kind="calendar",
            text=(
                f"The paced calendar moved on to {fact.to.astimezone(VIETNAM):%d/%m/%Y %H:%M}; "
                "business time stood still until then."
            ),
            details={"to": fact.to.isoformat()},
            sources=["history"],
        )
    if isinstance(fact, TimerFired):
        clock = runs[fact.run].clock if fact.run in runs else None
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
    if isinstance(fact, TaskFailed):
        return StoryEntry(
            **common,
            kind="failure",
            text=f"A workflow task failed ({fact.cause}): {fact.message}; Temporal retries it.",
            details={"cause": fact.cause},
            sources=["history"],
        )
    if isinstance(fact, RunEnded):
        return StoryEntry(
            **common, kind="round", text=_ending_text(fact, round_number), sources=["history"]
        )
    return None


def _step_entry(step: HumanStep, common: dict[str, Any]) -> StoryEntry | None:
    """Updates the register does not record on their own: closing a session, applying."""
    details: dict[str, JsonScalar] = {"update": step.update}
    if step.failure is not None:
        text = f"{step.actor}'s {step.update.replace('_', ' ')} was accepted but failed: "
        text += f"{step.failure}."
    elif step.update == "close_session" and isinstance(step.request, CloseSession):
        level = step.request.level
        result = step.result if isinstance(step.result, SessionClosed) else None
        if result is None:
            text = f"{step.actor} closed the {level} council session."
        elif result.outcome == "rescore_required":
            text = (
                f"{step.actor} closed the {level} council session; it must re-score: "
                f"{result.explanation}."
            )
        else:
            text = f"{step.actor} closed the {level} council session — {result.explanation}."
        details.update(level=level, outcome=result.outcome if result else None)
    elif step.update == "apply" and isinstance(step.request, Application):
        dossier = step.request.dossier
        kind = _KINDS.get(dossier.registration_kind.value, dossier.registration_kind.value)
        text = (
            f"{step.actor} applied for {kind} (cycle {step.request.cycle_year}); "
            "the case continues in a new run."
        )
        details.update(registration_kind=dossier.registration_kind.value)
    else:
        return None
    return StoryEntry(
        **common,
        kind="session" if step.update == "close_session" else "application",
        actor=step.actor,
        text=text,
        details=details,
        sources=["history"],
    )


def _ending_text(fact: RunEnded, round_number: int | None) -> str:
    detail = f": {fact.detail}" if fact.detail else ""
    if fact.outcome == "continued_as_new":
        return f"Round {round_number} closes; the case continues as new for the next round."
    if fact.outcome == "completed":
        stage = f" at stage {fact.stage}" if fact.stage else ""
        return f"The case closed{stage}."
    return f"The case {fact.outcome.replace('_', ' ')}{detail}."


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


# --------------------------------------------------------------------------- render


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

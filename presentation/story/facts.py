"""What a case's story is told from, and what it tells: plain facts, no I/O, no words.

Inputs: `Transition` (one register row, or the record of a register write the history
holds: a scheduled activity's input, a local activity's result), `Email` (one
recipient's row of the notification ledger) and the `HistoryFact`s read from each run's
workflow history (`presentation.story.history`). Output: a `Story` of `StoryEntry`s, each a sentence
with the business time it happened at and the sources that witnessed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from models.case import DecisionRecord
from models.clock import BusinessClock
from models.records import CaseRecord, CertificateChange, JsonScalar, ScorecardEntry


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
    held_certificate: str | None = None
    """The number of the certificate issued before the case that it was loaded with."""


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

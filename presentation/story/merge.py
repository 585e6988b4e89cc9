"""One timeline from three sources: the workflow history, the register's audit, the ledger.

How they fit together:

- the **workflow history** orders everything (run by run, event by event) and is the
  only witness of some things: who closed a council session and what came of it, an
  application that started a new run, timers that fired, activity retries with their
  failure messages, how each run ended;
- the **register's audit** (one row per transition, keyed like the register write that
  wrote it) says who, when (on the case's business calendar) and why,
  and outlives the history, which the server keeps only for the namespace's retention
  once a run has closed;
- the **notification ledger** says what became of every email, with the SMTP answer.

A transition is placed where the history wrote it (the scheduled register write of an
earlier round, or the local activity's marker, whose result is the record), an email
where its sending finished; register rows whose history is gone are placed by business time,
their emails right after them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contracts.case import REGISTER_WRITES, SEND_NOTIFICATION
from models.clock import BusinessClock
from presentation.story.facts import (
    ActivityRun,
    CalendarMoved,
    Email,
    HistoryFact,
    RunStarted,
    Story,
    StoryEntry,
    Transition,
)
from presentation.story.narration import (
    email_entries,
    fact_entry,
    retry_entry,
    unsent_entry,
)
from presentation.story.transitions import transition_entry

Position = tuple[int, int, int]
"""(run, history event, order among what that event tells)."""


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
    transitions, emails = _this_case(facts, transitions, emails, notes)
    ledger: dict[str, list[Email]] = defaultdict(list)
    for email in sorted(emails, key=lambda e: e.created_at):
        ledger[email.notification_key].append(email)
    timeline = _Timeline.of(facts, {t.key: t for t in transitions}, ledger, register_read)
    for fact in sorted(facts, key=lambda f: (f.run, f.event_id)):
        timeline.place(fact)
    entries = timeline.entries()
    # What only the register remembers (the history is gone, or never had it): by time.
    for transition in sorted(
        (t for t in transitions if t.key not in timeline.told), key=lambda t: t.occurred_at
    ):
        group = [transition_entry(None, transition, None)]
        group += email_entries(
            ledger.get(transition.key, []), transition.occurred_at, transition.round_number, None
        )
        timeline.mailed.add(transition.key)
        _insert_by_time(entries, group)
    for key, rows in ledger.items():
        if key not in timeline.mailed:
            _insert_by_time(entries, email_entries(rows, rows[0].created_at, None, None))
    product = next((f.product for f in facts if isinstance(f, RunStarted) and f.product), None)
    return Story(
        workflow_id=workflow_id,
        product=product,
        runs=len(timeline.runs),
        status=status,
        entries=entries,
        notes=notes,
    )


def _this_case(
    facts: Sequence[HistoryFact],
    transitions: Sequence[Transition],
    emails: Sequence[Email],
    notes: list[str],
) -> tuple[Sequence[Transition], Sequence[Email]]:
    """Only the rows of the case the history tells: a workflow id outlives its cases."""
    case_ids = {f.case_id for f in facts if isinstance(f, RunStarted) and f.case_id} | {
        f.transition.case_id for f in facts if isinstance(f, ActivityRun) and f.transition
    }
    if not case_ids:
        return transitions, emails
    kept = [t for t in transitions if t.case_id in case_ids]
    if len(kept) < len(transitions):
        notes.append(
            f"{len(transitions) - len(kept)} register entries belong to an earlier case "
            "of the same product (same workflow id) and are not shown"
        )
    return kept, [e for e in emails if e.ledger_key.split(":", 1)[0] in case_ids]


def _insert_by_time(entries: list[StoryEntry], group: list[StoryEntry]) -> None:
    """Insert `group` (kept together) before the first entry that happened after it."""
    if not group:
        return
    moment = group[0].at
    index = next((i for i, entry in enumerate(entries) if entry.at > moment), len(entries))
    entries[index:index] = group


@dataclass
class _Run:
    clock: BusinessClock | None
    round_number: int | None
    moves: list[CalendarMoved] = field(default_factory=list)


@dataclass
class _Timeline:
    """The history's facts placed in order, each told in words with what it wrote."""

    runs: dict[int, _Run]
    audit: dict[str, Transition]
    ledger: dict[str, list[Email]]
    register_read: bool
    placed: list[tuple[Position, StoryEntry]] = field(default_factory=list)
    told: set[str] = field(default_factory=set)
    """Keys of the transitions the history placed."""
    mailed: set[str] = field(default_factory=set)
    """Notification keys whose ledger rows have been placed."""

    @classmethod
    def of(
        cls,
        facts: Sequence[HistoryFact],
        audit: dict[str, Transition],
        ledger: dict[str, list[Email]],
        register_read: bool,
    ) -> _Timeline:
        runs = {f.run: _Run(f.clock, f.round_number) for f in facts if isinstance(f, RunStarted)}
        for moved in sorted(
            (f for f in facts if isinstance(f, CalendarMoved)), key=lambda f: f.event_id
        ):
            if moved.run in runs:
                runs[moved.run].moves.append(moved)
        return cls(runs, audit, ledger, register_read)

    def business(self, run: int, at: datetime, event_id: int) -> datetime:
        """Business time of a history event of `run` (real time `at`)."""
        known = self.runs.get(run)
        clock = known.clock if known is not None else None
        if known is None or clock is None:
            return at
        if clock.held_at is not None:
            # A paced calendar stands where its last move before this event left it.
            held = [m.to for m in known.moves if m.event_id <= event_id]
            return max([clock.held_at, *held])
        return clock.business_now(at)

    def round_of(self, run: int) -> int | None:
        known = self.runs.get(run)
        return known.round_number if known is not None else None

    def place(self, fact: HistoryFact) -> None:
        if isinstance(fact, ActivityRun):
            self._place_activity(fact)
            return
        when = self.business(fact.run, fact.at, fact.event_id)
        clocks = {number: run.clock for number, run in self.runs.items()}
        told = fact_entry(fact, when, self.round_of(fact.run), clocks)
        if told is not None:
            self.placed.append(((fact.run, fact.event_id, 0), told))

    def entries(self) -> list[StoryEntry]:
        return [entry for _, entry in sorted(self.placed, key=lambda item: item[0])]

    def _place_activity(self, fact: ActivityRun) -> None:
        end = fact.ended_event_id or fact.event_id
        ended = self.business(fact.run, fact.ended_at or fact.at, end)
        round_number = self.round_of(fact.run)
        if fact.activity in REGISTER_WRITES and fact.transition is not None:
            key = fact.transition.key
            self.told.add(key)
            entry = transition_entry(
                fact.transition, self.audit.get(key), fact if self.register_read else None
            )
            self.placed.append(((fact.run, fact.event_id, 0), entry))
        if fact.activity == SEND_NOTIFICATION.name and fact.notification_key is not None:
            self._place_emails(fact, ended, end)
        retry = retry_entry(fact, ended, round_number)
        if retry is not None:
            self.placed.append(((fact.run, end, 2), retry))

    def _place_emails(self, fact: ActivityRun, ended: datetime, end: int) -> None:
        key = fact.notification_key
        assert key is not None
        rows = self.ledger.get(key, [])
        self.mailed.add(key)
        round_number = self.round_of(fact.run)
        for entry in email_entries(rows, ended, round_number, fact.ended_at or fact.at):
            self.placed.append(((fact.run, end, 1), entry))
        if not rows and fact.outcome == "pending":
            self.placed.append(((fact.run, end, 1), unsent_entry(fact, ended, round_number)))

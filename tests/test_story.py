"""The story of a case: merging history, register and ledger, and the words it is told in.

Pure tests of `presentation/story` (merging and wording), plus its history reading on
the histories recorded from the lifecycle tests (no server needed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from contracts.case import CLOSE_SESSION, RECORD_CASE_EVENT, SEND_NOTIFICATION
from infra.payload_codec import PayloadKeys
from infra.temporal import DATA_CONVERTER, encrypted_converter
from models.case import CloseSessionRequest, CloseSessionResult, DecisionKind, DecisionRecord
from models.clock import BusinessClock
from presentation.story import render_story, tell_story
from presentation.story.facts import (
    ActivityRun,
    Email,
    HumanStep,
    RunEnded,
    RunStarted,
    Story,
    TimerFired,
    Transition,
)
from presentation.story.gather import fetch_runs
from presentation.story.history import RunHistory, history_facts
from presentation.story.narration import email_entries

T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
REVIEWER = "Phòng Nông nghiệp huyện Bình Liêu"
PRODUCER = "hoptien@example.vn"
HISTORIES = Path(__file__).parent / "histories"
RECORDED_UNDER = PayloadKeys.load(HISTORIES.parent / "fixtures" / "history-payload-keys.json")
RECORD_ACTIVITY = RECORD_CASE_EVENT.name
NOTIFY_ACTIVITY = SEND_NOTIFICATION.name


def key(seq: int, action: str, case: str = "case-1", round_number: int = 1) -> str:
    return f"{case}:r{round_number}:{seq:05d}:{action}"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def transition(
    seq: int, action: str, minutes: float, actor: str = "system", **changes: object
) -> Transition:
    fields: dict[str, object] = {
        "key": key(seq, action, round_number=int(str(changes.get("round_number", 1)))),
        "action": action,
        "actor": actor,
        "occurred_at": at(minutes),
        "round_number": 1,
    }
    fields.update(changes)
    return Transition(**fields)  # type: ignore[arg-type]


def email(notification: str, recipient: str, status: str, answer: str, minutes: float = 0) -> Email:
    return Email(
        ledger_key=f"{notification}:{recipient}",
        event_type=notification.rsplit(":", 1)[-1],
        recipient=recipient,
        subject=f"Subject of {notification.rsplit(':', 1)[-1]}",
        status=status,
        smtp_response=answer,
        attempts=1,
        created_at=at(minutes),
    )


def started(
    run: int = 1, round_number: int = 1, speed: float = 1.0, minutes: float = 0
) -> RunStarted:
    return RunStarted(
        run=run,
        event_id=1,
        at=at(minutes),
        run_id=f"run-{run}",
        clock=BusinessClock(real_origin=T0, business_origin=T0, speed=speed),
        round_number=round_number,
        registration_kind="first" if round_number == 1 else "reevaluation",
        rulebook_id="qd148-2023",
        cycle_year=2024,
        product="Mật ong rừng Bình Liêu (MO-BINHLIEU) of HTX Hợp Tiến, quang-ninh / binh-lieu",
        case_id="case-1",
    )


SUBMITTED = transition(
    1,
    "dossier_received",
    0,
    actor="HTX Hợp Tiến",
    level="district",
    details={"registration_kind": "first"},
)
SUPPLEMENT = transition(
    2,
    "supplement_requested",
    3,
    actor=REVIEWER,
    reason="Thiếu phiếu kết quả kiểm nghiệm",
    details={"documents": "test_results", "deadline": "2024-03-16T09:00:00+07:00"},
)


def texts(story: Story) -> list[str]:
    return [entry.text for entry in story.entries]


def test_history_orders_the_story_and_the_register_says_who_when_and_why() -> None:
    facts = [
        started(),
        ActivityRun(
            run=1, event_id=5, at=at(0), activity=RECORD_ACTIVITY, outcome="completed",
            transition=SUBMITTED,
        ),
        ActivityRun(
            run=1, event_id=7, at=at(0), activity=NOTIFY_ACTIVITY, outcome="completed",
            attempt=2, last_failure=f"notification {SUBMITTED.key}: 421 try later",
            ended_event_id=10, ended_at=at(2), notification_key=SUBMITTED.key,
            event_kind="dossier_received",
        ),
        ActivityRun(
            run=1, event_id=12, at=at(3), activity=RECORD_ACTIVITY, outcome="completed",
            transition=SUPPLEMENT,
        ),
        ActivityRun(
            run=1, event_id=14, at=at(3), activity=NOTIFY_ACTIVITY, outcome="completed",
            ended_event_id=18, ended_at=at(4), notification_key=SUPPLEMENT.key,
            event_kind="supplement_requested",
        ),
        TimerFired(run=1, event_id=20, at=at(60 * 24 * 15), duration=timedelta(days=15)),
        RunEnded(run=1, event_id=30, at=at(60 * 24 * 15), outcome="completed", stage="returned"),
    ]  # fmt: skip
    # The register's rows come in any order; the history decides the story's order.
    register = [SUPPLEMENT, SUBMITTED]
    ledger = [
        email(SUPPLEMENT.key, PRODUCER, "failed", "550 Mailbox unavailable", 4),
        email(SUBMITTED.key, PRODUCER, "sent", "250 Message accepted", 2),
    ]
    story = tell_story("ocop-product-quang-ninh-mo-binhlieu", facts, register, ledger)
    assert texts(story) == [
        "Case opened: first evaluation under rulebook qd148-2023, cycle 2024.",
        "Dossier submitted by HTX Hợp Tiến for first evaluation; the district review opens.",
        'Email "Subject of dossier_received" sent to hoptien@example.vn (250 Message accepted).',
        'Sending the "dossier_received" email succeeded on attempt 2; the previous attempt '
        "failed: 421 try later.",
        f"{REVIEWER} asked for a supplement (test_results) by 2024-03-16: "
        "Thiếu phiếu kết quả kiểm nghiệm.",
        'Email "Subject of supplement_requested" to hoptien@example.vn FAILED: '
        "550 Mailbox unavailable (refused for good; not retried).",
        "A durable timer fired after 15 days.",
        "The case closed at stage returned.",
    ]
    submitted = story.entries[1]
    assert submitted.sources == ["history", "register"]
    assert submitted.actor == "HTX Hợp Tiến" and submitted.at == T0
    assert story.entries[5].details["smtp_response"] == "550 Mailbox unavailable"
    assert story.runs == 1 and story.product is not None


def test_an_unconfirmed_email_is_not_told_as_sent() -> None:
    """Issue 11: the server never answered its DATA; the story must not say "sent"."""
    row = email(SUBMITTED.key, PRODUCER, "unconfirmed", "unconfirmed: transmitted, no answer")
    [entry] = email_entries([row], T0, 1, T0)
    assert entry.text == (
        'Email "Subject of dossier_received" to hoptien@example.vn UNCONFIRMED: transmitted, '
        "but the server never answered (unconfirmed: transmitted, no answer); it may not "
        "have arrived."
    )
    assert entry.details["status"] == "unconfirmed"


def test_what_only_the_register_remembers_is_placed_by_its_business_time() -> None:
    """Round 1's history is gone (retention): its register rows and emails lead the story."""
    reapplied = transition(
        9,
        "dossier_received",
        60 * 24 * 900,
        actor="HTX Hợp Tiến",
        round_number=2,
        details={"registration_kind": "reevaluation"},
    )
    facts = [
        started(run=1, round_number=2, minutes=60 * 24 * 900),
        ActivityRun(
            run=1, event_id=5, at=at(60 * 24 * 900), activity=RECORD_ACTIVITY,
            outcome="completed", transition=reapplied,
        ),
    ]  # fmt: skip
    story = tell_story(
        "wf",
        facts,
        [SUBMITTED, SUPPLEMENT, reapplied],
        [email(SUBMITTED.key, PRODUCER, "sent", "250 OK")],
        notes=["Temporal no longer keeps the history of the earliest run(s)"],
    )
    assert texts(story)[:3] == [
        "Dossier submitted by HTX Hợp Tiến for first evaluation; the district review opens.",
        'Email "Subject of dossier_received" sent to hoptien@example.vn (250 OK).',
        f"{REVIEWER} asked for a supplement (test_results) by 2024-03-16: "
        "Thiếu phiếu kết quả kiểm nghiệm.",
    ]
    assert story.entries[0].sources == ["register"]
    assert texts(story)[3].startswith("Round 2 opens in a new run of the case: re-evaluation")
    lines = render_story(story)
    assert lines.index("── Round 1 ──") < lines.index("── Round 2 ──")
    assert lines[-1].startswith("Note: Temporal no longer keeps")


def test_a_transition_the_register_lacks_is_pointed_out() -> None:
    facts = [
        started(),
        ActivityRun(
            run=1, event_id=5, at=at(0), activity=RECORD_ACTIVITY, outcome="completed",
            transition=SUBMITTED,
        ),
        ActivityRun(
            run=1, event_id=9, at=at(1), activity=RECORD_ACTIVITY, outcome="pending",
            attempt=4, last_failure="database is locked", transition=SUPPLEMENT,
        ),
    ]  # fmt: skip
    story = tell_story("wf", facts, [], [])
    assert texts(story)[1].endswith("(not found in the register).")
    assert texts(story)[2].endswith("(being written to the register).")
    assert texts(story)[3] == (
        'Recording "supplement_requested" in the register is being retried (attempt 4); '
        "last failure: database is locked."
    )
    # Without the register at hand, nothing is said about what it lacks.
    quiet = tell_story("wf", facts, [], [], register_read=False)
    assert not [t for t in texts(quiet) if "register)" in t]


def test_rows_of_an_earlier_case_with_the_same_id_are_left_out() -> None:
    earlier = transition(1, "dossier_received", -60 * 24 * 400, actor="HTX Hợp Tiến")
    earlier = Transition(**{**earlier.__dict__, "key": key(1, "dossier_received", "case-0")})
    facts = [
        started(),
        ActivityRun(
            run=1, event_id=5, at=at(0), activity=RECORD_ACTIVITY, outcome="completed",
            transition=SUBMITTED,
        ),
    ]  # fmt: skip
    story = tell_story(
        "wf",
        facts,
        [earlier, SUBMITTED],
        [email(earlier.key, PRODUCER, "sent", "250 OK")],
    )
    assert len(story.entries) == 2
    assert story.notes == [
        "1 register entries belong to an earlier case of the same product (same workflow id) "
        "and are not shown"
    ]


def test_council_steps_scorecards_decisions_and_emails_in_words() -> None:
    from models.case import Certificate
    from models.records import CertificateChange, CertificateStatus, ScorecardEntry
    from models.scorecard import Scorecard
    from models.stars import Stars

    card = Scorecard(
        member_id="district-m1", level="district", part_a=24, part_b=15, part_c=21,
        mandatory_criteria_met=False, comment="Bao bì chưa đạt",
    )  # fmt: skip
    certificate = Certificate(
        number="CN-001", stars=Stars.THREE, level="district", authority="UBND huyện Bình Liêu",
        decision_number="QD-1024", valid_from=date(2024, 5, 2), valid_until=date(2027, 5, 2),
    )  # fmt: skip
    decision = DecisionRecord(
        kind=DecisionKind.RECOGNITION, level="district", authority="UBND huyện Bình Liêu",
        number="QD-1024", decided_on=date(2024, 5, 2), summary="3★ by District People's Committee",
    )  # fmt: skip
    scored = transition(
        3, "scorecard_submitted", 5, actor="district-m1",
        scorecard=ScorecardEntry(attempt=2, scorecard=card),
    )  # fmt: skip
    recognised = transition(
        4, "recognised", 9, actor="UBND huyện Bình Liêu", decision=decision,
        certificate=CertificateChange(certificate=certificate, status=CertificateStatus.ACTIVE),
    )  # fmt: skip
    facts = [
        started(speed=86_400.0),
        HumanStep(
            run=1, event_id=4, at=at(4), update=CLOSE_SESSION.name, actor="Thư ký hội đồng",
            request=CloseSessionRequest(level="district", closed_by="Thư ký hội đồng"),
            result=CloseSessionResult(outcome="rescore_required", explanation="totals 20 apart"),
        ),
        ActivityRun(
            run=1, event_id=6, at=at(5), activity=RECORD_ACTIVITY, outcome="completed",
            transition=scored,
        ),
        ActivityRun(
            run=1, event_id=8, at=at(9), activity=RECORD_ACTIVITY, outcome="completed",
            transition=recognised,
        ),
        ActivityRun(
            run=1, event_id=10, at=at(9), activity=NOTIFY_ACTIVITY, outcome="completed",
            ended_event_id=11, ended_at=at(10), notification_key=recognised.key,
        ),
        TimerFired(run=1, event_id=12, at=at(11), duration=timedelta(seconds=30)),
        RunEnded(run=1, event_id=13, at=at(12), outcome="terminated", detail="test (by me)"),
    ]  # fmt: skip
    ledger = [
        email(recognised.key, "a@example.vn", "sent", "250 OK"),
        email(recognised.key, "b@example.vn", "sent", "250 OK"),
        email(recognised.key, "c@example.vn", "pending", "451 Local error"),
    ]
    words = texts(tell_story("wf", facts, [], ledger, register_read=False))
    assert words[1:] == [
        "Thư ký hội đồng closed the district council session; it must re-score: totals 20 apart.",
        "district-m1 scored 60/100 at district level (attempt 2): A 24 + B 15 + C 21; "
        'mandatory criteria NOT met — "Bao bì chưa đạt".',
        "Decision QD-1024 of UBND huyện Bình Liêu (2024-05-02) recognises 3★ at district "
        "level; certificate CN-001 valid 2024-05-02 – 2027-05-02.",
        'Email "Subject of recognised" sent to a@example.vn, b@example.vn.',
        'Email "Subject of recognised" to c@example.vn not delivered yet after 1 attempt(s): '
        "451 Local error.",
        "A durable timer fired after 30 days of business time (30.00 s real, calendar ×86400).",
        "The case terminated: test (by me).",
    ]


@pytest.mark.parametrize(
    "recorded",
    [
        "test_a_reevaluation_can_raise_or_lower_the_stars",
        # Register writes as local activities: the story reads them from their markers.
        "i15-lean-test_a_reevaluation_can_raise_or_lower_the_stars",
    ],
)
async def test_recorded_histories_tell_both_rounds_of_a_reevaluation(recorded: str) -> None:
    runs = [
        RunHistory(
            run_id=f"run-{number}",
            events=WorkflowHistory.from_json("wf", path.read_text(encoding="utf-8")).events,
        )
        for number, path in enumerate(sorted(HISTORIES.glob(f"{recorded}-*.json")), start=1)
    ]
    assert len(runs) == 2
    facts = await history_facts(runs, encrypted_converter(RECORDED_UNDER))
    story = tell_story("wf", facts, [], [], register_read=False)
    lines = render_story(story)
    assert story.runs == 2
    assert lines[1].startswith("Mật ong rừng Bình Liêu (MO-BINHLIEU-")
    order = [
        "── Round 1 ──",
        "Case opened: first evaluation under rulebook qd148-2023, cycle 2024.",
        "closed the district council session — mean 75.50 points: 4★.",
        "District council result: mean 75.50 points, 4★: sent up to province level.",
        "Province council result: mean 76.50 points, 4★: recognised at province level.",
        "certificate QN-4S-01 valid 2024-03-01 – 2027-03-01",
        "A durable timer fired after 1006 days.",
        "Expiry reminder: 90 days before expiry.",
        "applied for re-evaluation (cycle 2026); the case continues in a new run.",
        "Round 1 closes; the case continues as new for the next round.",
        "── Round 2 ──",
        "Round 2 opens in a new run of the case: re-evaluation under rulebook qd148-2023",
        "Certificate QN-4S-01 superseded: replaced by certificate BL-03.",
        "recognises 3★ at district level; certificate BL-03 valid 2026-12-10 – 2029-12-10",
    ]
    position = -1
    for phrase in order:
        position = next(i for i in range(position + 1, len(lines)) if phrase in lines[i])
    # Recorded before actions were signed: who the step claimed, marked as such.
    unsigned = "HTX Hợp Tiến (không xác thực — unverified) applied for re-evaluation"
    signed = "HTX Hợp Tiến (producer, producer-"
    assert any((unsigned if recorded.startswith("test_") else signed) in line for line in lines)
    # Business time runs on: round 2 starts after round 1's certificate was issued.
    assert [e.at for e in story.entries] == sorted(e.at for e in story.entries)


# ------------------------------------------------------------- following the runs


def _recorded(stem: str) -> list[list[HistoryEvent]]:
    return [
        list(WorkflowHistory.from_json("wf", path.read_text(encoding="utf-8")).events)
        for path in sorted(HISTORIES.glob(f"{stem}-case1-run*.json"))
    ]


@dataclass
class _Description:
    run_id: str
    status: WorkflowExecutionStatus = WorkflowExecutionStatus.COMPLETED
    raw_description: Any = field(default_factory=lambda: _Pending())


@dataclass
class _Pending:
    pending_activities: Sequence[Any] = ()


@dataclass
class _Handle:
    kept: dict[str, list[HistoryEvent]]
    latest: str
    run_id: str | None

    async def describe(self) -> _Description:
        return _Description(self.latest)

    async def fetch_history_events(self) -> AsyncIterator[HistoryEvent]:
        events = self.kept.get(self.run_id or self.latest)
        if events is None:
            raise RPCError("workflow execution not found", RPCStatusCode.NOT_FOUND, b"")
        for event in events:
            yield event


@dataclass
class _Server:
    """What fetch_runs asks of a client: runs by id, some dropped past retention."""

    kept: dict[str, list[HistoryEvent]]
    latest: str

    def get_workflow_handle(self, workflow_id: str, *, run_id: str | None = None) -> _Handle:
        return _Handle(self.kept, self.latest, run_id)


def _chain() -> tuple[str, str, dict[str, list[HistoryEvent]]]:
    first, second = _recorded("test_a_reevaluation_can_raise_or_lower_the_stars")
    started = second[0].workflow_execution_started_event_attributes
    first_id = started.first_execution_run_id
    second_id = first[-1].workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    assert first_id and second_id and started.continued_execution_run_id == first_id
    return first_id, second_id, {first_id: first, second_id: second}


async def test_the_runs_are_followed_from_the_first_to_the_latest() -> None:
    first_id, second_id, kept = _chain()
    found = await fetch_runs(cast(Client, _Server(kept, latest=second_id)), "wf")
    assert [run.run_id for run in found.runs] == [first_id, second_id]
    assert found.status == "completed" and found.notes == []


async def test_runs_past_retention_are_skipped_with_a_note() -> None:
    first_id, second_id, kept = _chain()
    del kept[first_id]
    found = await fetch_runs(cast(Client, _Server(kept, latest=second_id)), "wf")
    assert [run.run_id for run in found.runs] == [second_id]
    assert found.notes and "no longer keeps the history of the earliest run" in found.notes[0]


# ------------------------------------------------------------- vocabulary, layering

PRESENTATION = Path(__file__).parent.parent / "presentation"


def test_every_transition_has_its_sentence_and_parameterised_actions_read() -> None:
    from models.transitions import CaseTransition
    from presentation.story.transitions import _SENTENCES, describe

    assert set(_SENTENCES) == set(CaseTransition)
    reminder = transition(7, "expiry_reminder_90", 10)
    overdue = transition(8, "local_review_overdue", 11, reason="local_review at district")
    unknown = transition(9, "something_new", 12, actor="someone", reason="why not")
    assert describe(reminder) == ("reminder", "Expiry reminder: 90 days before expiry.")
    assert describe(overdue) == (
        "deadline",
        "Overdue: local_review at district; the administrators were alerted.",
    )
    assert describe(unknown) == ("other", "Something new by someone: why not.")


async def test_legacy_email_kinds_in_recorded_histories_read_as_todays_words() -> None:
    from models.transitions import LEGACY_KINDS, CaseTransition, CycleTransition

    runs = [
        RunHistory(
            run_id=path.stem,
            events=WorkflowHistory.from_json("wf", path.read_text(encoding="utf-8")).events,
        )
        for path in sorted(HISTORIES.glob("*.json"))
    ]
    facts = await history_facts(runs, DATA_CONVERTER)
    kinds = {f.event_kind for f in facts if isinstance(f, ActivityRun) and f.notification_key}
    words = {word.value for word in (*CaseTransition, *CycleTransition)}
    assert None not in kinds, "every recorded notification decodes"
    assert kinds <= words
    assert {word.value for word in LEGACY_KINDS.values()} <= kinds


STORY_WORDS = {"review", "status"}
"""The story's own words that a contract also uses as a name: an entry's kind ("review")
and a detail's key ("status"); neither refers to the Update or the query."""


def test_presentation_names_no_update_activity_query_or_signal_by_a_string() -> None:
    import ast

    from contracts import case, cycle
    from contracts.refs import ActivityRef, QueryRef, SignalRef, UpdateRef

    refs = (ActivityRef, QueryRef, SignalRef, UpdateRef)
    names = {
        ref.name
        for module in (case, cycle)
        for ref in vars(module).values()
        if isinstance(ref, refs)
    }
    for path in PRESENTATION.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        literals = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not (literals & names) - STORY_WORDS, (path, literals & names)

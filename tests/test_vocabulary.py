"""One vocabulary and one catalogue: transitions, email kinds, labels and dates.

The words of `models.transitions` are the register's actions, the emails' kinds and the
templates' names; payloads and ledger rows written under the old kinds still read.
`models.labels` names every member of every enum it knows, in both languages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, get_args

import pytest
from alembic import command
from sqlalchemy import Connection, text
from temporalio.client import WorkflowHistory

from activities.rendering import EVENT_KINDS, TEMPLATE_DIR
from contracts.case import SEND_NOTIFICATION
from infra.database import alembic_config, create_engine, migrate, migration_connection
from infra.temporal import DATA_CONVERTER
from models.case import CaseStage, CaseStatus
from models.dates import format_day, format_moment
from models.dossier import Language
from models.events import CaseEvent, Lapsed, Notification, ScoringResult
from models.labels import CATALOGUED, Form, Level, label, level_label
from models.rulebook import RULEBOOKS
from models.transitions import (
    LEGACY_KINDS,
    CaseTransition,
    CycleTransition,
    action,
    canonical_kind,
    parse_action,
)

LEGACY_LAPSED: dict[str, Any] = {
    "key": "case-1:r1:00009:certificate_lapsed",
    "workflow_id": "ocop-product-quang-ninh-mo-binhlieu",
    "recipients": [{"email": "hoptien@example.vn", "name": "HTX Hợp Tiến"}],
    "event": {
        "kind": "lapsed",
        "case": {
            "reference": "ocop-product-quang-ninh-mo-binhlieu",
            "product_code": "MO-BINHLIEU",
            "product_name": "Mật ong rừng Bình Liêu",
            "applicant_name": "HTX Hợp Tiến",
            "province": "quang-ninh",
            "round_number": 1,
            "occurred_on": "2027-03-02",
        },
        "certificate_number": "QN-4S-01",
        "stars": 4,
        "valid_until": "2027-03-01",
    },
}


# ------------------------------------------------------------------------ transitions


def test_every_email_kind_is_a_transition_word_with_templates() -> None:
    words = {*CaseTransition, *CycleTransition}
    assert set(EVENT_KINDS) <= {word.value for word in words}
    for kind in EVENT_KINDS:
        for language in Language:
            assert (TEMPLATE_DIR / language.value / f"{kind}.j2").is_file(), (language, kind)
    legacy = {path.stem for path in TEMPLATE_DIR.glob("*/*.j2")} & set(LEGACY_KINDS)
    assert not legacy, "templates still named by a legacy kind"


def test_the_register_actions_the_workflow_writes_are_read_back() -> None:
    assert action(CaseTransition.COUNCIL_RESULT) == "council_result"
    assert action(CaseTransition.EXPIRY_REMINDER, 90) == "expiry_reminder_90"
    assert action(CaseTransition.OVERDUE, CaseStage.LOCAL_REVIEW) == "local_review_overdue"
    for word in CaseTransition:
        if word not in (CaseTransition.EXPIRY_REMINDER, CaseTransition.OVERDUE):
            assert parse_action(action(word)) == (word, None)
    assert parse_action("expiry_reminder_30") == (CaseTransition.EXPIRY_REMINDER, "30")
    assert parse_action("council_scoring_overdue") == (CaseTransition.OVERDUE, "council_scoring")
    assert parse_action("something_new") is None
    with pytest.raises(ValueError, match="occasion"):
        action(CaseTransition.EXPIRY_REMINDER)
    with pytest.raises(ValueError, match="no occasion"):
        action(CaseTransition.RECOGNISED, 3)


def test_legacy_kinds_read_as_todays_words() -> None:
    assert canonical_kind("scoring_result") == "council_result"
    assert canonical_kind("step_overdue") == "overdue"
    assert canonical_kind("council_result") == "council_result"
    assert canonical_kind("something_else") == "something_else"
    models = {str(m.model_fields["kind"].default): m for m in get_args(get_args(CaseEvent)[0])}
    for old, new in LEGACY_KINDS.items():
        assert old not in models and new.value in models


async def test_a_legacy_notification_payload_decodes_as_todays_event() -> None:
    """The input of a send_notification scheduled before the rename, as a worker gets it."""
    [payload] = await DATA_CONVERTER.encode([LEGACY_LAPSED])
    [decoded] = await DATA_CONVERTER.decode([payload], [SEND_NOTIFICATION.argument])
    assert isinstance(decoded, Notification)
    assert isinstance(decoded.event, Lapsed)
    assert decoded.event.kind == CaseTransition.CERTIFICATE_LAPSED
    # And encodes back under today's word.
    [again] = await DATA_CONVERTER.encode([decoded])
    assert b'"kind":"certificate_lapsed"' in again.data
    scoring = {**LEGACY_LAPSED["event"], "kind": "scoring_result"}
    scoring.update(
        level="province",
        part_means={"part_a": "31.2", "part_b": "19", "part_c": "28.2"},
        mean="78.4",
        mandatory_criteria_met=True,
        outcome="recognise",
    )
    event = Notification.model_validate({**LEGACY_LAPSED, "event": scoring}).event
    assert isinstance(event, ScoringResult) and event.kind == CaseTransition.COUNCIL_RESULT


async def test_ledger_rows_of_legacy_kinds_are_renamed_by_the_migration(
    register_url: str,
) -> None:
    await migrate(register_url, "0001")
    engine = create_engine(register_url)
    insert = text(
        "INSERT INTO notifications (notification_key, workflow_id, event_type, recipient, "
        "language, subject, status, attempts, created_at) VALUES (:key, 'wf', :kind, "
        "'a@example.vn', 'vi', 'Thư', 'pending', 1, :at)"
    )
    kinds = [*LEGACY_KINDS, "dossier_received"]
    try:
        async with engine.begin() as connection:
            for number, kind in enumerate(kinds):
                await connection.execute(
                    insert, {"key": f"k{number}", "kind": kind, "at": datetime.now(UTC)}
                )
        await migrate(register_url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT event_type FROM notifications ORDER BY notification_key")
            )
            assert list(rows.scalars()) == [canonical_kind(kind) for kind in kinds]
        async with migration_connection(engine) as connection:
            await connection.run_sync(_downgrade, alembic_config(register_url), "0001")
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT event_type FROM notifications ORDER BY notification_key")
            )
            assert list(rows.scalars()) == kinds
    finally:
        await engine.dispose()


def _downgrade(connection: Connection, config: Any, revision: str) -> None:
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


# ------------------------------------------------------------------------------ labels


@pytest.mark.parametrize("kind", CATALOGUED, ids=lambda kind: kind.__name__)
def test_every_member_has_a_label_in_every_language_and_form(kind: Any) -> None:
    for member in kind:
        for form in Form:
            vi, en = label(member, Language.VI, form), label(member, Language.EN, form)
            assert vi.strip() and en.strip(), (member, form)


def test_labels_read_vietnamese_first() -> None:
    assert label(CaseStage.LOCAL_REVIEW) == "thẩm định hồ sơ"
    assert label(CaseStage.LOCAL_REVIEW, Language.EN) == "dossier review"
    assert label(CaseStage.LOCAL_REVIEW, "en", Form.STATUS) == "in dossier review"
    assert level_label("district") == "cấp huyện"
    assert level_label("province", Language.EN) == "provincial level"
    assert level_label("province", Language.EN, Form.BARE) == "provincial"
    assert level_label("commune", form=Form.LOCALITY) == "xã"
    assert label(Level.CENTRAL, form=Form.AUTHORITY) == "Bộ Nông nghiệp và Môi trường"
    # A level no rulebook has yet is named after itself.
    assert level_label("ward") == "cấp ward"
    assert level_label("ward", Language.EN, Form.COUNCIL) == "ward OCOP council"


def test_the_rulebooks_authorities_are_the_catalogues() -> None:
    for book in RULEBOOKS.values():
        for level in book.levels:
            assert level.authority_vi == level_label(level.name, Language.VI, Form.AUTHORITY)
            assert level.authority_en == level_label(level.name, Language.EN, Form.AUTHORITY)


# ------------------------------------------------------------------------------- dates


def test_one_way_to_write_a_date() -> None:
    assert format_day(date(2024, 3, 4)) == "04/03/2024"
    assert format_day(date(2024, 3, 4), Language.EN) == "4 March 2024"
    assert format_day(date(2024, 12, 30), "en") == "30 December 2024"
    assert format_day(date(2024, 3, 4)) == date(2024, 3, 4).strftime("%d/%m/%Y")
    moment = datetime(2024, 3, 4, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội
    assert format_moment(moment) == "04/03/2024 09:30"
    assert format_moment(moment, Language.EN) == "4 March 2024 09:30"


async def test_a_case_status_recorded_before_as_of_was_named_still_reads() -> None:
    # A finished run's result in a recorded history carries the old field name.
    histories = sorted(Path(__file__).parent.joinpath("histories").glob("*.json"))
    for path in histories:
        history = WorkflowHistory.from_json("case", path.read_text())
        completed = [
            e.workflow_execution_completed_event_attributes
            for e in history.events
            if e.HasField("workflow_execution_completed_event_attributes")
        ]
        if completed and b"business_now" in completed[0].result.payloads[0].data:
            break
    else:
        pytest.fail("no recorded history has a finished case status to read")
    [status] = await DATA_CONVERTER.decode(completed[0].result.payloads, [CaseStatus])
    assert isinstance(status, CaseStatus)
    assert status.as_of.tzinfo is not None

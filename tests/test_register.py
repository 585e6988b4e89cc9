"""The register keeps itself consistent, on SQLite and on PostgreSQL alike.

Each scenario runs twice through the `register_url` / `register` fixtures: once on a
fresh SQLite file, once on a throwaway PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, delete, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from activities.register import RegisterActivities
from infra.database import (
    alembic_config,
    create_engine,
    migrate,
    migration_connection,
    sqlite_file,
)
from models.applicants import ApplicantKind, RegistrationKind
from models.case import CaseStage, Certificate, DecisionKind
from models.case import DecisionRecord as CaseDecision
from models.dossier import Applicant
from models.records import (
    CaseRecord,
    CertificateChange,
    CertificateStatus,
    ProductSnapshot,
    RoundSnapshot,
)
from models.register import (
    ONE_ACTIVE_CERTIFICATE_INDEX,
    ApplicantRow,
    AuditEventRow,
    Base,
    CertificateRow,
    DecisionProductRow,
    DecisionRow,
    EvaluationRoundRow,
    NotificationRow,
    ProductRow,
    ScorecardRow,
)
from models.stars import Stars
from tests.fixtures.database import Register

HANOI = timezone(timedelta(hours=7))
QUANG_NINH = "UBND tỉnh Quảng Ninh"
BINH_LIEU = "UBND huyện Bình Liêu"

REGISTER_TABLES = {
    "applicants",
    "products",
    "evaluation_rounds",
    "scorecards",
    "decisions",
    "decision_products",
    "certificates",
    "notifications",
    "mail_alerts",
    "audit_events",
    "accounts",
    "access_refusals",
    "council_meetings",
    "scorecard_drafts",
}


# --- a small world: one cooperative, its honey, the decisions that recognise it ----------


async def add_honey(session: AsyncSession, code: str = "QNI-BL-0421") -> ProductRow:
    """HTX Hợp Tiến's Mật ong rừng Bình Liêu (Quảng Ninh, 3★), as in the design brief."""
    applicant = ApplicantRow(
        name="HTX Hợp Tiến",
        kind="cooperative",
        email="htxhoptien@example.vn",
        phone="+84 203 3878 000",
        preferred_language="vi",
    )
    session.add(applicant)
    await session.flush()
    product = ProductRow(
        province="QNI",
        locality="Bình Liêu",
        product_code=code,
        name="Mật ong rừng Bình Liêu",
        group_code="food",
        set_code="raw_semi_processed",
        applicant_id=applicant.id,
        current_stars=3,
        workflow_id=f"product/{code}",
    )
    session.add(product)
    await session.flush()
    return product


async def add_decision(
    session: AsyncSession,
    number: str,
    *,
    authority: str = QUANG_NINH,
    kind: str = "recognition",
    decided_on: date = date(2022, 12, 28),
) -> DecisionRow:
    decision = DecisionRow(
        issuing_authority=authority,
        number=number,
        decided_on=decided_on,
        level="province",
        kind=kind,
    )
    session.add(decision)
    await session.flush()
    return decision


def certificate(
    product: ProductRow, decision: DecisionRow, number: str, **overrides: Any
) -> CertificateRow:
    """A 3★ certificate valid 36 months from the decision, unless overridden."""
    fields: dict[str, Any] = {
        "product_id": product.id,
        "decision_id": decision.id,
        "number": number,
        "issuing_authority": decision.issuing_authority,
        "level": decision.level,
        "stars": 3,
        "valid_from": decision.decided_on,
        "valid_until": decision.decided_on.replace(year=decision.decided_on.year + 3),
        "status": "active",
    }
    fields.update(overrides)
    return CertificateRow(**fields)


def audit_event(key: str, product: ProductRow | None = None, **overrides: Any) -> AuditEventRow:
    fields: dict[str, Any] = {
        "event_key": key,
        "workflow_id": "product/QNI-BL-0421",
        "product_id": product.id if product else None,
        "actor": "council-secretary:qni",
        "action": "recognised",
        "reason": "Điểm trung bình 62,5 — đạt 3 sao",
        "details": {"stars": 3, "mean_score": "62.50"},
        "occurred_at": datetime(2022, 12, 28, 15, 0, tzinfo=HANOI),
    }
    fields.update(overrides)
    return AuditEventRow(**fields)


async def assert_refused(
    register: Register, *rows: object, postgresql: str, sqlite: str | None = None
) -> None:
    """Adding `rows` in one transaction fails, and the database names the broken rule.

    PostgreSQL always names the constraint; SQLite names CHECK constraints but reports
    UNIQUE and FOREIGN KEY failures by column, hence the separate expectation.
    """
    async with register() as session:
        session.add_all(rows)
        with pytest.raises(IntegrityError) as refusal:
            await session.commit()
    expected = postgresql if register.dialect == "postgresql" else (sqlite or postgresql)
    assert expected in str(refusal.value.orig), str(refusal.value.orig)


async def count(register: Register, model: type[Base]) -> int:
    async with register() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- migrations --------------------------------------------------------------------------


def _schema(connection: Connection) -> tuple[set[str], dict[str | None, Any]]:
    inspector = inspect(connection)
    indexes = {index["name"]: index for index in inspector.get_indexes("certificates")}
    return set(inspector.get_table_names()), indexes


async def test_migrating_an_empty_database_creates_the_whole_register(register_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(register_url)).get_current_head()

    await migrate(register_url)
    await migrate(register_url)  # a restart migrates again: nothing happens

    path = sqlite_file(register_url)
    assert path is None or path.is_file(), "the SQLite file and its folder are created"
    engine = create_engine(register_url)
    try:
        async with engine.connect() as connection:
            tables, certificate_indexes = await connection.run_sync(_schema)
            versions = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()

    assert tables == REGISTER_TABLES | {"alembic_version"}
    assert versions == [(head,)]
    assert certificate_indexes[ONE_ACTIVE_CERTIFICATE_INDEX]["unique"]
    assert diff == [], "the migration and models.register describe the same schema"


async def _tables_and_versions(url: str) -> tuple[set[str], list[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables, _ = await connection.run_sync(_schema)
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return tables, list(versions.scalars())
    finally:
        await engine.dispose()


MIGRATE_IN_ITS_OWN_PROCESS = (
    "import asyncio, sys; from infra.database import migrate; asyncio.run(migrate(sys.argv[1]))"
)


async def test_two_processes_starting_at_once_migrate_the_register_once(register_url: str) -> None:
    # The worker and a command line starting together on an empty register.
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            MIGRATE_IN_ITS_OWN_PROCESS,
            register_url,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    errors = [(await process.communicate())[1].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], errors

    head = ScriptDirectory.from_config(alembic_config(register_url)).get_current_head()
    tables, versions = await _tables_and_versions(register_url)
    assert tables >= REGISTER_TABLES
    assert versions == [head]


async def test_migrations_started_together_in_one_process_queue_behind_each_other(
    register_url: str,
) -> None:
    async with asyncio.TaskGroup() as group:
        for _ in range(3):
            group.create_task(migrate(register_url))

    head = ScriptDirectory.from_config(alembic_config(register_url)).get_current_head()
    tables, versions = await _tables_and_versions(register_url)
    assert tables >= REGISTER_TABLES
    assert versions == [head]


# --- certificates ------------------------------------------------------------------------


async def test_a_product_has_at_most_one_active_certificate(register: Register) -> None:
    async with register() as session:
        honey = await add_honey(session)
        first = await add_decision(session, "4512/QĐ-UBND")
        session.add(certificate(honey, first, "QN-2022-0107"))
        await session.commit()

    second = DecisionRow(
        issuing_authority=QUANG_NINH,
        number="120/QĐ-UBND",
        decided_on=date(2023, 1, 16),
        level="province",
        kind="recognition",
    )
    async with register() as session:
        session.add(second)
        await session.commit()

    await assert_refused(
        register,
        certificate(honey, second, "QN-2023-0002", stars=4),
        postgresql=ONE_ACTIVE_CERTIFICATE_INDEX,
        sqlite="certificates.product_id",
    )

    # Re-evaluation: the old certificate is superseded and the new one becomes active,
    # in one transaction.
    async with register() as session:
        old = await session.scalar(
            select(CertificateRow).where(CertificateRow.number == "QN-2022-0107")
        )
        assert old is not None
        old.status, old.ended_on, old.end_reason = "superseded", date(2023, 1, 16), "re-evaluated"
        await session.flush()
        session.add(certificate(honey, second, "QN-2023-0002", stars=4))
        await session.commit()

    async with register() as session:
        rows = (
            await session.execute(
                select(CertificateRow.number, CertificateRow.status).order_by(CertificateRow.id)
            )
        ).all()
    assert rows == [("QN-2022-0107", "superseded"), ("QN-2023-0002", "active")]


async def test_a_lapsed_certificate_and_an_active_one_coexist(register: Register) -> None:
    async with register() as session:
        honey = await add_honey(session)
        old = await add_decision(session, "3370/QĐ-UBND", decided_on=date(2019, 10, 1))
        new = await add_decision(session, "4012/QĐ-UBND", decided_on=date(2023, 3, 1))
        session.add_all(
            [
                certificate(
                    honey, old, "QN-2019-0311", status="lapsed", ended_on=date(2022, 10, 1)
                ),
                certificate(
                    honey, old, "QN-2019-0312", status="revoked", ended_on=date(2020, 5, 4)
                ),
                certificate(honey, new, "QN-2023-0415"),
            ]
        )
        await session.commit()

    assert await count(register, CertificateRow) == 3


async def test_certificate_numbers_are_unique_per_issuing_authority(register: Register) -> None:
    async with register() as session:
        honey = await add_honey(session)
        tea = await add_honey(session, code="QNI-BL-0422")
        province = await add_decision(session, "4512/QĐ-UBND")
        district = await add_decision(session, "89/QĐ-UBND", authority=BINH_LIEU)
        # The same number from two authorities is two different certificates.
        session.add_all(
            [certificate(honey, province, "0107/2022"), certificate(tea, district, "0107/2022")]
        )
        await session.commit()

    await assert_refused(
        register,
        certificate(tea, province, "0107/2022", status="lapsed", ended_on=date(2023, 1, 1)),
        postgresql="uq_certificates_issuing_authority_number",
        sqlite="certificates.issuing_authority, certificates.number",
    )


async def test_certificates_outside_the_rules_are_refused(register: Register) -> None:
    async with register() as session:
        honey = await add_honey(session)
        decision = await add_decision(session, "4512/QĐ-UBND")
        await session.commit()

    cases: list[tuple[dict[str, Any], str]] = [
        ({"stars": 2}, "ck_certificates_stars_certifiable"),
        ({"stars": 6}, "ck_certificates_stars_certifiable"),
        ({"stars": 0}, "ck_certificates_stars_certifiable"),
        ({"valid_until": date(2022, 12, 28)}, "ck_certificates_valid_until_after_from"),
        ({"status": "withdrawn", "ended_on": date(2025, 1, 1)}, "ck_certificates_status_known"),
        ({"status": "lapsed"}, "ck_certificates_ended_on_iff_not_active"),
        ({"ended_on": date(2024, 1, 1)}, "ck_certificates_ended_on_iff_not_active"),
    ]
    for overrides, rule in cases:
        await assert_refused(
            register, certificate(honey, decision, "QN-X", **overrides), postgresql=rule
        )
    for stars in (3, 4, 5):
        async with register() as session:
            session.add(
                certificate(
                    honey,
                    decision,
                    f"QN-{stars}",
                    stars=stars,
                    status="lapsed",
                    ended_on=date(2025, 12, 28),
                )
            )
            await session.commit()
    assert await count(register, CertificateRow) == 3


# --- decisions ---------------------------------------------------------------------------


async def test_decision_numbers_are_unique_per_issuing_authority(register: Register) -> None:
    async with register() as session:
        honey = await add_honey(session)
        decision = await add_decision(session, "4512/QĐ-UBND")
        await add_decision(session, "4512/QĐ-UBND", authority=BINH_LIEU)
        session.add(DecisionProductRow(decision_id=decision.id, product_id=honey.id))
        await session.commit()

    await assert_refused(
        register,
        DecisionRow(
            issuing_authority=QUANG_NINH,
            number="4512/QĐ-UBND",
            decided_on=date(2023, 5, 2),
            level="province",
            kind="revocation",
        ),
        postgresql="uq_decisions_issuing_authority_number",
        sqlite="decisions.issuing_authority, decisions.number",
    )
    assert await count(register, DecisionRow) == 2


# --- notifications and audit: written once, however often an activity retries ----------


async def test_a_notification_key_is_recorded_once(register: Register) -> None:
    def email(subject: str) -> NotificationRow:
        return NotificationRow(
            notification_key="product/QNI-BL-0421/round-1/recognised/vi",
            workflow_id="product/QNI-BL-0421",
            event_type="recognised",
            recipient="htxhoptien@example.vn",
            language="vi",
            subject=subject,
        )

    async with register() as session:
        session.add(email("Sản phẩm được công nhận 3 sao OCOP"))
        await session.commit()

    await assert_refused(
        register,
        email("Sản phẩm được công nhận 3 sao OCOP (lần 2)"),
        postgresql="uq_notifications_notification_key",
        sqlite="notifications.notification_key",
    )
    async with register() as session:
        stored = (await session.scalars(select(NotificationRow))).one()
    assert (stored.status, stored.attempts, stored.subject) == (
        "pending",
        0,
        "Sản phẩm được công nhận 3 sao OCOP",
    )


async def test_an_audit_event_key_is_written_once(register: Register) -> None:
    async with register() as session:
        honey = await add_honey(session)
        session.add(audit_event("product/QNI-BL-0421/recognised/1", honey))
        await session.commit()

    # A retried activity repeats its insert inside a savepoint: the duplicate is refused
    # and the rest of its transaction carries on.
    async with register() as session, session.begin():
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                session.add(audit_event("product/QNI-BL-0421/recognised/1", honey))
        session.add(audit_event("product/QNI-BL-0421/notified/1", honey, action="notified"))

    async with register() as session:
        actions = (
            await session.scalars(select(AuditEventRow.action).order_by(AuditEventRow.id))
        ).all()
    assert actions == ["recognised", "notified"]


async def test_audit_times_and_details_read_back_the_same_on_both_databases(
    register: Register,
) -> None:
    occurred = datetime(2022, 12, 28, 15, 0, tzinfo=HANOI)
    details = {"stars": 3, "members": ["chair", "m2", "m3"], "note": "Mật ong rừng"}
    async with register() as session:
        honey = await add_honey(session)
        session.add(audit_event("k1", honey, occurred_at=occurred, details=details))
        await session.commit()

    async with register() as session:
        event = (await session.scalars(select(AuditEventRow))).one()
        created = await session.scalar(select(ApplicantRow.created_at))
    assert event.occurred_at == occurred
    assert event.occurred_at.tzinfo == UTC
    assert event.occurred_at.hour == 8
    assert event.details == details
    assert created is not None and created.tzinfo == UTC
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)

    async with register() as session:
        session.add(audit_event("k2", occurred_at=datetime(2022, 12, 28, 15, 0)))
        with pytest.raises(StatementError, match="timezone-aware"):
            await session.commit()


# --- rounds and scorecards ---------------------------------------------------------------


async def test_a_member_scores_once_per_re_scoring_attempt(register: Register) -> None:
    async with register() as session:
        honey = await add_honey(session)
        evaluation = EvaluationRoundRow(
            product_id=honey.id,
            round_number=1,
            registration_kind="first",
            rulebook_id="qd148-2023",
            cycle_year=2023,
            stage="provincial_scoring",
            level="province",
            started_at=datetime(2023, 4, 3, 8, 0, tzinfo=HANOI),
        )
        session.add(evaluation)
        await session.flush()
        round_id = evaluation.id
        session.add(scorecard(round_id, attempt=1, parts=(30, 15, 20)))
        await session.commit()

    await assert_refused(
        register,
        scorecard(round_id, attempt=1, parts=(31, 15, 20)),
        postgresql="uq_scorecards_round_id_level_member_id_attempt",
        sqlite="scorecards.round_id, scorecards.level, scorecards.member_id, scorecards.attempt",
    )
    await assert_refused(
        register,
        scorecard(round_id, attempt=2, parts=(-1, 15, 20)),
        postgresql="parts_not_negative",
    )
    await assert_refused(
        register,
        scorecard(round_id, attempt=2, parts=(30, 15, 20), total=70),
        postgresql="ck_scorecards_total_is_sum",
    )

    async with register() as session:
        session.add(scorecard(round_id, attempt=2, parts=(32, 16, 20)))
        stored = await session.get(EvaluationRoundRow, round_id)
        assert stored is not None
        stored.mean_score, stored.stars = Decimal("68.50"), 3
        await session.commit()

    async with register() as session:
        totals = (
            await session.scalars(select(ScorecardRow.total).order_by(ScorecardRow.attempt))
        ).all()
        mean = await session.scalar(select(EvaluationRoundRow.mean_score))
    assert totals == [65, 68]
    assert mean == Decimal("68.50")


def scorecard(
    round_id: int, *, attempt: int, parts: tuple[int, int, int], total: int | None = None
) -> ScorecardRow:
    part_a, part_b, part_c = parts
    return ScorecardRow(
        round_id=round_id,
        level="province",
        member_id="council-qni/member-2",
        attempt=attempt,
        part_a=part_a,
        part_b=part_b,
        part_c=part_c,
        total=part_a + part_b + part_c if total is None else total,
        mandatory_criteria_met=True,
        submitted_at=datetime(2023, 4, 3, 10, attempt, tzinfo=HANOI),
    )


# --- foreign keys, SQLite included -------------------------------------------------------


async def test_foreign_keys_are_enforced_on_sqlite_too(register: Register) -> None:
    async with register() as session:
        honey = await add_honey(session)
        await session.commit()

    await assert_refused(
        register,
        ProductRow(
            province="QNI",
            locality="Hạ Long",
            product_code="QNI-HL-0001",
            name="Chả mực Hạ Long",
            group_code="food",
            set_code="processed_food",
            applicant_id=honey.applicant_id + 1000,
            workflow_id="product/QNI-HL-0001",
        ),
        postgresql="fk_products_applicant_id_applicants",
        sqlite="FOREIGN KEY constraint failed",
    )

    async with register() as session:
        with pytest.raises(IntegrityError):
            await session.execute(delete(ApplicantRow).where(ApplicantRow.id == honey.applicant_id))
    assert await count(register, ProductRow) == 1


# --- the register activity -----------------------------------------------------------------


def recognition_record(code: str, certificate_number: str) -> CaseRecord:
    """What a case writes when it is recognised (3★ by the district, certificate issued)."""
    day = date(2024, 10, 15)
    issued = Certificate(
        number=certificate_number,
        stars=Stars.THREE,
        level="district",
        authority=BINH_LIEU,
        decision_number="125/2024/QĐ-UBND",
        valid_from=day,
        valid_until=date(2027, 10, 14),
    )
    return CaseRecord(
        key=f"case-{code}:r1:00012:recognised",
        workflow_id=f"ocop-product-quang-ninh-{code.lower()}",
        case_id=f"case-{code}",
        occurred_at=datetime(2024, 10, 15, 12, 0, tzinfo=HANOI),
        actor=BINH_LIEU,
        action="recognised",
        product=ProductSnapshot(
            workflow_id=f"ocop-product-quang-ninh-{code.lower()}",
            province="quang-ninh",
            locality="binh-lieu",
            product_code=code,
            product_name=f"Sản phẩm {code}",
            group="food",
            product_set="raw_semi_processed",
            applicant=Applicant(
                name="HTX Hợp Tiến", kind=ApplicantKind.COOPERATIVE, email="hoptien@example.vn"
            ),
            current_stars=Stars.THREE,
        ),
        round=RoundSnapshot(
            round_number=1,
            registration_kind=RegistrationKind.FIRST,
            rulebook_id="qd148-2023",
            cycle_year=2024,
            stage=CaseStage.CERTIFIED,
            level="district",
            started_at=datetime(2024, 3, 5, 9, 0, tzinfo=HANOI),
        ),
        decision=CaseDecision(
            kind=DecisionKind.RECOGNITION,
            level="district",
            authority=BINH_LIEU,
            number="125/2024/QĐ-UBND",
            decided_on=day,
            summary="3★ by the district",
        ),
        certificate=CertificateChange(certificate=issued, status=CertificateStatus.ACTIVE),
    )


async def test_a_certificate_number_already_held_by_another_product_is_not_taken_over(
    register: Register,
) -> None:
    activities = RegisterActivities(register.sessions)
    assert await activities.record_case_event(recognition_record("MO-BINHLIEU", "125-001"))
    # A second product recognised with the same number (a typing slip in the decision):
    # the honey's certificate stays the honey's, and the clash is on record.
    assert await activities.record_case_event(recognition_record("MIEN-DONG-BL", "125-001"))

    async with register() as session:
        owners = (
            await session.execute(
                select(ProductRow.product_code, CertificateRow.status).join(
                    CertificateRow, CertificateRow.product_id == ProductRow.id
                )
            )
        ).all()
        clash = await session.scalar(
            select(AuditEventRow.reason).where(
                AuditEventRow.action == "certificate_number_conflict"
            )
        )
        decision_lists = await session.scalar(select(func.count()).select_from(DecisionProductRow))
    assert owners == [("MO-BINHLIEU", "active")]
    assert clash is not None and "already belongs to product MO-BINHLIEU" in clash
    assert decision_lists == 2  # one decision listing both products is normal


async def test_migration_0003_lists_what_the_old_code_called_sent_unconfirmed(
    register_url: str,
) -> None:
    """Rows an attempt left between DATA and its verdict, and rows the old code closed as
    `sent` although the server never answered, become `unconfirmed`; the rest is kept."""
    await migrate(register_url, "0002")
    engine = create_engine(register_url)
    columns = (
        "notification_key, workflow_id, event_type, recipient, subject, status,"
        " smtp_response, attempts, sent_at"
    )
    legacy = [
        ("k:handed", "pending", "handed to the SMTP server; awaiting its answer", True),
        ("k:unconfirmed", "sent", "unconfirmed: handed to the SMTP server at …", True),
        ("k:sent", "sent", "250 Message accepted for delivery", True),
        ("k:pending", "pending", "421 Service not available", False),
        ("k:failed", "failed", "550 Mailbox unavailable", False),
    ]
    try:
        async with engine.begin() as connection:
            for key, status, answer, handed in legacy:
                await connection.execute(
                    text(
                        f"INSERT INTO notifications ({columns}) VALUES (:key, 'wf', 'kind',"
                        " 'a@b.vn', 's', :status, :answer, 1,"
                        f" {'CURRENT_TIMESTAMP' if handed else 'NULL'})"
                    ),
                    {"key": key, "status": status, "answer": answer},
                )
        await migrate(register_url)
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT notification_key, status, unconfirmed_sends FROM notifications")
            )
            found = {key: (status, sends) for key, status, sends in result.all()}
        assert found == {
            "k:handed": ("unconfirmed", 1),
            "k:unconfirmed": ("unconfirmed", 1),
            "k:sent": ("sent", 0),
            "k:pending": ("pending", 0),
            "k:failed": ("failed", 0),
        }
        with pytest.raises(IntegrityError):  # the status is still checked, on SQLite too
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "UPDATE notifications SET status = 'lost' WHERE notification_key = 'k:sent'"
                    )
                )
        with pytest.raises(IntegrityError):  # an unconfirmed row says when it was sent
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "UPDATE notifications SET status = 'unconfirmed'"
                        " WHERE notification_key = 'k:pending'"
                    )
                )
    finally:
        await engine.dispose()


async def test_migration_0003_downgrades_to_what_the_old_code_reads(register_url: str) -> None:
    """Back at 0002, an unconfirmed row is a hand-over without a verdict (`pending` with
    its time), which the old code knows; its status check is the old one again."""
    await migrate(register_url)
    engine = create_engine(register_url)
    config = alembic_config(register_url)

    def downgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")

    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO notifications (notification_key, workflow_id, event_type,"
                    " recipient, subject, status, attempts, sent_at, unconfirmed_sends)"
                    " VALUES ('k', 'wf', 'kind', 'a@b.vn', 's', 'unconfirmed', 1,"
                    " CURRENT_TIMESTAMP, 1)"
                )
            )
        async with migration_connection(engine) as connection:
            await connection.run_sync(downgrade)
        async with engine.connect() as connection:
            [(status, sent_at)] = (
                await connection.execute(text("SELECT status, sent_at FROM notifications"))
            ).all()
            tables, _ = await connection.run_sync(_schema)
        assert status == "pending" and sent_at is not None
        assert "mail_alerts" not in tables
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(text("UPDATE notifications SET status = 'unconfirmed'"))
        await migrate(register_url)  # and up again
    finally:
        await engine.dispose()

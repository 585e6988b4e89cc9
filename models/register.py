"""The register: the durable record of applicants, products, rounds, decisions and certificates.

These are SQLAlchemy 2 declarative tables shared by SQLite (the embedded default) and
PostgreSQL (production). Declaring them does no I/O; the activities open sessions.

Why the constraints live in the database and not only in the code: activities may run
twice, workers may race, operators may edit rows by hand. The database is the last
place where "one active certificate per product" or "a notification is recorded once"
can be made true for every writer at once, so those rules are declared here:

- enumerations are strings with CHECK constraints (portable, readable in plain SQL);
- idempotency keys (`notification_key`, `event_key`) are UNIQUE, so a retried
  activity's second insert fails and the activity can treat that as "already done";
- at most one *active* certificate per product is a partial unique index, declared for
  both SQLite and PostgreSQL.

Timestamps are timezone-aware UTC on both databases (see `UtcDateTime`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from models.applicants import ApplicantKind, RegistrationKind

NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so migrations can refer to (and later drop) them."""

LANGUAGES: Final = ("vi", "en")
DECISION_KINDS: Final = ("recognition", "revocation")
CERTIFICATE_STATUSES: Final = ("active", "lapsed", "revoked", "superseded", "expired")
NOTIFICATION_STATUSES: Final = ("pending", "sent", "failed", "unconfirmed")
ALERT_ROUTES: Final = ("email_administrators", "log_and_register")
APPLICANT_KINDS: Final = tuple(kind.value for kind in ApplicantKind)
REGISTRATION_KINDS: Final = tuple(kind.value for kind in RegistrationKind)

ONE_ACTIVE_CERTIFICATE_INDEX: Final = "uq_certificates_one_active_per_product"
ACTIVE_CERTIFICATE_WHERE: Final = "status = 'active'"

IdType: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit keys on PostgreSQL; INTEGER on SQLite, where only that type auto-increments."""

JsonType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
"""JSON everywhere, stored as JSONB on PostgreSQL so operators can query details."""


def one_of(column: str, values: Iterable[str]) -> str:
    """SQL text `column IN ('a', 'b')` for a CHECK constraint over a string enumeration."""
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"{column} IN ({quoted})"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored as UTC and read back aware on every database.

    SQLite has no timezone type: SQLAlchemy would store the wall-clock digits and drop
    the offset, so the same row would read back differently on the two databases.
    Converting to UTC on the way in and attaching UTC on the way out keeps them equal.
    Naive datetimes are refused because their meaning depends on the writer's clock.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"the register stores timezone-aware datetimes only, got {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the register; its metadata is what Alembic migrates."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


def _created_at() -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), server_default=func.now(), nullable=False)


class ApplicantRow(Base):
    """A producer (chủ thể): who owns products and receives status emails."""

    __tablename__ = "applicants"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    preferred_language: Mapped[str] = mapped_column(String(8), server_default="vi")
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (
        CheckConstraint(one_of("kind", APPLICANT_KINDS), name="kind_known"),
        CheckConstraint(one_of("preferred_language", LANGUAGES), name="language_known"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class ProductRow(Base):
    """A product in the programme; `workflow_id` names its lifecycle workflow."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    province: Mapped[str] = mapped_column(String(64))
    locality: Mapped[str] = mapped_column(String(200))
    product_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    group_code: Mapped[str] = mapped_column(String(64))
    set_code: Mapped[str] = mapped_column(String(64))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    current_stars: Mapped[int | None] = mapped_column(Integer)
    workflow_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (
        UniqueConstraint("province", "product_code"),
        CheckConstraint("current_stars BETWEEN 1 AND 5", name="current_stars_range"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class EvaluationRoundRow(Base):
    """One evaluation of a product (first, upgrade or re-evaluation) under a pinned rulebook."""

    __tablename__ = "evaluation_rounds"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    round_number: Mapped[int] = mapped_column(Integer)
    registration_kind: Mapped[str] = mapped_column(String(32))
    rulebook_id: Mapped[str] = mapped_column(String(64))
    cycle_year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(64))
    mean_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    stars: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("product_id", "round_number"),
        CheckConstraint("round_number >= 1", name="round_number_positive"),
        CheckConstraint(one_of("registration_kind", REGISTRATION_KINDS), name="kind_known"),
        CheckConstraint("cycle_year BETWEEN 2018 AND 2200", name="cycle_year_range"),
        CheckConstraint("mean_score BETWEEN 0 AND 100", name="mean_score_range"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )


class ScorecardRow(Base):
    """One council member's scorecard; `attempt` counts re-scoring sessions after divergence."""

    __tablename__ = "scorecards"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id"))
    level: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    part_a: Mapped[int] = mapped_column(Integer)
    part_b: Mapped[int] = mapped_column(Integer)
    part_c: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    mandatory_criteria_met: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("round_id", "level", "member_id", "attempt"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("part_a >= 0 AND part_b >= 0 AND part_c >= 0", name="parts_not_negative"),
        CheckConstraint("total = part_a + part_b + part_c", name="total_is_sum"),
        CheckConstraint("total <= 100", name="total_at_most_100"),
    )


class DecisionRow(Base):
    """A numbered decision (quyết định) of a People's Committee: recognition or revocation."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    issuing_authority: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(64))
    decided_on: Mapped[date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (
        UniqueConstraint("issuing_authority", "number"),
        CheckConstraint(one_of("kind", DECISION_KINDS), name="kind_known"),
        CheckConstraint("length(number) > 0", name="number_not_empty"),
    )


class DecisionProductRow(Base):
    """Which products a decision lists (a decision recognises or revokes many at once)."""

    __tablename__ = "decision_products"

    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True, index=True)


class CertificateRow(Base):
    """A certificate of 3★–5★, valid for a period; at most one is active per product."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    issuing_authority: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(64))
    stars: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    ended_by_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (
        UniqueConstraint("issuing_authority", "number"),
        CheckConstraint("stars BETWEEN 3 AND 5", name="stars_certifiable"),
        CheckConstraint("valid_until > valid_from", name="valid_until_after_from"),
        CheckConstraint(one_of("status", CERTIFICATE_STATUSES), name="status_known"),
        CheckConstraint(
            "(status = 'active' AND ended_on IS NULL)"
            " OR (status <> 'active' AND ended_on IS NOT NULL)",
            name="ended_on_iff_not_active",
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= valid_from", name="ends_after_start"),
        Index(
            ONE_ACTIVE_CERTIFICATE_INDEX,
            "product_id",
            unique=True,
            sqlite_where=text(ACTIVE_CERTIFICATE_WHERE),
            postgresql_where=text(ACTIVE_CERTIFICATE_WHERE),
        ),
        Index("ix_certificates_status_valid_until", "status", "valid_until"),
    )


class NotificationRow(Base):
    """An email the engine meant to send; `notification_key` makes sending idempotent."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    notification_key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(255), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(8), server_default="vi")
    subject: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    smtp_response: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = _created_at()
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """`sent`: when the server accepted it; `unconfirmed`: when it was last transmitted."""
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    """The reply code of the server's last answer (None: no answer, or none yet)."""
    unconfirmed_sends: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Transmissions (DATA sent) that got no answer: a `sent` row with some was re-sent."""

    __table_args__ = (
        CheckConstraint(one_of("language", LANGUAGES), name="language_known"),
        CheckConstraint(one_of("status", NOTIFICATION_STATUSES), name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        CheckConstraint(
            "status <> 'unconfirmed' OR sent_at IS NOT NULL", name="unconfirmed_has_time"
        ),
        CheckConstraint("unconfirmed_sends >= 0", name="unconfirmed_sends_not_negative"),
    )


class MailAlertRow(Base):
    """A permanent delivery failure the administrators were alerted to, once.

    `alert_key` makes it once: per failed ledger row when the server refused a message
    or its recipient (the administrators are emailed, `emailed_to`), per server, reply
    code and UTC day when the server refuses us (no email can go out: `emailed_to` is
    NULL and the row, with an ERROR log line, is the alert).
    """

    __tablename__ = "mail_alerts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(255), unique=True)
    route: Mapped[str] = mapped_column(String(32))
    notification_key: Mapped[str] = mapped_column(String(255))
    """The ledger row whose failure raised the alert (the first one, for a server's)."""
    workflow_id: Mapped[str] = mapped_column(String(255))
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)
    emailed_to: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (CheckConstraint(one_of("route", ALERT_ROUTES), name="route_known"),)


class AuditEventRow(Base):
    """What happened, who did it and why; `event_key` lets a retried activity write once."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(255))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(
        JsonType, default=dict, server_default=text("'{}'")
    )
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_audit_events_workflow_id_occurred_at", "workflow_id", "occurred_at"),
    )


ROLES: Final = (
    "administrator",
    "producer",
    "reviewer",
    "council_member",
    "council_secretary",
    "authority",
    "operator",
)
"""`models.actors.Role`'s values, spelled out so this module stays a leaf."""


class AccountRow(Base):
    """A person's local account: the embedded identity provider's user (issue 12).

    The password is kept only as an argon2 hash; `scope` is the `models.actors.Scope`
    of the role, as JSON. `subject` is the stable id tokens carry as `sub`.
    """

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    scope: Mapped[dict[str, Any]] = mapped_column(
        JsonType, default=dict, server_default=text("'{}'")
    )
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = _created_at()

    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role_known"),
        CheckConstraint("length(username) > 0", name="username_not_empty"),
    )


class AccessRefusalRow(Base):
    """One refused attempt (an HTTP 403): who tried which action on what, and why.

    Names the subject and role only, never a name or an email.
    """

    __tablename__ = "access_refusals"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    subject: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_access_refusals_subject_at", "subject", "at"),)


class CouncilMeetingRow(Base):
    """A council meeting: its day, place and agenda (case ids), and once held its
    minutes (`models.council_meetings.CouncilMinutes` as JSON)."""

    __tablename__ = "council_meetings"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(String(64), unique=True)
    province: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(64))
    meets_on: Mapped[date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(255))
    called_by: Mapped[str] = mapped_column(String(255))
    agenda: Mapped[list[str]] = mapped_column(JsonType)
    minutes: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    created_at: Mapped[datetime] = _created_at()


class ScorecardDraftRow(Base):
    """A council member's scorecard saved in the portal before it is submitted: one per
    member, case, level and session attempt; the case knows nothing of it until sent."""

    __tablename__ = "scorecard_drafts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    fields: Mapped[dict[str, Any]] = mapped_column(JsonType)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("workflow_id", "level", "attempt", "subject"),)


REGISTER_TABLES: Final = tuple(Base.metadata.sorted_tables)
"""Every table of the register, parents before children."""

"""The register: applicants, products, rounds, scorecards, decisions, certificates, mail, audit.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00

Written by hand to match `models.register` (a test compares the two with Alembic's
autogenerate). Types and enumerations are spelled out here rather than imported, so
this revision keeps creating the same schema whatever the models become later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ACTIVE = "status = 'active'"


def _timestamp(
    name: str, *, nullable: bool = False, default_now: bool = False
) -> sa.Column[datetime]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default_now else None,
    )


def upgrade() -> None:
    op.create_table(
        "applicants",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("preferred_language", sa.String(8), server_default="vi", nullable=False),
        _timestamp("created_at", default_now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicants")),
        sa.CheckConstraint(
            "kind IN ('enterprise', 'cooperative', 'cooperative_group', 'household')",
            name=op.f("ck_applicants_kind_known"),
        ),
        sa.CheckConstraint(
            "preferred_language IN ('vi', 'en')", name=op.f("ck_applicants_language_known")
        ),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_applicants_name_not_empty")),
    )

    op.create_table(
        "decisions",
        sa.Column("id", ID, nullable=False),
        sa.Column("issuing_authority", sa.String(200), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _timestamp("created_at", default_now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint(
            "issuing_authority", "number", name=op.f("uq_decisions_issuing_authority_number")
        ),
        sa.CheckConstraint(
            "kind IN ('recognition', 'revocation')", name=op.f("ck_decisions_kind_known")
        ),
        sa.CheckConstraint("length(number) > 0", name=op.f("ck_decisions_number_not_empty")),
    )

    op.create_table(
        "notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("notification_key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("language", sa.String(8), server_default="vi", nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("smtp_response", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _timestamp("created_at", default_now=True),
        _timestamp("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("notification_key", name=op.f("uq_notifications_notification_key")),
        sa.CheckConstraint(
            "language IN ('vi', 'en')", name=op.f("ck_notifications_language_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_notifications_status_known")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notifications_attempts_not_negative")),
        sa.CheckConstraint(
            "status <> 'sent' OR sent_at IS NOT NULL", name=op.f("ck_notifications_sent_has_time")
        ),
    )
    op.create_index(op.f("ix_notifications_workflow_id"), "notifications", ["workflow_id"])

    op.create_table(
        "products",
        sa.Column("id", ID, nullable=False),
        sa.Column("province", sa.String(64), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("product_code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("group_code", sa.String(64), nullable=False),
        sa.Column("set_code", sa.String(64), nullable=False),
        sa.Column("applicant_id", ID, nullable=False),
        sa.Column("current_stars", sa.Integer(), nullable=True),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        _timestamp("created_at", default_now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["applicants.id"], name=op.f("fk_products_applicant_id_applicants")
        ),
        sa.UniqueConstraint(
            "province", "product_code", name=op.f("uq_products_province_product_code")
        ),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_products_workflow_id")),
        sa.CheckConstraint(
            "current_stars BETWEEN 1 AND 5", name=op.f("ck_products_current_stars_range")
        ),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_products_name_not_empty")),
    )
    op.create_index(op.f("ix_products_applicant_id"), "products", ["applicant_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("product_id", ID, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", JSON, server_default=sa.text("'{}'"), nullable=False),
        _timestamp("occurred_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_audit_events_product_id_products")
        ),
        sa.UniqueConstraint("event_key", name=op.f("uq_audit_events_event_key")),
    )
    op.create_index(op.f("ix_audit_events_product_id"), "audit_events", ["product_id"])
    op.create_index(
        op.f("ix_audit_events_workflow_id_occurred_at"),
        "audit_events",
        ["workflow_id", "occurred_at"],
    )

    op.create_table(
        "certificates",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("decision_id", ID, nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("issuing_authority", sa.String(200), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("ended_by_decision_id", ID, nullable=True),
        _timestamp("created_at", default_now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_certificates_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_certificates_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_decision_id"],
            ["decisions.id"],
            name=op.f("fk_certificates_ended_by_decision_id_decisions"),
        ),
        sa.UniqueConstraint(
            "issuing_authority", "number", name=op.f("uq_certificates_issuing_authority_number")
        ),
        sa.CheckConstraint("stars BETWEEN 3 AND 5", name=op.f("ck_certificates_stars_certifiable")),
        sa.CheckConstraint(
            "valid_until > valid_from", name=op.f("ck_certificates_valid_until_after_from")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'lapsed', 'revoked', 'superseded')",
            name=op.f("ck_certificates_status_known"),
        ),
        sa.CheckConstraint(
            "(status = 'active' AND ended_on IS NULL)"
            " OR (status <> 'active' AND ended_on IS NOT NULL)",
            name=op.f("ck_certificates_ended_on_iff_not_active"),
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= valid_from",
            name=op.f("ck_certificates_ends_after_start"),
        ),
    )
    op.create_index(op.f("ix_certificates_product_id"), "certificates", ["product_id"])
    op.create_index(op.f("ix_certificates_decision_id"), "certificates", ["decision_id"])
    op.create_index(
        op.f("ix_certificates_status_valid_until"), "certificates", ["status", "valid_until"]
    )
    op.create_index(
        op.f("uq_certificates_one_active_per_product"),
        "certificates",
        ["product_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )

    op.create_table(
        "decision_products",
        sa.Column("decision_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("decision_id", "product_id", name=op.f("pk_decision_products")),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_products_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_decision_products_product_id_products")
        ),
    )
    op.create_index(op.f("ix_decision_products_product_id"), "decision_products", ["product_id"])

    op.create_table(
        "evaluation_rounds",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("round_number", sa.Integer(), nullable=False),
        sa.Column("registration_kind", sa.String(32), nullable=False),
        sa.Column("rulebook_id", sa.String(64), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=True),
        sa.Column("mean_score", sa.Numeric(5, 2), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=True),
        _timestamp("started_at"),
        _timestamp("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_rounds")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_evaluation_rounds_product_id_products")
        ),
        sa.UniqueConstraint(
            "product_id", "round_number", name=op.f("uq_evaluation_rounds_product_id_round_number")
        ),
        sa.CheckConstraint(
            "round_number >= 1", name=op.f("ck_evaluation_rounds_round_number_positive")
        ),
        sa.CheckConstraint(
            "registration_kind IN ('first', 'upgrade', 'reevaluation')",
            name=op.f("ck_evaluation_rounds_kind_known"),
        ),
        sa.CheckConstraint(
            "cycle_year BETWEEN 2018 AND 2200", name=op.f("ck_evaluation_rounds_cycle_year_range")
        ),
        sa.CheckConstraint(
            "mean_score BETWEEN 0 AND 100", name=op.f("ck_evaluation_rounds_mean_score_range")
        ),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_evaluation_rounds_stars_range")),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at",
            name=op.f("ck_evaluation_rounds_ends_after_start"),
        ),
    )

    op.create_table(
        "scorecards",
        sa.Column("id", ID, nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("member_id", sa.String(128), nullable=False),
        sa.Column("attempt", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("part_a", sa.Integer(), nullable=False),
        sa.Column("part_b", sa.Integer(), nullable=False),
        sa.Column("part_c", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("mandatory_criteria_met", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        _timestamp("submitted_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecards")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["evaluation_rounds.id"],
            name=op.f("fk_scorecards_round_id_evaluation_rounds"),
        ),
        sa.UniqueConstraint(
            "round_id",
            "level",
            "member_id",
            "attempt",
            name=op.f("uq_scorecards_round_id_level_member_id_attempt"),
        ),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_scorecards_attempt_positive")),
        sa.CheckConstraint(
            "part_a >= 0 AND part_b >= 0 AND part_c >= 0",
            name=op.f("ck_scorecards_parts_not_negative"),
        ),
        sa.CheckConstraint(
            "total = part_a + part_b + part_c", name=op.f("ck_scorecards_total_is_sum")
        ),
        sa.CheckConstraint("total <= 100", name=op.f("ck_scorecards_total_at_most_100")),
    )


def downgrade() -> None:
    op.drop_table("scorecards")
    op.drop_table("evaluation_rounds")
    op.drop_index(op.f("ix_decision_products_product_id"), table_name="decision_products")
    op.drop_table("decision_products")
    op.drop_index(
        op.f("uq_certificates_one_active_per_product"),
        table_name="certificates",
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.drop_index(op.f("ix_certificates_status_valid_until"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_decision_id"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_product_id"), table_name="certificates")
    op.drop_table("certificates")
    op.drop_index(op.f("ix_audit_events_workflow_id_occurred_at"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_product_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_products_applicant_id"), table_name="products")
    op.drop_table("products")
    op.drop_index(op.f("ix_notifications_workflow_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("decisions")
    op.drop_table("applicants")

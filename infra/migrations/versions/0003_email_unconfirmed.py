"""An email whose delivery is unknown is `unconfirmed`, never `sent`; permanent failures alert.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:00:00

The ledger gains the status `unconfirmed` (transmitted, no answer from the server), the
reply code of the last answer (`smtp_code`) and how many transmissions went unanswered
(`unconfirmed_sends`: a `sent` row with some was re-sent). Rows the previous code left
in that state are marked so: a `pending` row with a hand-over time (an attempt ended
between DATA and its verdict), and a `sent` row whose answer reads "unconfirmed: …"
(the previous code closed such rows as sent). `mail_alerts` lists the permanent
failures administrators were alerted to.

SQLite cannot alter a CHECK constraint, so the table is rebuilt (batch mode) from its
definition as revision 0002 left it, spelled out here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OLD_STATUSES = "status IN ('pending', 'sent', 'failed')"
NEW_STATUSES = "status IN ('pending', 'sent', 'failed', 'unconfirmed')"


def _notifications_at_0002() -> sa.Table:
    return sa.Table(
        "notifications",
        sa.MetaData(),
        sa.Column("id", ID, primary_key=True),
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
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("notification_key", name="uq_notifications_notification_key"),
        sa.CheckConstraint("language IN ('vi', 'en')", name="ck_notifications_language_known"),
        sa.CheckConstraint(OLD_STATUSES, name="ck_notifications_status_known"),
        sa.CheckConstraint("attempts >= 0", name="ck_notifications_attempts_not_negative"),
        sa.CheckConstraint(
            "status <> 'sent' OR sent_at IS NOT NULL", name="ck_notifications_sent_has_time"
        ),
        sa.Index("ix_notifications_workflow_id", "workflow_id"),
    )


def upgrade() -> None:
    with op.batch_alter_table("notifications", copy_from=_notifications_at_0002()) as batch:
        batch.add_column(sa.Column("smtp_code", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "unconfirmed_sends", sa.Integer(), server_default=sa.text("0"), nullable=False
            )
        )
        batch.drop_constraint(op.f("ck_notifications_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_notifications_status_known"), NEW_STATUSES)
        batch.create_check_constraint(
            op.f("ck_notifications_unconfirmed_has_time"),
            "status <> 'unconfirmed' OR sent_at IS NOT NULL",
        )
        batch.create_check_constraint(
            op.f("ck_notifications_unconfirmed_sends_not_negative"), "unconfirmed_sends >= 0"
        )
    op.execute(
        "UPDATE notifications SET status = 'unconfirmed', unconfirmed_sends = 1"
        " WHERE sent_at IS NOT NULL AND ("
        "(status = 'pending') OR (status = 'sent' AND smtp_response LIKE 'unconfirmed:%'))"
    )
    op.create_table(
        "mail_alerts",
        sa.Column("id", ID, nullable=False),
        sa.Column("alert_key", sa.String(255), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("notification_key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("smtp_code", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("emailed_to", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_alerts")),
        sa.UniqueConstraint("alert_key", name=op.f("uq_mail_alerts_alert_key")),
        sa.CheckConstraint(
            "route IN ('email_administrators', 'log_and_register')",
            name=op.f("ck_mail_alerts_route_known"),
        ),
    )


def downgrade() -> None:
    op.drop_table("mail_alerts")
    # The previous code reads a pending row with a hand-over time as "delivery unknown".
    op.execute("UPDATE notifications SET status = 'pending' WHERE status = 'unconfirmed'")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_unconfirmed_sends_not_negative"), "check")
        batch.drop_constraint(op.f("ck_notifications_unconfirmed_has_time"), type_="check")
        batch.drop_constraint(op.f("ck_notifications_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_notifications_status_known"), OLD_STATUSES)
        batch.drop_column("unconfirmed_sends")
        batch.drop_column("smtp_code")

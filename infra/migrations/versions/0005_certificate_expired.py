"""A certificate may end `expired`: its 36 months ran out while a re-evaluation was under way.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 00:00:00

Until now a certificate carried into a re-evaluation stayed `active` past its expiry
until the new result. It now ends on its last day like any other (status `expired`,
`ended_on` its `valid_until`), and the register and the public lookup say "expired,
re-evaluation in progress". SQLite cannot alter a CHECK constraint, so the table is
rebuilt (batch mode) from its definition as revision 0001 left it, spelled out here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE = "status = 'active'"
OLD_STATUSES = "status IN ('active', 'lapsed', 'revoked', 'superseded')"
NEW_STATUSES = "status IN ('active', 'lapsed', 'revoked', 'superseded', 'expired')"


def _certificates_at_0001() -> sa.Table:
    return sa.Table(
        "certificates",
        sa.MetaData(),
        sa.Column("id", ID, primary_key=True),
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
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name="fk_certificates_product_id_products"
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name="fk_certificates_decision_id_decisions"
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_decision_id"],
            ["decisions.id"],
            name="fk_certificates_ended_by_decision_id_decisions",
        ),
        sa.UniqueConstraint(
            "issuing_authority", "number", name="uq_certificates_issuing_authority_number"
        ),
        sa.CheckConstraint("stars BETWEEN 3 AND 5", name="ck_certificates_stars_certifiable"),
        sa.CheckConstraint(
            "valid_until > valid_from", name="ck_certificates_valid_until_after_from"
        ),
        sa.CheckConstraint(OLD_STATUSES, name="ck_certificates_status_known"),
        sa.CheckConstraint(
            "(status = 'active' AND ended_on IS NULL)"
            " OR (status <> 'active' AND ended_on IS NOT NULL)",
            name="ck_certificates_ended_on_iff_not_active",
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= valid_from", name="ck_certificates_ends_after_start"
        ),
        sa.Index("ix_certificates_product_id", "product_id"),
        sa.Index("ix_certificates_decision_id", "decision_id"),
        sa.Index("ix_certificates_status_valid_until", "status", "valid_until"),
        sa.Index(
            "uq_certificates_one_active_per_product",
            "product_id",
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        ),
    )


def upgrade() -> None:
    with op.batch_alter_table("certificates", copy_from=_certificates_at_0001()) as batch:
        batch.drop_constraint(op.f("ck_certificates_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_certificates_status_known"), NEW_STATUSES)


def downgrade() -> None:
    # The previous code knew no expiry in a round: such a certificate lapsed.
    op.execute("UPDATE certificates SET status = 'lapsed' WHERE status = 'expired'")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_constraint(op.f("ck_certificates_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_certificates_status_known"), OLD_STATUSES)

"""Local accounts of the embedded identity provider, and the audit of refused access.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:00:00

`accounts` holds the people who sign in to the API without an outside OpenID Connect
provider: a stable subject, a unique username, an argon2 hash of the password (never
the password), the role and its scope as JSON. `access_refusals` keeps one line per
403 the API answers: when, who (subject and role only), which action on what, and why.
Spelled out by hand like the earlier revisions, to match `models.register`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ROLES = (
    "role IN ('administrator', 'producer', 'reviewer', 'council_member', "
    "'council_secretary', 'authority', 'operator')"
)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", ID, nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("scope", JSON, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("subject", name=op.f("uq_accounts_subject")),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_username")),
        sa.CheckConstraint(ROLES, name=op.f("ck_accounts_role_known")),
        sa.CheckConstraint("length(username) > 0", name=op.f("ck_accounts_username_not_empty")),
    )
    op.create_table(
        "access_refusals",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_refusals")),
    )
    op.create_index(op.f("ix_access_refusals_subject_at"), "access_refusals", ["subject", "at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_access_refusals_subject_at"), table_name="access_refusals")
    op.drop_table("access_refusals")
    op.drop_table("accounts")

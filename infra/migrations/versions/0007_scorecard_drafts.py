"""Scorecard drafts: what a council member saved in the portal before submitting it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:00:00

`scorecard_drafts` keeps one draft per case, level, session attempt and member (their
subject): the form's fields as JSON and when they were saved. A draft is the member's
own working copy; the scorecard counts only once submitted to the case.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "scorecard_drafts",
        sa.Column("id", ID, nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_drafts")),
        sa.UniqueConstraint(
            "workflow_id",
            "level",
            "attempt",
            "subject",
            name=op.f("uq_scorecard_drafts_workflow_id_level_attempt_subject"),
        ),
    )


def downgrade() -> None:
    op.drop_table("scorecard_drafts")

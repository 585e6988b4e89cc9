"""Council meetings: a council meets on a day, at a place, with an agenda of products.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 00:00:00

`council_meetings` keeps each meeting the council's secretary called (its id, province,
level, day, place, who called it, the agenda as the cases' workflow ids) and, once
held, its minutes as JSON: who attended, the quorum, each product's result and
re-scores. Spelled out by hand like the earlier revisions, to match `models.register`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "council_meetings",
        sa.Column("id", ID, nullable=False),
        sa.Column("meeting_id", sa.String(64), nullable=False),
        sa.Column("province", sa.String(64), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("meets_on", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(255), nullable=False),
        sa.Column("called_by", sa.String(255), nullable=False),
        sa.Column("agenda", JSON, nullable=False),
        sa.Column("minutes", JSON, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_meetings")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_council_meetings_meeting_id")),
    )


def downgrade() -> None:
    op.drop_table("council_meetings")

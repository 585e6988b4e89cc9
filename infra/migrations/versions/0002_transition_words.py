"""Ledger rows name their email by the transition's word: `council_result`, not `scoring_result`.

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-01 00:00:00

The notification ledger's `event_type` is the email's kind. Six kinds used words of
their own; they now use the word of the transition that sends them, as the register's
audit does (`models.transitions`). Only data changes, no schema. The words are spelled
out here, so this revision keeps doing the same whatever the models become later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED: tuple[tuple[str, str], ...] = (
    ("dossier_rejected", "review_rejected"),
    ("dossier_returned", "supplement_missed"),
    ("step_overdue", "overdue"),
    ("scoring_result", "council_result"),
    ("lapsed", "certificate_lapsed"),
    ("revoked", "certificate_revoked"),
)

_NOTIFICATIONS = sa.table("notifications", sa.column("event_type", sa.String(64)))


def _rename(pairs: Sequence[tuple[str, str]]) -> None:
    for old, new in pairs:
        op.execute(
            _NOTIFICATIONS.update().where(_NOTIFICATIONS.c.event_type == old).values(event_type=new)
        )


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename([(new, old) for old, new in RENAMED])

"""What the register says about emails that did not (or may not) arrive.

Read by the notification activity (the cycle report's counts) and by ``ocop dev mail``
(the list operators act on): the ledger's ``unconfirmed`` rows (transmitted, the
server never answered: the reader may or may not have it), its ``failed`` rows (the
server refused them for good) and the alerts raised about them (`mail_alerts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.cycle import CycleReport
from models.register import MailAlertRow, NotificationRow, ProductRow

UNDELIVERED_STATUSES: Final = ("unconfirmed", "failed")


@dataclass(frozen=True)
class UndeliveredEmail:
    key: str
    status: str
    recipient: str
    subject: str
    smtp_code: int | None
    answer: str | None
    attempts: int
    unconfirmed_sends: int
    last_sent_at: datetime | None


@dataclass(frozen=True)
class MailAlert:
    key: str
    route: str
    notification_key: str
    smtp_code: int | None
    detail: str
    emailed_to: str | None
    raised_at: datetime


@dataclass(frozen=True)
class UndeliveredMail:
    emails: tuple[UndeliveredEmail, ...]
    alerts: tuple[MailAlert, ...]
    resent: int
    """Emails sent in the end after some unanswered transmissions (possible duplicates)."""

    def count(self, status: str) -> int:
        return sum(1 for email in self.emails if email.status == status)


async def undelivered_mail(sessions: async_sessionmaker[AsyncSession]) -> UndeliveredMail:
    """Every unconfirmed and failed email, oldest first, and every alert."""
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(NotificationRow)
                .where(NotificationRow.status.in_(UNDELIVERED_STATUSES))
                .order_by(NotificationRow.created_at, NotificationRow.id)
            )
        ).all()
        alerts = (await session.scalars(select(MailAlertRow).order_by(MailAlertRow.id))).all()
        resent = await session.scalar(
            select(func.count()).where(
                NotificationRow.status == "sent", NotificationRow.unconfirmed_sends > 0
            )
        )
    return UndeliveredMail(
        emails=tuple(
            UndeliveredEmail(
                key=row.notification_key,
                status=row.status,
                recipient=row.recipient,
                subject=row.subject,
                smtp_code=row.smtp_code,
                answer=row.smtp_response,
                attempts=row.attempts,
                unconfirmed_sends=row.unconfirmed_sends,
                last_sent_at=row.sent_at,
            )
            for row in rows
        ),
        alerts=tuple(
            MailAlert(
                key=alert.alert_key,
                route=alert.route,
                notification_key=alert.notification_key,
                smtp_code=alert.smtp_code,
                detail=alert.detail,
                emailed_to=alert.emailed_to,
                raised_at=alert.created_at,
            )
            for alert in alerts
        ),
        resent=int(resent or 0),
    )


async def undelivered_counts(
    sessions: async_sessionmaker[AsyncSession], *, province: str, cycle_id: str
) -> dict[str, int]:
    """Unconfirmed and failed emails of the province's cases and of its cycle, by status."""
    of_province = select(ProductRow.workflow_id).where(ProductRow.province == province)
    statement = (
        select(NotificationRow.status, func.count())
        .where(
            NotificationRow.status.in_(UNDELIVERED_STATUSES),
            or_(
                NotificationRow.workflow_id == cycle_id,
                NotificationRow.workflow_id.in_(of_province),
            ),
        )
        .group_by(NotificationRow.status)
    )
    async with sessions() as session:
        rows = (await session.execute(statement)).all()
    counts = dict.fromkeys(UNDELIVERED_STATUSES, 0)
    counts.update({str(status): int(count) for status, count in rows})
    return counts


async def with_mail_figures(
    report: CycleReport, sessions: async_sessionmaker[AsyncSession]
) -> CycleReport:
    """`report` with the province's unconfirmed and failed emails counted (the workflow
    builds its report without the register, so it leaves them None)."""
    counts = await undelivered_counts(sessions, province=report.province, cycle_id=report.cycle)
    return report.model_copy(
        update={"emails_unconfirmed": counts["unconfirmed"], "emails_failed": counts["failed"]}
    )

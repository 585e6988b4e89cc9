"""The notification ledger and the alert list: what the email activity records, step by step.

One row per notification key and recipient (`notifications`), and one per permanent
failure administrators were alerted to (`mail_alerts`). Each step is its own short
transaction, and every write after the claim is conditioned on the attempt number it
claimed, so a stale attempt (one Temporal already gave up on) cannot overwrite a newer
one. The statuses:

- ``pending``: not transmitted yet (or the server answered a transmission with 4xx);
- ``unconfirmed``: transmitted (DATA sent) and no answer recorded: the connection
  broke, or the attempt ended, before the server's verdict. Never counted as sent;
  re-sent with the same Message-ID while `models.mail_delivery` allows, then left for
  an operator (``ocop dev mail`` lists it, the cycle report counts it);
- ``sent``: the server answered 250 (``unconfirmed_sends`` > 0: earlier copies went
  unanswered, so the reader may hold a duplicate with the same Message-ID);
- ``failed``: the server refused it for good (any 5xx), with ``smtp_code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Update, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.dossier import Language
from models.events import Recipient
from models.mail_delivery import AlertRoute, excerpt, unconfirmed_resend_allowed
from models.register import MailAlertRow, NotificationRow

SUBJECT_MAX: Final = 500
"""Length of the ledger's subject column."""


class LedgerStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


def ledger_key(notification_key: str, email: str) -> str:
    """The ledger row of one recipient of one notification."""
    return f"{notification_key}:{email}"


@dataclass(frozen=True)
class LedgerEntry:
    """A snapshot of a ledger row, detached from its session."""

    key: str
    status: LedgerStatus
    attempts: int
    message_id: str | None
    smtp_response: str | None
    sent_at: datetime | None
    unconfirmed_sends: int = 0
    smtp_code: int | None = None

    @property
    def settled(self) -> bool:
        """Nothing more will be tried: sent, failed, or unconfirmed past its re-sends."""
        if self.status == LedgerStatus.UNCONFIRMED:
            return not unconfirmed_resend_allowed(self.unconfirmed_sends)
        return self.status != LedgerStatus.PENDING


@dataclass(frozen=True)
class Alert:
    """A permanent failure to alert on, as `mail_alerts` records it."""

    key: str
    route: AlertRoute
    notification_key: str
    workflow_id: str
    smtp_code: int | None
    detail: str


class HandOverRefusedError(Exception):
    """Another attempt took over this ledger row; this one must not transmit."""


class NotificationLedger:
    """The steps of the ledger protocol (see the module docstring)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def find(self, key: str) -> LedgerEntry | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(NotificationRow).where(NotificationRow.notification_key == key)
            )
            return _entry(row) if row is not None else None

    async def claim(
        self,
        key: str,
        *,
        workflow_id: str,
        event_type: str,
        recipient: Recipient,
        subject: str,
        message_id: str,
    ) -> tuple[LedgerEntry, bool]:
        """Own the row for a new attempt: (entry, True), or (current entry, False)."""
        current = await self.find(key)
        if current is None:
            try:
                async with self._sessions.begin() as session:
                    session.add(
                        NotificationRow(
                            notification_key=key,
                            workflow_id=workflow_id,
                            event_type=event_type,
                            recipient=str(recipient.email),
                            language=Language(recipient.language).value,
                            subject=subject[:SUBJECT_MAX],
                            message_id=message_id,
                            status=LedgerStatus.PENDING.value,
                            attempts=1,
                        )
                    )
            except IntegrityError:
                pass  # a concurrent attempt inserted it first: decide on what it wrote
            else:
                return LedgerEntry(key, LedgerStatus.PENDING, 1, message_id, None, None), True
            current = await self.find(key)
            assert current is not None
            return current, False
        if current.settled:
            return current, False
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.notification_key == key,
                    NotificationRow.status == current.status.value,
                    NotificationRow.attempts == current.attempts,
                )
                .values(attempts=current.attempts + 1, message_id=message_id)
                .execution_options(synchronize_session=False)
            )
        latest = await self.find(key)
        assert latest is not None
        return latest, _rowcount(result) == 1

    async def hand_over(self, key: str, attempt: int) -> None:
        """Just before DATA: the row is `unconfirmed` until the server's answer is recorded.

        So an attempt that ends before its verdict (a worker killed, the register
        unreachable) leaves a row that says "delivery unknown", never "sent".
        """
        now = _now()
        updated = await self._update(
            key,
            attempt,
            unsettled_only=True,
            status=LedgerStatus.UNCONFIRMED.value,
            sent_at=now,
            unconfirmed_sends=NotificationRow.unconfirmed_sends + 1,
            smtp_code=None,
            smtp_response=f"transmitted at {now.isoformat()}; awaiting the server's answer",
        )
        if not updated:
            raise HandOverRefusedError(key)

    async def mark_sent(self, key: str, attempt: int, answer: str, claimed: LedgerEntry) -> None:
        """The server accepted the message (the transmission just made was answered)."""
        earlier = claimed.unconfirmed_sends
        note = (
            f"{answer}; re-sent with the same Message-ID after {earlier} unanswered "
            "transmission(s): the reader may hold a duplicate"
            if earlier
            else answer
        )
        await self._update(
            key,
            attempt,
            status=LedgerStatus.SENT.value,
            sent_at=_now(),
            smtp_code=_code(answer),
            unconfirmed_sends=earlier,
            smtp_response=excerpt(note, 1000),
        )

    async def mark_failed(
        self,
        key: str,
        attempt: int,
        answer: str,
        code: int | None,
        claimed: LedgerEntry,
        alert: Alert | None = None,
    ) -> None:
        """Refused for good; with `alert`, its alert row in the same transaction."""
        async with self._sessions.begin() as session:
            await session.execute(
                _conditioned(key, attempt)
                .values(
                    status=LedgerStatus.FAILED.value,
                    sent_at=None,
                    smtp_code=code,
                    unconfirmed_sends=claimed.unconfirmed_sends,
                    smtp_response=excerpt(answer),
                )
                .execution_options(synchronize_session=False)
            )
            if alert is not None:
                session.add(_alert_row(alert))

    async def record_temporary(
        self, key: str, attempt: int, answer: str, code: int | None, claimed: LedgerEntry
    ) -> None:
        """The server answered "later" (or never took the call): nothing was delivered by
        this attempt; the row keeps what earlier transmissions left."""
        await self._update(
            key,
            attempt,
            unsettled_only=True,
            status=claimed.status.value,
            sent_at=claimed.sent_at,
            unconfirmed_sends=claimed.unconfirmed_sends,
            smtp_code=code,
            smtp_response=excerpt(answer),
        )

    async def record_unanswered(self, key: str, attempt: int, why: str) -> None:
        """The transmission got no answer: the row stays `unconfirmed`, saying why."""
        await self._update(
            key,
            attempt,
            smtp_code=None,
            smtp_response=excerpt(f"unconfirmed: transmitted, no answer from the server ({why})"),
        )

    async def _update(
        self, key: str, attempt: int, *, unsettled_only: bool = False, **values: object
    ) -> bool:
        statement = _conditioned(key, attempt)
        if unsettled_only:
            statement = statement.where(
                NotificationRow.status.in_(
                    (LedgerStatus.PENDING.value, LedgerStatus.UNCONFIRMED.value)
                )
            )
        async with self._sessions.begin() as session:
            result = await session.execute(
                statement.values(**values).execution_options(synchronize_session=False)
            )
        return _rowcount(result) == 1


class AlertBook:
    """The `mail_alerts` list: each alert recorded once, by its key."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record_once(self, alert: Alert) -> bool:
        """Record `alert`; False when an alert with its key was recorded before."""
        try:
            async with self._sessions.begin() as session:
                session.add(_alert_row(alert))
        except IntegrityError:
            return False
        return True

    async def awaiting_email(self, key: str) -> bool:
        """An alert to email whose email has not gone out yet."""
        async with self._sessions() as session:
            row = await session.scalar(select(MailAlertRow).where(MailAlertRow.alert_key == key))
        return (
            row is not None
            and row.route == AlertRoute.EMAIL_ADMINISTRATORS.value
            and row.emailed_to is None
        )

    async def emailed(self, key: str, addresses: list[str]) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(MailAlertRow)
                .where(MailAlertRow.alert_key == key)
                .values(emailed_to=", ".join(addresses))
                .execution_options(synchronize_session=False)
            )


def _conditioned(key: str, attempt: int) -> Update:
    return update(NotificationRow).where(
        NotificationRow.notification_key == key, NotificationRow.attempts == attempt
    )


def _alert_row(alert: Alert) -> MailAlertRow:
    return MailAlertRow(
        alert_key=alert.key[:255],
        route=alert.route.value,
        notification_key=alert.notification_key[:255],
        workflow_id=alert.workflow_id[:255],
        smtp_code=alert.smtp_code,
        detail=excerpt(alert.detail, 1000),
    )


def _code(answer: str) -> int | None:
    head = answer[:3]
    return int(head) if head.isdigit() else None


def _entry(row: NotificationRow) -> LedgerEntry:
    return LedgerEntry(
        key=row.notification_key,
        status=LedgerStatus(row.status),
        attempts=row.attempts,
        message_id=row.message_id,
        smtp_response=row.smtp_response,
        sent_at=row.sent_at,
        unconfirmed_sends=row.unconfirmed_sends,
        smtp_code=row.smtp_code,
    )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _now() -> datetime:
    return datetime.now(UTC)

"""The notification activity: one event, each recipient emailed exactly once.

**Exactly-once effect.** Temporal runs an activity at least once: a retry after a
timeout or a worker crash runs it again, and the previous attempt may have got
anywhere. The ledger (`notifications` table, one row per notification key and
recipient) is what makes the *effect* happen once. Per recipient:

1. ``sent`` or ``failed`` in the ledger: done before, send nothing.
2. Otherwise claim the row: insert it as ``pending`` or, for a retry, bump ``attempts``
   (an optimistic update on the attempt count, so two overlapping attempts cannot
   both own it).
3. Talk SMTP up to an accepted RCPT, then **record the hand-over** (``sent_at`` set on a
   still ``pending`` row) and only then transmit DATA.
4. Record the verdict: ``sent`` with the server's answer; a temporary failure (4xx, no
   connection) keeps the row ``pending`` with the answer, clears the hand-over and
   makes the activity raise so Temporal retries with backoff; a permanent failure (5xx,
   unusable address) becomes ``failed`` with the answer, and the activity returns
   normally: the case goes on, and operators see the row.

**The crash window and its trade-off.** If the worker dies, or the register is
unreachable, after step 3 and before step 4, the ledger shows ``pending`` with a
hand-over time but no verdict. The message may well have been delivered (the usual
case: the server accepted it and only the recording failed), so the next attempt does
**not** transmit it again: it records the row as ``sent``, marked unconfirmed, with the
hand-over time. The same holds when the connection breaks after DATA was transmitted
but before the server's answer arrived (RFC 1047's duplicate problem). The price is
that a message lost in exactly that window is not re-sent automatically; the ledger
says so in words and operators can resend by hand. Attempts that failed *before* the
hand-over (refused connection, 4xx at MAIL/RCPT/DATA) are re-sent, because the server
said no or never heard the message. Every copy carries the same deterministic
Message-ID, so even a copy sent by hand is recognisable as the same message.

The ledger's ``event_type`` is the event's kind, the word of the transition that sent it
(`models.transitions`); rows written under a legacy kind were renamed by migration 0002.

Recipients are served independently: a recipient whose send fails permanently is
recorded and skipped; one whose send fails temporarily makes the activity raise only
after the others have been served, and the retry skips those already settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mailer import (
    DeliveryError,
    build_message,
    deliver,
    mailbox,
    message_id_for,
    sender_mailbox,
)
from activities.rendering import render
from contracts import case
from infra.settings import Settings
from models.dossier import Language
from models.events import Notification, Recipient
from models.register import NotificationRow

TEMPORARY_FAILURE_TYPE: Final = "TemporaryDeliveryFailure"
"""ApplicationError type raised when some recipient should be retried."""

SUBJECT_MAX: Final = 500
"""Length of the ledger's subject column."""


class LedgerStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def ledger_key(notification_key: str, email: str) -> str:
    """The ledger row of one recipient of one notification."""
    return f"{notification_key}:{email}"


class DeliveryResult(BaseModel):
    """What became of one recipient's email, as the ledger records it after this call."""

    recipient: str
    ledger_key: str
    status: LedgerStatus
    message_id: str | None
    attempts: int
    smtp_response: str | None
    sent_now: bool
    """True when this call transmitted the message; False when it was settled before."""


@dataclass(frozen=True)
class LedgerEntry:
    """A snapshot of a ledger row, detached from its session."""

    key: str
    status: LedgerStatus
    attempts: int
    message_id: str | None
    smtp_response: str | None
    sent_at: datetime | None

    @property
    def settled(self) -> bool:
        return self.status != LedgerStatus.PENDING

    @property
    def handed_over(self) -> bool:
        """A previous attempt transmitted (or was about to transmit) and left no verdict."""
        return self.status == LedgerStatus.PENDING and self.sent_at is not None


class HandOverRefusedError(Exception):
    """Another attempt took over this ledger row; this one must not transmit."""


class NotificationLedger:
    """The steps of the ledger protocol, each its own short transaction.

    Every write after the claim is conditioned on the attempt number it claimed, so a
    stale attempt (one Temporal already gave up on) cannot overwrite a newer one.
    """

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
                return (
                    LedgerEntry(key, LedgerStatus.PENDING, 1, message_id, None, None),
                    True,
                )
            current = await self.find(key)
            assert current is not None
            return current, False
        if current.settled or current.handed_over:
            return current, False
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.notification_key == key,
                    NotificationRow.status == LedgerStatus.PENDING.value,
                    NotificationRow.sent_at.is_(None),
                    NotificationRow.attempts == current.attempts,
                )
                .values(attempts=current.attempts + 1, message_id=message_id)
                .execution_options(synchronize_session=False)
            )
        if _rowcount(result) == 1:
            return (
                LedgerEntry(
                    key,
                    LedgerStatus.PENDING,
                    current.attempts + 1,
                    message_id,
                    current.smtp_response,
                    None,
                ),
                True,
            )
        latest = await self.find(key)
        assert latest is not None
        return latest, False

    async def hand_over(self, key: str, attempt: int) -> None:
        """Record that the message is about to be transmitted; refuse if superseded."""
        now = _now()
        updated = await self._update(
            key,
            attempt,
            pending_only=True,
            sent_at=now,
            smtp_response=f"handed to the SMTP server at {now.isoformat()}; awaiting its answer",
        )
        if not updated:
            raise HandOverRefusedError(key)

    async def mark_sent(self, key: str, attempt: int, answer: str) -> None:
        """The server accepted the message."""
        await self._update(
            key, attempt, status=LedgerStatus.SENT.value, sent_at=_now(), smtp_response=answer
        )

    async def mark_failed(self, key: str, attempt: int, answer: str) -> None:
        """The server (or we) refused the message for good; it will not be sent."""
        await self._update(
            key, attempt, status=LedgerStatus.FAILED.value, sent_at=None, smtp_response=answer
        )

    async def record_temporary(self, key: str, attempt: int, answer: str) -> None:
        """A retryable refusal: the row stays pending, not handed over, with the answer."""
        await self._update(key, attempt, pending_only=True, sent_at=None, smtp_response=answer)

    async def settle_handed_over(self, entry: LedgerEntry, why: str) -> LedgerEntry:
        """Close a row whose message may have been delivered: `sent`, unconfirmed."""
        stamp = entry.sent_at.isoformat() if entry.sent_at else "an unknown time"
        note = (
            f"unconfirmed: handed to the SMTP server at {stamp}; {why}; "
            "not sent again, to avoid a duplicate"
        )
        async with self._sessions.begin() as session:
            await session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.notification_key == entry.key,
                    NotificationRow.status == LedgerStatus.PENDING.value,
                    NotificationRow.sent_at.is_not(None),
                )
                .values(status=LedgerStatus.SENT.value, smtp_response=note)
                .execution_options(synchronize_session=False)
            )
        latest = await self.find(entry.key)
        assert latest is not None
        return latest

    async def _update(
        self, key: str, attempt: int, *, pending_only: bool = False, **values: object
    ) -> bool:
        conditions = [
            NotificationRow.notification_key == key,
            NotificationRow.attempts == attempt,
        ]
        if pending_only:
            conditions.append(NotificationRow.status == LedgerStatus.PENDING.value)
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(NotificationRow)
                .where(*conditions)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return _rowcount(result) == 1


class NotificationActivities:
    """Holds the register and SMTP settings the notification activity needs."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._ledger = NotificationLedger(sessions)
        self._settings = settings

    @activity.defn(name=case.SEND_NOTIFICATION.name)
    async def send_notification(self, notification: Notification) -> list[DeliveryResult]:
        """Email every recipient of `notification` once; raise if some must be retried."""
        results: list[DeliveryResult] = []
        retry: list[tuple[str, BaseException]] = []
        for recipient in notification.recipients:
            try:
                results.append(await self._serve(notification, recipient))
            except DeliveryError as error:
                retry.append((str(recipient.email), error))
            except Exception as error:
                activity.logger.exception(
                    "Notification %s to %s failed; it will be retried",
                    notification.key,
                    recipient.email,
                )
                retry.append((str(recipient.email), error))
            activity.heartbeat(str(recipient.email))
        if retry:
            raise _retry_error(notification, retry)
        return results

    async def _serve(self, notification: Notification, recipient: Recipient) -> DeliveryResult:
        key = ledger_key(notification.key, str(recipient.email))
        entry = await self._ledger.find(key)
        if entry is not None and (entry.settled or entry.handed_over):
            return await self._already_done(entry, recipient)
        sender = sender_mailbox(self._settings)  # a bad setting is retried, not "failed"
        rendered = render(notification.event, recipient)
        message_id = message_id_for(key)
        entry, claimed = await self._ledger.claim(
            key,
            workflow_id=notification.workflow_id,
            event_type=str(notification.event.kind),
            recipient=recipient,
            subject=rendered.subject,
            message_id=message_id,
        )
        if not claimed:
            return await self._already_done(entry, recipient)
        attempt = entry.attempts
        try:
            to = mailbox(recipient.name, str(recipient.email))
            message = build_message(
                rendered,
                sender=sender,
                recipient=to,
                message_id=message_id,
                reference=notification.event.case.reference,
                event_kind=str(notification.event.kind),
                language=Language(recipient.language).value,
            )
        except ValueError as error:  # InvalidAddressError, or a header the library refuses
            return await self._refused(key, attempt, recipient, message_id, f"{error}")
        try:
            answer = await deliver(
                message,
                self._settings,
                sender=sender,
                recipient=to,
                before_data=lambda: self._ledger.hand_over(key, attempt),
            )
        except HandOverRefusedError:
            latest = await self._ledger.find(key)
            assert latest is not None
            activity.logger.warning("Notification %s was taken over by another attempt", key)
            return _result(latest, recipient, sent_now=False)
        except DeliveryError as error:
            if error.handed_over:
                latest = await self._ledger.find(key)
                assert latest is not None
                activity.logger.warning(
                    "Notification %s: outcome unknown after transmission (%s)", key, error
                )
                settled = await self._ledger.settle_handed_over(
                    latest, f"the connection failed before the server answered ({error.answer})"
                )
                return _result(settled, recipient, sent_now=True)
            if error.permanent:
                return await self._refused(key, attempt, recipient, message_id, error.answer)
            await self._ledger.record_temporary(key, attempt, error.answer)
            activity.logger.warning(
                "Notification %s to %s: temporary failure, will retry: %s",
                notification.key,
                recipient.email,
                error.answer,
            )
            raise
        await self._ledger.mark_sent(key, attempt, answer)
        activity.logger.info(
            "Notification %s sent to %s (%s)", notification.key, recipient.email, message_id
        )
        return DeliveryResult(
            recipient=str(recipient.email),
            ledger_key=key,
            status=LedgerStatus.SENT,
            message_id=message_id,
            attempts=attempt,
            smtp_response=answer,
            sent_now=True,
        )

    async def _already_done(self, entry: LedgerEntry, recipient: Recipient) -> DeliveryResult:
        if entry.handed_over:
            activity.logger.warning(
                "Notification %s was handed over without a recorded outcome; not sending again",
                entry.key,
            )
            entry = await self._ledger.settle_handed_over(
                entry, "the attempt ended before its outcome was recorded"
            )
        return _result(entry, recipient, sent_now=False)

    async def _refused(
        self, key: str, attempt: int, recipient: Recipient, message_id: str, answer: str
    ) -> DeliveryResult:
        await self._ledger.mark_failed(key, attempt, answer)
        activity.logger.warning(
            "Notification %s to %s failed permanently: %s", key, recipient.email, answer
        )
        return DeliveryResult(
            recipient=str(recipient.email),
            ledger_key=key,
            status=LedgerStatus.FAILED,
            message_id=message_id,
            attempts=attempt,
            smtp_response=answer,
            sent_now=False,
        )


def _retry_error(
    notification: Notification, failures: Sequence[tuple[str, BaseException]]
) -> ApplicationError:
    described = "; ".join(
        f"{email}: {error.answer if isinstance(error, DeliveryError) else repr(error)}"
        for email, error in failures
    )
    error = ApplicationError(
        f"notification {notification.key}: {len(failures)} recipient(s) to retry — {described}",
        type=TEMPORARY_FAILURE_TYPE,
    )
    error.__cause__ = failures[0][1]
    return error


def _result(entry: LedgerEntry, recipient: Recipient, *, sent_now: bool) -> DeliveryResult:
    return DeliveryResult(
        recipient=str(recipient.email),
        ledger_key=entry.key,
        status=entry.status,
        message_id=entry.message_id,
        attempts=entry.attempts,
        smtp_response=entry.smtp_response,
        sent_now=sent_now,
    )


def _entry(row: NotificationRow) -> LedgerEntry:
    return LedgerEntry(
        key=row.notification_key,
        status=LedgerStatus(row.status),
        attempts=row.attempts,
        message_id=row.message_id,
        smtp_response=row.smtp_response,
        sent_at=row.sent_at,
    )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _now() -> datetime:
    return datetime.now(UTC)

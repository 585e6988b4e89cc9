"""The notification activity: one event, each recipient emailed, and nothing lost silently.

**The effect, per recipient.** Temporal runs an activity at least once: a retry after a
timeout or a worker crash runs it again, and the previous attempt may have got
anywhere. The ledger (`activities.ledger`, one row per notification key and recipient)
says where:

1. ``sent`` or ``failed``, or ``unconfirmed`` past its re-sends: settled, send nothing.
2. Otherwise claim the row: insert it as ``pending`` or, for a retry, bump ``attempts``
   (an optimistic update on the attempt count, so two overlapping attempts cannot
   both own it).
3. Talk SMTP up to an accepted RCPT, then **mark the row unconfirmed** (the hand-over
   time set) and only then transmit DATA.
4. Record the verdict: ``sent`` with the server's answer; a temporary failure (4xx, no
   connection) keeps the row as it was with the answer and makes the activity raise,
   so Temporal retries with backoff; a permanent failure (any 5xx, 535 and 550
   included, or an unusable address) becomes ``failed`` with the code and answer, the
   administrators are alerted once, and the activity raises a non-retryable error
   (`PERMANENT_FAILURE_TYPE`): the workflow notes it and goes on.

**Unknown delivery.** If the connection breaks after DATA was transmitted and before
the server's answer (RFC 1047's duplicate problem), or the attempt dies between
step 3 and step 4, the message may or may not have arrived. It is never recorded as
sent: the row stays ``unconfirmed`` and the retry transmits it again with the **same
Message-ID** (`mailer.message_id_for`, a hash of the ledger key), at most
`models.mail_delivery.UNCONFIRMED_SEND_LIMIT` times in all. If the first copy did
arrive, the reader holds two messages with one Message-ID, which mail clients and
servers fold; the ledger records the re-send (``unconfirmed_sends``). When the re-sends
are used up the row stays ``unconfirmed``, listed by ``ocop dev mail`` and counted in
the cycle report, and the activity raises `UNCONFIRMED_TYPE` (not retryable).

**Alerts.** `models.mail_delivery.alert_route` decides: a refused recipient or message
is emailed to the administrators the notification names (a `DeliveryFailed` letter,
itself in the ledger, once per failed row); a server that refuses *us* (greeting, AUTH,
MAIL FROM), so that no email can go out, is an ERROR log line and one `mail_alerts`
row per server, reply code and day.

Recipients are served independently: a recipient whose send fails is recorded and the
others are still served; the activity raises only after all were tried, and a retry
skips those already settled. While it talks to the server it heartbeats, so a worker
that dies mid-send is noticed after the heartbeat timeout, not the whole timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Final

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ledger import (
    Alert,
    AlertBook,
    HandOverRefusedError,
    LedgerEntry,
    LedgerStatus,
    NotificationLedger,
    ledger_key,
)
from activities.mailer import (
    DeliveryError,
    build_message,
    deliver,
    mailbox,
    message_id_for,
    sender_mailbox,
)
from activities.rendering import render
from activities.smtp_pool import SmtpPool
from contracts import case
from infra.mail_ledger import with_mail_figures
from infra.settings import Settings
from models.dossier import Language
from models.events import CaseEvent, CycleReported, DeliveryFailed, Notification, Recipient
from models.mail_delivery import AlertRoute, SmtpStage, alert_route, excerpt
from models.personal import masked_address, without_addresses

__all__ = ["DeliveryResult", "LedgerStatus", "NotificationActivities", "NotificationLedger"]

TEMPORARY_FAILURE_TYPE: Final = "TemporaryDeliveryFailure"
"""ApplicationError type raised when some recipient should be retried."""
PERMANENT_FAILURE_TYPE: Final = "PermanentDeliveryFailure"
"""Non-retryable: the server refused some recipient for good (ledger `failed`)."""
UNCONFIRMED_TYPE: Final = "DeliveryUnconfirmed"
"""Non-retryable: some message went unanswered every time it was sent (`unconfirmed`)."""

HEARTBEAT_EVERY_SECONDS: Final = 5.0
"""How often the activity heartbeats while it talks to the server, when Temporal set no
heartbeat timeout (with one, a third of it)."""

Event = CaseEvent | DeliveryFailed


class DeliveryResult(BaseModel):
    """What became of one recipient's email, as the ledger records it after this call."""

    recipient: str
    ledger_key: str
    status: LedgerStatus
    message_id: str | None
    attempts: int
    smtp_response: str | None
    sent_now: bool
    """True when this call transmitted the message and the server accepted it."""


class NotificationActivities:
    """Holds the register and SMTP settings the notification activity needs."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._ledger = NotificationLedger(sessions)
        self._alerts = AlertBook(sessions)
        self._settings = settings
        # Connections reused from one email to the next (closed when idle).
        self.smtp = SmtpPool(settings)

    @activity.defn(name=case.SEND_NOTIFICATION.name)
    async def send_notification(self, notification: Notification) -> list[DeliveryResult]:
        """Email every recipient of `notification` once; raise unless every one was sent."""
        event = await self._with_ledger_figures(notification.event)
        results: list[DeliveryResult] = []
        retry: list[tuple[str, BaseException]] = []
        for recipient in notification.recipients:
            try:
                async with _heartbeating(str(recipient.email)):
                    result = await self._serve(
                        notification.key, notification.workflow_id, event, recipient
                    )
                    results.append(result)
                    if result.status == LedgerStatus.FAILED:
                        await self._email_alert(notification, result)
            except DeliveryError as error:
                retry.append((str(recipient.email), error))
            except Exception as error:
                activity.logger.exception(
                    "Notification %s to %s failed; it will be retried",
                    notification.key,
                    masked_address(str(recipient.email)),
                )
                retry.append((str(recipient.email), error))
        if retry:
            raise _retry_error(notification, retry)
        undelivered = [r for r in results if r.status != LedgerStatus.SENT]
        if undelivered:
            raise _final_error(notification, undelivered)
        return results

    async def _serve(
        self, notification_key: str, workflow_id: str, event: Event, recipient: Recipient
    ) -> DeliveryResult:
        key = ledger_key(notification_key, str(recipient.email))
        entry = await self._ledger.find(key)
        if entry is not None and entry.settled:
            return _result(entry, recipient, sent_now=False)
        sender = sender_mailbox(self._settings)  # a bad setting is retried, not "failed"
        rendered = render(event, recipient)
        message_id = message_id_for(key)
        entry, claimed = await self._ledger.claim(
            key,
            workflow_id=workflow_id,
            event_type=str(event.kind),
            recipient=recipient,
            subject=rendered.subject,
            message_id=message_id,
        )
        if not claimed:
            return _settled_or_retry(entry, recipient)
        try:
            to = mailbox(recipient.name, str(recipient.email))
            message = build_message(
                rendered,
                sender=sender,
                recipient=to,
                message_id=message_id,
                reference=event.case.reference,
                event_kind=str(event.kind),
                language=Language(recipient.language).value,
            )
        except ValueError as error:  # InvalidAddressError, or a header the library refuses
            return await self._refused(entry, recipient, workflow_id, str(error), None, "rcpt")
        try:
            answer = await deliver(
                message,
                self._settings,
                sender=sender,
                recipient=to,
                before_data=lambda: self._ledger.hand_over(key, entry.attempts),
                pool=self.smtp,
            )
        except HandOverRefusedError:
            activity.logger.warning("Notification %s was taken over by another attempt", key)
            return _settled_or_retry(await self._latest(key), recipient)
        except DeliveryError as error:
            return await self._failed(entry, recipient, workflow_id, error)
        await self._ledger.mark_sent(key, entry.attempts, answer, entry)
        activity.logger.info("Notification %s sent (%s)", key, message_id)
        return _result(await self._latest(key), recipient, sent_now=True)

    async def _failed(
        self, entry: LedgerEntry, recipient: Recipient, workflow_id: str, error: DeliveryError
    ) -> DeliveryResult:
        if error.handed_over:
            await self._ledger.record_unanswered(entry.key, entry.attempts, error.answer)
            latest = await self._latest(entry.key)
            activity.logger.warning(
                "Notification %s: no answer after DATA (%s); unconfirmed, %s",
                entry.key,
                without_addresses(error.answer),
                "given up" if latest.settled else "to be sent again with the same Message-ID",
            )
            if latest.settled:
                return _result(latest, recipient, sent_now=False)
            raise error
        if error.permanent:
            return await self._refused(
                entry, recipient, workflow_id, error.answer, error.code, error.stage
            )
        await self._ledger.record_temporary(
            entry.key, entry.attempts, error.answer, error.code, entry
        )
        activity.logger.warning(
            "Notification %s: temporary failure, will retry: %s",
            entry.key,
            without_addresses(error.answer),
        )
        raise error

    async def _refused(
        self,
        entry: LedgerEntry,
        recipient: Recipient,
        workflow_id: str,
        answer: str,
        code: int | None,
        stage: SmtpStage,
    ) -> DeliveryResult:
        """Record a permanent failure and its alert (see the module docstring)."""
        route = alert_route(stage)
        detail = excerpt(f"{recipient.email}: {answer}")
        if route == AlertRoute.EMAIL_ADMINISTRATORS:
            alert = Alert(entry.key, route, entry.key, workflow_id, code, detail)
            await self._ledger.mark_failed(entry.key, entry.attempts, answer, code, entry, alert)
            activity.logger.warning(
                "Notification %s failed permanently: %s", entry.key, without_addresses(answer)
            )
        else:
            await self._ledger.mark_failed(entry.key, entry.attempts, answer, code, entry)
            await self._server_alert(entry.key, workflow_id, code, detail)
        return _result(await self._latest(entry.key), recipient, sent_now=False)

    async def _server_alert(
        self, key: str, workflow_id: str, code: int | None, detail: str
    ) -> None:
        """The server refuses us: no email can go out, an alert email included."""
        server = f"{self._settings.smtp_host}:{self._settings.smtp_port}"
        day = datetime.now(UTC).date().isoformat()
        alert = Alert(
            f"server:{server}:{code}:{day}",
            AlertRoute.LOG_AND_REGISTER,
            key,
            workflow_id,
            code,
            f"the SMTP server {server} refuses to send: {detail}",
        )
        if await self._alerts.record_once(alert):
            activity.logger.error(
                "The SMTP server %s refuses every message (%s); no email can be sent until "
                "its settings (OCOP_SMTP_*) are fixed. Ledger row %s is failed.",
                server,
                detail,
                key,
            )
        else:
            activity.logger.warning(
                "Notification %s failed permanently: %s", key, without_addresses(detail)
            )

    async def _email_alert(self, notification: Notification, failed: DeliveryResult) -> None:
        """Email the administrators about `failed`, once (its alert row says if done)."""
        if not await self._alerts.awaiting_email(failed.ledger_key):
            return
        readers = [a for a in notification.administrators if a.email != failed.recipient]
        entry = await self._latest(failed.ledger_key)
        if readers:
            recipient = next(r for r in notification.recipients if r.email == failed.recipient)
            event = DeliveryFailed(
                case=notification.event.case,
                failed_event=str(notification.event.kind),
                recipient_email=str(recipient.email),
                recipient_name=recipient.name,
                subject=render(notification.event, recipient).subject,
                smtp_code=entry.smtp_code,
                answer=excerpt(entry.smtp_response or ""),
            )
            alert_key = f"{failed.ledger_key}:alert"
            for reader in readers:
                await self._serve(alert_key, notification.workflow_id, event, reader)
        else:
            activity.logger.error(
                "Notification %s failed permanently and names no administrator to alert: %s",
                failed.ledger_key,
                entry.smtp_response,
            )
        await self._alerts.emailed(failed.ledger_key, [str(r.email) for r in readers])

    async def _with_ledger_figures(self, event: CaseEvent) -> CaseEvent:
        """A cycle's report, with the province's unconfirmed and failed emails counted."""
        if not isinstance(event, CycleReported):
            return event
        report = await with_mail_figures(event.report, self._sessions)
        return event.model_copy(update={"report": report})

    async def _latest(self, key: str) -> LedgerEntry:
        latest = await self._ledger.find(key)
        assert latest is not None
        return latest


@contextlib.asynccontextmanager
async def _heartbeating(detail: str) -> AsyncIterator[None]:
    """Heartbeat while the body runs (an SMTP exchange may take the SMTP timeout).

    The first beat comes after a third of the timeout, not at once: most sends take
    milliseconds, and each heartbeat is a write on the Temporal server — one per email
    was as many server writes as the email's own activity completion."""
    timeout = activity.info().heartbeat_timeout
    interval = timeout.total_seconds() / 3 if timeout else HEARTBEAT_EVERY_SECONDS

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            activity.heartbeat(detail)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _settled_or_retry(entry: LedgerEntry, recipient: Recipient) -> DeliveryResult:
    """What another attempt left: its result if settled, else this attempt retries."""
    if entry.settled:
        return _result(entry, recipient, sent_now=False)
    raise DeliveryError("another attempt is sending this message", permanent=False)


def _retry_error(
    notification: Notification, failures: Sequence[tuple[str, BaseException]]
) -> ApplicationError:
    # Worker logs repeat failure messages: addresses masked (models/personal.py).
    described = without_addresses(
        "; ".join(
            f"{email}: {error.answer if isinstance(error, DeliveryError) else repr(error)}"
            for email, error in failures
        )
    )
    error = ApplicationError(
        f"notification {notification.key}: {len(failures)} recipient(s) to retry — {described}",
        type=TEMPORARY_FAILURE_TYPE,
    )
    error.__cause__ = failures[0][1]
    return error


def _final_error(
    notification: Notification, undelivered: Sequence[DeliveryResult]
) -> ApplicationError:
    failed = any(r.status == LedgerStatus.FAILED for r in undelivered)
    described = without_addresses(
        "; ".join(f"{r.recipient}: {r.status} ({r.smtp_response})" for r in undelivered)
    )
    return ApplicationError(
        f"notification {notification.key}: {len(undelivered)} recipient(s) not delivered, "
        f"not retried — {excerpt(described, 1000)}",
        *[r.model_dump(mode="json") for r in undelivered],
        type=PERMANENT_FAILURE_TYPE if failed else UNCONFIRMED_TYPE,
        non_retryable=True,
    )


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

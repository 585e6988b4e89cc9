"""The embedded stack's SMTP server: it keeps every message in a Maildir, and reads them back.

Producers learn everything by email, so on one machine the mail must land somewhere
an operator can look: ``<data_dir>/mail`` is a standard Maildir (any mail client can
open it), and :func:`list_messages` / :func:`get_message` read it for ``ocop dev mail``
and for tests. The SMTP envelope is recorded in ``X-Ocop-Envelope-*`` headers added on
receipt, because the ``To:`` header need not name every recipient (Bcc, lists).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import html
import logging
import mailbox
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from infra.settings import Settings

if TYPE_CHECKING:
    from aiosmtpd.smtp import SMTP, Envelope, Session

logger = logging.getLogger(__name__)

ENVELOPE_FROM_HEADER = "X-Ocop-Envelope-From"
ENVELOPE_TO_HEADER = "X-Ocop-Envelope-To"
RECEIVED_AT_HEADER = "X-Ocop-Received-At"
SERVER_NAME = "ocop-mailsink"

_PARSER = BytesParser(policy=email.policy.default)


def mail_dir_for(settings: Settings) -> Path:
    """Where the embedded stack keeps received mail."""
    return settings.data_dir / "mail"


class MessageNotFoundError(KeyError):
    """No stored message has the given key."""

    def __str__(self) -> str:  # KeyError would print the repr of its argument
        return str(self.args[0]) if self.args else "message not found"


class StoredMessage(BaseModel):
    """A message as the sink received it: envelope, decoded headers and bodies."""

    model_config = ConfigDict(frozen=True)

    key: str
    received_at: datetime
    sender: str
    """Envelope sender (MAIL FROM); the From: address when the envelope is unknown."""
    recipients: list[str]
    """Envelope recipients (RCPT TO) — everyone the message was delivered to."""
    subject: str
    """Decoded from RFC 2047, so Vietnamese diacritics read as written."""
    message_id: str | None
    from_header: str
    to_header: str
    headers: list[tuple[str, str]]
    text: str
    """The text/plain body; derived from the HTML part when there is no plain one."""
    html: str | None = None

    def is_for(self, address: str) -> bool:
        wanted = _normalise(address)
        return any(_normalise(r) == wanted for r in self.recipients)


def _normalise(address: str) -> str:
    return parseaddr(address)[1].strip().lower() or address.strip().lower()


# ------------------------------------------------------------------------------ write


class MaildirHandler:
    """aiosmtpd handler writing each accepted message into a Maildir."""

    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = mail_dir
        # Maildir(create=True) skips its subfolders when the folder exists; make them here.
        for sub in ("tmp", "new", "cur"):
            (mail_dir / sub).mkdir(parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(mail_dir, create=False)

    def store(
        self,
        mail_from: str,
        rcpt_tos: Sequence[str],
        content: bytes,
        received_at: datetime | None = None,
    ) -> str:
        """Write one message with its envelope; return its Maildir key."""
        when = (received_at or datetime.now(UTC)).isoformat(timespec="microseconds")
        lines = [f"{RECEIVED_AT_HEADER}: {when}", f"{ENVELOPE_FROM_HEADER}: <{mail_from}>"]
        lines += [f"{ENVELOPE_TO_HEADER}: <{rcpt}>" for rcpt in rcpt_tos]
        prefix = ("\r\n".join(lines) + "\r\n").encode("utf-8")
        key: str = self._maildir.add(prefix + content)
        return key

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", errors="surrogateescape")
        key = await asyncio.to_thread(
            self.store, envelope.mail_from or "", list(envelope.rcpt_tos), content
        )
        logger.info("Stored mail %s for %s", key, ", ".join(envelope.rcpt_tos))
        return f"250 Message accepted for delivery as {key}"


class MailSink:
    """A local SMTP server (aiosmtpd) on the running event loop, storing into a Maildir.

    Port 0 picks a free port; :attr:`port` then tells which one.
    """

    def __init__(self, mail_dir: Path, host: str = "localhost", port: int = 8025) -> None:
        self.mail_dir = mail_dir
        self.host = host
        self.port = port
        self.handler = MaildirHandler(mail_dir)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        # The sink belongs to the embedded stack only: a production worker image is built
        # without aiosmtpd, and reading a Maildir back needs none of it.
        try:
            from aiosmtpd.smtp import SMTP
        except ImportError as missing:
            raise RuntimeError(
                "the embedded stack's mail sink needs aiosmtpd: "
                "pip install 'ocop-flow[embedded]' (python3 tasks.py install does)"
            ) from missing
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            # hostname given so aiosmtpd does not call the (possibly slow) getfqdn().
            return SMTP(
                self.handler,
                hostname=SERVER_NAME,
                enable_SMTPUTF8=True,
                decode_data=False,
                loop=loop,
            )

        self._server = await loop.create_server(protocol, host=self.host, port=self.port)
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]
        logger.info(
            "Mail sink listening on %s:%s, storing into %s", self.host, self.port, self.mail_dir
        )

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Newer Pythons wait here for open client connections; do not hang on one.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), timeout=5)

    async def __aenter__(self) -> MailSink:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


# ------------------------------------------------------------------------------- read


def list_messages(mail_dir: Path, recipient: str | None = None) -> list[StoredMessage]:
    """Every stored message, oldest first; only those delivered to ``recipient`` if given."""
    if not (mail_dir / "new").is_dir() and not (mail_dir / "cur").is_dir():
        return []
    maildir = mailbox.Maildir(mail_dir, create=False)
    messages: list[StoredMessage] = []
    for key in maildir.iterkeys():
        try:
            raw = maildir.get_bytes(key)
        except (KeyError, FileNotFoundError):
            continue  # moved or deleted meanwhile
        message = _parse(key, raw)
        if recipient is None or message.is_for(recipient):
            messages.append(message)
    messages.sort(key=lambda m: (m.received_at, m.key))
    return messages


def get_message(mail_dir: Path, key: str) -> StoredMessage:
    """The message with this key (a unique prefix of the key is enough)."""
    if (mail_dir / "new").is_dir() or (mail_dir / "cur").is_dir():
        maildir = mailbox.Maildir(mail_dir, create=False)
        keys = list(maildir.iterkeys())
        matches = [k for k in keys if k == key] or [k for k in keys if k.startswith(key)]
        if len(matches) == 1:
            return _parse(matches[0], maildir.get_bytes(matches[0]))
        if len(matches) > 1:
            raise MessageNotFoundError(
                f"{len(matches)} messages in {mail_dir} have keys starting with {key!r}; "
                "give more of the key"
            )
    raise MessageNotFoundError(f"No message with key {key!r} in {mail_dir}")


def _parse(key: str, raw: bytes) -> StoredMessage:
    message = _PARSER.parsebytes(raw)
    assert isinstance(message, EmailMessage)
    received = _received_at(message.get(RECEIVED_AT_HEADER), message.get("Date"))
    sender = _strip_brackets(message.get(ENVELOPE_FROM_HEADER))
    if not sender:
        sender = parseaddr(str(message.get("From", "")))[1]
    envelope_to = [_strip_brackets(v) for v in message.get_all(ENVELOPE_TO_HEADER) or []]
    if not envelope_to:
        # Dropped into the folder by something else: trust the headers instead.
        fields = [str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h) or []]
        envelope_to = [addr for _, addr in getaddresses(fields) if addr]
    text, html_body = _bodies(message)
    return StoredMessage(
        key=key,
        received_at=received,
        sender=sender,
        recipients=envelope_to,
        subject=str(message.get("Subject", "")),
        message_id=str(message["Message-ID"]).strip() if message["Message-ID"] else None,
        from_header=str(message.get("From", "")),
        to_header=", ".join(str(v) for v in message.get_all("To") or []),
        headers=[(name, str(value)) for name, value in message.items()],
        text=text,
        html=html_body,
    )


def _strip_brackets(value: Any) -> str:
    return str(value).strip().removeprefix("<").removesuffix(">") if value else ""


def _received_at(stamp: Any, date_header: Any) -> datetime:
    if stamp:
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(str(stamp).strip())
    datetime_value = getattr(date_header, "datetime", None)
    if isinstance(datetime_value, datetime):
        if datetime_value.tzinfo is None:
            return datetime_value.replace(tzinfo=UTC)
        return datetime_value
    return datetime.fromtimestamp(0, UTC)


def _bodies(message: EmailMessage) -> tuple[str, str | None]:
    html_part = message.get_body(preferencelist=("html",))
    html_body = _content(html_part) if html_part is not None else None
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return _content(plain), html_body
    if html_body is not None:
        return _html_to_text(html_body), html_body
    return "", None


def _content(part: Any) -> str:
    try:
        value = part.get_content()
    except (LookupError, ValueError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return value if isinstance(value, str) else ""


def _html_to_text(markup: str) -> str:
    """A rough text rendering, only for messages that have no text/plain part."""
    without_blocks = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    with_breaks = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>|</h\d>", "\n", without_blocks)
    text = html.unescape(re.sub(r"<[^>]+>", "", with_breaks))
    return re.sub(r"\n{3,}", "\n\n", text).strip()

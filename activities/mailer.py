"""Builds one recipient's email and hands it to the configured SMTP server.

Two concerns live here and nowhere else:

- **A safe message.** Every value that came from a person (display names, subject,
  case reference) is folded to one line *before* it becomes a header, so no line break
  in a name or product title can start a header of its own; addresses must be a plain
  `local@domain`. Non-ASCII headers are RFC 2047 encoded words, so Vietnamese
  diacritics survive every client, and bodies are UTF-8 in quoted-printable, so the
  message is 7-bit clean and needs no 8BITMIME.
- **A classified outcome.** Every failure becomes a :class:`DeliveryError` saying
  whether retrying can help (connection refused, timeout, 4xx) or not (any 5xx, an
  address the server or we refuse; the rule is `models.mail_delivery`), what the server
  answered (a bounded excerpt), where in the dialogue, and whether the message may
  already have been handed over (the connection broke after DATA was sent). The
  notification activity turns that into "retry with backoff", "record as failed and
  alert" or "unconfirmed: send again with the same Message-ID".

The SMTP dialogue is driven step by step (connect, MAIL, RCPT, then DATA) rather than
with ``send_message`` so the caller can record, just before DATA, that the message is
about to leave: see ``before_data`` in :func:`deliver`.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import Policy
from email.utils import format_datetime, formataddr, parseaddr
from typing import Final

import aiosmtplib

from activities.rendering import RenderedEmail, single_line
from activities.smtp_pool import SmtpPool
from infra.settings import Settings
from models.mail_delivery import SmtpFailureKind, SmtpStage, excerpt, smtp_failure_kind

MESSAGE_ID_DOMAIN: Final = "ocop-flow"
REFERENCE_HEADER: Final = "X-Ocop-Reference"
EVENT_HEADER: Final = "X-Ocop-Event"

_MAX_LINE: Final = 76
"""Header lines are folded to this width (RFC 5322 recommends at most 78)."""

_ADDR_SPEC = re.compile(r"^[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+$")
"""A plain `local@domain` with nothing that could end an address or a header line."""


class InvalidAddressError(ValueError):
    """An address that cannot be written into a header or an SMTP command safely."""


class DeliveryError(Exception):
    """A send that did not succeed, classified for the caller.

    `permanent`: retrying cannot help (the server answered 5xx, or the address is
    unusable). `handed_over`: the message was transmitted and the connection broke
    before the server's verdict arrived, so it may have been delivered. `stage`: where in
    the dialogue it happened (a refusal at `connect` or `mail` refuses us, not the
    message: see `models.mail_delivery.alert_route`).
    """

    def __init__(
        self,
        answer: str,
        *,
        permanent: bool,
        code: int | None = None,
        handed_over: bool = False,
        stage: SmtpStage = "connect",
    ) -> None:
        super().__init__(answer)
        self.answer = answer
        self.permanent = permanent
        self.code = code
        self.handed_over = handed_over
        self.stage = stage

    @property
    def temporary(self) -> bool:
        return not self.permanent


def message_id_for(ledger_key: str) -> str:
    """The Message-ID of the email recorded under `ledger_key`: the same on every attempt.

    A retried send therefore carries the same Message-ID, which lets mail systems and
    operators recognise a copy, and ties each message in an inbox to its ledger row.
    """
    digest = hashlib.sha256(ledger_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def mailbox(name: str, email: str) -> Address:
    """A header address for `name <email>`; the name is folded to one line first.

    Raises InvalidAddressError for an address that is not a plain `local@domain`
    (pydantic validates recipients, but models built with `model_construct` are not).
    """
    addr_spec = email.strip()
    if not _ADDR_SPEC.match(addr_spec):
        raise InvalidAddressError(f"not a usable email address: {addr_spec!r}")
    username, domain = addr_spec.rsplit("@", 1)
    return Address(display_name=single_line(name), username=username, domain=domain)


def sender_mailbox(settings: Settings) -> Address:
    """The From address parsed from `settings.mail_sender` ("Name <addr>" or "addr")."""
    name, addr_spec = parseaddr(settings.mail_sender)
    return mailbox(name, addr_spec or settings.mail_sender)


def build_message(
    rendered: RenderedEmail,
    *,
    sender: Address,
    recipient: Address,
    message_id: str,
    reference: str,
    event_kind: str,
    language: str,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """The email as it will be transmitted: text with an HTML alternative, UTF-8."""
    message = EmailMessage()
    message["From"] = _address_header("From", sender)
    message["To"] = _address_header("To", recipient)
    message["Subject"] = _text_header("Subject", rendered.subject)
    message["Date"] = format_datetime(sent_at or datetime.now(UTC))
    message["Message-ID"] = message_id
    message[REFERENCE_HEADER] = _text_header(REFERENCE_HEADER, reference)
    message[EVENT_HEADER] = _text_header(EVENT_HEADER, event_kind)
    # RFC 3834: an automatic notification; vacation responders should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the parts exist: making the message multipart moves Content-* headers into them.
    message["Content-Language"] = _text_header("Content-Language", language)
    return message


def to_bytes(message: EmailMessage) -> bytes:
    """Serialise for SMTP: CRLF line ends, non-ASCII headers as RFC 2047 encoded words."""
    return message.as_bytes(policy=SMTP_POLICY)


class _EncodedHeader(str):
    """A header value encoded and folded here; the email package writes it verbatim.

    It reads as the decoded text (it is a `str`), and carries the wire form. Why not
    let `email.policy` fold it: Python 3.11's folder drops the space between two RFC
    2047 encoded words when it breaks a long non-ASCII header, so "Bánh đậu" arrives
    as "Bánhđậu". `email.header.Header` splits *inside* encoded words and keeps every
    space. The policy hands any header object with a `name` to its `fold` method.
    """

    name: str
    wire: str

    def __new__(cls, name: str, decoded: str, wire: str) -> _EncodedHeader:
        header = super().__new__(cls, decoded)
        header.name = name
        header.wire = wire
        return header

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        return f"{self.name}: {linesep.join(self.wire.splitlines())}{linesep}"


def _encoded_words(name: str, text: str) -> str:
    """`text` as it goes on the wire: plain when ASCII, else UTF-8 encoded words."""
    charset = "us-ascii" if text.isascii() else "utf-8"
    return Header(text, charset, header_name=name, maxlinelen=_MAX_LINE).encode(linesep="\n")


def _text_header(name: str, value: str) -> _EncodedHeader:
    text = single_line(value)
    return _EncodedHeader(name, text, _encoded_words(name, text))


def _address_header(name: str, address: Address) -> _EncodedHeader:
    """`Name <addr>`, a non-ASCII name as *one* encoded word.

    Splitting a display name across encoded words is correct RFC 2047, but some
    parsers (Python's own, hence `ocop dev mail`) then insert or drop spaces inside
    the name; names are short, so one word keeps them intact everywhere.
    """
    display = single_line(address.display_name)
    plain = Address(display_name=display, addr_spec=address.addr_spec)
    return _EncodedHeader(name, str(plain), formataddr((display, address.addr_spec), "utf-8"))


async def deliver(
    message: EmailMessage,
    settings: Settings,
    *,
    sender: Address,
    recipient: Address,
    before_data: Callable[[], Awaitable[None]] | None = None,
    pool: SmtpPool | None = None,
) -> str:
    """Send `message` from `sender` to `recipient` (the envelope); return the answer to DATA.

    `before_data` runs once the server has accepted sender and recipient, right before
    the message itself is transmitted. If it raises, nothing is transmitted, the
    connection is closed and its exception propagates unchanged. Every SMTP or network
    failure is raised as a classified :class:`DeliveryError`. With a `pool`, the
    connection comes from it and goes back to it once the message is accepted.
    """
    payload = to_bytes(message)
    connections = pool or SmtpPool(settings, max_idle=0)
    stage: SmtpStage = "connect"
    try:
        pooled = await connections.take()
    except Exception as error:
        raise classify(error, stage=stage) from error
    try:
        try:
            stage = "mail"
            try:
                await pooled.client.mail(sender.addr_spec)
            except aiosmtplib.SMTPServerDisconnected:
                if not pooled.reused:
                    raise
                # Dropped while it waited in the pool: nothing was sent, dial afresh.
                await connections.discard(pooled)
                stage = "connect"
                pooled = await connections.dial()
                stage = "mail"
                await pooled.client.mail(sender.addr_spec)
            stage = "rcpt"
            await pooled.client.rcpt(recipient.addr_spec)
        except Exception as error:
            raise classify(error, stage=stage) from error
        if before_data is not None:
            await before_data()
        try:
            response = await pooled.client.data(payload)
        except Exception as error:
            raise classify(error, stage="data", data_sent=True) from error
    except BaseException:
        await connections.discard(pooled)
        raise
    await connections.give_back(pooled)
    return f"{response.code} {response.message}"


def classify(
    error: BaseException, *, stage: SmtpStage = "connect", data_sent: bool = False
) -> DeliveryError:
    """Whether a failed send may be retried, with the server's answer when there was one.

    - A coded answer is the server's verdict, by `models.mail_delivery.smtp_failure_kind`:
      4xx temporary, any 5xx permanent (535, bad credentials, included: waiting does not
      mend them, and retrying forever would hide the fault from everyone).
    - No answer (refused, reset, timeout, TLS failure): temporary. If it happened after
      the message was transmitted (`data_sent`), it may have been delivered.
    - An address the client will not put on the wire: permanent.
    """
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        error = error.recipients[0]
    if isinstance(error, aiosmtplib.SMTPResponseException) and error.code >= 0:
        answer = excerpt(f"{error.code} {single_line(error.message)}")
        permanent = smtp_failure_kind(error.code) == SmtpFailureKind.PERMANENT
        return DeliveryError(answer, permanent=permanent, code=error.code, stage=stage)
    if isinstance(error, ValueError):
        return DeliveryError(excerpt(f"refused before sending: {error}"), permanent=True)
    detail = single_line(str(error)) or "no detail"
    kind = type(error).__name__
    if isinstance(error, ssl.SSLError):
        return DeliveryError(excerpt(f"TLS failure ({kind}): {detail}"), permanent=False)
    return DeliveryError(
        excerpt(f"{kind}: {detail}"), permanent=False, handed_over=data_sent, stage=stage
    )

"""The rules of an email's delivery: which SMTP answers end the trying, who is told.

Pure functions, no I/O: the mailer and the notification activity ask them, and so do
their tests. What they decide:

- **Temporary or permanent** (`smtp_failure_kind`): RFC 5321 says a 4xx reply is a
  transient negative completion (try again later) and a 5xx reply a permanent one
  (the same command will fail again). That holds for 535 too: bad credentials do not
  mend by waiting, and retrying them forever only hides the fault. No reply at all
  (connection refused, reset, timeout) is temporary.
- **Unknown delivery** (`unconfirmed_resend_allowed`): a message transmitted (DATA
  sent) whose final reply never came may or may not have been delivered. It is never
  counted as sent; it is sent again with the same Message-ID (a reader's client folds
  a duplicate) at most `UNCONFIRMED_SEND_LIMIT` times in all, then stays listed as
  unconfirmed for an operator.
- **Who hears of a permanent failure** (`alert_route`): when the server refuses the
  message or its recipient (at RCPT or DATA), other mail still goes out, so the
  administrators get an email. When it refuses *us* (at the greeting, AUTH or MAIL
  FROM), no email can go out, an alert email included: the alert is an ERROR log line
  and a row of the register's alert list, which ``ocop dev mail`` shows.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

SmtpStage = Literal["connect", "mail", "rcpt", "data"]
"""Where in the SMTP dialogue an answer came: the greeting, EHLO, STARTTLS and AUTH are
all `connect`."""

UNCONFIRMED_SEND_LIMIT: Final = 3
"""Transmissions of one message that may end without the server's answer before the
activity stops re-sending it (each extra copy is a possible duplicate in an inbox)."""

EXCERPT_LIMIT: Final = 300
"""Characters of a server's answer kept in the ledger and quoted in an alert."""


class SmtpFailureKind(StrEnum):
    TEMPORARY = "temporary"
    """Try again later: 4xx, or no answer at all."""
    PERMANENT = "permanent"
    """Stop: 5xx. Retrying cannot help until someone changes something."""


class AlertRoute(StrEnum):
    EMAIL_ADMINISTRATORS = "email_administrators"
    """The server refused this message or recipient; the administrators are emailed."""
    LOG_AND_REGISTER = "log_and_register"
    """The server refuses us: an ERROR log line and an alert row, no email."""


def smtp_failure_kind(code: int | None) -> SmtpFailureKind:
    """Whether an SMTP reply code (None: no reply) is worth retrying.

    Any 5xx is permanent, 535 (authentication failed) and 550 (mailbox unavailable)
    included; everything else, 4xx, an unknown code or no reply, is temporary.
    """
    if code is not None and 500 <= code <= 599:
        return SmtpFailureKind.PERMANENT
    return SmtpFailureKind.TEMPORARY


def alert_route(stage: SmtpStage) -> AlertRoute:
    """How the administrators learn of a permanent failure at `stage`."""
    if stage in ("rcpt", "data"):
        return AlertRoute.EMAIL_ADMINISTRATORS
    return AlertRoute.LOG_AND_REGISTER


def unconfirmed_resend_allowed(unconfirmed_sends: int) -> bool:
    """May a message whose `unconfirmed_sends` transmissions all went unanswered be sent
    once more?"""
    return unconfirmed_sends < UNCONFIRMED_SEND_LIMIT


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """`text` on one line, cut to `limit` characters (an ellipsis marks the cut)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    return line[: max(limit - 1, 0)] + "…"

"""The rules of an email's delivery (models/mail_delivery.py), no server."""

from __future__ import annotations

import pytest

from models.mail_delivery import (
    EXCERPT_LIMIT,
    UNCONFIRMED_SEND_LIMIT,
    AlertRoute,
    SmtpFailureKind,
    alert_route,
    excerpt,
    smtp_failure_kind,
    unconfirmed_resend_allowed,
)


@pytest.mark.parametrize("code", [500, 501, 530, 535, 550, 552, 553, 554, 599])
def test_every_5xx_is_permanent_bad_credentials_included(code: int) -> None:
    assert smtp_failure_kind(code) == SmtpFailureKind.PERMANENT


@pytest.mark.parametrize("code", [None, 421, 450, 451, 452, 454, 499, 250, 600, -1])
def test_4xx_no_answer_and_anything_odd_are_temporary(code: int | None) -> None:
    assert smtp_failure_kind(code) == SmtpFailureKind.TEMPORARY


def test_a_refused_message_is_emailed_a_server_refusing_us_is_logged() -> None:
    assert alert_route("rcpt") == AlertRoute.EMAIL_ADMINISTRATORS
    assert alert_route("data") == AlertRoute.EMAIL_ADMINISTRATORS
    assert alert_route("connect") == AlertRoute.LOG_AND_REGISTER  # greeting, AUTH (535)
    assert alert_route("mail") == AlertRoute.LOG_AND_REGISTER  # our sender refused


def test_an_unanswered_message_is_sent_again_a_bounded_number_of_times() -> None:
    assert [unconfirmed_resend_allowed(n) for n in range(UNCONFIRMED_SEND_LIMIT + 2)] == [
        *([True] * UNCONFIRMED_SEND_LIMIT),
        False,
        False,
    ]


def test_an_excerpt_is_one_bounded_line() -> None:
    assert excerpt("550  5.1.1\r\nMailbox\tunknown") == "550 5.1.1 Mailbox unknown"
    long = excerpt("x" * 10_000)
    assert len(long) == EXCERPT_LIMIT and long.endswith("…")
    assert excerpt("abcdef", 4) == "abc…"

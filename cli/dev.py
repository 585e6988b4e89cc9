"""``ocop dev``: the embedded stack on one machine, and the mail it received.

``ocop dev up`` runs the Temporal dev server (state in the data folder), the SMTP
mail sink and the worker in one process tree until Ctrl-C; ``ocop dev mail`` shows
what the sink received, then what the register's ledger says did not (or may not)
arrive: unconfirmed and failed emails and the alerts raised about them
(``ocop dev mail undelivered`` lists only those).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import signal
import traceback
from collections.abc import Awaitable
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from cli.common import new_console
from cli.identity import serve_api
from infra.binaries import BinaryNotFoundError
from infra.database import create_engine, session_factory, sqlite_file
from infra.devserver import (
    DevServer,
    DevServerError,
    SearchAttributeConflictError,
    codec_url,
    register_search_attributes,
)
from infra.log_privacy import mask_addresses_everywhere
from infra.mail_ledger import UndeliveredMail, undelivered_mail
from infra.mailsink import (
    MailSink,
    MessageNotFoundError,
    StoredMessage,
    get_message,
    list_messages,
    mail_dir_for,
)
from infra.ports import PortInUseError, api_port, ensure_ports_free, stack_ports
from infra.settings import ConfigurationError, Settings, load_settings

dev_app = typer.Typer(
    help="The embedded stack on one machine: Temporal dev server, mail sink, worker.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
mail_app = typer.Typer(
    help="List the messages the mail sink received (oldest first), or show one.",
    invoke_without_command=True,
    rich_markup_mode="rich",
)
dev_app.add_typer(mail_app, name="mail")

console = new_console(soft_wrap=True)
err_console = new_console(stderr=True, soft_wrap=True)
logger = logging.getLogger("ocop.dev")

READY_LINE = "The ocop dev stack is up — press Ctrl-C to stop it."
STOPPED_LINE = "The ocop dev stack has stopped cleanly."
WORKER_SHUTDOWN_TIMEOUT = 30.0

T = TypeVar("T")


def _settings() -> Settings:
    """Settings from the environment; a bad value is one line on stderr and exit code 2."""
    try:
        return load_settings()
    except ConfigurationError as error:
        _fail(str(error), code=2)


def _fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]Error:[/] {escape(message)}")
    raise typer.Exit(code)


# -------------------------------------------------------------------------- dev up


@dev_app.command("up")
def up(
    worker: Annotated[
        bool,
        typer.Option("--worker/--no-worker", help="Also run the ocop worker in this process."),
    ] = True,
) -> None:
    """Start the Temporal dev server, the Web UI, the mail sink and the worker; stop on Ctrl-C."""
    settings = _settings()
    try:
        code = asyncio.run(run_stack(settings, with_worker=worker))
    except PortInUseError as error:
        _fail(str(error))
    except (BinaryNotFoundError, DevServerError, SearchAttributeConflictError) as error:
        _fail(str(error))
    if code:
        raise typer.Exit(code)


async def run_stack(settings: Settings, *, with_worker: bool = True) -> int:
    """Run the embedded stack until SIGINT/SIGTERM; return the process exit code."""
    _configure_logging()
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    ensure_ports_free([*stack_ports(settings), api_port(settings)])
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    mail_dir = mail_dir_for(settings)
    code = 0
    async with contextlib.AsyncExitStack() as stack:
        sink = MailSink(mail_dir, settings.smtp_host, settings.smtp_port)
        await sink.start()
        stack.push_async_callback(sink.stop)

        server = DevServer(settings)
        stack.push_async_callback(server.stop)  # registered first, so a failed start is cleaned
        console.print(f"Starting the Temporal dev server (log: {server.log_path}) ...")
        client = await _unless_stopped(server.start(), stop)
        if client is None:
            console.print("Interrupted during start-up; stopping.")
            return 0
        added = await register_search_attributes(client, settings.temporal_namespace)
        if added:
            console.print(f"Registered search attributes: {', '.join(added)}")

        _print_endpoints(settings, server, with_worker)

        worker_task = (
            asyncio.create_task(_run_worker(settings, stop), name="ocop-worker")
            if with_worker
            else None
        )
        # The door for people: the HTTP API, with one seeded account per role.
        api_ready = asyncio.Event()
        api_task = asyncio.create_task(serve_api(settings, stop, api_ready), name="ocop-api")
        ready_wait = asyncio.create_task(api_ready.wait())
        await asyncio.wait({api_task, ready_wait}, return_when=asyncio.FIRST_COMPLETED)
        ready_wait.cancel()
        if api_task.done() and api_task.exception() is not None:
            err_console.print(f"[bold red]The HTTP API did not start:[/] {api_task.exception()}")
        console.print(READY_LINE)
        server_exit = asyncio.create_task(server.wait())
        stop_wait = asyncio.create_task(stop.wait())
        await asyncio.wait({server_exit, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        if server_exit.done():
            err_console.print(
                f"[bold red]The Temporal dev server exited unexpectedly "
                f"(code {server_exit.result()}).[/] Last lines of {escape(str(server.log_path))}:"
            )
            err_console.print(server.log_tail(), markup=False, highlight=False)
            code = 1
        else:
            server_exit.cancel()
        stop.set()
        stop_wait.cancel()

        console.print("Stopping: API, worker, Temporal dev server, mail sink ...")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(api_task, WORKER_SHUTDOWN_TIMEOUT)
        if worker_task is not None:
            await _finish_worker(worker_task)
    console.print(STOPPED_LINE)
    return code


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """Await ``work`` unless ``stop`` is set first (then cancel it and return None)."""
    task = asyncio.ensure_future(work)
    stop_wait = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    stop_wait.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


async def _run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run the worker; its absence or failure is reported but leaves the stack running."""
    try:
        from worker import run_worker  # imported late: it pulls in every workflow

        await run_worker(settings, stop)
    except NotImplementedError:
        logger.warning(
            "The worker is not available yet (worker.run_worker is not implemented); "
            "the rest of the stack keeps running."
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.error(
            "The worker stopped with an error; the rest of the stack keeps running.\n%s",
            traceback.format_exc(),
        )
    else:
        if not stop.is_set():
            logger.warning("The worker returned before it was asked to stop.")


async def _finish_worker(task: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=WORKER_SHUTDOWN_TIMEOUT)
    except TimeoutError:
        logger.warning(
            "The worker did not stop within %.0f s; cancelling it.", WORKER_SHUTDOWN_TIMEOUT
        )
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))


def _configure_logging() -> None:
    root = logging.getLogger()
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        handler = RichHandler(console=err_console, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    mask_addresses_everywhere()
    root.setLevel(logging.INFO)
    # aiosmtpd logs every SMTP command at INFO; keep the console readable.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def _print_endpoints(settings: Settings, server: DevServer, with_worker: bool) -> None:
    table = Table(title="ocop dev stack", show_header=True, header_style="bold")
    table.add_column("Service")
    table.add_column("Where")
    table.add_row(
        "Temporal gRPC", f"{settings.temporal_address}  (namespace {settings.temporal_namespace})"
    )
    codec = (
        f"; operators sign in at {codec_url(settings)}/sign-in to read payloads"
        if settings.payload_encryption
        else ""
    )
    table.add_row("Temporal Web UI", f"{server.ui_url}{codec}")
    table.add_row("Temporal state", str(server.db_path))
    table.add_row("SMTP mail sink", f"{settings.smtp_host}:{settings.smtp_port}")
    table.add_row("Mail folder", str(mail_dir_for(settings).resolve()))
    table.add_row("Register database", _hide_password(settings.register_url))
    table.add_row("HTTP API", f"{settings.public_api_url}  (docs: {settings.public_api_url}/docs)")
    accounts = settings.data_dir / "dev-accounts.json"
    table.add_row("API accounts", f"one per role; usernames and password in {accounts}")
    table.add_row(
        "Worker",
        f"task queue {settings.task_queue}" if with_worker else "not started (--no-worker)",
    )
    console.print(table)


def _hide_password(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


# ------------------------------------------------------------------------ dev mail


@mail_app.callback()
def mail(
    ctx: typer.Context,
    to: Annotated[
        str | None, typer.Option("--to", help="Only messages delivered to this address.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the messages the mail sink received, oldest first, then the undelivered ones."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    messages = list_messages(mail_dir_for(settings), to)
    if as_json:
        typer.echo(
            json.dumps(
                [m.model_dump(mode="json", exclude={"headers", "html"}) for m in messages],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not messages:
        console.print("No messages" + (f" for {to}" if to else "") + ".", markup=False)
    else:
        _print_received(messages)
    ledger = _undelivered(settings)
    if ledger is not None:
        _print_undelivered(ledger, quiet_when_none=True)


def _print_received(messages: list[StoredMessage]) -> None:
    table = Table(show_header=True, header_style="bold", title=f"{len(messages)} message(s)")
    table.add_column("Received (UTC)", no_wrap=True)
    table.add_column("To")
    table.add_column("Subject")
    table.add_column("Key", no_wrap=True)
    for message in messages:
        table.add_row(
            message.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(", ".join(message.recipients)),
            escape(message.subject),
            escape(message.key),
        )
    console.print(table)


@mail_app.command("undelivered")
def undelivered(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Emails the register lists as unconfirmed (sent, never answered) or failed, and the
    alerts raised about them; exit code 1 when there are any."""
    ledger = _undelivered(_settings())
    if ledger is None:
        console.print("No register yet.", markup=False)
        return
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "unconfirmed": ledger.count("unconfirmed"),
                    "failed": ledger.count("failed"),
                    "resent": ledger.resent,
                    "emails": [dataclasses.asdict(e) for e in ledger.emails],
                    "alerts": [dataclasses.asdict(a) for a in ledger.alerts],
                },
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
    else:
        _print_undelivered(ledger, quiet_when_none=False)
    if ledger.emails:
        raise typer.Exit(1)


def _undelivered(settings: Settings) -> UndeliveredMail | None:
    """The ledger's undelivered emails; None when there is no register to read."""
    path = sqlite_file(settings.register_url)
    if path is not None and not path.is_file():
        return None

    async def read() -> UndeliveredMail:
        engine = create_engine(settings.register_url)
        try:
            return await undelivered_mail(session_factory(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(read())
    except Exception as error:  # an unmigrated or unreachable register: say so, list the rest
        err_console.print(f"The register could not be read: {escape(str(error)[:300])}")
        return None


def _print_undelivered(ledger: UndeliveredMail, *, quiet_when_none: bool) -> None:
    unconfirmed, failed = ledger.count("unconfirmed"), ledger.count("failed")
    summary = (
        f"Register: {unconfirmed} unconfirmed, {failed} failed, {len(ledger.alerts)} alert(s), "
        f"{ledger.resent} re-sent after an unanswered transmission."
    )
    if quiet_when_none and not ledger.emails and not ledger.alerts:
        return
    console.print(summary, markup=False, highlight=False)
    if ledger.emails:
        table = Table(show_header=True, header_style="bold", title="Not known to have arrived")
        for column in ("Status", "To", "Subject", "SMTP", "Sent / tries", "Answer", "Key"):
            table.add_column(column)
        for email in ledger.emails:
            table.add_row(
                email.status,
                escape(email.recipient),
                escape(email.subject),
                str(email.smtp_code or ""),
                f"{email.unconfirmed_sends} / {email.attempts}",
                escape(email.answer or ""),
                escape(email.key),
            )
        console.print(table)
    if ledger.alerts:
        table = Table(show_header=True, header_style="bold", title="Alerts")
        for column in ("Raised (UTC)", "SMTP", "What", "Emailed to"):
            table.add_column(column)
        for alert in ledger.alerts:
            table.add_row(
                alert.raised_at.strftime("%Y-%m-%d %H:%M:%S"),
                str(alert.smtp_code or ""),
                escape(alert.detail),
                escape(alert.emailed_to or "nobody: see the worker's ERROR log"),
            )
        console.print(table)


@mail_app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="The message key (a unique prefix is enough).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print one message: its main headers and its text body."""
    try:
        message = get_message(mail_dir_for(_settings()), key)
    except MessageNotFoundError as error:
        _fail(str(error))
    if as_json:
        typer.echo(json.dumps(message.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    lines = [
        ("Key", message.key),
        ("Received", message.received_at.isoformat()),
        ("Envelope from", message.sender),
        ("Envelope to", ", ".join(message.recipients)),
        ("From", message.from_header),
        ("To", message.to_header),
        ("Subject", message.subject),
        ("Message-ID", message.message_id or ""),
    ]
    for name, value in lines:
        console.print(f"[bold]{name}:[/] {escape(value)}", highlight=False)
    console.rule()
    console.print(message.text, markup=False, highlight=False)

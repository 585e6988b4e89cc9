"""The ports of the embedded stack: are they free, and who holds one that is not.

Before ``ocop dev up`` (or the demo) starts anything, the ports the stack needs are
checked, so that a clash gives one clear sentence naming the holder and the variable
that moves the port, instead of a Go stack trace in a log file. Tests take free ports
from here too.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.settings import Settings


@dataclass(frozen=True)
class ServicePort:
    """A port the embedded stack listens on, and the variable that moves it."""

    service: str
    host: str
    port: int
    env_var: str
    example: str

    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class PortConflict:
    port: ServicePort
    holder: str | None  # "pid 123 (temporal server start-dev …)" when it can be found out

    def describe(self) -> str:
        by = f" by {self.holder}" if self.holder else ""
        return (
            f"port {self.port.port} on {self.port.host} ({self.port.service}) is already in use"
            f"{by} — move it with {self.port.env_var}"
            f" (e.g. {self.port.env_var}={self.port.example})"
        )


class PortInUseError(RuntimeError):
    """One or more ports of the embedded stack are taken. The message is one line."""

    def __init__(self, conflicts: Sequence[PortConflict]) -> None:
        self.conflicts = list(conflicts)
        super().__init__(
            "Cannot start the ocop dev stack: "
            + "; ".join(c.describe() for c in self.conflicts)
            + ". Stop what holds the port, or choose another port."
        )


def stack_ports(settings: Settings) -> list[ServicePort]:
    """The ports `ocop dev up` needs: Temporal frontend, Temporal Web UI, SMTP sink."""
    host = settings.temporal_host
    return [
        ServicePort(
            "Temporal gRPC frontend",
            host,
            settings.temporal_port,
            "OCOP_TEMPORAL_ADDRESS",
            f"{host}:{_other_port(settings.temporal_port)}",
        ),
        ServicePort(
            "Temporal Web UI",
            host,
            settings.temporal_ui_port,
            "OCOP_TEMPORAL_UI_PORT",
            str(_other_port(settings.temporal_ui_port)),
        ),
        ServicePort(
            "SMTP mail sink",
            settings.smtp_host,
            settings.smtp_port,
            "OCOP_SMTP_PORT",
            str(_other_port(settings.smtp_port)),
        ),
    ]


def api_port(settings: Settings) -> ServicePort:
    """The HTTP API's port, which `ocop dev up` serves beside the stack."""
    return ServicePort(
        "HTTP API",
        settings.api_host,
        settings.api_port,
        "OCOP_API_PORT",
        str(_other_port(settings.api_port)),
    )


def _other_port(port: int) -> int:
    return port + 1 if port < 65535 else port - 1


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could bind ``host:port`` now (a listener there means: no).

    SO_REUSEADDR is set like the real servers set it, so a connection of a previous
    run lingering in TIME_WAIT does not count as "in use".
    """
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        return True  # unresolvable: the server itself will report that more precisely
    for family, socktype, proto, _, address in infos:
        with socket.socket(family, socktype, proto) as probe:
            if os.name != "nt":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return False
                # EADDRNOTAVAIL / EAFNOSUPPORT (e.g. no IPv6): not a question of "in use".
    return True


def find_free_port(host: str = "127.0.0.1") -> int:
    """A port the OS considers free right now (for tests and ephemeral servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def find_listener_pid(port: int) -> int | None:
    """Best effort, Linux only: the pid of a process of ours listening on TCP ``port``."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":  # 0A = LISTEN
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in targets for fd in (entry / "fd").iterdir()):
                return int(entry.name)
        except OSError:
            continue  # gone, or another user's process
    return None


def describe_listener(port: int) -> str | None:
    """Best effort: ``"pid N (command line)"`` of the process listening on ``port``."""
    pid = find_listener_pid(port)
    if pid is None:
        return None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"pid {pid}"
    argv = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    if argv:
        argv[0] = Path(argv[0]).name  # "temporal", not the venv's full path
    command = " ".join(argv)
    if len(command) > 60:
        command = command[:57] + "..."
    return f"pid {pid} ({command})"


def ensure_ports_free(ports: Sequence[ServicePort]) -> None:
    """Raise :class:`PortInUseError` naming every taken port and how to move it.

    Two services configured on the same port are reported as a conflict too.
    """
    conflicts: list[PortConflict] = []
    seen: dict[int, ServicePort] = {}
    for port in ports:
        earlier = seen.get(port.port)
        if earlier is not None:
            conflicts.append(PortConflict(port, f"the {earlier.service} of this same stack"))
            continue
        seen[port.port] = port
        if not port_is_free(port.host, port.port):
            conflicts.append(PortConflict(port, describe_listener(port.port)))
    if conflicts:
        raise PortInUseError(conflicts)

"""The connection to Temporal speaks TLS, mTLS or an API key when the settings say so.

The pure tests map settings to what `Client.connect` receives and check each wrong
setting is one error naming its variable. The real ones connect through a TLS front
that demands a client certificate (the dev server has no TLS flags of its own, so a
small terminating proxy stands in for a TLS-protected frontend) to the real dev server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from infra.devserver import DevServer, DevServerError
from infra.settings import ConfigurationError, Settings, load_settings
from infra.temporal import connect
from infra.temporal_tls import connection_security

SERVER_NAME = "temporal.test"  # the only name in the server's certificate


# --- settings → what Client.connect receives -------------------------------------------


def _pem(path: Path, text: str = "-----BEGIN CERTIFICATE-----\nMIIB\n") -> Path:
    path.write_text(text, encoding="ascii")
    return path


def test_no_tls_settings_mean_a_plain_connection() -> None:
    security = connection_security(Settings())
    assert security.tls is False
    assert security.api_key is None


def test_tls_alone_trusts_the_system_roots() -> None:
    assert connection_security(Settings(temporal_tls=True)).tls is True


def test_an_api_key_turns_tls_on_unless_it_is_disabled() -> None:
    with_key = connection_security(Settings(temporal_api_key="k-123"))
    assert (with_key.tls, with_key.api_key) == (True, "k-123")
    disabled = connection_security(Settings(temporal_api_key="k-123", temporal_tls=False))
    assert (disabled.tls, disabled.api_key) == (False, "k-123")


def test_ca_cert_key_and_server_name_become_the_tls_config(tmp_path: Path) -> None:
    ca = _pem(tmp_path / "ca.pem", "-----BEGIN CERTIFICATE-----\nCA\n")
    cert = _pem(tmp_path / "client.pem", "-----BEGIN CERTIFICATE-----\nCLIENT\n")
    key = _pem(tmp_path / "client.key", "-----BEGIN PRIVATE KEY-----\nKEY\n")
    settings = Settings(
        temporal_tls_ca_file=ca,
        temporal_tls_cert_file=cert,
        temporal_tls_key_file=key,
        temporal_tls_server_name=SERVER_NAME,
    )
    assert connection_security(settings).tls == TLSConfig(
        server_root_ca_cert=ca.read_bytes(),
        domain=SERVER_NAME,
        client_cert=cert.read_bytes(),
        client_private_key=key.read_bytes(),
    )


def test_the_variables_are_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = _pem(tmp_path / "ca.pem")
    monkeypatch.setenv("OCOP_TEMPORAL_TLS_CA_FILE", str(ca))
    monkeypatch.setenv("OCOP_TEMPORAL_TLS_SERVER_NAME", SERVER_NAME)
    monkeypatch.setenv("OCOP_TEMPORAL_API_KEY", "k-env")
    security = connection_security(load_settings())
    assert isinstance(security.tls, TLSConfig)
    assert security.tls.server_root_ca_cert == ca.read_bytes()
    assert security.tls.domain == SERVER_NAME
    assert security.api_key == "k-env"


@pytest.mark.parametrize(
    ("given", "missing"),
    [("cert", "OCOP_TEMPORAL_TLS_KEY_FILE"), ("key", "OCOP_TEMPORAL_TLS_CERT_FILE")],
)
def test_half_of_an_mtls_pair_is_refused(tmp_path: Path, given: str, missing: str) -> None:
    settings = Settings(**{f"temporal_tls_{given}_file": _pem(tmp_path / "one.pem")})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError) as error:
        connection_security(settings)
    message = str(error.value)
    assert f"OCOP_TEMPORAL_TLS_{given.upper()}_FILE is set without {missing}" in message
    assert message.startswith("Cấu hình không hợp lệ")  # Vietnamese first


def test_a_missing_file_is_named_with_its_variable(tmp_path: Path) -> None:
    absent = tmp_path / "nowhere" / "ca.pem"
    with pytest.raises(ConfigurationError) as error:
        connection_security(Settings(temporal_tls_ca_file=absent))
    assert f"OCOP_TEMPORAL_TLS_CA_FILE: cannot read {absent} (No such file or directory)" in str(
        error.value
    )


def test_a_file_that_is_not_pem_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "client.key"
    key.write_bytes(b"\x30\x82\x01\x00 DER, not PEM")
    cert = _pem(tmp_path / "client.pem")
    with pytest.raises(ConfigurationError) as error:
        connection_security(Settings(temporal_tls_cert_file=cert, temporal_tls_key_file=key))
    assert f"OCOP_TEMPORAL_TLS_KEY_FILE: {key} is not a PEM file" in str(error.value)


def test_files_with_tls_disabled_contradict_each_other(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as error:
        connection_security(
            Settings(temporal_tls=False, temporal_tls_ca_file=_pem(tmp_path / "ca.pem"))
        )
    assert "OCOP_TEMPORAL_TLS is false but OCOP_TEMPORAL_TLS_CA_FILE is set" in str(error.value)


def test_an_invalid_api_key_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OCOP_TEMPORAL_API_KEY", "   ")
    with pytest.raises(ConfigurationError) as error:
        load_settings()
    assert "OCOP_TEMPORAL_API_KEY: Value error, must not be empty" in str(error.value)
    assert "'   '" not in str(error.value)


def test_a_command_stops_with_the_message_and_exit_2(tmp_path: Path) -> None:
    """`ocop` says what is wrong in one line, before trying to reach Temporal."""
    absent = tmp_path / "ca.pem"
    env = {**os.environ, "OCOP_TEMPORAL_TLS_CA_FILE": str(absent), "OCOP_DATA_DIR": str(tmp_path)}
    ocop = Path(sys.executable).parent / "ocop"
    result = subprocess.run(
        [str(ocop), "list"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "OCOP_TEMPORAL_TLS_CA_FILE: cannot read" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "secured",
    [{"temporal_tls": True}, {"temporal_api_key": "k-1"}, {"temporal_tls_server_name": "t.test"}],
)
async def test_the_embedded_dev_server_refuses_tls_settings(
    tmp_path: Path, secured: dict[str, object]
) -> None:
    """It speaks plain gRPC: said before starting, not as the worker's failed handshake."""
    server = DevServer(Settings(data_dir=tmp_path, **secured), ui=False)  # type: ignore[arg-type]
    with pytest.raises(DevServerError, match="unset OCOP_TEMPORAL_TLS"):
        await server.start()
    assert server.pid is None  # nothing was started


# --- a real handshake: mTLS in front of the dev server ------------------------------------


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    usage: x509.ObjectIdentifier | None = None,
    dns_name: str | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if dns_name is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, a server certificate for SERVER_NAME and a client certificate, as PEM files."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("ocop test CA", ca_key, None)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate(
        SERVER_NAME, server_key, (ca, ca_key), ExtendedKeyUsageOID.SERVER_AUTH, SERVER_NAME
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _certificate("ocop-worker", client_key, (ca, ca_key), ExtendedKeyUsageOID.CLIENT_AUTH)
    files = Pki(
        ca=folder / "ca.pem",
        server_cert=folder / "server.pem",
        server_key=folder / "server.key",
        client_cert=folder / "client.pem",
        client_key=folder / "client.key",
    )
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(_key_pem(server_key))
    files.client_cert.write_bytes(client.public_bytes(serialization.Encoding.PEM))
    files.client_key.write_bytes(_key_pem(client_key))
    return files


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def mtls_front(pki: Pki, upstream: str) -> AsyncIterator[str]:
    """A TLS endpoint requiring a client certificate of the CA, forwarding to `upstream`."""
    host, port = upstream.rsplit(":", 1)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
    context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])  # gRPC runs on HTTP/2
    writers: list[asyncio.StreamWriter] = []

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writers.append(up_writer)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for writer in writers:  # the SDK keeps its connection open for the client's life
            writer.close()
        await server.wait_closed()


async def _answers(settings: Settings) -> None:
    client = await connect(settings)
    await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=settings.temporal_namespace),
        timeout=timedelta(seconds=10),
    )


@pytest.mark.timeout(120)
async def test_mtls_is_enforced_against_a_real_server(
    dev_server_env: WorkflowEnvironment, pki: Pki
) -> None:
    upstream = dev_server_env.client.service_client.config.target_host
    async with mtls_front(pki, upstream) as address:
        trusted = Settings(
            temporal_address=address,
            temporal_tls_ca_file=pki.ca,
            temporal_tls_server_name=SERVER_NAME,
        )
        # With the client certificate: the handshake succeeds and Temporal answers.
        await _answers(
            trusted.model_copy(
                update={
                    "temporal_tls_cert_file": pki.client_cert,
                    "temporal_tls_key_file": pki.client_key,
                }
            )
        )
        # Without it: the front refuses the handshake, so the client never connects.
        with pytest.raises(RuntimeError) as no_cert:
            await _answers(trusted)
        assert "Failed client connect" in str(no_cert.value)
        # A server the CA file does not vouch for (system roots only) is not trusted.
        with pytest.raises(RuntimeError) as untrusted:
            await _answers(
                trusted.model_copy(
                    update={
                        "temporal_tls_ca_file": None,
                        "temporal_tls": True,
                        "temporal_tls_cert_file": pki.client_cert,
                        "temporal_tls_key_file": pki.client_key,
                    }
                )
            )
        assert "UnknownIssuer" in str(untrusted.value)
        # The certificate names SERVER_NAME, not the address dialled: the setting matters.
        with pytest.raises(RuntimeError) as wrong_name:
            await _answers(
                trusted.model_copy(
                    update={
                        "temporal_tls_server_name": None,
                        "temporal_tls_cert_file": pki.client_cert,
                        "temporal_tls_key_file": pki.client_key,
                    }
                )
            )
        assert "NotValidForName" in str(wrong_name.value)

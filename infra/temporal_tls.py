"""How the connection to Temporal is protected: TLS, mTLS and an API key, from settings.

The embedded dev server speaks plain gRPC, so nothing here is on by default. A server
behind TLS needs `OCOP_TEMPORAL_TLS=true` (system roots) or a CA file; mTLS adds the
client certificate and its key; Temporal Cloud takes an API key, which turns TLS on
unless `OCOP_TEMPORAL_TLS=false` says otherwise. Files are read here, at start-up, so a
missing or unreadable one is one clear error naming its variable instead of a failed
handshake later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from temporalio.service import TLSConfig

from infra.settings import ENV_PREFIX, ConfigurationError, Settings

_CA = "temporal_tls_ca_file"
_CERT = "temporal_tls_cert_file"
_KEY = "temporal_tls_key_file"
_SERVER_NAME = "temporal_tls_server_name"
_TLS = "temporal_tls"


@dataclass(frozen=True)
class ConnectionSecurity:
    """What `Client.connect` takes as `tls` and `api_key`."""

    tls: TLSConfig | bool
    api_key: str | None


def variable(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _invalid(vi: str, en: str) -> ConfigurationError:
    return ConfigurationError(f"Cấu hình không hợp lệ: {vi} — Invalid configuration: {en}")


def _read_pem(field: str, path: Path) -> bytes:
    name = variable(field)
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise _invalid(
            f"{name}: không đọc được tệp {path} ({reason}); cần một tệp PEM",
            f"{name}: cannot read {path} ({reason}); expected a PEM file",
        ) from None
    if b"-----BEGIN " not in data:
        raise _invalid(
            f"{name}: tệp {path} không phải tệp PEM (thiếu dòng -----BEGIN …-----)",
            f"{name}: {path} is not a PEM file (no -----BEGIN …----- line)",
        )
    return data


def asks_for_security(settings: Settings) -> bool:
    """Whether the settings ask for TLS or an API key (without reading any file)."""
    files = (_CA, _CERT, _KEY, _SERVER_NAME)
    return bool(
        settings.temporal_tls
        or settings.temporal_api_key is not None
        or any(getattr(settings, field) is not None for field in files)
    )


def connection_security(settings: Settings) -> ConnectionSecurity:
    """The TLS configuration and API key `settings` ask for, or a `ConfigurationError`."""
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    given = [
        field for field in (_CA, _CERT, _KEY, _SERVER_NAME) if getattr(settings, field) is not None
    ]
    if settings.temporal_tls is False:
        if given:
            names = ", ".join(variable(field) for field in given)
            raise _invalid(
                f"{variable(_TLS)}=false nhưng {names} đã được đặt; bỏ một trong hai",
                f"{variable(_TLS)} is false but {names} is set; unset one or the other",
            )
        return ConnectionSecurity(tls=False, api_key=api_key)
    if settings.temporal_tls is None and not given and api_key is None:
        return ConnectionSecurity(tls=False, api_key=None)

    cert, key = settings.temporal_tls_cert_file, settings.temporal_tls_key_file
    if (cert is None) != (key is None):
        present, missing = (_CERT, _KEY) if key is None else (_KEY, _CERT)
        raise _invalid(
            f"{variable(present)} đã đặt mà thiếu {variable(missing)}: mTLS cần cả chứng "
            "chỉ máy khách lẫn khóa riêng của nó",
            f"{variable(present)} is set without {variable(missing)}: mTLS needs both the "
            "client certificate and its private key",
        )
    if not given:
        return ConnectionSecurity(tls=True, api_key=api_key)  # the system's root CAs
    ca = settings.temporal_tls_ca_file
    return ConnectionSecurity(
        tls=TLSConfig(
            server_root_ca_cert=_read_pem(_CA, ca) if ca else None,
            domain=settings.temporal_tls_server_name,
            client_cert=_read_pem(_CERT, cert) if cert else None,
            client_private_key=_read_pem(_KEY, key) if key else None,
        ),
        api_key=api_key,
    )

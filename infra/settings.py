"""Configuration from the environment (prefix ``OCOP_``), with embedded defaults.

Every value can be set by an environment variable named after the field, e.g.
``OCOP_TEMPORAL_ADDRESS`` or ``OCOP_SMTP_PORT``. A bad value stops start-up with a
message naming the variable and what it accepts.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.documents import DEFAULT_UPLOAD_BYTES
from models.dossier import MAX_DOCUMENT_BYTES

ENV_PREFIX = "OCOP_"

# Never echoed in an error message: a mistyped key is still a key.
_SECRET_FIELDS = frozenset({"smtp_password", "temporal_api_key"})


class SmtpSecurity(StrEnum):
    """How the connection to the SMTP server is protected."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class ConfigurationError(Exception):
    """Start-up configuration is invalid; the message names each bad variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Folder of the embedded stack: databases, mail."
    )

    temporal_address: str = Field(default="localhost:7233", pattern=r"^[^\s:]+:\d{1,5}$")
    temporal_namespace: str = Field(default="default", min_length=1)
    task_queue: str = Field(default="ocop", min_length=1)
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)

    # How the connection to Temporal is protected (see infra/temporal_tls.py). Unset
    # `temporal_tls` means: TLS when an API key, a TLS file or a server name is given.
    temporal_tls: bool | None = None
    temporal_tls_ca_file: Path | None = Field(
        default=None, description="PEM file of the CA that signed the server's certificate."
    )
    temporal_tls_cert_file: Path | None = Field(
        default=None, description="PEM client certificate (mTLS); needs the key file too."
    )
    temporal_tls_key_file: Path | None = Field(
        default=None, description="PEM private key of the client certificate (mTLS)."
    )
    temporal_tls_server_name: str | None = Field(
        default=None, min_length=1, max_length=253, pattern=r"^[^\s/:]+$"
    )
    temporal_api_key: SecretStr | None = Field(
        default=None, description="API key (Temporal Cloud style); implies TLS unless disabled."
    )

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL of the register; default: SQLite in data_dir.",
    )

    smtp_host: str = Field(default="localhost", min_length=1)
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_sender: str = Field(default="OCOP <ocop@localhost>", min_length=3)

    worker_max_cached_workflows: int = Field(
        default=1000,
        ge=0,
        le=100_000,
        description="Workflow runs a worker keeps in memory between tasks (Temporal's "
        "max_cached_workflows); fewer holds less memory, more replays fewer histories",
    )
    worker_max_concurrent_activities: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Activities a worker runs at once (register writes, emails, the cycle's)",
    )

    action_keys_file: Path | None = Field(
        default=None,
        description="JWKS of the keys that sign people's actions (API, workers); default: "
        "action-keys.json in data_dir, created on first start.",
    )

    payload_encryption: bool = Field(
        default=True,
        description="Encrypt every payload sent to Temporal (infra/payload_codec.py); "
        "false only to read a stack that never had it.",
    )
    payload_keys_file: Path | None = Field(
        default=None,
        description="The AES keys that encrypt payloads (worker, API, commands); default: "
        "payload-keys.json in data_dir, created on first start.",
    )
    payload_keys: SecretStr | None = Field(
        default=None,
        description="The payload key set itself (the key file's JSON), instead of the file.",
    )
    temporal_ui_origin: str | None = Field(
        default=None,
        description="The Temporal Web UI's origin, which the codec server answers (CORS); "
        "default: the embedded UI's (localhost and 127.0.0.1 on OCOP_TEMPORAL_UI_PORT).",
    )

    api_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Where people reach the API, and the local issuer's `iss` (no trailing /); "
        "default: http://API_HOST:API_PORT.",
    )
    api_host: str = Field(default="127.0.0.1", min_length=1)
    api_port: int = Field(default=8000, ge=1, le=65535)
    oidc_issuer: str | None = Field(
        default=None,
        description="An OpenID Connect issuer whose tokens the API accepts; default: the "
        "API's own local issuer (accounts in the register).",
    )
    oidc_audience: str = Field(default="ocop-api", min_length=1)
    oidc_portal_client_id: str = Field(
        default="ocop-portal",
        min_length=1,
        max_length=255,
        description="The portal's client at the OIDC issuer (authorization code with PKCE).",
    )
    oidc_jwks_url: str | None = Field(
        default=None, description="The issuer's JWKS, when its discovery document is not used."
    )
    identity_keys_file: Path | None = Field(
        default=None,
        description="JWKS of the local issuer's token keys; default: identity-keys.json in "
        "data_dir, created on first use.",
    )
    token: SecretStr | None = Field(
        default=None,
        description="A bearer token: the `ocop` commands take people's steps through the "
        "API with it (default: the one `ocop login` kept, if any).",
    )
    token_lifetime_seconds: int = Field(default=3600, ge=60, le=86_400)
    document_max_bytes: int = Field(
        default=DEFAULT_UPLOAD_BYTES,
        ge=1,
        le=MAX_DOCUMENT_BYTES,
        description="The largest file the portal takes into a dossier.",
    )
    documents_s3_endpoint: str | None = Field(
        default=None,
        pattern=r"^[^\s/:]+(:\d{1,5})?$",
        description="host:port of an S3-compatible store for documents (MinIO in the "
        "compose file); default: the data folder's documents/.",
    )
    documents_s3_bucket: str = Field(
        default="ocop-documents", pattern=r"^[a-z0-9][a-z0-9.-]{2,62}$"
    )
    documents_s3_access_key: SecretStr | None = None
    documents_s3_secret_key: SecretStr | None = None
    documents_s3_secure: bool = Field(default=True, description="HTTPS to the store")
    documents_s3_region: str | None = Field(default=None, max_length=64)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        if url is None:
            return None
        accepted = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        if not url.startswith(accepted):
            raise ValueError(
                "must be an async SQLAlchemy URL starting with one of " + ", ".join(accepted)
            )
        return url

    @field_validator("temporal_api_key")
    @classmethod
    def _non_empty_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and not key.get_secret_value().strip():
            raise ValueError("must not be empty; unset it to connect without an API key")
        return key

    @cached_property
    def register_url(self) -> str:
        """The register's URL: the configured one, or a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'register.db').resolve()}"

    @property
    def action_keys_path(self) -> Path:
        return self.action_keys_file or self.data_dir / "action-keys.json"

    @property
    def ui_origins(self) -> list[str]:
        if self.temporal_ui_origin:
            return [self.temporal_ui_origin.rstrip("/")]
        port = self.temporal_ui_port
        return [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]

    @property
    def payload_keys_path(self) -> Path:
        return self.payload_keys_file or self.data_dir / "payload-keys.json"

    @property
    def identity_keys_path(self) -> Path:
        return self.identity_keys_file or self.data_dir / "identity-keys.json"

    @property
    def issuer(self) -> str:
        """The issuer whose tokens are accepted: the configured OIDC one or the local one."""
        return (self.oidc_issuer or self.public_api_url).rstrip("/")

    @property
    def public_api_url(self) -> str:
        return (self.api_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def temporal_host(self) -> str:
        return self.temporal_address.rsplit(":", 1)[0]

    @property
    def temporal_port(self) -> int:
        return int(self.temporal_address.rsplit(":", 1)[1])


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning validation errors into one clear message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "?"
            got = "a hidden value" if field in _SECRET_FIELDS else repr(item.get("input"))
            problems.append(f"{ENV_PREFIX}{field.upper()}: {item['msg']} (got {got})")
        raise ConfigurationError("Invalid configuration — " + "; ".join(problems)) from None

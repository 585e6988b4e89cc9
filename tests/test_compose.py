"""docker-compose.yml stays valid and in step with the code it deploys."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.serving import KEEP_ALIVE_SECONDS
from infra.devserver import search_attribute_cli_args
from infra.settings import Settings
from models.actors import Actor, Role, Scope

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"


def _compose_command() -> list[str] | None:
    """``docker compose`` (v2 plugin) if it works, else ``docker-compose`` (v1), else None."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_file_is_valid() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip(
            "neither `docker compose` nor `docker-compose` is installed; "
            "install one (e.g. apt-get install docker-compose) to validate docker-compose.yml"
        )
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_compose_registers_the_search_attributes_the_code_uses() -> None:
    service = _compose()["services"]["temporal-namespace"]
    declared = set(service["environment"]["OCOP_SEARCH_ATTRIBUTES"].split())
    args = search_attribute_cli_args()
    expected = {args[i + 1] for i in range(0, len(args), 2)}
    assert declared == expected


def test_worker_points_at_the_compose_services() -> None:
    services = _compose()["services"]
    env = services["ocop-worker"]["environment"]
    assert env["OCOP_TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env["OCOP_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgresql:5432/" in env["OCOP_DATABASE_URL"]
    assert env["OCOP_SMTP_HOST"] == "mailpit"
    images = {name: svc.get("image", "") for name, svc in services.items()}
    assert not any("auto-setup" in image for image in images.values())  # deprecated image
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-schema"].startswith("temporalio/admin-tools:")
    assert images["temporal-ui"].startswith("temporalio/ui:")
    assert images["mailpit"].startswith("axllent/mailpit:")


# --- identity (Keycloak), the API and the action keys (issue 12) ---------------------------

REALM_FILE = ROOT / "deploy" / "keycloak" / "ocop-realm.json"
SCOPE_FIELDS = set(Scope.model_fields)


def _realm() -> dict[str, Any]:
    data = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _mappers(realm: dict[str, Any]) -> list[dict[str, Any]]:
    """Every protocol mapper of the realm's clients and client scopes."""
    holders = [*realm.get("clients", []), *realm.get("clientScopes", [])]
    return [mapper for holder in holders for mapper in holder.get("protocolMappers", [])]


def _claims(realm: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        m["config"]["claim.name"]: m["config"]
        for m in _mappers(realm)
        if "claim.name" in m["config"]
    }


def test_temporal_frontend_is_not_published_on_the_host() -> None:
    services = _compose()["services"]
    assert "ports" not in services["temporal"]
    published = [str(port) for name, svc in services.items() for port in svc.get("ports", [])]
    assert not any(port.endswith(":7233") for port in published), published
    # Whatever is published listens on the loopback interface only.
    assert all(port.startswith("127.0.0.1:") for port in published), published


def test_keycloak_imports_the_ocop_realm() -> None:
    keycloak = _compose()["services"]["keycloak"]
    image = keycloak["image"]
    assert image.startswith("quay.io/keycloak/keycloak:")
    assert "latest" not in image  # pinned
    assert "--import-realm" in keycloak["command"]
    mount = "./deploy/keycloak/ocop-realm.json:/opt/keycloak/data/import/ocop-realm.json:ro"
    assert mount in keycloak["volumes"]
    assert keycloak["environment"]["KC_DB"] == "postgres"
    assert "@postgresql" not in keycloak["environment"]["KC_DB_URL"]  # no password in a URL
    assert "/health/ready" in " ".join(keycloak["healthcheck"]["test"])


def test_the_api_serves_the_factory_and_trusts_keycloak() -> None:
    services = _compose()["services"]
    api = services["ocop-api"]
    assert api["command"] == [
        "uvicorn",
        "--factory",
        "api.app:app_from_environment",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
        "--timeout-keep-alive",
        str(KEEP_ALIVE_SECONDS),
    ]
    assert api["ports"] == ["127.0.0.1:${OCOP_API_PORT:-8000}:8000"]
    env = api["environment"]
    assert env["OCOP_OIDC_ISSUER"] == "${KEYCLOAK_URL:-http://keycloak:8080}/realms/ocop"
    assert env["OCOP_OIDC_AUDIENCE"] == "ocop-api"
    # The rest of the stack's settings, as the worker has them.
    worker_env = services["ocop-worker"]["environment"]
    assert {k: env[k] for k in worker_env} == worker_env
    assert api["depends_on"]["keycloak"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(api["healthcheck"]["test"])
    assert api.get("build") == services["ocop-worker"].get("build")
    assert api["image"] == services["ocop-worker"]["image"]


def test_the_api_and_the_worker_share_the_action_keys() -> None:
    services = _compose()["services"]
    keys_file = "/keys/action-keys.json"
    for name in ("ocop-api", "ocop-worker", "ocop-keys"):
        assert services[name]["environment"]["OCOP_ACTION_KEYS_FILE"] == keys_file, name
    assert "action-keys:/keys:ro" in services["ocop-api"]["volumes"]
    assert "action-keys:/keys:ro" in services["ocop-worker"]["volumes"]
    assert "action-keys:/keys" in services["ocop-keys"]["volumes"]  # the one writer
    assert "ocop admin keys init" in " ".join(services["ocop-keys"]["command"])
    for name in ("ocop-api", "ocop-worker"):
        depends = services[name]["depends_on"]["ocop-keys"]
        assert depends["condition"] == "service_completed_successfully", name
    assert "action-keys" in _compose()["volumes"]


def test_payloads_are_encrypted_with_shared_keys_and_the_ui_decodes_through_the_api() -> None:
    services = _compose()["services"]
    for name in ("ocop-api", "ocop-worker", "ocop-keys"):
        environment = services[name]["environment"]
        assert environment["OCOP_PAYLOAD_KEYS_FILE"] == "/keys/payload-keys.json", name
        assert environment.get("OCOP_PAYLOAD_ENCRYPTION", "true") != "false", name
    assert "ocop admin payload-keys init" in " ".join(services["ocop-keys"]["command"])
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == "http://localhost:${OCOP_API_PORT:-8000}/codec"
    assert ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"  # the operator's own token
    assert ui["TEMPORAL_AUTH_CLIENT_ID"] == "temporal-ui"
    # The codec server answers the UI's origin, and the UI's tokens are the API's audience.
    ui_origin = services["ocop-api"]["environment"]["OCOP_TEMPORAL_UI_ORIGIN"]
    assert ui_origin == "http://localhost:${TEMPORAL_UI_PORT:-8080}"
    [client] = [c for c in _realm()["clients"] if c["clientId"] == "temporal-ui"]
    audiences = [m["config"].get("included.client.audience") for m in client["protocolMappers"]]
    assert "ocop-api" in audiences
    claims = {m["config"].get("claim.name") for m in client["protocolMappers"]}
    assert {"ocop_role", "ocop_scope.province"} <= claims


def test_the_realm_has_every_role_as_a_realm_role() -> None:
    realm = _realm()
    assert realm["realm"] == "ocop"
    names = {role["name"] for role in realm["roles"]["realm"]}
    assert {role.value for role in Role} <= names
    assert "ocop-api" in {client["clientId"] for client in realm["clients"]}


def test_the_realm_maps_role_scope_and_name_into_the_token() -> None:
    realm = _realm()
    claims = _claims(realm)
    assert claims["ocop_role"]["user.attribute"] == "ocop_role"
    assert claims["ocop_role"]["jsonType.label"] == "String"
    assert claims["ocop_role"]["multivalued"] == "false"
    # Nested claims: `ocop_scope.province` puts `province` inside the object `ocop_scope`.
    scope_claims = {
        name.split(".", 1)[1]: cfg for name, cfg in claims.items() if name.startswith("ocop_scope.")
    }
    assert set(scope_claims) == SCOPE_FIELDS
    for field, cfg in scope_claims.items():
        assert cfg["user.attribute"] == field
        assert cfg["multivalued"] == ("true" if field == "localities" else "false"), field
    for cfg in claims.values():
        assert cfg["access.token.claim"] == "true"
    kinds = {m["protocolMapper"]: m["config"] for m in _mappers(realm)}
    assert "oidc-full-name-mapper" in kinds  # the `name` claim
    assert kinds["oidc-audience-mapper"]["included.client.audience"] == "ocop-api"


def test_the_user_profile_declares_the_attributes_the_mappers_read() -> None:
    """Keycloak 24+ drops attributes its user profile does not declare, and no mapper sees them."""
    realm = _realm()
    (provider,) = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    declared = {attribute["name"]: attribute for attribute in profile["attributes"]}
    assert {"ocop_role", *SCOPE_FIELDS} <= set(declared)
    assert declared["ocop_role"]["validations"]["options"]["options"] == [r.value for r in Role]
    assert declared["localities"]["multivalued"] is True
    for name in ("ocop_role", *SCOPE_FIELDS):
        assert declared[name]["permissions"]["edit"] == ["admin"], name  # not self-service


def test_the_trial_users_are_valid_actors_one_per_role() -> None:
    users = _realm()["users"]
    roles = []
    for user in users:
        attributes = user["attributes"]
        (role,) = attributes["ocop_role"]
        assert user["realmRoles"] == [role], user["username"]
        scope = {
            field: values if field == "localities" else values[0]
            for field, values in attributes.items()
            if field in SCOPE_FIELDS
        }
        actor = Actor(
            subject=user["username"],
            display_name=f"{user['firstName']} {user['lastName']}",
            role=Role(role),
            scope=Scope.model_validate(scope),
        )
        assert actor.scope.province == "quang-ninh"
        assert all(credential["temporary"] for credential in user["credentials"])
        roles.append(actor.role)
    assert sorted(roles) == sorted(Role)


def test_the_api_keeps_documents_in_minio_by_its_settings() -> None:
    services = _compose()["services"]
    env = services["ocop-api"]["environment"]
    assert env["OCOP_DOCUMENTS_S3_ENDPOINT"] == "minio:9000"
    assert (
        env["OCOP_DOCUMENTS_S3_ACCESS_KEY"] == services["minio"]["environment"]["MINIO_ROOT_USER"]
    )
    assert (
        env["OCOP_DOCUMENTS_S3_SECRET_KEY"]
        == services["minio"]["environment"]["MINIO_ROOT_PASSWORD"]
    )
    settings = Settings.model_validate(
        {
            "documents_s3_endpoint": env["OCOP_DOCUMENTS_S3_ENDPOINT"],
            "documents_s3_secure": env["OCOP_DOCUMENTS_S3_SECURE"],
        }
    )
    assert settings.documents_s3_secure is False
    assert services["ocop-api"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert "minio-data:/data" in services["minio"]["volumes"]
    assert "ports" not in services["minio"]  # reached on the stack's network only


def test_the_realm_has_a_portal_client_for_the_code_flow_with_pkce() -> None:
    clients = {client["clientId"]: client for client in _realm()["clients"]}
    portal = clients["ocop-portal"]
    assert portal["publicClient"] and portal["standardFlowEnabled"]
    assert not portal["directAccessGrantsEnabled"] and not portal["implicitFlowEnabled"]
    assert portal["attributes"]["pkce.code.challenge.method"] == "S256"
    assert "http://localhost:8000/portal/callback" in portal["redirectUris"]
    assert Settings().oidc_portal_client_id == "ocop-portal"
    # Its tokens carry what the API reads, as the command line's do.
    mappers = {m["name"]: m["config"] for m in portal["protocolMappers"]}
    cli = {m["name"]: m["config"] for m in clients["ocop-cli"]["protocolMappers"]}
    assert mappers == cli and "audience ocop-api" in mappers

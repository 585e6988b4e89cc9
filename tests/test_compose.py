"""docker-compose.yml stays valid and in step with the code it deploys."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.devserver import search_attribute_cli_args

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

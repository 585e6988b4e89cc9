"""Signing in to the portal at an OpenID Connect provider (Keycloak in the compose
stack): authorization code with PKCE, the state checked, the token verified like any
bearer token before it becomes the session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.identity import Account
from api.serving import serving
from infra.database import create_engine, migrate, session_factory
from infra.ports import find_free_port
from infra.settings import Settings
from models.actors import Role, Scope
from tests.portal.forms import text_of
from tests.portal.provider import OidcTestProvider
from tests.signing import KEYS

pytestmark = pytest.mark.devserver

PRODUCER = Account(
    subject="kc-hoptien",
    display_name="HTX Hợp Tiến",
    role=Role.PRODUCER,
    scope=Scope(province="quang-ninh", applicant="hoptien@example.vn"),
)


@dataclass
class Stack:
    portal: str
    provider: OidcTestProvider


@pytest_asyncio.fixture(loop_scope="session")
async def stack(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    provider_port, api_port = find_free_port(), find_free_port()
    provider = OidcTestProvider(f"http://127.0.0.1:{provider_port}", "ocop-api")
    url = f"sqlite+aiosqlite:///{tmp_path / 'register.db'}"
    await migrate(url)
    engine = create_engine(url)
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        api_url=f"http://127.0.0.1:{api_port}",
        oidc_issuer=provider.issuer,
        oidc_audience="ocop-api",
    )
    app = create_app(
        settings,
        client=dev_server_env.client,
        sessions=session_factory(engine),
        action_keys=KEYS,
    )
    try:
        async with (
            serving(provider.app(), "127.0.0.1", provider_port),
            serving(app, "127.0.0.1", api_port),
        ):
            yield Stack(settings.public_api_url, provider)
    finally:
        await engine.dispose()


async def test_a_producer_signs_in_at_the_provider_and_lands_on_their_page(stack: Stack) -> None:
    stack.provider.person = PRODUCER
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30.0) as browser:
        first = await browser.get("/portal/products")
        assert first.status_code == 303 and first.headers["location"].startswith(
            "/portal/sign-in?next=/portal/products"
        )
        landed = await browser.get("/portal/products", follow_redirects=True)
        hops = [str(r.url).split("?")[0] for r in landed.history]
        assert hops[:3] == [
            f"{stack.portal}/portal/products",
            f"{stack.portal}/portal/sign-in",
            f"{stack.provider.issuer}/authorize",
        ]
        assert landed.status_code == 200 and landed.url.path == "/portal/products"
        assert "HTX Hợp Tiến · chủ thể" in text_of(landed.text)
        assert "ocop_login" not in browser.cookies  # the round trip's secret is spent


async def test_a_callback_that_did_not_start_here_is_refused(stack: Stack) -> None:
    stack.provider.person = PRODUCER
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30.0) as browser:
        to_provider = await browser.get("/portal/sign-in")
        authorize = await browser.get(to_provider.headers["location"])
        back = httpx.URL(authorize.headers["location"])
        forged = await browser.get(
            "/portal/callback", params={"code": back.params["code"], "state": "not-mine"}
        )
        assert forged.status_code == 401
        assert "its state does not match" in text_of(forged.text)
        stale = await browser.get(
            "/portal/callback", params={"code": "made-up", "state": back.params["state"]}
        )
        assert stale.status_code == 401
        assert "the provider refused (400)" in text_of(stale.text)
        products = await browser.get("/portal/products")
        assert products.status_code == 303  # still nobody signed in


async def test_a_token_without_an_ocop_role_opens_no_session(stack: Stack) -> None:
    stack.provider.person = Account(
        subject="kc-nobody", display_name="Ai đó", role=Role.PRODUCER, scope=Scope()
    )
    async with httpx.AsyncClient(base_url=stack.portal, timeout=30.0) as browser:
        landed = await browser.get("/portal/products", follow_redirects=True)
        assert landed.status_code == 401
        assert "Không đăng nhập được" in text_of(landed.text)
        assert "no usable OCOP role and scope" in text_of(landed.text)

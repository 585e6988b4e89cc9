"""The API application: `create_app` for a running stack, `app_from_environment` for uvicorn.

uvicorn --factory api.app:app_from_environment --host 0.0.0.0 --port 8000
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api import problems
from api.identity import TokenVerifier
from api.limits import BodyLimit
from api.routes import auth, cases, codec, cycles, meetings, reads
from api.services import Services
from infra.action_keys import ActionKeys
from infra.database import create_engine, migrate, session_factory
from infra.settings import Settings, load_settings
from infra.temporal import connect

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

TITLE = "ocop-flow API"
DESCRIPTION = (
    "Chương trình OCOP — the OCOP programme's certification cycle, for every person in it: "
    "the province's office, producers, commune and district offices, councils, authorities "
    "and operators. Sign in at /auth/token (embedded stack) or at the province's identity "
    "provider; errors are RFC 9457 problem documents."
)


def _application(lifespan: Lifespan | None = None, ui_origins: list[str] | None = None) -> FastAPI:
    from api.portal import site as portal  # late: the `ocop` commands import this module

    app = FastAPI(title=TITLE, description=DESCRIPTION, version="1.0.0", lifespan=lifespan)
    problems.install(app)
    routers = (
        auth.router,
        cycles.router,
        cases.router,
        meetings.router,
        reads.router,
        codec.router,
    )
    for router in routers:
        app.include_router(router)
    portal.install(app)
    app.add_middleware(
        BodyLimit,
        larger=(("/codec/", codec.MAX_CODEC_BYTES), ("/portal/", portal.MAX_FORM_BYTES)),
    )
    if ui_origins:
        # The Web UI calls the codec server from the browser, with the operator's token.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=ui_origins,
            allow_methods=["POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,
        )

    @app.get("/healthz", tags=["health"], summary="The API answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _services(
    settings: Settings,
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    action_keys: ActionKeys,
    identity_keys: ActionKeys | None,
) -> Services:
    keys = identity_keys or ActionKeys.load_or_create(settings.identity_keys_path)
    return Services(
        codec=client.data_converter.payload_codec,
        settings=settings,
        client=client,
        sessions=sessions,
        action_keys=action_keys,
        identity_keys=keys,
        verifier=TokenVerifier(settings, keys),
    )


def create_app(
    settings: Settings,
    *,
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    action_keys: ActionKeys,
    identity_keys: ActionKeys | None = None,
) -> FastAPI:
    """The API over connections the caller holds (`ocop dev up`, the tests)."""
    app = _application(ui_origins=settings.ui_origins)
    app.state.services = _services(settings, client, sessions, action_keys, identity_keys)
    return app


def app_from_environment() -> FastAPI:
    """The API of the configured stack: settings from `OCOP_*`; Temporal and the register
    are connected when uvicorn starts serving."""
    settings = load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings.register_url)
        engine = create_engine(settings.register_url)
        client = await connect(settings)
        keys = ActionKeys.load(settings.action_keys_path)
        app.state.services = _services(settings, client, session_factory(engine), keys, None)
        try:
            yield
        finally:
            await engine.dispose()

    return _application(lifespan, ui_origins=settings.ui_origins)


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, as `docs/openapi.json` keeps it."""
    return _application().openapi()

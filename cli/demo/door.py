"""The demo's people act through the HTTP API, each with a token of their own account.

The demo serves the API on a free port beside its worker, enrols each person the first
time they act (one account per role and scope, all with one password hashed once) and
sends every human step to the route of that step, as the portal or a province's own
client would. A refusal comes back as a problem document; its detail is the line the
demo prints, the same words as the command line's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from typing import TypeVar

import httpx
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.accounts import HASHER, enrol
from api.app import create_app
from api.identity import Account, issue_token
from api.serving import serving
from cli.api_client import post, post_step
from contracts.refs import UpdateRef
from infra.action_keys import ActionKeys
from infra.database import create_engine, migrate, session_factory
from infra.ports import find_free_port, port_is_free
from infra.settings import Settings
from models.actors import Actor
from models.cycle_messages import SubmissionReceipt
from models.cycle_settings import CycleInput
from models.dossier import Dossier

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")


class ApiDoor:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        identity: ActionKeys,
        enrolled: async_sessionmaker[AsyncSession],
    ) -> None:
        self._http = http
        self._settings = settings
        self._identity = identity
        self._sessions = enrolled
        self._hash = HASHER.hash(secrets.token_urlsafe(16))
        self._tokens: dict[str, str] = {}

    async def _token(self, actor: Actor) -> str:
        """The person's token; their account is enrolled the first time they act."""
        scope = json.dumps(actor.scope.model_dump(mode="json"), sort_keys=True)
        key = hashlib.sha256(f"{actor.role}|{actor.display_name}|{scope}".encode()).hexdigest()
        if key not in self._tokens:
            account = Account(
                subject=f"demo-{key[:16]}",
                display_name=actor.display_name,
                role=actor.role,
                scope=actor.scope,
            )
            await enrol(self._sessions, account, f"{actor.role.value}-{key[:12]}", self._hash)
            self._tokens[key] = issue_token(self._settings, self._identity, account)[0]
        return self._tokens[key]

    async def keep_account(self, username: str, actor: Actor, password_hash: str) -> None:
        """Enrol `actor` as a local account people sign in to the portal with."""
        account = Account(
            subject=f"portal-{username}"[:64],
            display_name=actor.display_name,
            role=actor.role,
            scope=actor.scope,
        )
        await enrol(self._sessions, account, username, password_hash)

    @property
    def base_url(self) -> str:
        return self._settings.public_api_url

    async def step(
        self, workflow_id: str, ref: UpdateRef[In, Out], payload: In, actor: Actor
    ) -> Out:
        """Take the step `ref` on the case as `actor`; what the case answered."""
        return await post_step(self._http, await self._token(actor), workflow_id, ref, payload)

    async def submit(
        self, province: str, year: int, dossier: Dossier, actor: Actor
    ) -> SubmissionReceipt:
        token = await self._token(actor)
        found = await post(self._http, f"/api/v1/cycles/{province}/{year}/dossiers", token, dossier)
        return SubmissionReceipt.model_validate(found)

    async def open_cycle(self, cycle: CycleInput, actor: Actor) -> str:
        opened = await post(self._http, "/api/v1/cycles", await self._token(actor), cycle)
        return str(opened["workflow_id"])


@contextlib.asynccontextmanager
async def served_door(settings: Settings, client: Client) -> AsyncIterator[ApiDoor]:
    """The API on a free local port for the demo's run, and the door to it."""
    await migrate(settings.register_url)  # the worker does too; whoever comes first
    engine = create_engine(settings.register_url)
    sessions = session_factory(engine)
    identity = ActionKeys.load_or_create(settings.identity_keys_path)
    # The configured API port when it is free (the portal stays there after the story).
    port = settings.api_port if port_is_free("127.0.0.1", settings.api_port) else find_free_port()
    local = settings.model_copy(update={"api_url": f"http://127.0.0.1:{port}"})
    app = create_app(
        local,
        client=client,
        sessions=sessions,
        action_keys=ActionKeys.load_or_create(settings.action_keys_path),
        identity_keys=identity,
    )
    try:
        async with (
            serving(app, "127.0.0.1", port),
            httpx.AsyncClient(base_url=local.public_api_url, timeout=120.0) as http,
        ):
            yield ApiDoor(http, local, identity, sessions)
    finally:
        await engine.dispose()


def cycle_year(cycle_workflow_id: str) -> int:
    """The year of a cycle from its workflow id (`contracts.cycle.cycle_workflow_id`)."""
    return int(cycle_workflow_id.rsplit("-", 1)[1])

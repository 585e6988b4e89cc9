"""The demo's people act through the HTTP API, each with a token of their own account.

The demo serves the API on a free port beside its worker, enrols each person the first
time they act (one account per role and scope, all with one password hashed once) and
sends every human step to the route of that step, as the portal or a province's own
client would. A refusal comes back as a problem document; its detail is the line the
demo prints, the same words as the command line's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any, Final, TypeVar

import httpx
import uvicorn
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.accounts import HASHER, enrol
from api.app import create_app
from api.identity import Account, issue_token
from contracts import case
from contracts.refs import UpdateRef
from infra.action_keys import ActionKeys
from infra.database import create_engine, migrate, session_factory
from infra.ports import find_free_port
from infra.settings import Settings
from models.actors import Actor
from models.case import CaseStage
from models.cycle_messages import SubmissionReceipt
from models.cycle_settings import CycleInput
from models.dossier import Dossier

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")

ROUTES: Final = {
    case.REVIEW.name: "review",
    case.SUPPLY_SUPPLEMENT.name: "supplements",
    case.SUBMIT_SCORECARD.name: "scorecards",
    case.CLOSE_SESSION.name: "sessions/close",
    case.RECOGNISE.name: "recognition",
    case.REVOKE.name: "revocation",
    case.APPLY.name: "applications",
}
"""Each step's route under /api/v1/cases/{workflow_id}/ (api/routes/cases.py)."""


class StepRefused(Exception):
    """The API said no; the message is the problem's detail."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


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

    async def _post(self, path: str, actor: Actor, body: BaseModel) -> Any:
        answer = await self._http.post(
            path,
            content=body.model_dump_json(),
            headers={
                "Authorization": f"Bearer {await self._token(actor)}",
                "Content-Type": "application/json",
            },
        )
        if answer.status_code >= 400:
            problem = (
                answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
            )
            raise StepRefused(answer.status_code, str(problem.get("detail") or answer.text))
        return answer.json()

    async def step(
        self, workflow_id: str, ref: UpdateRef[In, Out], payload: In, actor: Actor
    ) -> Out:
        """Take the step `ref` on the case as `actor`; what the case answered."""
        found = await self._post(f"/api/v1/cases/{workflow_id}/{ROUTES[ref.name]}", actor, payload)
        if ref.result is CaseStage:
            found = found["stage"]
        return TypeAdapter(ref.result).validate_python(found)

    async def submit(
        self, province: str, year: int, dossier: Dossier, actor: Actor
    ) -> SubmissionReceipt:
        found = await self._post(f"/api/v1/cycles/{province}/{year}/dossiers", actor, dossier)
        return SubmissionReceipt.model_validate(found)

    async def open_cycle(self, cycle: CycleInput, actor: Actor) -> str:
        return str((await self._post("/api/v1/cycles", actor, cycle))["workflow_id"])


@contextlib.asynccontextmanager
async def served_door(settings: Settings, client: Client) -> AsyncIterator[ApiDoor]:
    """The API on a free local port for the demo's run, and the door to it."""
    await migrate(settings.register_url)  # the worker does too; whoever comes first
    engine = create_engine(settings.register_url)
    sessions = session_factory(engine)
    identity = ActionKeys.load_or_create(settings.identity_keys_path)
    port = find_free_port()
    local = settings.model_copy(update={"api_url": f"http://127.0.0.1:{port}"})
    app = create_app(
        local,
        client=client,
        sessions=sessions,
        action_keys=ActionKeys.load_or_create(settings.action_keys_path),
        identity_keys=identity,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve(), name="ocop-demo-api")
    try:
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn: a flag only)
            await asyncio.sleep(0.02)
        if serving.done():
            serving.result()  # its error, if it failed to start
        async with httpx.AsyncClient(base_url=local.public_api_url, timeout=120.0) as http:
            yield ApiDoor(http, local, identity, sessions)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await serving
        await engine.dispose()


def cycle_year(cycle_workflow_id: str) -> int:
    """The year of a cycle from its workflow id (`contracts.cycle.cycle_workflow_id`)."""
    return int(cycle_workflow_id.rsplit("-", 1)[1])

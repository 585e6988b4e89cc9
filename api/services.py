"""What every route needs: the connections, the keys, and the checks of who is calling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import PayloadCodec
from temporalio.service import RPCError, RPCStatusCode

from api.identity import TokenRefused, TokenVerifier
from api.limits import RateLimits
from api.problems import ApiProblem
from contracts import case
from contracts.refs import query
from infra.action_keys import ActionKeys
from infra.cases import case_handle, case_of_dossier_number
from infra.documents import DocumentStore, document_store
from infra.settings import Settings
from models.actors import Actor, CaseAccess
from models.dossier_numbers import is_dossier_number
from models.errors import Refusal
from models.register import AccessRefusalRow

T = TypeVar("T")
log = logging.getLogger("ocop.api")

ANSWER_WITHIN_SECONDS = 60.0
"""How long a request waits for its workflow's answer before saying no worker answered."""


@dataclass
class Services:
    settings: Settings
    client: Client
    sessions: async_sessionmaker[AsyncSession]
    action_keys: ActionKeys
    identity_keys: ActionKeys
    verifier: TokenVerifier
    codec: PayloadCodec | None = None
    limits: RateLimits = field(default_factory=RateLimits)
    documents: DocumentStore = field(init=False)

    def __post_init__(self) -> None:
        self.documents = document_store(self.settings)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


_bearer = HTTPBearer(auto_error=False, description="A token of the OCOP issuer")


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The verified caller; 401 (with `WWW-Authenticate`) for a missing or refused token."""
    if credentials is None:
        raise ApiProblem(
            401,
            "unauthenticated",
            "Chưa đăng nhập — not signed in",
            "cần mã truy cập (Authorization: Bearer …) — a bearer token is required; "
            "get one at /auth/token",
            headers={"WWW-Authenticate": 'Bearer realm="ocop"'},
        )
    try:
        return await services(request).verifier.actor(credentials.credentials)
    except TokenRefused as error:
        raise ApiProblem(
            401,
            "invalid-token",
            "Mã truy cập không hợp lệ — invalid token",
            f"mã truy cập không được chấp nhận — {error}",
            headers={"WWW-Authenticate": 'Bearer realm="ocop", error="invalid_token"'},
        ) from None


CurrentActor = Annotated[Actor, Depends(current_actor)]
Svc = Annotated[Services, Depends(services)]


async def permit(
    svc: Services, actor: Actor, refusal: Refusal | None, action: str, target: str
) -> None:
    """Let the action through, or answer 403 and keep an audit line of who tried what."""
    if refusal is None:
        return
    log.warning("refused: %s (%s) tried %s on %s", actor.subject, actor.role.value, action, target)
    async with svc.sessions.begin() as session:
        session.add(
            AccessRefusalRow(
                at=datetime.now(UTC),
                subject=actor.subject,
                role=actor.role.value,
                action=action,
                target=target[:255],
                reason=refusal.message,
            )
        )
    raise ApiProblem(403, "not-permitted", "Không được phép — not permitted", refusal.message)


async def answered(call: Awaitable[T], what: str) -> T:
    """The workflow's answer, or 504 when no worker gives one in time."""
    try:
        async with asyncio.timeout(ANSWER_WITHIN_SECONDS):
            return await call
    except TimeoutError:
        raise ApiProblem(
            504,
            "no-answer",
            "Không có phản hồi — no answer",
            f"{what}: no worker answered within {ANSWER_WITHIN_SECONDS:.0f} s; try again later",
        ) from None


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, "not-found", "Không tìm thấy — not found", f"{what} does not exist")


Handle = WorkflowHandle[Any, Any]


async def case_access(svc: Services, workflow_id: str) -> tuple[Handle, CaseAccess]:
    """The case and what its access rules need; 404 when there is no such case. A
    dossier number (HS-QN-2024-0037) finds the case it was given to."""
    if is_dossier_number(workflow_id):
        found = await case_of_dossier_number(svc.client, workflow_id)
        if found is None:
            raise not_found(f"dossier {workflow_id!r}")
        workflow_id = found
    handle = case_handle(svc.client, workflow_id)
    try:
        access = await answered(query(handle, case.ACCESS_FACTS), f"case {workflow_id}")
    except RPCError as error:
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise not_found(f"case {workflow_id!r}") from None
        raise
    return handle, access

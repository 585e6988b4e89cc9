"""Who the command line acts as when it takes a person's step on a case or a cycle.

Every human Update must carry a signed assertion of its actor (`models/assertions.py`).
Until the CLI's human steps go through the HTTP API with the person's own token, the
CLI signs them itself with the installation's key file — which only the server holds
(`OCOP_ACTION_KEYS_FILE`, in the data folder on the embedded stack). It signs as the
role the command needs, scoped to the case it acts on, with the name given by `--by`
(or the decision's authority), and with the subject `cli:<operating-system user>`, so
the register shows the step was taken on the server's command line and by whom.

So holding the key file is what lets the CLI act, as holding Temporal's address was
before; the workflow still checks the scope and the case's rules.
"""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter
from temporalio.client import WorkflowHandle

from cli.api_client import post, post_step
from cli.common import EXIT_BAD_INPUT, fail, settings
from contracts import case, cycle
from contracts.refs import UpdateRef, query, update
from infra.action_keys import ActionKeyError, ActionKeys
from models.actors import Actor, CaseAccess, Role, Scope
from models.bounds import MAX_ID_CHARS, MAX_PERSON_NAME_CHARS

CYCLE_ROUTES: Final = {cycle.SUBMIT.name: "dossiers", cycle.CLOSE.name: "close"}
"""A cycle's steps under /api/v1/cycles/{province}/{year}/ (api/routes/cycles.py)."""

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")


@cache
def action_keys() -> ActionKeys:
    path = settings().action_keys_path
    try:
        return ActionKeys.load_or_create(path)
    except ActionKeyError as error:
        fail(
            f"{error}; the server's key file signs people's steps: start the stack "
            "(`ocop dev up`) or set OCOP_ACTION_KEYS_FILE",
            EXIT_BAD_INPUT,
        )


def _subject() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        user = "unknown"
    return f"cli:{user}"[:MAX_ID_CHARS]


def cli_actor(role: Role, name: str, scope: Scope) -> Actor:
    return Actor(
        subject=_subject(),
        display_name=name.strip()[:MAX_PERSON_NAME_CHARS] or role.value,
        role=role,
        scope=scope,
    )


def api_token() -> str | None:
    """The caller's bearer token: OCOP_TOKEN, or the one `ocop login` kept; None without."""
    config = settings()
    if config.token is not None:
        return config.token.get_secret_value()
    kept = config.data_dir / "cli-token"
    return kept.read_text(encoding="utf-8").strip() if kept.exists() else None


async def through_api(token: str, path: str, payload: BaseModel) -> Any:
    async with httpx.AsyncClient(base_url=settings().public_api_url, timeout=90.0) as http:
        return await post(http, path, token, payload)


def on_case(
    ref: UpdateRef[In, Out], payload: In, actor: Callable[[CaseAccess], Actor]
) -> Callable[[WorkflowHandle[Any, Any]], Awaitable[Out]]:
    """The Update as a step on a case.

    With a token (`ocop login`, OCOP_TOKEN) it goes through the API as the token's
    holder; without, on the server, it is signed here as `actor` from the case's facts.
    """

    async def send(handle: WorkflowHandle[Any, Any]) -> Out:
        token = api_token()
        if token is not None:
            async with httpx.AsyncClient(base_url=settings().public_api_url, timeout=90.0) as http:
                return await post_step(http, token, handle.id, ref, payload)
        access = await query(handle, case.ACCESS_FACTS)
        signed = action_keys().sign(
            actor(access), action=ref.name, workflow_id=handle.id, payload=payload
        )
        return await update(handle, ref, payload, signed)

    return send


def on_cycle(
    ref: UpdateRef[In, Out], payload: In, actor: Actor
) -> Callable[[WorkflowHandle[Any, Any]], Awaitable[Out]]:
    """The Update as a step on a cycle: through the API with a token, else signed here."""

    async def send(handle: WorkflowHandle[Any, Any]) -> Out:
        token = api_token()
        if token is not None:
            province, year = handle.id.removeprefix("ocop-cycle-").rsplit("-", 1)
            path = f"/api/v1/cycles/{province}/{year}/{CYCLE_ROUTES[ref.name]}"
            return TypeAdapter(ref.result).validate_python(await through_api(token, path, payload))
        signed = action_keys().sign(actor, action=ref.name, workflow_id=handle.id, payload=payload)
        return await update(handle, ref, payload, signed)

    return send


def administrator(province: str, name: str = "Văn phòng Điều phối OCOP") -> Actor:
    """The province's coordinating office, opening or scheduling its cycles."""
    return cli_actor(Role.ADMINISTRATOR, name, Scope(province=province))


# --------------------------------------------------------- the roles of a case


def reviewer(name: str) -> Callable[[CaseAccess], Actor]:
    return lambda access: cli_actor(
        Role.REVIEWER,
        name,
        Scope(province=access.facts.province, locality=access.facts.locality),
    )


def producer(name: str) -> Callable[[CaseAccess], Actor]:
    return lambda access: cli_actor(
        Role.PRODUCER,
        name,
        Scope(province=access.facts.province, applicant=access.facts.applicant),
    )


def council_member(
    member_id: str, level: str, name: str | None = None
) -> Callable[[CaseAccess], Actor]:
    return lambda access: cli_actor(
        Role.COUNCIL_MEMBER,
        name or member_id,
        Scope(province=access.facts.province, level=level, member_id=member_id),
    )


def secretary(name: str, level: str) -> Callable[[CaseAccess], Actor]:
    return lambda access: cli_actor(
        Role.COUNCIL_SECRETARY, name, Scope(province=access.facts.province, level=level)
    )


def authority(name: str, level: str | None = None) -> Callable[[CaseAccess], Actor]:
    """The authority `name`, at `level` (default: the level of the certificate it acts on)."""
    return lambda access: cli_actor(
        Role.AUTHORITY,
        name,
        Scope(
            province=access.facts.province,
            level=level or access.certificate_level or "none",
            authority=name,
        ),
    )

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
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import WorkflowHandle

from cli.common import EXIT_BAD_INPUT, fail, settings
from contracts import case
from contracts.refs import UpdateRef, query, update
from infra.action_keys import ActionKeyError, ActionKeys
from models.actors import Actor, CaseAccess, Role, Scope
from models.bounds import MAX_ID_CHARS, MAX_PERSON_NAME_CHARS

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


def on_case(
    ref: UpdateRef[In, Out], payload: In, actor: Callable[[CaseAccess], Actor]
) -> Callable[[WorkflowHandle[Any, Any]], Awaitable[Out]]:
    """The Update as a step on a case: `actor` names who takes it, from the case's facts."""

    async def send(handle: WorkflowHandle[Any, Any]) -> Out:
        access = await query(handle, case.ACCESS_FACTS)
        signed = action_keys().sign(
            actor(access), action=ref.name, workflow_id=handle.id, payload=payload
        )
        return await update(handle, ref, payload, signed)

    return send


def on_cycle(
    ref: UpdateRef[In, Out], payload: In, actor: Actor
) -> Callable[[WorkflowHandle[Any, Any]], Awaitable[Out]]:
    """The Update as a step on a cycle, taken by `actor`."""

    def send(handle: WorkflowHandle[Any, Any]) -> Awaitable[Out]:
        signed = action_keys().sign(actor, action=ref.name, workflow_id=handle.id, payload=payload)
        return update(handle, ref, payload, signed)

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

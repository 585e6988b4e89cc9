"""Signed actions in tests: the suite's key files, and the people who act on cases.

The key files are made once per test run (their paths in OCOP_ACTION_KEYS_FILE and
OCOP_PAYLOAD_KEYS_FILE, set before any Settings is read, so every worker and command
the tests start trusts the same action keys and encrypts payloads with the same key
set, in this process or a child; `CONVERTER` is what the test servers' clients speak).
`act` sends an Update the way the API does: signed in an actor's name. The
actors are the ones the scenario needs, each scoped to the case they act on.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from contracts.refs import UpdateRef
from infra.action_keys import ActionKeys
from infra.actions import act as signed_act
from infra.payload_codec import PayloadKeys
from infra.temporal import encrypted_converter
from models.actors import Actor, Role, Scope, applicant_key
from models.assertions import SignedAction
from models.dossier import Dossier
from workflows.trust import trust

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")

_ENV = "OCOP_ACTION_KEYS_FILE"
_PAYLOAD_ENV = "OCOP_PAYLOAD_KEYS_FILE"
_FOLDER = Path(tempfile.mkdtemp(prefix="ocop-test-keys-"))
os.environ.setdefault(_ENV, str(_FOLDER / "action-keys.json"))
os.environ.setdefault(_PAYLOAD_ENV, str(_FOLDER / "payload-keys.json"))
KEY_FILE = Path(os.environ[_ENV])
KEYS = ActionKeys.load_or_create(KEY_FILE)
PAYLOAD_KEYS = PayloadKeys.load_or_create(Path(os.environ[_PAYLOAD_ENV]))
CONVERTER = encrypted_converter(PAYLOAD_KEYS)
"""The converter of the suite's clients and workers: payloads encrypted, as by default."""
# Workers built without `worker.build_worker` (the fake activities' worlds) trust them too.
trust(KEYS.public_jwks())


def sign(
    actor: Actor,
    ref: UpdateRef[Any, Any],
    workflow_id: str,
    payload: BaseModel,
    now: datetime | None = None,
) -> SignedAction:
    return KEYS.sign(actor, action=ref.name, workflow_id=workflow_id, payload=payload, now=now)


async def act(
    handle: WorkflowHandle[Any, Any],
    actor: Actor,
    ref: UpdateRef[In, Out],
    payload: In,
    now: datetime | None = None,
) -> Out:
    return await signed_act(handle, KEYS, actor, ref, payload, now=now)


async def act_on(
    env: WorkflowEnvironment,
    handle: WorkflowHandle[Any, Any],
    actor: Actor,
    ref: UpdateRef[In, Out],
    payload: In,
) -> Out:
    """`act`, signed at the time `env`'s workflows see (the time-skipping server's own)."""
    return await act(handle, actor, ref, payload, now=await env.get_current_time())


def any_signature() -> SignedAction:
    """A well-formed assertion to send beside a payload the data converter refuses.

    With its second argument the Update's payload is decoded by its type, so a malformed
    one is refused as invalid input before any validator (or signature) is looked at.
    """
    anyone = administrator("quang-ninh")
    return KEYS.sign(anyone, action="malformed", workflow_id="malformed", payload=anyone)


# ------------------------------------------------------------------- actors


def _subject(role: Role, *parts: str) -> str:
    return "-".join((role.value, *parts))[:64]


def reviewer(province: str, locality: str, name: str = "Phòng Nông nghiệp") -> Actor:
    return Actor(
        subject=_subject(Role.REVIEWER, locality),
        display_name=name[:120],
        role=Role.REVIEWER,
        scope=Scope(province=province, locality=locality),
    )


def reviewer_of(dossier: Dossier, name: str = "Phòng Nông nghiệp") -> Actor:
    return reviewer(dossier.province, dossier.locality, name)


def producer(province: str, applicant: str, name: str = "Chủ thể") -> Actor:
    """`applicant`: the applicant's email (any case: it is compared lower-case)."""
    key = applicant_key(applicant)
    return Actor(
        subject=_subject(Role.PRODUCER, hashlib.sha256(key.encode()).hexdigest()[:12]),
        display_name=name[:120],
        role=Role.PRODUCER,
        scope=Scope(province=province, applicant=key),
    )


def producer_of(dossier: Dossier) -> Actor:
    return producer(dossier.province, str(dossier.applicant.email), dossier.applicant.name)


def member(province: str, level: str, member_id: str, name: str | None = None) -> Actor:
    return Actor(
        subject=_subject(Role.COUNCIL_MEMBER, level, member_id),
        display_name=name or member_id,
        role=Role.COUNCIL_MEMBER,
        scope=Scope(province=province, level=level, member_id=member_id),
    )


def secretary(province: str, level: str) -> Actor:
    return Actor(
        subject=_subject(Role.COUNCIL_SECRETARY, level),
        display_name=f"Thư ký hội đồng cấp {level}",
        role=Role.COUNCIL_SECRETARY,
        scope=Scope(province=province, level=level),
    )


def authority(level: str, name: str, province: str | None = None) -> Actor:
    return Actor(
        subject=_subject(Role.AUTHORITY, level, hashlib.sha256(name.encode()).hexdigest()[:8]),
        display_name=name[:120],
        role=Role.AUTHORITY,
        scope=Scope(province=province, level=level, authority=name),
    )


def administrator(province: str) -> Actor:
    return Actor(
        subject=_subject(Role.ADMINISTRATOR, province),
        display_name="Văn phòng Điều phối OCOP",
        role=Role.ADMINISTRATOR,
        scope=Scope(province=province),
    )

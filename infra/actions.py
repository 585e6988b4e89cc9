"""Taking a human action on a case or a cycle: sign it in the actor's name, then send it.

The API calls this once it has verified the person's token and their scope; the cycle's
activities call the signer directly for what the cycle does in people's names. The
workflow's validator verifies the signature again, so nothing here is trusted by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import WorkflowHandle

from contracts.refs import UpdateRef, update
from infra.action_keys import ActionKeys
from models.actors import Actor

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")


async def act(
    handle: WorkflowHandle[Any, Any],
    keys: ActionKeys,
    actor: Actor,
    ref: UpdateRef[In, Out],
    payload: In,
    *,
    now: datetime | None = None,
) -> Out:
    """Send `ref` with `payload` to the workflow as `actor`'s signed action; its result.

    A refusal raises `WorkflowUpdateFailedError` (word it with `infra.refusals`). `now` is
    the time the workflow sees, for a time-skipping test server.
    """
    signed = keys.sign(actor, action=ref.name, workflow_id=handle.id, payload=payload, now=now)
    return await update(handle, ref, payload, signed)

"""A workflow's check of who takes each human action, and its memory of used assertions.

Validators call `verified` before anything enters history: an action without a valid
signed assertion for this workflow, this action and this request is refused with the
assertion's own words (`models/assertions.py`). Handlers call `accepted`, which reads
the claims again without verifying (handlers also run on replay, when the keys may
have rotated) and remembers the nonce, so the same assertion is refused a second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from pydantic import BaseModel, TypeAdapter
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.actors import Actor
    from models.assertions import (
        SignedAction,
        accepted_claims,
        remembered_nonces,
        verify_action,
    )
    from models.errors import Refusal
    from workflows.trust import trusted_keys


Request = TypeVar("Request", bound=BaseModel)


def as_sent(model: type[Request], request: Request) -> Request:
    """The request as its model, also when the Update came with it alone.

    Temporal applies a handler's type hints only when the Update carries as many
    arguments as the handler takes: an Update recorded before actions were signed
    (one argument, replayed now) reaches the handler as plain JSON data. Validators
    need no such care: they refuse an unsigned action before reading its request.
    """
    if isinstance(request, model):
        return request
    return TypeAdapter(model).validate_json(json.dumps(request))


class HoldsNonces(Protocol):
    """Where a workflow keeps the nonces it has accepted (carried across continue-as-new)."""

    action_nonces: dict[str, datetime]


class SignedActions:
    def __init__(self, holder: Callable[[], HoldsNonces]) -> None:
        self._holder = holder

    def verified(self, signed: SignedAction | None, action: str, payload: BaseModel) -> Actor:
        """The verified actor, or the refusal raised (from a validator: nothing is recorded)."""
        checked = verify_action(
            signed,
            trusted_keys(),
            action=action,
            workflow_id=workflow.info().workflow_id,
            payload=payload,
            now=workflow.now(),
            seen=self._holder().action_nonces,
        )
        if isinstance(checked, Refusal):
            raise ApplicationError(checked.message, type=checked.type, non_retryable=True)
        return checked

    def accepted(self, signed: SignedAction | None) -> Actor | None:
        """The actor of an accepted action (None for one recorded before actions were signed)."""
        if signed is None:
            return None
        claims = accepted_claims(signed)
        holder = self._holder()
        holder.action_nonces = remembered_nonces(holder.action_nonces, claims, workflow.now())
        return claims.actor

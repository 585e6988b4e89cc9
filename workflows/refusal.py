"""How a workflow turns a rule's refusal into the error a refused Update's caller gets."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.errors import Refusal


def refuse(refusal: Refusal | None) -> None:
    """Raise the refusal (from a validator: nothing enters history); None lets it pass."""
    if refusal is not None:
        raise ApplicationError(refusal.message, type=refusal.type)

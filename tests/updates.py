"""Sending an Update in a test: expect it to succeed, or expect it refused and read why.

Both take the pending call itself (`case.accept()`, `act(handle, actor, ref, request)`,
a driver's method), so a test says in one line what it sends and what it expects:

    stage = await ok(act(handle, reviewer_of(dossier), case.REVIEW, decision))
    assert "documents are missing" in await refused(case.accept())

A refusal reads as `explain_refusal` words it, the one line the `ocop` commands print.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from temporalio.client import WorkflowUpdateFailedError

from infra.refusals import explain_refusal

T = TypeVar("T")


async def ok(update: Awaitable[T]) -> T:
    """The Update's result; a refusal fails the test with the refusal's own words."""
    try:
        return await update
    except WorkflowUpdateFailedError as error:
        raise AssertionError(f"the Update was refused: {explain_refusal(error)}") from error


async def refused(update: Awaitable[Any]) -> str:
    """Why the Update was refused; its acceptance fails the test."""
    try:
        accepted = await update
    except WorkflowUpdateFailedError as error:
        return explain_refusal(error)
    raise AssertionError(f"the Update was accepted (it returned {accepted!r})")

"""Typed handles on a workflow's Updates, queries and signals, and on activities.

A name alone would let a caller send the wrong payload or read the wrong result;
each reference carries both types, and `update`/`query`/`signal` use them so a
caller's type checker sees what the workflow accepts and returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from temporalio.client import WorkflowHandle

from models.assertions import SignedAction

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class UpdateRef(Generic[In, Out]):
    name: str
    argument: type[In]
    result: type[Out]


@dataclass(frozen=True)
class QueryRef(Generic[Out]):
    name: str
    result: type[Out]


@dataclass(frozen=True)
class SignalRef(Generic[In]):
    name: str
    argument: type[In]


@dataclass(frozen=True)
class ActivityRef(Generic[In, Out]):
    name: str
    argument: type[In]
    result: type[Out]


async def update(
    handle: WorkflowHandle[Any, Any],
    ref: UpdateRef[In, Out],
    argument: In,
    signed: SignedAction | None = None,
    *,
    update_id: str | None = None,
) -> Out:
    """Run the Update and wait for its result; `signed` says who takes the action. An
    `update_id` sent again attaches to the Update of that id rather than sending another."""
    args: list[Any] = [argument] if signed is None else [argument, signed]
    result: Out = await handle.execute_update(
        ref.name, args=args, result_type=ref.result, id=update_id
    )
    return result


async def query(handle: WorkflowHandle[Any, Any], ref: QueryRef[Out]) -> Out:
    result: Out = await handle.query(ref.name, result_type=ref.result)
    return result


async def signal(handle: WorkflowHandle[Any, Any], ref: SignalRef[In], argument: In) -> None:
    await handle.signal(ref.name, argument)

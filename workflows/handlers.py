"""Workflow handler decorators that take their name from a contract's reference.

`workflow.update(name=…)` on an `async def` types the handler's result as the
coroutine, not what it returns (temporalio's `name=` overload has no `Awaitable`
case), so every caller's `execute_update` would see a coroutine. `update_handler`
restores the bare decorator's typing, and checks the handler against the reference:
its argument must be the reference's argument and its result the reference's result.
Every human action also takes the signed assertion of who takes it (None in histories
recorded before actions were signed; the validator refuses None from then on).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from temporalio import workflow
from temporalio.workflow import UpdateMethodMultiParam

with workflow.unsafe.imports_passed_through():
    from contracts.refs import UpdateRef
    from models.assertions import SignedAction

In = TypeVar("In")
Out = TypeVar("Out")
Workflow = TypeVar("Workflow")


class UpdateDecorator(Generic[In, Out]):
    """What `update_handler` returns, for the type checker only."""

    if TYPE_CHECKING:

        def __call__(
            self, fn: Callable[[Workflow, In, SignedAction | None], Awaitable[Out]]
        ) -> UpdateMethodMultiParam[[Workflow, In, SignedAction | None], Out]: ...


def update_handler(ref: UpdateRef[In, Out]) -> UpdateDecorator[In, Out]:
    """`@workflow.update(name=ref.name)`, typed from the reference."""
    decorator: Any = workflow.update(name=ref.name)
    return cast(UpdateDecorator[In, Out], decorator)

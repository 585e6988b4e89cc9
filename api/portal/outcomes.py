"""A step's outcome as the page tells it: the same refusals as the API and the CLI.

A refused step is shown on the page it was tried from, with the rule's words and the
fields it names, and the form as the person filled it in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.portal.rendering import Shown, page
from api.problems import ApiProblem, invalid_input, temporal_failed, update_refused
from infra.documents import DocumentRefused
from models.actors import Actor
from models.errors import DomainError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

INVALID_TITLE = "Dữ liệu không hợp lệ — invalid input"


class StepRefused(Exception):
    def __init__(self, status: int, shown: Shown) -> None:
        super().__init__(shown.detail)
        self.status, self.shown = status, shown


def _from_problem(problem: ApiProblem) -> StepRefused:
    return StepRefused(problem.status, Shown(problem.title, problem.detail))


def refused(error: Exception) -> StepRefused | None:
    """What the page says of `error`, or None when it is not a refusal (a fault)."""
    if isinstance(error, StepRefused):
        return error
    if isinstance(error, ApiProblem):
        return _from_problem(error)
    if isinstance(error, WorkflowUpdateFailedError):
        return _from_problem(update_refused(error))
    if isinstance(error, RPCError):
        return _from_problem(temporal_failed(error))
    if isinstance(error, ValidationError):
        detail, fields = invalid_input(list(error.errors()))
        named = {item.field: item.message for item in fields}
        return StepRefused(422, Shown(INVALID_TITLE, detail, named))
    if isinstance(error, DocumentRefused):
        return StepRefused(422, Shown(INVALID_TITLE, error.refusal.message))
    if isinstance(error, DomainError):
        return StepRefused(422, Shown(INVALID_TITLE, str(error)))
    return None


async def attempt(step: Awaitable[T]) -> T:
    """Await the step; a refusal of any kind comes out as StepRefused."""
    try:
        return await step
    except Exception as error:
        found = refused(error)
        if found is None:
            raise
        raise found from None


def checked(make: Callable[[], T]) -> T:
    """What `make` builds; StepRefused when the input it was given breaks a rule."""
    try:
        return make()
    except (ValidationError, DomainError) as error:
        found = refused(error)
        assert found is not None  # both are always refusals
        raise found from None


def validated(model: type[M], data: object) -> M:
    """`data` as `model`; StepRefused naming each field that does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        found = refused(error)
        assert found is not None  # a validation error is always a refusal
        raise found from None


def refused_page(
    request: Request, actor: Actor | None, refusal: StepRefused | Shown, status: int = 404
) -> Response:
    """A page that is only the refusal (a case that cannot be read, a missing file)."""
    if isinstance(refusal, StepRefused):
        status, refusal = refusal.status, refusal.shown
    return page(request, "refused.html.j2", actor, status=status, refusal=refusal)

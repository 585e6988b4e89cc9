"""Sending a person's step to the HTTP API, as the `ocop` commands and the demo do.

Each step has its route under `/api/v1/cases/{workflow_id}/` (`api/routes/cases.py`);
the answer is decoded as the Update's result, and a refusal comes back as a problem
document whose detail is the one line people read.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from contracts import case
from contracts.refs import UpdateRef
from models.case import CaseStage

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")

ROUTES: Final = {
    case.REVIEW.name: "review",
    case.SUPPLY_SUPPLEMENT.name: "supplements",
    case.SUBMIT_SCORECARD.name: "scorecards",
    case.CLOSE_SESSION.name: "sessions/close",
    case.RECOGNISE.name: "recognition",
    case.REVOKE.name: "revocation",
    case.APPLY.name: "applications",
    case.EXTEND_DEADLINE.name: "deadline-extensions",
}
"""Each step's route under /api/v1/cases/{workflow_id}/."""


class StepRefused(Exception):
    """The API said no; the message is the problem's detail."""

    def __init__(self, status: int, detail: str, kind: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        """The problem's type, its last path segment (e.g. `ended`, `not-permitted`)."""


class ApiUnreachable(StepRefused):
    """No answer at all: nothing listens at the API's address, or the network failed."""


async def send(http: httpx.AsyncClient, method: str, path: str, token: str, body: BaseModel) -> Any:
    """`body` to `path` (POST or PUT) as the token's holder; the JSON answer, or StepRefused."""
    try:
        answer = await http.request(
            method,
            path,
            content=body.model_dump_json(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    except httpx.HTTPError as error:
        where = str(http.base_url).rstrip("/")
        raise ApiUnreachable(503, f"the API at {where} cannot be reached ({_why(error)})") from None
    return _answer(answer)


def _answer(answer: httpx.Response) -> Any:
    if answer.status_code >= 400:
        is_json = answer.headers.get("content-type", "").endswith("json")
        problem = answer.json() if is_json else {}
        kind = str(problem.get("type", "")).rstrip("/").rsplit("/", 1)[-1]
        raise StepRefused(answer.status_code, str(problem.get("detail") or answer.text), kind)
    return answer.json()


async def get(http: httpx.AsyncClient, path: str, token: str) -> Any:
    """GET `path` as the token's holder; the JSON answer, or StepRefused."""
    try:
        answer = await http.get(path, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as error:
        where = str(http.base_url).rstrip("/")
        raise ApiUnreachable(503, f"the API at {where} cannot be reached ({_why(error)})") from None
    return _answer(answer)


async def post(http: httpx.AsyncClient, path: str, token: str, body: BaseModel) -> Any:
    """POST `body` as the token's holder; the JSON answer, or StepRefused."""
    return await send(http, "POST", path, token, body)


async def post_step(
    http: httpx.AsyncClient, token: str, workflow_id: str, ref: UpdateRef[In, Out], payload: In
) -> Out:
    """Take the step `ref` on the case; what the case answered, as the Update's result."""
    found = await post(http, f"/api/v1/cases/{workflow_id}/{ROUTES[ref.name]}", token, payload)
    if ref.result is CaseStage:
        found = found["stage"]
    return TypeAdapter(ref.result).validate_python(found)


def _why(error: httpx.HTTPError) -> str:
    """The error's own words, or its kind when it has none (httpx's timeouts say nothing)."""
    return str(error) or type(error).__name__

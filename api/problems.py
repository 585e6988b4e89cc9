"""Errors as RFC 9457 problem documents, with the words the CLI prints.

Every error the API answers is `application/problem+json`: `type` (a stable URI per
kind), `title`, `status`, `detail` (the one line a person reads, Vietnamese then
English where the rule words it so), `instance` (the request's path) and, for a body
that does not fit its model, `errors` (each field and what is accepted).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from infra.refusals import explain_refusal
from models.refusal_wording import bounded, describe_findings

MEDIA_TYPE: Final = "application/problem+json"
TYPE_BASE: Final = "https://ocop-flow.example/problems/"

STATUS_OF_REFUSAL: Final = {
    "NotPermitted": 403,
    "ActorUnverified": 403,
    "InvalidInput": 422,
    "RequestTooLarge": 413,
}
"""A workflow's refusal by its type; any other refusal is the case's state saying no (409)."""


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The body of every error (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class ApiProblem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, bounded(detail)
        self.headers = headers


def problem_response(
    request: Request,
    status: int,
    kind: str,
    title: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=TYPE_BASE + kind,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _refusal_type(error: WorkflowUpdateFailedError) -> str:
    cause: BaseException | None = error.cause
    while cause is not None:
        if isinstance(cause, ApplicationError) and cause.type:
            return cause.type
        cause = getattr(cause, "cause", None)
    return "Refused"


def _in_body(item: Any) -> Any:
    """A finding with its place in the body only (FastAPI prefixes it with "body")."""
    return {**item, "loc": tuple(part for part in item.get("loc", ()) if part != "body")}


def _field_errors(items: list[Any]) -> list[FieldError]:
    return [
        FieldError(
            field=".".join(str(part) for part in finding["loc"]) or "body",
            message=describe_findings([finding]),
        )
        for finding in map(_in_body, items)
    ]


def invalid_input(items: list[Any]) -> tuple[str, list[FieldError]]:
    """Validation findings as one line and as each field with what it accepts."""
    return describe_findings([_in_body(item) for item in items]), _field_errors(items)


def update_refused(error: WorkflowUpdateFailedError) -> ApiProblem:
    """A workflow's refusal of an Update, with the rule's words."""
    kind = _refusal_type(error)
    status = STATUS_OF_REFUSAL.get(kind, 409)
    return ApiProblem(status, kind, "Yêu cầu bị từ chối — refused", explain_refusal(error))


def temporal_failed(error: RPCError) -> ApiProblem:
    """What Temporal's refusal of a call means to the caller."""
    # An Update on a workflow that has completed: the case (or cycle) takes no more
    # steps. Anything else is Temporal being unavailable, not the caller's fault.
    if error.status == RPCStatusCode.NOT_FOUND:
        return ApiProblem(
            409,
            "ended",
            "Đã kết thúc — ended",
            "hồ sơ hoặc chu trình đã kết thúc, không nhận thêm bước nào — it has ended "
            "and takes no more steps",
        )
    return ApiProblem(
        503,
        "temporal-unavailable",
        "Tạm thời không phục vụ được — unavailable",
        f"Temporal answered: {bounded(error.message, 200)}",
    )


def _answer(request: Request, problem: ApiProblem) -> JSONResponse:
    return problem_response(
        request,
        problem.status,
        problem.kind,
        problem.title,
        problem.detail,
        headers=problem.headers,
    )


def install(app: FastAPI) -> None:
    """Answer every error of `app` as a problem document."""

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, error: ApiProblem) -> JSONResponse:
        return _answer(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        detail, errors = invalid_input(list(error.errors()))
        return problem_response(
            request,
            422,
            "invalid-input",
            "Dữ liệu không hợp lệ — invalid input",
            detail,
            errors=errors,
        )

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _refused(request: Request, error: WorkflowUpdateFailedError) -> JSONResponse:
        return _answer(request, update_refused(error))

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, error: RPCError) -> JSONResponse:
        return _answer(request, temporal_failed(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            request,
            error.status_code,
            f"http-{error.status_code}",
            str(error.detail) if error.status_code != 404 else "Không tìm thấy — not found",
            str(error.detail),
            headers=dict(error.headers or {}),
        )

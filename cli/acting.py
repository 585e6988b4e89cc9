"""Who the command line acts as: the person whose token it holds.

A person's step — a review, a scorecard, a decision, opening, scheduling or closing a
cycle — goes through the HTTP API with that person's bearer token (`ocop login`, on the
dev stack `ocop dev token --as ROLE`, or OCOP_TOKEN). The API verifies the token, checks
the holder's scope and signs the Update in their name; the workflow checks again. The
command line holds no signing key of its own, so without a token it refuses before it
sends anything, and nothing it is told (a name, a file) can change who acts.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

import cli.common as common
from cli.api_client import StepRefused, get, send
from cli.common import EXIT_REFUSED, api_refusal, fail, settings
from contracts import cycle
from contracts.refs import UpdateRef

CYCLE_ROUTES: Final = {cycle.SUBMIT.name: "dossiers", cycle.CLOSE.name: "close"}
"""A cycle's steps under /api/v1/cycles/{province}/{year}/ (api/routes/cycles.py)."""

SIGNED_IN: Final = "người đăng nhập (signed-in person)"
"""What a step's name field (reviewer, submitted_by, closed_by) holds as it leaves the
command line: the API writes in the verified name of the token's holder."""

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")


def api_token() -> str | None:
    """The caller's bearer token: OCOP_TOKEN, or the one `ocop login` kept; None without."""
    config = settings()
    if config.token is not None:
        return config.token.get_secret_value()
    kept = config.data_dir / "cli-token"
    return kept.read_text(encoding="utf-8").strip() if kept.exists() else None


def signed_in(step: str, needs: str = "is a person's step and needs their sign-in") -> str:
    """The caller's token, or one line saying how to sign in (a person's step needs one)."""
    token = api_token()
    if not token:
        fail(
            f"{step} {needs}: run `ocop login` "
            "(on the dev stack `ocop dev token --as ROLE`) or set OCOP_TOKEN",
            EXIT_REFUSED,
        )
    return token


def read_through_api(what: str, path: str, needs: str) -> Any:
    """A read only the API may answer (it holds personal data): its JSON answer, or the
    API's refusal as the command's one line."""
    token = signed_in(what, needs)

    async def fetch() -> Any:
        async with httpx.AsyncClient(base_url=settings().public_api_url, timeout=90.0) as http:
            return await get(http, path, token)

    try:
        return asyncio.run(fetch())
    except StepRefused as error:
        api_refusal(error)


async def through_api(token: str, method: str, path: str, payload: BaseModel) -> Any:
    """`payload` to the API's `path` as the token's holder: the JSON answer or StepRefused."""
    async with httpx.AsyncClient(base_url=settings().public_api_url, timeout=90.0) as http:
        return await send(http, method, path, token, payload)


def on_cycle(
    province: str,
    year: int,
    ref: UpdateRef[In, Out],
    payload: In,
    what: str,
    *,
    closed: str,
    check: str,
) -> Out:
    """The signed-in person's step on a province's cycle of a year, through the API only.

    A missing cycle, a closed one (the line `closed`) and one no worker answers (with
    `check`, to see later whether the step was applied) are one line each.
    """
    token = signed_in(what)
    path = f"/api/v1/cycles/{province}/{year}/{CYCLE_ROUTES[ref.name]}"

    async def send_step() -> Any:
        try:
            async with asyncio.timeout(common.UPDATE_TIMEOUT):
                return await through_api(token, "POST", path, payload)
        except TimeoutError:
            fail(
                f"no answer within {common.UPDATE_TIMEOUT:g} s: no worker seems to be "
                "answering for the cycle (start one with `ocop dev up` or `python worker.py`); "
                f"the update may still be applied when a worker starts: check with {check}"
            )

    try:
        answer = asyncio.run(send_step())
    except StepRefused as error:
        if error.status == 404:
            fail(
                f"no {year} cycle for {province}; start it with "
                f"`ocop cycle start --province {province} --year {year}`"
            )
        if error.kind in ("cycle-closed", "ended"):
            fail(closed)
        api_refusal(error)
    return TypeAdapter(ref.result).validate_python(answer)


def take_step(step: str, method: str, path: str, payload: BaseModel) -> Any:
    """A step that is only the API's to take (opening or scheduling a cycle): its JSON
    answer, or the API's refusal as the command's one line."""
    token = signed_in(step)
    try:
        return asyncio.run(through_api(token, method, path, payload))
    except StepRefused as error:
        api_refusal(error)

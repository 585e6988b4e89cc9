"""A person's steps on a case, through the HTTP API only: no Temporal address needed.

People reach the API, not Temporal (in compose Temporal's frontend is not published).
So a step command posts its Update to the step's route with the person's token and
reads where the case stands from `GET /api/v1/cases/{id}` (open to whoever takes part in
the case); a case that does not exist or has ended, and a worker that does not answer,
are one clear line each, as on the direct path operators' reads keep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

import httpx
from pydantic import BaseModel

import cli.common as common
from cli.acting import signed_in
from cli.api_client import StepRefused, get, post_step
from cli.case.target import Target
from contracts.refs import UpdateRef
from models.case import CaseStatus

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")
T = TypeVar("T")


@dataclass(frozen=True)
class CaseStep(Generic[In, Out]):
    """One Update to send, with what it carries."""

    ref: UpdateRef[In, Out]
    payload: In


class CaseSession:
    """The signed-in person's connection to one case, for the length of a command."""

    def __init__(self, http: httpx.AsyncClient, token: str, target: Target) -> None:
        self._http, self._token, self.target = http, token, target

    async def take(self, step: CaseStep[Any, Out]) -> Out:
        after = (
            "; the update may still be applied when a worker starts: check with "
            f"`ocop status {self.target.address}`"
        )
        return await self._within(
            post_step(self._http, self._token, self.target.workflow_id, step.ref, step.payload),
            common.UPDATE_TIMEOUT,
            after,
        )

    async def status(self) -> CaseStatus:
        path = f"/api/v1/cases/{self.target.workflow_id}"
        found = await self._within(get(self._http, path, self._token), common.QUERY_TIMEOUT, "")
        return CaseStatus.model_validate(found)

    async def _within(self, call: Awaitable[T], seconds: float, after: str) -> T:
        try:
            async with asyncio.timeout(seconds):
                return await call
        except TimeoutError:
            common.fail(
                f"no answer within {seconds:g} s: no worker seems to be answering for the "
                f"case (start one with `ocop dev up` or `python worker.py`){after}"
            )
        except StepRefused as refused:
            await self._explained(refused)

    async def _explained(self, refused: StepRefused) -> NoReturn:
        if refused.status == 404:
            common.fail(f"{self.target.nothing_here}; open one with `ocop open CASE.yaml`")
        if refused.kind == "ended":
            ended = "closed"
            try:
                status = await self.status()
                ended = f"stage {status.stage.value}, round {status.round_number}"
            except (StepRefused, TimeoutError):
                pass
            common.fail(
                f"the case of {self.target.label} has ended ({ended}); "
                "a new case for the product can be opened with `ocop open CASE.yaml`"
            )
        raise refused


def with_case(target: Target, what: str, work: Callable[[CaseSession], Awaitable[T]]) -> T:
    """Run `work` on the case as the signed-in person; the API's refusal is one line."""
    token = signed_in(what)

    async def main() -> T:
        base = common.settings().public_api_url
        async with httpx.AsyncClient(base_url=base, timeout=120.0) as http:
            return await work(CaseSession(http, token, target))

    try:
        return asyncio.run(main())
    except StepRefused as error:
        common.api_refusal(error)


def act(target: Target, what: str, step: CaseStep[Any, Out]) -> tuple[Out, CaseStatus]:
    """Take one step, then read where the case stands."""

    async def work(case: CaseSession) -> tuple[Out, CaseStatus]:
        answer = await case.take(step)
        return answer, await case.status()

    return with_case(target, what, work)

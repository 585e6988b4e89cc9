"""Finding the case a command names, and reading it straight from Temporal.

Every per-case command names its product by ``PROVINCE PRODUCT_CODE`` (or ``--id
WORKFLOW_ID``): `find_target` turns that into a `Target`. `read_status` is operators'
direct read, where a case that does not exist or has ended, and a worker that does not
answer, are one clear line each. People's steps go through the API
(`cli/case/through_api.py`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.service import RPCError, RPCStatusCode

from cli.case.inputs import bad_input
from cli.common import answer_query, fail
from contracts.case import product_workflow_id
from infra.cases import case_handle, case_of_dossier_number
from models.case import CaseStatus
from models.dossier_numbers import is_dossier_number
from workflows.product_lifecycle import ProductLifecycleWorkflow

T = TypeVar("T")


Handle = WorkflowHandle[ProductLifecycleWorkflow, Any]

PANEL = "A product's case"

case_app = typer.Typer(rich_markup_mode="rich")


@dataclass(frozen=True)
class Target:
    """The case a command addresses, and how to name it to a person."""

    workflow_id: str
    label: str
    address: str
    """How a command names it: PROVINCE PRODUCT_CODE, --id WORKFLOW_ID, or its number."""
    by_id: bool = False
    by_number: bool = False
    """`workflow_id` holds a dossier number (HS-QN-2024-0037), found through visibility."""

    @property
    def title(self) -> str:
        return self.label[:1].upper() + self.label[1:]

    @property
    def nothing_here(self) -> str:
        if self.by_number:
            return f"no case has dossier number {self.workflow_id}"
        if self.by_id:
            return f"no case has workflow id {self.workflow_id}"
        return f"no case exists for {self.label} (workflow id {self.workflow_id})"


ProvinceArg = Annotated[
    str | None,
    typer.Argument(metavar="PROVINCE", help="Province code, e.g. quang-ninh.", show_default=False),
]
CodeArg = Annotated[
    str | None,
    typer.Argument(
        metavar="PRODUCT_CODE", help="The product's code, e.g. MO-BINHLIEU.", show_default=False
    ),
]
IdOption = Annotated[
    str | None,
    typer.Option(
        "--id",
        metavar="WORKFLOW_ID",
        help="Name the case by its workflow id instead of PROVINCE PRODUCT_CODE.",
        show_default=False,
    ),
]


def find_target(
    province: str | None, code: str | None, workflow_id: str | None, *rest: str | None
) -> tuple[Target, list[str]]:
    """The addressed case and the positional arguments after the address.

    With ``--id`` there is no PROVINCE PRODUCT_CODE, so what the parser put in those
    slots is the command's own arguments, shifted left.
    """
    given = [value for value in (province, code, *rest) if value is not None]
    if workflow_id is not None:
        return Target(workflow_id, f"case {workflow_id}", f"--id {workflow_id}", by_id=True), given
    if given and is_dossier_number(given[0]):
        number, *positionals = given
        return Target(number, f"dossier {number}", number, by_number=True), positionals
    if len(given) < 2:
        bad_input(
            "name the product: PROVINCE PRODUCT_CODE (or its dossier number HS-QN-2024-0037, "
            "or --id WORKFLOW_ID)"
        )
    province_code, product_code, *positionals = given
    return (
        Target(
            product_workflow_id(province_code, product_code),
            f"product {product_code} of {province_code}",
            f"{province_code} {product_code}",
        ),
        positionals,
    )


async def _unknown(client: Client, target: Target, error: Exception) -> NoReturn:
    """Explain an RPC 'not found': no such case, or a case that has ended."""
    handle = case_handle(client, target.workflow_id)
    try:
        description = await handle.describe()
    except RPCError as missing:
        if missing.status == RPCStatusCode.NOT_FOUND:
            fail(f"{target.nothing_here}; open one with `ocop open CASE.yaml`")
        raise error from None
    if description.status == WorkflowExecutionStatus.RUNNING:
        raise error
    ended = (description.status.name if description.status else "closed").lower()
    with contextlib.suppress(RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        status = await answer_query(client, handle, handle.query(ProductLifecycleWorkflow.status))
        ended = f"stage {status.stage.value}, round {status.round_number}"
    fail(
        f"the case of {target.label} has ended ({ended}); "
        "a new case for the product can be opened with `ocop open CASE.yaml`"
    )


async def read_status(client: Client, target: Target) -> CaseStatus:
    """Where the case stands, read straight from Temporal (operators' reads: `ocop
    status`); 'not found' and a missing worker are one clear line each."""
    if target.by_number:
        found = await case_of_dossier_number(client, target.workflow_id)
        if found is None:
            fail(target.nothing_here)
        target = Target(found, f"{target.label} (case {found})", target.address, by_id=True)
    handle = case_handle(client, target.workflow_id)
    try:
        return await answer_query(client, handle, handle.query(ProductLifecycleWorkflow.status))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            await _unknown(client, target, error)
        raise

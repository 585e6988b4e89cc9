"""A cycle's tables of criteria, for its activities: pinned when it opens, and each
case given its product group's table (`infra.criteria_store` keeps them)."""

from __future__ import annotations

from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from infra.criteria_store import CriteriaStore
from models.case import LifecycleInput
from models.criteria import criteria_set_for
from models.cycle_messages import CycleCaseRequest
from models.cycle_settings import CycleInput
from models.errors import DomainError


def _refused(message: str, kind: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


def _store(store: CriteriaStore | None) -> CriteriaStore:
    if store is None:
        raise ApplicationError("no store of criteria tables on this worker", non_retryable=True)
    return store


def pinned_tables(store: CriteriaStore | None, opening: CycleInput) -> CycleInput:
    """The opening with its tables of criteria pinned to their content of today."""
    if not opening.criteria_tables:
        return opening
    try:
        pinned = _store(store).pinned(opening.criteria_tables)
    except DomainError as error:
        raise _refused(str(error), "CriteriaTableMissing") from None
    return opening.model_copy(update={"criteria_tables": pinned})


def with_group_table(store: CriteriaStore | None, request: CycleCaseRequest) -> CycleCaseRequest:
    """The request with its product group's table of the cycle's pinned ones; a table
    that does not fit the dossier refuses the submission with why."""
    if not request.criteria_tables:
        return request
    try:
        tables = tuple(_store(store).load(ref) for ref in request.criteria_tables)
    except DomainError as error:
        raise _refused(str(error), "CriteriaTableMissing") from None
    dossier = request.case.dossier
    table = criteria_set_for(tables, dossier.group, dossier.product_set)
    if table is None:
        return request
    try:
        case = LifecycleInput.model_validate({**request.case.model_dump(), "criteria": table})
    except ValidationError as error:
        raise _refused(str(error.errors()[0]["msg"]), "CaseRefused") from None
    application = request.application
    if application is not None:
        application = application.model_copy(update={"criteria": table})
    return request.model_copy(update={"case": case, "application": application})

"""What people and the cycle's activities exchange with the cycle: submissions, the
close, opening a product's case (`case_request`), and the cycle's lines in the register."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from models.actors import Actor
from models.applicants import RegistrationKind
from models.bounds import FreeText
from models.case import Application, CarriedState, LifecycleInput
from models.clock import BusinessClock
from models.criteria import TableRef
from models.cycle_settings import CycleInput, case_policy
from models.dossier import Dossier, SingleLine


class CloseCycle(BaseModel):
    """An administrator ends the cycle; the report goes to every administrator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    closed_by: SingleLine = Field(description="An administrator's email address or name")
    reason: FreeText = ""


class OpenAction(StrEnum):
    STARTED = "started"  # a new case for the product
    APPLIED = "applied"  # re-evaluation or upgrade on the product's running case
    RECORDED = "recorded"  # counted only: the cycle does not start cases


class CycleCaseRequest(BaseModel):
    """Start the product's case, or apply on its running case, for one submission."""

    cycle_workflow_id: str
    case: LifecycleInput
    application: Application | None = Field(
        default=None, description="Used when the product holds a certificate between rounds"
    )
    actor: Actor | None = Field(
        default=None, description="The producer whose verified submission this is"
    )
    criteria_tables: tuple[TableRef, ...] = Field(
        default=(), description="The cycle's pinned tables: the case takes its group's"
    )


class CaseOpened(BaseModel):
    workflow_id: str
    action: OpenAction


class SubmissionReceipt(BaseModel):
    """What the submitter is told when the cycle accepts a dossier."""

    cycle: str
    product_code: str
    product_name: str
    workflow_id: str
    action: OpenAction
    received_on: date
    dossier_number: str | None = Field(
        default=None, description="The number to quote about this dossier (HS-QN-2024-0037)"
    )


class CycleAuditEntry(BaseModel):
    """One line of the cycle's story in the register (decisions, the report)."""

    key: str
    workflow_id: str
    occurred_at: AwareDatetime
    actor: str
    action: str
    reason: str = ""
    details: dict[str, JsonValue] = Field(default_factory=dict)


def case_request(
    cycle: CycleInput,
    dossier: Dossier,
    *,
    cycle_workflow_id: str,
    case_id: str,
    clock: BusinessClock,
    dossier_number: str | None = None,
) -> CycleCaseRequest:
    """What `open_cycle_case` needs for a submission: the product's first case, and the
    application a certified product's running case takes instead (an upgrade or a
    re-evaluation). Both wait for this cycle's batch decisions (`case_policy`)."""
    policy = case_policy(cycle)
    case = LifecycleInput(
        dossier=dossier,
        rulebook=cycle.rulebook,
        policy=policy,
        councils=cycle.councils,
        administrators=cycle.administrators,
        cycle_year=cycle.year,
        cycle_workflow_id=cycle_workflow_id,
        dossier_number=dossier_number,
        # A new case keeps the cycle's clock, so their business dates agree exactly.
        carried=CarriedState(
            case_id=case_id,
            clock=clock,
            round_number=1,
            event_seq=0,
            certificate=None,
            current_stars=None,
        ),
    )
    application = None
    if dossier.registration_kind != RegistrationKind.FIRST:
        application = Application(
            dossier=dossier,
            cycle_year=cycle.year,
            rulebook=cycle.rulebook,
            councils=cycle.councils,
            cycle_workflow_id=cycle_workflow_id,
            # The new round waits for this cycle's batch decisions, not the last one's.
            policy=policy,
            dossier_number=dossier_number,
        )
    return CycleCaseRequest(
        cycle_workflow_id=cycle_workflow_id,
        case=case,
        application=application,
        criteria_tables=cycle.criteria_tables,
    )

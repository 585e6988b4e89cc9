"""What people and the cycle's activities exchange with the cycle: submissions, the
close, opening a product's case, and the cycle's lines in the register."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from models.case import Application, LifecycleInput
from models.dossier import SingleLine


class CloseCycle(BaseModel):
    """An administrator ends the cycle; the report goes to every administrator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    closed_by: SingleLine = Field(description="An administrator's email address or name")
    reason: str = Field(default="", max_length=2000)


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


class CycleAuditEntry(BaseModel):
    """One line of the cycle's story in the register (decisions, the report)."""

    key: str
    workflow_id: str
    occurred_at: AwareDatetime
    actor: str
    action: str
    reason: str = ""
    details: dict[str, JsonValue] = Field(default_factory=dict)

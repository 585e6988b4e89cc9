"""Typed events a case announces, and who receives them.

A workflow builds one of these at every transition; the notification activity turns
it into an email per recipient, and the register keeps it. Each carries only facts,
never wording: the wording lives in the templates, in Vietnamese and English.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from models.applicants import RegistrationKind
from models.case import CaseStage, RevocationGround
from models.catalogue import DocumentKind
from models.cycle import CycleReport
from models.dossier import Language
from models.stars import Stars


class RecipientRole(StrEnum):
    PRODUCER = "producer"
    COUNCIL_MEMBER = "council_member"
    ADMINISTRATOR = "administrator"


class Recipient(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: EmailStr
    name: str
    language: Language = Language.VI
    role: RecipientRole = RecipientRole.PRODUCER


class CaseFacts(BaseModel):
    """What every message says about the case it concerns."""

    model_config = ConfigDict(frozen=True)

    reference: str = Field(description="The case's workflow id, quoted in every message")
    product_code: str
    product_name: str
    applicant_name: str
    province: str
    round_number: int
    occurred_on: date


class DossierReceived(BaseModel):
    kind: Literal["dossier_received"] = "dossier_received"
    case: CaseFacts
    registration_kind: RegistrationKind
    level: str


class SupplementRequested(BaseModel):
    kind: Literal["supplement_requested"] = "supplement_requested"
    case: CaseFacts
    documents: tuple[DocumentKind, ...]
    deadline: date
    reviewer: str
    reason: str = ""


class SupplementReceived(BaseModel):
    kind: Literal["supplement_received"] = "supplement_received"
    case: CaseFacts
    file_names: tuple[str, ...]
    still_missing: tuple[DocumentKind, ...] = ()


class DossierReturned(BaseModel):
    kind: Literal["dossier_returned"] = "dossier_returned"
    case: CaseFacts
    deadline: date
    documents: tuple[DocumentKind, ...]


class DossierRejected(BaseModel):
    kind: Literal["dossier_rejected"] = "dossier_rejected"
    case: CaseFacts
    reviewer: str
    reason: str


class StepOverdue(BaseModel):
    """To administrators: a human step has passed its deadline."""

    kind: Literal["step_overdue"] = "step_overdue"
    case: CaseFacts
    stage: CaseStage
    level: str
    deadline: date


class ForwardedToLevel(BaseModel):
    kind: Literal["forwarded"] = "forwarded"
    case: CaseFacts
    from_level: str
    to_level: str
    mean: Decimal | None = Field(default=None, description="None when the level does not score")


class CouncilSessionOpened(BaseModel):
    kind: Literal["council_session_opened"] = "council_session_opened"
    case: CaseFacts
    level: str
    attempt: int
    deadline: date


class RescoreRequested(BaseModel):
    kind: Literal["rescore_requested"] = "rescore_requested"
    case: CaseFacts
    level: str
    attempt: int
    lowest: int
    highest: int
    max_divergence: int


class ScoringResult(BaseModel):
    kind: Literal["scoring_result"] = "scoring_result"
    case: CaseFacts
    level: str
    part_means: dict[str, Decimal]
    mean: Decimal
    stars: Stars
    mandatory_criteria_met: bool
    outcome: str = Field(description="recognise, forward or no_certificate")
    outcome_detail: str = ""


class Recognised(BaseModel):
    kind: Literal["recognised"] = "recognised"
    case: CaseFacts
    level: str
    authority: str
    decision_number: str
    decided_on: date
    certificate_number: str
    stars: Stars
    valid_until: date
    previous_stars: Stars | None = None
    registration_kind: RegistrationKind = RegistrationKind.FIRST


class ExpiryReminder(BaseModel):
    kind: Literal["expiry_reminder"] = "expiry_reminder"
    case: CaseFacts
    certificate_number: str
    stars: Stars
    valid_until: date
    days_left: int


class Lapsed(BaseModel):
    kind: Literal["lapsed"] = "lapsed"
    case: CaseFacts
    certificate_number: str
    stars: Stars
    valid_until: date


class Revoked(BaseModel):
    kind: Literal["revoked"] = "revoked"
    case: CaseFacts
    certificate_number: str
    stars: Stars
    authority: str
    decision_number: str
    decided_on: date
    grounds: RevocationGround
    details: str = ""


class CycleReported(BaseModel):
    """To administrators: the report of a province's annual cycle, sent when it closes."""

    kind: Literal["cycle_report"] = "cycle_report"
    reference: str = Field(description="The cycle's workflow id")
    occurred_on: date
    closed_by: str
    reason: str = ""
    report: CycleReport

    @property
    def case(self) -> CaseFacts:
        """The cycle in the shape every message quotes (reference, province, date)."""
        return CaseFacts(
            reference=self.reference,
            product_code="",
            product_name=f"OCOP {self.report.province} {self.report.year}",
            applicant_name="",
            province=self.report.province,
            round_number=0,
            occurred_on=self.occurred_on,
        )


CaseEvent = Annotated[
    DossierReceived
    | SupplementRequested
    | SupplementReceived
    | DossierReturned
    | DossierRejected
    | StepOverdue
    | ForwardedToLevel
    | CouncilSessionOpened
    | RescoreRequested
    | ScoringResult
    | Recognised
    | ExpiryReminder
    | Lapsed
    | Revoked
    | CycleReported,
    Field(discriminator="kind"),
]


class Notification(BaseModel):
    """One event for its recipients; `key` makes sending it idempotent per recipient."""

    key: str
    workflow_id: str
    event: CaseEvent
    recipients: tuple[Recipient, ...]

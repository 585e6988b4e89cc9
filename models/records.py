"""What a case writes to the register at each transition (one idempotent write each)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.applicants import RegistrationKind
from models.case import CaseStage, Certificate, DecisionRecord
from models.dossier import Applicant
from models.scorecard import Scorecard
from models.stars import Stars

JsonScalar = str | int | float | bool | None


class ProductSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    workflow_id: str
    province: str
    locality: str
    product_code: str
    product_name: str
    group: str
    product_set: str
    applicant: Applicant
    current_stars: Stars | None


class RoundSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    round_number: int
    registration_kind: RegistrationKind
    rulebook_id: str
    cycle_year: int
    stage: CaseStage
    level: str | None
    mean_score: Decimal | None = None
    stars: Stars | None = None
    outcome: str | None = None
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None


class ScorecardEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    attempt: int = Field(ge=1)
    scorecard: Scorecard


class CertificateStatus(StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    """Its months ran out while a re-evaluation was under way (the round goes on)."""


class CertificateChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    certificate: Certificate
    status: CertificateStatus
    ended_on: date | None = None
    end_reason: str | None = None


class CaseRecord(BaseModel):
    """One transition of a case. `key` is unique: writing the same record twice is a no-op."""

    key: str
    workflow_id: str
    case_id: str
    occurred_at: AwareDatetime
    actor: str
    action: str
    reason: str = ""
    details: dict[str, JsonScalar] = Field(default_factory=dict)
    product: ProductSnapshot
    round: RoundSnapshot
    scorecard: ScorecardEntry | None = None
    decision: DecisionRecord | None = None
    certificate: CertificateChange | None = None

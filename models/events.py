"""Typed events a case announces, and who receives them.

A workflow builds one of these at every transition; the notification activity turns
it into an email per recipient, and the register keeps it. Each carries only facts,
never wording: the wording lives in the templates, in Vietnamese and English.

An event's `kind` is the word of the transition that sends it (`models.transitions`),
which also names its templates. Payloads recorded before that (in histories, in a
case's carried outbox) may carry a legacy kind (`scoring_result`, `lapsed`, …); the
`CaseEvent` union reads them as today's word, so they still decode.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field

from models.applicants import RegistrationKind
from models.case import CaseStage, RevocationGround
from models.catalogue import DocumentKind
from models.cycle import CycleReport, UnrecognisedProduct
from models.deadlines import DeadlineStep
from models.dossier import Language
from models.local_assessment import LocalAssessment
from models.stars import Stars
from models.transitions import CaseTransition, CycleTransition, canonical_kind


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
    dossier_number: str | None = Field(
        default=None,
        description="The round's dossier number (HS-QN-2024-0037), quoted instead of the "
        "workflow id when the cycle gave one",
    )
    product_code: str
    product_name: str
    applicant_name: str
    province: str
    round_number: int
    occurred_on: date


class DossierReceived(BaseModel):
    kind: Literal[CaseTransition.DOSSIER_RECEIVED] = CaseTransition.DOSSIER_RECEIVED
    case: CaseFacts
    registration_kind: RegistrationKind
    level: str


class DossierAccepted(BaseModel):
    """The dossier passed its review and goes to the council that scores it next."""

    kind: Literal[CaseTransition.REVIEW_ACCEPTED] = CaseTransition.REVIEW_ACCEPTED
    case: CaseFacts
    reviewer: str
    level: str = Field(description="The level that reviewed the dossier")
    council_level: str = Field(description="The level whose council scores it next")


class SupplementRequested(BaseModel):
    kind: Literal[CaseTransition.SUPPLEMENT_REQUESTED] = CaseTransition.SUPPLEMENT_REQUESTED
    case: CaseFacts
    documents: tuple[DocumentKind, ...]
    deadline: date
    reviewer: str
    reason: str = ""


class SupplementReceived(BaseModel):
    kind: Literal[CaseTransition.SUPPLEMENT_RECEIVED] = CaseTransition.SUPPLEMENT_RECEIVED
    case: CaseFacts
    file_names: tuple[str, ...]
    still_missing: tuple[DocumentKind, ...] = ()


class DossierReturned(BaseModel):
    kind: Literal[CaseTransition.SUPPLEMENT_MISSED] = CaseTransition.SUPPLEMENT_MISSED
    case: CaseFacts
    deadline: date
    documents: tuple[DocumentKind, ...]


class DossierRejected(BaseModel):
    kind: Literal[CaseTransition.REVIEW_REJECTED] = CaseTransition.REVIEW_REJECTED
    case: CaseFacts
    reviewer: str
    reason: str


class StepOverdue(BaseModel):
    """To administrators: a human step has passed its deadline."""

    kind: Literal[CaseTransition.OVERDUE] = CaseTransition.OVERDUE
    case: CaseFacts
    stage: CaseStage
    level: str
    deadline: date
    escalated_to: str | None = Field(
        default=None,
        description="The office that may now take the step in the late one's place "
        "(a late review: the province's coordination office)",
    )


class DeadlineExtended(BaseModel):
    """To the producer: a step of their case was given more time, and why."""

    kind: Literal[CaseTransition.DEADLINE_EXTENDED] = CaseTransition.DEADLINE_EXTENDED
    case: CaseFacts
    step: DeadlineStep
    stage: CaseStage = Field(description="The stage the step belongs to, as letters name it")
    working_days: int
    reason: str
    extended_by: str
    due_before: date
    due_after: date


class ForwardedToLevel(BaseModel):
    kind: Literal[CaseTransition.FORWARDED] = CaseTransition.FORWARDED
    case: CaseFacts
    from_level: str
    to_level: str
    mean: Decimal | None = Field(default=None, description="None when the level does not score")


class CouncilSessionOpened(BaseModel):
    kind: Literal[CaseTransition.COUNCIL_SESSION_OPENED] = CaseTransition.COUNCIL_SESSION_OPENED
    case: CaseFacts
    level: str
    attempt: int
    deadline: date
    local_assessment: LocalAssessment | None = Field(
        default=None, description="The commune's assessment, sent with the dossier (1489)"
    )


class CouncilMeetingScheduled(BaseModel):
    """To the council's members and the producer: the product is on the agenda of the
    council's meeting on a day, and these are the dossier's documents."""

    kind: Literal[CaseTransition.COUNCIL_MEETING_SCHEDULED] = (
        CaseTransition.COUNCIL_MEETING_SCHEDULED
    )
    case: CaseFacts
    level: str
    meets_on: date
    venue: str
    called_by: str
    documents: tuple[str, ...] = Field(description="The dossier's files, as members get them")


class RescoreRequested(BaseModel):
    kind: Literal[CaseTransition.RESCORE_REQUESTED] = CaseTransition.RESCORE_REQUESTED
    case: CaseFacts
    level: str
    attempt: int
    lowest: int
    highest: int
    max_divergence: int


class ScoringResult(BaseModel):
    kind: Literal[CaseTransition.COUNCIL_RESULT] = CaseTransition.COUNCIL_RESULT
    case: CaseFacts
    level: str
    part_means: dict[str, Decimal]
    mean: Decimal
    stars: Stars
    mandatory_criteria_met: bool
    outcome: str = Field(description="recognise, forward or no_certificate")
    outcome_detail: str = ""


class Recognised(BaseModel):
    kind: Literal[CaseTransition.RECOGNISED] = CaseTransition.RECOGNISED
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


class CertificateLoaded(BaseModel):
    """To the producer: a certificate issued before is now followed, reminders included."""

    kind: Literal[CaseTransition.CERTIFICATE_LOADED] = CaseTransition.CERTIFICATE_LOADED
    case: CaseFacts
    certificate_number: str
    stars: Stars
    authority: str
    decision_number: str
    valid_until: date
    first_reminder: date | None
    """The day the first expiry reminder is due (none: every reminder's day has passed)."""


class ExpiryReminder(BaseModel):
    kind: Literal[CaseTransition.EXPIRY_REMINDER] = CaseTransition.EXPIRY_REMINDER
    case: CaseFacts
    certificate_number: str
    stars: Stars
    valid_until: date
    days_left: int


class Lapsed(BaseModel):
    kind: Literal[CaseTransition.CERTIFICATE_LAPSED] = CaseTransition.CERTIFICATE_LAPSED
    case: CaseFacts
    certificate_number: str
    stars: Stars
    valid_until: date


class CertificateExpired(BaseModel):
    """The certificate ended on its last day while its re-evaluation goes on."""

    kind: Literal[CaseTransition.CERTIFICATE_EXPIRED] = CaseTransition.CERTIFICATE_EXPIRED
    case: CaseFacts
    certificate_number: str
    stars: Stars
    valid_until: date
    registration_kind: RegistrationKind
    stage: CaseStage = Field(description="Where the re-evaluation stands")


class Revoked(BaseModel):
    kind: Literal[CaseTransition.CERTIFICATE_REVOKED] = CaseTransition.CERTIFICATE_REVOKED
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

    kind: Literal[CycleTransition.CYCLE_REPORT] = CycleTransition.CYCLE_REPORT
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


class RecognitionIncomplete(BaseModel):
    """To administrators: products a batch decision lists but could not recognise, with
    why, and whether the cycle asks them again or has given up on them."""

    kind: Literal[CycleTransition.RECOGNITION_INCOMPLETE] = CycleTransition.RECOGNITION_INCOMPLETE
    reference: str = Field(description="The cycle's workflow id")
    province: str
    year: int
    occurred_on: date
    authority: str
    decision_number: str
    decided_on: date
    listed: int
    recognised: int
    products: tuple[UnrecognisedProduct, ...]

    @property
    def case(self) -> CaseFacts:
        """The cycle in the shape every message quotes (reference, province, date)."""
        return CaseFacts(
            reference=self.reference,
            product_code="",
            product_name=f"OCOP {self.province} {self.year}",
            applicant_name="",
            province=self.province,
            round_number=0,
            occurred_on=self.occurred_on,
        )


def _with_current_kind(value: Any) -> Any:
    """A recorded event's legacy kind replaced by today's word; anything else as given."""
    if isinstance(value, dict) and isinstance(value.get("kind"), str):
        kind = canonical_kind(value["kind"])
        if kind != value["kind"]:
            return {**value, "kind": kind}
    return value


CaseEvent = Annotated[
    DossierReceived
    | DossierAccepted
    | SupplementRequested
    | SupplementReceived
    | DossierReturned
    | DossierRejected
    | StepOverdue
    | DeadlineExtended
    | ForwardedToLevel
    | CouncilSessionOpened
    | CouncilMeetingScheduled
    | RescoreRequested
    | ScoringResult
    | Recognised
    | CertificateLoaded
    | ExpiryReminder
    | Lapsed
    | CertificateExpired
    | Revoked
    | CycleReported
    | RecognitionIncomplete,
    Field(discriminator="kind"),
    BeforeValidator(_with_current_kind),
]
"""Any event; one recorded under a legacy kind decodes as the event of today's word."""


class DeliveryFailed(BaseModel):
    """To administrators: an email of a case or cycle could not be delivered, for good.

    Not a transition of a case (no workflow emits it, it is in no history): the
    notification activity writes it when the server refuses a message or its recipient
    (`models.mail_delivery.alert_route`), once per failed ledger row.
    """

    kind: Literal["delivery_failed"] = "delivery_failed"
    case: CaseFacts
    failed_event: str = Field(description="The kind of the email that failed")
    recipient_email: str
    recipient_name: str
    subject: str
    smtp_code: int | None
    answer: str = Field(description="The server's answer, a bounded excerpt")


class Notification(BaseModel):
    """One event for its recipients; `key` makes sending it idempotent per recipient."""

    key: str
    workflow_id: str
    event: CaseEvent
    recipients: tuple[Recipient, ...]
    administrators: tuple[Recipient, ...] = ()
    """Who is told if the email cannot be delivered to a recipient (`DeliveryFailed`);
    absent from notifications scheduled before it existed."""

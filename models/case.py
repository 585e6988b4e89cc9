"""A product's case: its input, the human decisions that move it, and what it shows.

These are the typed messages of the product lifecycle workflow. They are validated on
arrival (pydantic for shape, the rules in this package for meaning), so a bad request
is refused before it touches a running case.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    model_validator,
)

from models.applicants import RegistrationKind
from models.bounds import (
    MAX_ADMINISTRATORS,
    MAX_DOCUMENTS,
    MAX_DOCUMENTS_REQUESTED,
    MAX_LEVELS,
    MAX_REMINDERS,
    Count,
    FreeText,
    Identifier,
    PersonName,
    WorkflowId,
)
from models.case_tables import table_refusal
from models.catalogue import DocumentKind
from models.clock import VIETNAM, BusinessClock
from models.council import Council, CouncilResult, MeetingSlot
from models.criteria import CriteriaSet
from models.deadlines import GrantedExtension
from models.dossier import DocumentNumber, DocumentRef, Dossier, Language, SingleLine
from models.dossier_numbers import DossierNumber
from models.errors import Refusal
from models.held_certificates import HeldCertificate, held_certificate_refusal
from models.local_assessment import LocalAssessment
from models.rulebook import Rulebook, council_roster_refusal
from models.scorecard import Scorecard
from models.stars import Stars
from models.validity import DEFAULT_REMINDER_DAYS, check_reminder_offsets
from models.working_days import ReviewClockReading, WorkingCalendar

Days = Annotated[Count, Field(ge=1, le=3650)]


class CaseStage(StrEnum):
    SUBMITTED = "submitted"
    LOCAL_REVIEW = "local_review"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    COUNCIL_SCORING = "council_scoring"
    AWAITING_RECOGNITION = "awaiting_recognition"
    CERTIFIED = "certified"
    RETURNED = "returned"  # the supplement did not arrive in time
    REJECTED = "rejected"
    NOT_CERTIFIED = "not_certified"
    LAPSED = "lapsed"
    REVOKED = "revoked"


FINAL_ROUND_STAGES = frozenset(
    {CaseStage.RETURNED, CaseStage.REJECTED, CaseStage.NOT_CERTIFIED, CaseStage.CERTIFIED}
)


class CasePolicy(BaseModel):
    """Every duration of a case, with the official defaults; pinned when the case starts."""

    model_config = ConfigDict(frozen=True)

    review_deadline_days: Days = 30
    supplement_deadline_days: Days = 15
    council_deadline_days: Days = 30
    recognition_deadline_days: Days = 30
    reminder_days: tuple[Count, ...] = Field(
        default=DEFAULT_REMINDER_DAYS, max_length=MAX_REMINDERS
    )
    reevaluation_window_days: Days = Field(
        default=180, description="How long before expiry a re-evaluation may be applied for"
    )
    clock_speed: float = Field(
        default=1.0, ge=1.0, le=1e9, description="Business seconds per real second (demos)"
    )
    paced_calendar: bool = Field(
        default=False,
        description=(
            "Business time stands still until the rehearsal's pacer moves it on "
            "(demos and rehearsals: nothing then depends on the machine's speed)"
        ),
    )
    working_calendar: WorkingCalendar | None = Field(
        default=None,
        description=(
            "The days off the review, supplement and council deadlines skip: with a "
            "calendar they count working days (ngày làm việc) and the review clock stops "
            "during a supplement; without one (cases started before), calendar days"
        ),
    )

    @model_validator(mode="after")
    def _official_reminders(self) -> CasePolicy:
        check_reminder_offsets(self.reminder_days)
        return self


class Contact(BaseModel):
    """Someone the case writes to: an administrator of the coordinating office."""

    model_config = ConfigDict(frozen=True)

    name: PersonName
    email: EmailStr
    language: Language = Language.VI


class Certificate(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: str
    stars: Stars
    level: str
    authority: str
    decision_number: str
    valid_from: date
    valid_until: date
    reminders_sent: tuple[int, ...] = ()


class DecisionKind(StrEnum):
    RECOGNITION = "recognition"
    REVOCATION = "revocation"


class DecisionRecord(BaseModel):
    """A decision (quyết định) that touched this product."""

    model_config = ConfigDict(frozen=True)

    kind: DecisionKind
    level: str
    authority: str
    number: str
    decided_on: date
    summary: str


class RoundSummary(BaseModel):
    """How one evaluation round ended, kept across continue-as-new for the story."""

    model_config = ConfigDict(frozen=True)

    round_number: int
    registration_kind: RegistrationKind
    cycle_year: int
    outcome: CaseStage
    level: str | None
    mean: Decimal | None
    stars: Stars | None
    ended_at: AwareDatetime
    reason: str = ""

    @property
    def ended_on(self) -> date:
        return self.ended_at.astimezone(VIETNAM).date()


class CarriedState(BaseModel):
    """What one run hands the next on continue-as-new: identity, certificate, story."""

    case_id: str
    clock: BusinessClock
    round_number: int = Field(ge=1)
    event_seq: int = Field(ge=0)
    certificate: Certificate | None
    current_stars: Stars | None
    decisions: tuple[DecisionRecord, ...] = ()
    rounds: tuple[RoundSummary, ...] = ()
    action_nonces: dict[str, AwareDatetime] = Field(
        default_factory=dict, description="Signed actions accepted and not yet expired"
    )


class LifecycleInput(BaseModel):
    """Everything a product's case needs, pinned at start: a rule change never rewrites it."""

    dossier: Dossier
    rulebook: Rulebook
    policy: CasePolicy = CasePolicy()
    councils: tuple[Council, ...] = Field(max_length=MAX_LEVELS)
    administrators: tuple[Contact, ...] = Field(default=(), max_length=MAX_ADMINISTRATORS)
    cycle_year: Count = Field(ge=2018, le=2100)
    business_start: AwareDatetime | None = Field(
        default=None, description="Business date the case starts on (default: now)"
    )
    carried: CarriedState | None = None
    cycle_workflow_id: WorkflowId | None = Field(
        default=None, description="The annual cycle this round belongs to; told of each stage"
    )
    submitted_by: SingleLine | None = Field(
        default=None,
        description="The verified producer who submitted the dossier (to the cycle), as the "
        "register names them",
    )
    criteria: CriteriaSet | None = Field(
        default=None,
        description="The table of criteria the council scores this product on (its group's, "
        "as the province loaded it); none: scored by part totals",
    )
    dossier_number: DossierNumber | None = Field(
        default=None,
        description="The number the cycle gave this round's dossier (HS-QN-2024-0037), "
        "quoted in every letter; none: a case started outside a cycle",
    )
    holding: HeldCertificate | None = Field(
        default=None,
        description="A certificate issued before ocop-flow (the national register's line): "
        "the case starts certified with it, and goes on to its reminders and expiry",
    )

    @model_validator(mode="after")
    def _a_council_for_every_scoring_level(self) -> LifecycleInput:
        missing_roster = council_roster_refusal(self.rulebook, self.councils)
        if missing_roster is not None:
            raise ValueError(missing_roster)
        refusal = table_refusal(self.criteria, self.rulebook, self.dossier)
        if refusal is not None:
            raise ValueError(refusal)
        if self.holding is not None:
            held = held_certificate_refusal(self.holding, self.rulebook, today=None)
            if held is not None:
                raise ValueError(f"holding.{held.message}")
            if self.cycle_workflow_id or self.dossier.registration_kind != RegistrationKind.FIRST:
                raise ValueError("holding: a loaded certificate starts its own case, in no cycle")
        return self

    def council(self, level: str) -> Council:
        return next(council for council in self.councils if council.level == level)


# Human steps, each arriving as a workflow Update.


class ReviewAction(StrEnum):
    ACCEPT = "accept"
    REQUEST_SUPPLEMENT = "request_supplement"
    REJECT = "reject"


def rejection_refusal(action: ReviewAction, reason: str) -> Refusal | None:
    """A rejection must say why (the producer reads it); other decisions may."""
    if action == ReviewAction.REJECT and not reason.strip():
        return Refusal("ReasonMissing", "a rejection must give its reason")
    return None


class ReviewDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: ReviewAction
    reviewer: SingleLine
    reason: FreeText = ""
    documents_requested: tuple[DocumentKind, ...] = Field(
        default=(),
        max_length=MAX_DOCUMENTS_REQUESTED,
        description="For a supplement: what to bring (default: what is missing)",
    )
    local_assessment: LocalAssessment | None = Field(
        default=None,
        description="With the commune's acceptance under the 2025 rules: its findings on the "
        "four local-origin criteria and its evaluation report",
    )

    @model_validator(mode="after")
    def _reasons_where_needed(self) -> ReviewDecision:
        refusal = rejection_refusal(self.action, self.reason)
        if refusal is not None:
            raise ValueError(refusal.message)
        return self


class SupplementSubmission(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    submitted_by: SingleLine
    documents: tuple[DocumentRef, ...] = Field(min_length=1, max_length=MAX_DOCUMENTS)


class ScorecardSubmission(BaseModel):
    """A council member's scorecard; sending it again replaces the earlier one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scorecard: Scorecard


class CloseSessionRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Identifier
    closed_by: SingleLine


class CloseSessionResult(BaseModel):
    """What closing a session led to; a re-score reopens the session."""

    outcome: str
    explanation: str
    result: CouncilResult | None = None


class RecognitionDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Identifier
    authority: SingleLine
    decision_number: DocumentNumber
    decided_on: date
    certificate_number: DocumentNumber


class RevocationGround(StrEnum):
    PROCESS_NOT_FOLLOWED = "process_not_followed"
    FOOD_SAFETY = "food_safety"
    QUALITY_MISMATCH = "quality_mismatch"
    DESIGN_MISMATCH = "design_mismatch"
    CEASED_PRODUCTION = "ceased_production"
    OTHER = "other"


class RevocationDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    authority: SingleLine
    decision_number: DocumentNumber
    decided_on: date
    grounds: RevocationGround
    details: FreeText = ""


class Application(BaseModel):
    """An application for upgrade or re-evaluation of a certified product."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dossier: Dossier
    cycle_year: Count = Field(ge=2018, le=2100)
    rulebook: Rulebook | None = Field(
        default=None, description="Rules for the new round (default: those of the last round)"
    )
    councils: tuple[Council, ...] = Field(
        default=(),
        max_length=MAX_LEVELS,
        description="Council rosters for the new round (default: the last ones)",
    )
    cycle_workflow_id: WorkflowId | None = Field(
        default=None, description="The annual cycle the new round belongs to, if any"
    )
    policy: CasePolicy | None = Field(
        default=None,
        description="Durations for the new round, e.g. its cycle's recognition wait "
        "(default: the last round's)",
    )
    criteria: CriteriaSet | None = Field(
        default=None,
        description="The table of criteria for the new round (default: the last round's)",
    )
    dossier_number: DossierNumber | None = Field(
        default=None, description="The number the new round's cycle gave its dossier"
    )

    @model_validator(mode="after")
    def _not_a_first_registration(self) -> Application:
        if self.dossier.registration_kind == RegistrationKind.FIRST:
            raise ValueError(
                "an application on a certified product must be an 'upgrade' or a "
                "'reevaluation' registration"
            )
        return self


# What operators see.


class NextDeadline(BaseModel):
    what: str
    due: AwareDatetime


class MemberScore(BaseModel):
    member_id: str
    total: int
    part_a: int
    part_b: int
    part_c: int
    mandatory_criteria_met: bool


class CaseStatus(BaseModel):
    """Where a case stands, for the `status` query and `ocop status`."""

    workflow_id: str
    case_id: str
    province: str
    locality: str
    product_code: str
    product_name: str
    rulebook: str
    round_number: int
    dossier_number: str | None = Field(
        default=None, description="The round's dossier number, the one people say on the phone"
    )
    registration_kind: RegistrationKind
    cycle_year: int
    stage: CaseStage
    level: str | None
    session_attempt: int
    scores: list[MemberScore]
    last_result: CouncilResult | None
    missing_documents: list[DocumentKind]
    certificate: Certificate | None
    current_stars: Stars | None
    next_deadline: NextDeadline | None
    decisions: list[DecisionRecord]
    rounds: list[RoundSummary]
    as_of: AwareDatetime = Field(
        validation_alias=AliasChoices("as_of", "business_now"),
        description="The business time this status was read at (older versions called it "
        "business_now)",
    )
    emails_queued: int = Field(default=0, description="Notifications not yet handed to SMTP")
    register_writes_pending: int = Field(default=0, description="Transitions being recorded")
    cycle_workflow_id: str | None = Field(default=None, description="The round's annual cycle")
    clock: BusinessClock | None = Field(
        default=None,
        description="The case's calendar: `as_of` is when the status was read; "
        "clock.business_now(real now) is the business time now",
    )
    local_assessment: LocalAssessment | None = Field(
        default=None, description="The commune's assessment the council sees with the dossier"
    )
    extensions: list[GrantedExtension] = Field(
        default_factory=list, description="Deadlines extended this round, with their reasons"
    )
    review_escalated: bool = Field(
        default=False, description="The review is late: the province's office may take it"
    )
    council_meeting: MeetingSlot | None = Field(default=None, description="Scored at it")
    expired_certificate: Certificate | None = Field(
        default=None,
        description="The certificate whose months ran out while this round re-evaluates it: "
        "expired, re-evaluation in progress",
    )
    review_clock: ReviewClockReading | None = Field(
        default=None,
        description="The review's working days: used, stood still (supplements), due",
    )
    documents: list[DocumentRef] = Field(
        default_factory=list,
        description="The dossier's documents as they stand this round (supplements included)",
    )
    supplement_days: int | None = Field(
        default=None,
        description="The days a producer has to bring a supplement once asked (working "
        "days where the case keeps a working calendar)",
    )
    supplement_in_working_days: bool = False


def days(value: int) -> timedelta:
    return timedelta(days=value)

"""What a province's annual cycle knows of its cases, and what it reports.

Every case of the cycle tells it a small `CaseProgress` at each stage change (the
`case_progress` signal of `contracts/cycle.py`); the cycle keeps the latest per product
(as a compact `ProgressRow` across continue-as-new) and `build_report` aggregates them,
with the decisions issued (`DecisionSummary`), into the `CycleReport`.

The rest of the cycle's domain lives beside this module: `cycle_calendar` (calendar,
targets), `cycle_settings` (settings, a year's input), `cycle_decisions` (batch
recognition), `cycle_messages` (submissions, the close, opening cases) and
`cycle_rules` (what the cycle may accept).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict, Field

from models.admin_units import successor_on
from models.applicants import ApplicantKind, RegistrationKind
from models.case import CaseStage
from models.cycle_calendar import CycleCalendar, CycleTargets, TargetKind
from models.stars import Stars

if TYPE_CHECKING:
    from models.cycle_settings import CycleInput

# ------------------------------------------------------------------ what cases say


class CaseProgress(BaseModel):
    """What a product's case tells its cycle at each stage change (kept per product)."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    product_code: str
    locality: str
    applicant_kind: ApplicantKind
    registration_kind: RegistrationKind = RegistrationKind.FIRST
    round_number: int = Field(default=1, ge=1)
    stage: CaseStage
    level: str | None = None
    stars: Stars | None = Field(default=None, description="Stars the product holds now")
    awaiting_recognition: bool = False
    event_seq: int | None = Field(
        default=None,
        ge=0,
        description="The case's event counter when it spoke (None: a case before it said so)",
    )

    @property
    def certified(self) -> bool:
        return self.stage == CaseStage.CERTIFIED and self.stars is not None

    def row(self) -> ProgressRow:
        """The same facts without field names: what continue-as-new carries per product."""
        return (
            self.workflow_id,
            self.product_code,
            self.locality,
            self.applicant_kind,
            self.registration_kind,
            self.round_number,
            self.stage,
            self.level,
            self.stars,
        )

    @classmethod
    def from_row(cls, row: ProgressRow) -> CaseProgress:
        workflow_id, code, locality, kind, registration, round_number, stage, level, stars = row
        return cls(
            workflow_id=workflow_id,
            product_code=code,
            locality=locality,
            applicant_kind=kind,
            registration_kind=registration,
            round_number=round_number,
            stage=stage,
            level=level,
            stars=stars,
            awaiting_recognition=stage == CaseStage.AWAITING_RECOGNITION,
        )


ProgressRow = tuple[
    str, str, str, ApplicantKind, RegistrationKind, int, CaseStage, str | None, Stars | None
]


# ---------------------------------------------------------------- decisions issued


class RecognitionFailure(StrEnum):
    """Why a product listed in a decision could not be recognised by it (yet)."""

    FROZEN = "frozen"  # its workflow task keeps failing: it answers nothing
    TIMED_OUT = "timed_out"  # no answer within the product's own time limit
    UNAVAILABLE = "unavailable"  # the server could not be asked
    CLOSED = "closed"  # its workflow was terminated, or ended otherwise
    NOT_FOUND = "not_found"  # no such case
    REFUSED = "refused"  # the case refused the recognition (not awaiting it, say)
    NUMBER_TAKEN = "number_taken"  # the register holds its number for another product


class UnrecognisedProduct(BaseModel):
    """A product a decision lists but has not recognised: why, and whether it is retried."""

    model_config = ConfigDict(frozen=True)

    product_code: str
    workflow_id: str
    certificate_number: str
    failure: RecognitionFailure
    reason: str
    attempts: int = Field(default=1, ge=1)
    retry_at: datetime | None = Field(
        default=None, description="When the cycle asks again (workflow time); None: given up"
    )


class DecisionSummary(BaseModel):
    """A decision the cycle issued, as the report and the state keep it (compact)."""

    model_config = ConfigDict(frozen=True)

    level: str
    authority: str
    number: str
    decided_on: date
    listed: int
    recognised: int
    first_certificate: str | None = None
    last_certificate: str | None = None
    authority_key: str = ""
    unrecognised: tuple[UnrecognisedProduct, ...] = ()


# ---------------------------------------------------------------------- the report


class TargetProgress(BaseModel):
    target: TargetKind
    goal: int
    achieved: int

    @property
    def met(self) -> bool:
        return self.achieved >= self.goal

    @property
    def remaining(self) -> int:
        return max(self.goal - self.achieved, 0)


class LocalityFigures(BaseModel):
    submitted: int = 0
    certified: int = 0


def figures_by_units_of(
    by_locality: Mapping[str, LocalityFigures], day: date
) -> dict[str, LocalityFigures]:
    """A report's figures grouped by the units standing on `day`: a cycle's report keeps
    the localities of its year, and this reads it on today's map (Hải Dương's districts
    under Hải Phòng after 1 July 2025)."""
    grouped: dict[str, LocalityFigures] = {}
    for locality, figures in by_locality.items():
        unit = successor_on(locality, day)
        sums = grouped.get(unit, LocalityFigures())
        grouped[unit] = LocalityFigures(
            submitted=sums.submitted + figures.submitted,
            certified=sums.certified + figures.certified,
        )
    return dict(sorted(grouped.items()))


class CycleReport(BaseModel):
    """Where the province's year stands: counts, progress against targets, decisions."""

    cycle: str
    province: str
    year: int
    rulebook: str
    as_of: date
    closed: bool
    calendar: CycleCalendar
    submissions: int
    certified: int
    by_stage: dict[CaseStage, int]
    by_stars: dict[int, int] = Field(description="Certified products by the stars they hold")
    by_locality: dict[str, LocalityFigures]
    by_applicant_kind: dict[ApplicantKind, int]
    awaiting_recognition: dict[str, int] = Field(description="Per level")
    overdue_reviews: int = Field(description="Still in review after the review deadline")
    overdue_scoring: int = Field(description="Still before a council after its deadline")
    targets: list[TargetProgress]
    decisions: list[DecisionSummary]
    run_number: int = 1
    forged_progress_ignored: int = Field(
        default=0,
        description="case_progress signals ignored: not from one of the cycle's cases, "
        "of another round, or older than what the case said already",
    )
    emails_unconfirmed: int | None = Field(
        default=None,
        description="Emails of the province's cases and cycle whose delivery is unknown, "
        "from the register's ledger; None where the register was not read (the workflow's "
        "own report): the report email counts them",
    )
    emails_failed: int | None = Field(
        default=None, description="Emails the server refused for good, counted likewise"
    )

    @property
    def targets_met(self) -> bool:
        return all(target.met for target in self.targets)


_REVIEW_STAGES: Final = frozenset(
    {CaseStage.SUBMITTED, CaseStage.LOCAL_REVIEW, CaseStage.AWAITING_SUPPLEMENT}
)


def target_progress(
    targets: CycleTargets, products: Sequence[CaseProgress]
) -> list[TargetProgress]:
    """Progress against each target the cycle set (a target of 0 is no target)."""
    held = [int(p.stars) for p in products if p.certified and p.stars is not None]
    achieved = {
        TargetKind.SUBMISSIONS: len(products),
        TargetKind.THREE_STARS_OR_MORE: sum(1 for s in held if s >= 3),
        TargetKind.FOUR_STARS_OR_MORE: sum(1 for s in held if s >= 4),
        TargetKind.FIVE_STARS: sum(1 for s in held if s == 5),
    }
    return [
        TargetProgress(target=kind, goal=getattr(targets, kind.value), achieved=achieved[kind])
        for kind in TargetKind
        if getattr(targets, kind.value) > 0
    ]


def build_report(
    cycle: CycleInput,
    products: Mapping[str, CaseProgress],
    decisions: Sequence[DecisionSummary],
    as_of: date,
    *,
    cycle_id: str,
    closed: bool = False,
    run_number: int = 1,
    forged_progress_ignored: int = 0,
) -> CycleReport:
    """Aggregate the latest progress of every product of the cycle (`cycle_id`, its
    workflow's id, names it in the report)."""
    progress = list(products.values())
    by_stage = Counter(p.stage for p in progress)
    by_stars = Counter(int(p.stars) for p in progress if p.certified and p.stars is not None)
    localities: dict[str, LocalityFigures] = {}
    for p in progress:
        figures = localities.setdefault(p.locality, LocalityFigures())
        figures.submitted += 1
        figures.certified += int(p.certified)
    awaiting = Counter(
        p.level for p in progress if p.stage == CaseStage.AWAITING_RECOGNITION and p.level
    )
    calendar = cycle.calendar
    return CycleReport(
        cycle=cycle_id,
        province=cycle.province,
        year=cycle.year,
        rulebook=cycle.rulebook.id,
        as_of=as_of,
        closed=closed,
        calendar=calendar,
        submissions=len(progress),
        certified=sum(by_stars.values()),
        by_stage={stage: by_stage[stage] for stage in CaseStage if by_stage[stage]},
        by_stars=dict(sorted(by_stars.items())),
        by_locality=dict(sorted(localities.items())),
        by_applicant_kind={
            kind: count
            for kind in ApplicantKind
            if (count := sum(1 for p in progress if p.applicant_kind == kind))
        },
        awaiting_recognition=dict(sorted(awaiting.items())),
        overdue_reviews=sum(
            1 for p in progress if p.stage in _REVIEW_STAGES and as_of > calendar.review_deadline
        ),
        overdue_scoring=sum(
            1
            for p in progress
            if p.stage == CaseStage.COUNCIL_SCORING and as_of > calendar.council_deadline
        ),
        targets=target_progress(cycle.targets, progress),
        decisions=list(decisions),
        run_number=run_number,
        forged_progress_ignored=forged_progress_ignored,
    )

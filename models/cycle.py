"""The annual OCOP cycle of a province (chu trình OCOP thường niên), as pure rules.

A province opens one cycle a year: a submission window, review and council deadlines,
one recognition date per recognising level, targets, and the councils and decision
authorities of each level. Everything here is data and deterministic functions over
it, so the cycle workflow only orchestrates and tests can check the rules directly:

- `official_calendar` derives a year's calendar; a config overrides any date of it;
- `submission_refusal` / `dossier_refusal` say why a submission is refused, in
  Vietnamese first (producers read them), then English;
- `plan_decisions` turns the products awaiting recognition at a level into numbered
  batch decisions, one per decision-making authority, with sequential certificates;
- `build_report` aggregates the latest `CaseProgress` of every product.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Final

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)

from models.applicants import ApplicantKind, RegistrationKind
from models.case import Application, CasePolicy, CaseStage, Contact, LifecycleInput
from models.case_rules import upgrade_refusal
from models.clock import BusinessClock
from models.council import Council
from models.dates import format_day
from models.dossier import Code, DocumentNumber, Dossier, SingleLine
from models.errors import DomainError
from models.rulebook import QD148_2023, Rulebook, rulebook
from models.stars import TOP_STARS, Stars

CASE_PROGRESS_SIGNAL: Final = "case_progress"
"""The signal a product's case sends its cycle at every stage change."""


# ------------------------------------------------------------------------ calendar


class CycleCalendar(BaseModel):
    """The business dates of one cycle; every date is inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submission_opens: date
    submission_closes: date
    review_deadline: date = Field(description="Dossier reviews (and supplements) done by")
    council_deadline: date = Field(description="Council scoring done by")
    recognition: dict[str, date] = Field(
        description="Recognition date of each level that recognises stars"
    )
    closes_on: date = Field(description="Last day of the cycle; the report goes out after it")

    @model_validator(mode="after")
    def _in_order(self) -> CycleCalendar:
        steps = [
            ("submission_opens", self.submission_opens),
            ("submission_closes", self.submission_closes),
            ("review_deadline", self.review_deadline),
            ("council_deadline", self.council_deadline),
            ("closes_on", self.closes_on),
        ]
        for (earlier, first), (later, second) in pairwise(steps):
            if second < first:
                raise ValueError(
                    f"{later} ({second.isoformat()}) comes before {earlier} ({first.isoformat()})"
                )
        for level, day in self.recognition.items():
            if not self.submission_opens <= day <= self.closes_on:
                raise ValueError(
                    f"the {level} recognition date {day.isoformat()} lies outside the cycle "
                    f"({self.submission_opens.isoformat()} – {self.closes_on.isoformat()})"
                )
        return self

    def window_open(self, day: date) -> bool:
        return self.submission_opens <= day <= self.submission_closes


# Official-looking defaults: dossiers received March–June, reviews by the end of July,
# councils by the end of September, then one recognition month per level.
_RECOGNITION_DAYS: Final = ((10, 15), (11, 15), (12, 15))


def recognising_levels(book: Rulebook) -> list[str]:
    return [level.name for level in book.levels if level.recognises]


def official_calendar(year: int, book: Rulebook = QD148_2023) -> CycleCalendar:
    """The default calendar of a year's cycle under a rulebook."""
    levels = recognising_levels(book)
    recognition = {
        name: date(year, *_RECOGNITION_DAYS[min(index, len(_RECOGNITION_DAYS) - 1)])
        for index, name in enumerate(levels)
    }
    return CycleCalendar(
        submission_opens=date(year, 3, 1),
        submission_closes=date(year, 6, 30),
        review_deadline=date(year, 7, 31),
        council_deadline=date(year, 9, 30),
        recognition=recognition,
        closes_on=date(year, 12, 31),
    )


def submission_refusal(calendar: CycleCalendar, day: date) -> str | None:
    """Why a dossier cannot be received on `day`, naming the window; None inside it."""
    opens, closes = calendar.submission_opens, calendar.submission_closes
    window_vi = f"từ ngày {format_day(opens)} đến hết ngày {format_day(closes)}"
    window_en = f"{opens.isoformat()} to {closes.isoformat()}"
    if day < opens:
        return (
            f"chưa đến thời gian nhận hồ sơ: chu trình nhận hồ sơ {window_vi} "
            f"(hôm nay là {format_day(day)}) — submissions open on {opens.isoformat()} "
            f"(window {window_en})"
        )
    if day > closes:
        return (
            f"đã hết thời gian nhận hồ sơ: chu trình nhận hồ sơ {window_vi} "
            f"(hôm nay là {format_day(day)}) — the submission window closed on "
            f"{closes.isoformat()} "
            f"(window {window_en})"
        )
    return None


# ------------------------------------------------------------- targets, authorities


class CycleTargets(BaseModel):
    """The year's targets (Hải Dương: ≥ 50 products of ≥ 3★; Quảng Bình: 1–3 of 5★)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    submissions: int = Field(default=0, ge=0, description="Dossiers received")
    three_stars_or_more: int = Field(default=0, ge=0)
    four_stars_or_more: int = Field(default=0, ge=0)
    five_stars: int = Field(default=0, ge=0)


class TargetKind(StrEnum):
    SUBMISSIONS = "submissions"
    THREE_STARS_OR_MORE = "three_stars_or_more"
    FOUR_STARS_OR_MORE = "four_stars_or_more"
    FIVE_STARS = "five_stars"


Prefix = Annotated[str, Field(pattern=r"^\w[\w.-]{0,23}$")]


class DecisionAuthority(BaseModel):
    """Who signs a level's recognition decisions, and how they are numbered.

    Under the 2023 rules every district's People's Committee recognises its own 3★
    products: give one authority per district (`localities`), or one for the whole level.
    Decision numbers read `{n}/{year}/{prefix}`, n counting from `first_number`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: str = Field(min_length=1)
    authority: SingleLine
    prefix: Prefix = "QĐ-UBND"
    first_number: int = Field(default=1, ge=1, le=99_999)
    localities: tuple[Code, ...] = Field(
        default=(), description="Localities it decides for (empty: all of the level's)"
    )

    @property
    def key(self) -> str:
        return f"{self.level}:{self.authority}"


def decision_number(authority: DecisionAuthority, year: int, issued_before: int) -> str:
    return f"{authority.first_number + issued_before}/{year}/{authority.prefix}"


def certificate_number(decision: str, sequence: int) -> str:
    """The n-th certificate of a decision: the decision number and a sequence number."""
    if sequence < 1:
        raise DomainError(f"certificate sequence numbers start at 1, got {sequence}")
    return f"{decision}-{sequence:03d}"


# -------------------------------------------------------------------- what cases say


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


# ----------------------------------------------------------------------- the input


class CycleSettings(BaseModel):
    """Everything about a province's cycles except its year: what a config file holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rulebook: Rulebook = QD148_2023
    councils: tuple[Council, ...]
    administrators: tuple[Contact, ...] = Field(min_length=1)
    targets: CycleTargets = CycleTargets()
    policy: CasePolicy = Field(
        default=CasePolicy(), description="Durations of the cases, incl. clock_speed for demos"
    )
    authorities: tuple[DecisionAuthority, ...] = Field(
        default=(), description="Decision authorities per level (default: the rulebook's)"
    )
    localities: tuple[Code, ...] = Field(
        default=(),
        description="Administrative units of the rulebook's first level (empty: any)",
    )
    start_cases: bool = Field(
        default=True,
        description="False records submissions without starting cases (rehearsals, load tests)",
    )
    recognition_concurrency: int = Field(
        default=50, ge=1, le=500, description="Products recognised at once by the fan-out"
    )
    fanout_chunk: int = Field(
        default=500, ge=1, le=5000, description="Products per fan-out activity"
    )
    max_history_events: int = Field(
        default=10_000,
        ge=500,
        le=40_000,
        description="Continue as new beyond this many events (Temporal's limit is 51,200)",
    )

    @field_validator("rulebook", mode="before")
    @classmethod
    def _rulebook_by_id(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return rulebook(value)
            except DomainError as error:
                raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CycleSettings:
        scoring = [level.name for level in self.rulebook.levels if level.scores]
        have = {council.level for council in self.councils}
        missing = [name for name in scoring if name not in have]
        if missing:
            raise ValueError(
                f"rulebook {self.rulebook.id} scores at {', '.join(scoring)}; "
                f"no council roster given for: {', '.join(missing)}"
            )
        recognising = recognising_levels(self.rulebook)
        for authority in self.authorities:
            if authority.level not in recognising:
                raise ValueError(
                    f"authority {authority.authority!r} is for level {authority.level!r}, "
                    f"which does not recognise stars under {self.rulebook.id}; "
                    f"recognising levels: {', '.join(recognising)}"
                )
        for level in recognising:
            mine = [a for a in self.authorities if a.level == level]
            if sum(1 for a in mine if not a.localities) > 1:
                raise ValueError(f"more than one authority decides for all of level {level!r}")
            claimed = Counter(locality for a in mine for locality in a.localities)
            twice = sorted(locality for locality, count in claimed.items() if count > 1)
            if twice:
                raise ValueError(f"localities with two {level} authorities: {', '.join(twice)}")
        return self


# ------------------------------------------------------------------ batch decisions


def authority_for(settings: CycleSettings, level: str, locality: str) -> DecisionAuthority:
    """The authority deciding for a locality at a level: its own, the level's, or the rulebook's."""
    mine = [a for a in settings.authorities if a.level == level]
    for authority in mine:
        if locality in authority.localities:
            return authority
    for authority in mine:
        if not authority.localities:
            return authority
    rule = settings.rulebook.level(level)
    return DecisionAuthority(level=level, authority=rule.authority_vi)


class RecognitionItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    workflow_id: str
    product_code: str
    certificate_number: DocumentNumber


class PlannedDecision(BaseModel):
    """One numbered batch decision: every listed product and its certificate number."""

    model_config = ConfigDict(frozen=True)

    level: str
    authority: str
    authority_key: str
    number: DocumentNumber
    decided_on: date
    items: tuple[RecognitionItem, ...]


def allocate_certificates(
    decision: str, products: Iterable[CaseProgress]
) -> tuple[RecognitionItem, ...]:
    """A decision's certificates, numbered in product-code order: same list, same numbers."""
    ordered = sorted(products, key=lambda p: p.product_code)
    return tuple(
        RecognitionItem(
            workflow_id=p.workflow_id,
            product_code=p.product_code,
            certificate_number=certificate_number(decision, index),
        )
        for index, p in enumerate(ordered, start=1)
    )


def awaiting_at(products: Iterable[CaseProgress], level: str) -> list[CaseProgress]:
    return sorted(
        (p for p in products if p.stage == CaseStage.AWAITING_RECOGNITION and p.level == level),
        key=lambda p: p.product_code,
    )


def decision_day(calendar: CycleCalendar, level: str, today: date) -> date:
    """The date a level's batch decision bears: its recognition date, once that has come.

    Signing takes moments on a real calendar; on a compressed one (or after an outage)
    the cycle may get to a level's decisions days late, and they still bear the date
    the calendar set. Before that date (a cycle closed early) they bear today's.
    """
    return min(today, calendar.recognition.get(level, today))


def plan_decisions(
    cycle: CycleInput,
    level: str,
    decided_on: date,
    awaiting: Iterable[CaseProgress],
    issued: Mapping[str, int],
) -> list[PlannedDecision]:
    """One decision per authority for the products awaiting recognition at `level`.

    `issued` counts the decisions each authority (by key) issued earlier in the cycle,
    so numbers run on; the caller adds these decisions to it once they are issued.
    """
    groups: dict[str, tuple[DecisionAuthority, list[CaseProgress]]] = {}
    for progress in awaiting:
        authority = authority_for(cycle, level, progress.locality)
        groups.setdefault(authority.key, (authority, []))[1].append(progress)
    plans = []
    for key in sorted(groups):
        authority, members = groups[key]
        number = decision_number(authority, cycle.year, issued.get(key, 0))
        plans.append(
            PlannedDecision(
                level=level,
                authority=authority.authority,
                authority_key=key,
                number=number,
                decided_on=decided_on,
                items=allocate_certificates(number, members),
            )
        )
    return plans


class RecognitionResult(StrEnum):
    RECOGNISED = "recognised"
    SKIPPED = "skipped"


class RecognitionOutcome(BaseModel):
    """What became of one product listed in a decision."""

    model_config = ConfigDict(frozen=True)

    product_code: str
    certificate_number: str
    result: RecognitionResult
    stars: Stars | None = None
    reason: str = ""


class RecognitionBatch(BaseModel):
    """Products of one decision for the fan-out activity to recognise."""

    decision: PlannedDecision
    items: tuple[RecognitionItem, ...]
    concurrency: int = Field(default=50, ge=1)


class RecognitionBatchResult(BaseModel):
    outcomes: tuple[RecognitionOutcome, ...]


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


def summarise_decision(
    plan: PlannedDecision, outcomes: Sequence[RecognitionOutcome]
) -> DecisionSummary:
    done = [o.certificate_number for o in outcomes if o.result == RecognitionResult.RECOGNISED]
    return DecisionSummary(
        level=plan.level,
        authority=plan.authority,
        number=plan.number,
        decided_on=plan.decided_on,
        listed=len(plan.items),
        recognised=len(done),
        first_certificate=done[0] if done else None,
        last_certificate=done[-1] if done else None,
    )


# --------------------------------------------------------------- year and carried


class CycleCarried(BaseModel):
    """What one run of the cycle hands the next on continue-as-new."""

    clock: BusinessClock
    run_number: int = Field(ge=1)
    products: tuple[ProgressRow, ...] = Field(
        default=(), description="CaseProgress.row() of every product (half the size as JSON)"
    )
    decisions: tuple[DecisionSummary, ...] = ()
    levels_done: tuple[str, ...] = ()
    issued: dict[str, int] = Field(default_factory=dict)
    skipped: tuple[str, ...] = Field(
        default=(), description="Products a decision listed but could not recognise"
    )


class CycleInput(CycleSettings):
    """One province's cycle for one year, pinned when it starts.

    `calendar` may be partial (or left out): the dates not given come from
    `official_calendar` for the year and rulebook.
    """

    province: Code
    year: int = Field(ge=2018, le=2100)
    calendar: CycleCalendar
    business_start: AwareDatetime | None = Field(
        default=None, description="Business date the cycle starts on (default: now)"
    )
    carried: CycleCarried | None = None

    @model_validator(mode="before")
    @classmethod
    def _complete_calendar(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = data.get("calendar")
        if isinstance(given, CycleCalendar):
            return data
        try:
            year = int(data["year"])
            book = cls._rulebook_by_id(data.get("rulebook", QD148_2023))
            book = book if isinstance(book, Rulebook) else Rulebook.model_validate(book)
        except (KeyError, TypeError, ValueError):
            return data  # field validation reports what is wrong
        defaults = official_calendar(year, book).model_dump()
        overrides = dict(given or {})
        recognition = {**defaults["recognition"], **dict(overrides.pop("recognition", None) or {})}
        return {**data, "calendar": {**defaults, **overrides, "recognition": recognition}}

    @model_validator(mode="after")
    def _calendar_fits_the_rules(self) -> CycleInput:
        recognising = recognising_levels(self.rulebook)
        dates = self.calendar.recognition
        unknown = sorted(set(dates) - set(recognising))
        if unknown:
            raise ValueError(
                f"calendar.recognition names levels that do not recognise stars under "
                f"{self.rulebook.id}: {', '.join(unknown)}; recognising levels: "
                f"{', '.join(recognising)}"
            )
        missing = [level for level in recognising if level not in dates]
        if missing:
            raise ValueError(f"calendar.recognition has no date for: {', '.join(missing)}")
        ordered = [dates[level] for level in recognising]
        if ordered != sorted(ordered):
            raise ValueError(
                "recognition dates must follow the levels in order ("
                + " ≤ ".join(f"{level} {dates[level].isoformat()}" for level in recognising)
                + ")"
            )
        outside = [
            d
            for d in (self.calendar.submission_opens, self.calendar.closes_on)
            if d.year != self.year
        ]
        if outside:
            raise ValueError(
                f"the cycle of {self.year} must open and close in {self.year}; "
                f"got {self.calendar.submission_opens.isoformat()} – "
                f"{self.calendar.closes_on.isoformat()}"
            )
        return self


def cycle_input(
    province: str,
    year: int,
    settings: CycleSettings,
    calendar: Mapping[str, Any] | None = None,
    business_start: Any = None,
) -> CycleInput:
    """A year's cycle from a province's standing settings."""
    data: dict[str, Any] = settings.model_dump()
    data.update(province=province, year=year, calendar=dict(calendar or {}))
    if business_start is not None:
        data["business_start"] = business_start
    return CycleInput.model_validate(data)


class ScheduledCycles(BaseModel):
    """What the yearly schedule hands its launcher: a province and its standing settings."""

    province: Code
    settings: CycleSettings


def scheduled_cycle_year(today: date) -> int:
    """The year a scheduled launch opens: this year's in its first half, else the next."""
    return today.year if today.month <= 6 else today.year + 1


def case_policy(cycle: CycleInput) -> CasePolicy:
    """The policy of the cycle's cases.

    A case of the cycle waits for its level's batch decision, which may be months away;
    its recognition deadline reaches the cycle's last recognition date so the wait is
    never reported as overdue.
    """
    last = max(cycle.calendar.recognition.values())
    needed = (last - cycle.calendar.submission_opens).days + 1
    policy = cycle.policy
    if policy.recognition_deadline_days >= needed:
        return policy
    return policy.model_copy(update={"recognition_deadline_days": min(needed, 3650)})


def dossier_refusal(cycle: CycleInput, dossier: Dossier) -> str | None:
    """Domain checks on a dossier the cycle receives (pydantic checked its shape)."""
    if dossier.province.lower() != cycle.province.lower():
        return (
            f"hồ sơ thuộc tỉnh {dossier.province}, không thuộc chu trình OCOP {cycle.year} "
            f"của tỉnh {cycle.province} — the dossier is for province {dossier.province}, "
            f"this is {cycle.province}'s {cycle.year} cycle"
        )
    first = cycle.rulebook.levels[0].name
    if cycle.localities and dossier.locality not in cycle.localities:
        return (
            f"địa bàn {dossier.locality!r} không có trong danh sách đơn vị cấp {first} của "
            f"chu trình — locality {dossier.locality!r} is not a {first} of this cycle; "
            f"accepted: {', '.join(cycle.localities)}"
        )
    no_upgrade = upgrade_refusal(dossier.registration_kind, dossier.current_stars)
    if no_upgrade is not None:
        return f"sản phẩm {int(TOP_STARS)} sao không thể đăng ký nâng hạng — {no_upgrade.message}"
    return None


# ------------------------------------------------------------------ cycle messages


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


# ------------------------------------------------------------------------ the report


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
    )

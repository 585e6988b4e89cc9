"""A province's standing cycle settings, and one year's cycle as it is pinned at start.

- `CycleSettings`: what a province's config file holds (rulebook, councils,
  administrators, targets, decision authorities, localities, fan-out sizes);
- `CycleInput`: one year's cycle (settings, year, calendar, what a run carries on);
  `cycle_input` makes one from the settings, `ScheduledCycles` is what a yearly
  Schedule hands its launcher;
- `case_policy`: the policy the cycle's cases run under.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from models.bounds import (
    MAX_ADMINISTRATORS,
    MAX_AUTHORITIES,
    MAX_LEVELS,
    MAX_LOCALITIES,
    Count,
    Identifier,
)
from models.case import CasePolicy, Contact
from models.clock import BusinessClock
from models.council import Council
from models.criteria import MAX_CRITERIA_SETS, TableRef
from models.cycle import DecisionSummary, ProgressRow
from models.cycle_calendar import CycleCalendar, CycleTargets, official_calendar, recognising_levels
from models.dossier import Code, SingleLine
from models.dossier_numbers import ProvinceLetters, dossier_number, province_letters
from models.errors import DomainError
from models.holiday_tables import calendar_years_for_cycle, official_working_calendar
from models.rulebook import QD148_2023, Rulebook, council_roster_refusal, rulebook
from models.signed import SignedAction

# ------------------------------------------------------------ decision authorities


Prefix = Annotated[str, Field(pattern=r"^\w[\w.-]{0,23}$")]


class DecisionAuthority(BaseModel):
    """Who signs a level's recognition decisions, and how they are numbered.

    Under the 2023 rules every district's People's Committee recognises its own 3★
    products: give one authority per district (`localities`), or one for the whole level.
    Decision numbers read `{n}/{year}/{prefix}`, n counting from `first_number`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Identifier
    authority: SingleLine
    prefix: Prefix = "QĐ-UBND"
    first_number: Count = Field(default=1, ge=1, le=99_999)
    localities: tuple[Code, ...] = Field(
        default=(),
        max_length=MAX_LOCALITIES,
        description="Localities it decides for (empty: all of the level's)",
    )

    @property
    def key(self) -> str:
        return f"{self.level}:{self.authority}"


# --------------------------------------------------------------- standing settings


class CycleSettings(BaseModel):
    """Everything about a province's cycles except its year: what a config file holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rulebook: Rulebook = QD148_2023
    councils: tuple[Council, ...] = Field(max_length=MAX_LEVELS)
    administrators: tuple[Contact, ...] = Field(min_length=1, max_length=MAX_ADMINISTRATORS)
    targets: CycleTargets = CycleTargets()
    policy: CasePolicy = Field(
        default=CasePolicy(), description="Durations of the cases, incl. clock_speed for demos"
    )
    authorities: tuple[DecisionAuthority, ...] = Field(
        default=(),
        max_length=MAX_AUTHORITIES,
        description="Decision authorities per level (default: the rulebook's)",
    )
    localities: tuple[Code, ...] = Field(
        default=(),
        max_length=MAX_LOCALITIES,
        description="Administrative units of the rulebook's first level (empty: any)",
    )
    criteria_tables: tuple[TableRef, ...] = Field(
        default=(),
        max_length=MAX_CRITERIA_SETS,
        description="Tables of criteria its councils score on, by id (pinned to their content "
        "when the cycle opens); none: part totals",
    )
    dossier_prefix: ProvinceLetters | None = Field(
        default=None,
        description="The province's letters in its dossier numbers (HS-QN-2024-0037; "
        "default: the initials of its proper name)",
    )
    start_cases: bool = Field(
        default=True,
        description="False records submissions without starting cases (rehearsals, load tests)",
    )
    recognition_concurrency: Count = Field(
        default=50, ge=1, le=500, description="Products recognised at once by the fan-out"
    )
    fanout_chunk: Count = Field(
        default=500, ge=1, le=5000, description="Products per fan-out activity"
    )
    max_history_events: Count = Field(
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
        missing_roster = council_roster_refusal(self.rulebook, self.councils)
        if missing_roster is not None:
            raise ValueError(missing_roster)
        claimed_anywhere = sum(len(authority.localities) for authority in self.authorities)
        if claimed_anywhere > MAX_LOCALITIES:
            raise ValueError(
                f"the authorities claim {claimed_anywhere} localities in all; "
                f"at most {MAX_LOCALITIES} are accepted"
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


# ------------------------------------------------------------------ a year's cycle


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
    unconfirmed: tuple[str, ...] | None = Field(
        default=None,
        description="Products whose round their case has not confirmed yet (None: a run "
        "that did not check its cases' progress, so every product)",
    )
    forged_progress_ignored: int = Field(default=0, ge=0)
    dossiers_numbered: int | None = Field(
        default=None,
        ge=0,
        description="Dossier numbers given so far (None: a run from before dossiers were "
        "numbered, which gave none)",
    )
    action_nonces: dict[str, AwareDatetime] = Field(
        default_factory=dict, description="Signed actions accepted and not yet expired"
    )


class CycleInput(CycleSettings):
    """One province's cycle for one year, pinned when it starts.

    `calendar` may be partial (or left out): the dates not given come from
    `official_calendar` for the year and rulebook.
    """

    province: Code
    year: Count = Field(ge=2018, le=2100)
    calendar: CycleCalendar
    business_start: AwareDatetime | None = Field(
        default=None, description="Business date the cycle starts on (default: now)"
    )
    carried: CycleCarried | None = None
    opened_by: SignedAction | None = Field(
        default=None,
        description="The administrator's signed opening (action 'open_cycle' on the cycle's "
        "id, over this input without it); its batch decisions are signed only then",
    )

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
    scheduled_by: SignedAction | None = Field(
        default=None,
        description="The administrator's signed schedule (action 'schedule_cycles' on the "
        "launcher's id, over this request without it)",
    )


class ScheduledOpening(BaseModel):
    """The launcher's request to open a scheduled year: the schedule, and the cycle it
    opens from it; the activity checks the schedule's signature, then signs the opening."""

    schedule: ScheduledCycles
    opening: CycleInput


def standing_payload(request: CycleInput | ScheduledCycles) -> BaseModel:
    """What an opening or a schedule signs: the request without its signature and state."""
    if isinstance(request, ScheduledCycles):
        return request.model_copy(update={"scheduled_by": None})
    return request.model_copy(update={"opened_by": None, "carried": None})


def with_working_calendar(cycle: CycleInput) -> CycleInput:
    """The cycle with Vietnam's days off of its years pinned in its cases' policy, unless
    the province gave its own table. Called where a cycle is opened (the API, the
    scheduled opening), never in a workflow: a later edition of the holiday tables must
    not change a running cycle's deadlines."""
    if cycle.policy.working_calendar is not None:
        return cycle
    calendar = official_working_calendar(calendar_years_for_cycle(cycle.year))
    policy = cycle.policy.model_copy(update={"working_calendar": calendar})
    return cycle.model_copy(update={"policy": policy})


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


def cycle_dossier_number(cycle: CycleInput, sequence: int) -> str:
    """The number of the cycle's `sequence`-th dossier: HS-QN-2024-0037."""
    return dossier_number(
        cycle.dossier_prefix or province_letters(cycle.province), cycle.year, sequence
    )

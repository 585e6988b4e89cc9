"""Dated council meetings: a council meets on a day with an agenda of several products.

The council's secretary (or its chair) calls the meeting: a date, a place and the
products on its agenda, each of them waiting for that council's scoring. Members must
receive the dossiers at least `MIN_NOTICE_WORKING_DAYS` working days before the meeting,
so a meeting is called at least that long ahead, and no later than the scoring
deadline of any product on its agenda (extend that first). Each product's case then
takes its scorecards at the meeting, not before; when the meeting has been held, its
minutes — who attended, the quorum, each product's result and re-scores — are kept in
the register and printed by the chair.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from models.bounds import Identifier, SingleLine
from models.case import CaseStage, CaseStatus
from models.clock import VIETNAM
from models.council import Council, CouncilRules, MeetingSlot, quorum_missing
from models.dates import format_day
from models.dossier_numbers import DOSSIER_NUMBER_PATTERN
from models.errors import Refusal
from models.labels import label, level_label
from models.scorecard import Scorecard
from models.working_days import WorkingCalendar, add_working_days, weekends_only

MIN_NOTICE_WORKING_DAYS: Final = 2
MAX_AGENDA: Final = 40

CASE_REF_PATTERN: Final = rf"^[a-z0-9][a-z0-9-]{{0,199}}$|{DOSSIER_NUMBER_PATTERN}"


class MeetingCall(BaseModel):
    """What the secretary sends to call a meeting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Identifier
    meets_on: date
    venue: SingleLine
    agenda: tuple[Annotated[str, Field(pattern=CASE_REF_PATTERN)], ...] = Field(
        min_length=1,
        max_length=MAX_AGENDA,
        description="The products' cases: workflow ids or dossier numbers",
    )
    called_by: SingleLine = Field(description="Stamped with the verified actor's name")

    @model_validator(mode="after")
    def _each_product_once(self) -> MeetingCall:
        twice = sorted({ref for ref in self.agenda if self.agenda.count(ref) > 1})
        if twice:
            raise ValueError(f"agenda: each product once; repeated: {', '.join(twice)}")
        return self


def meeting_id(province: str, level: str, meets_on: date, venue: str) -> str:
    """One id per council, day and place: calling the same meeting again finds it."""
    plain = unicodedata.normalize("NFKD", venue.lower().replace("đ", "d"))
    place = "".join(ch for ch in plain if ch.isascii() and ch.isalnum())[:20] or "x"
    return f"hd-{province}-{level}-{meets_on.isoformat()}-{place}"[:64]


def earliest_meeting_day(today: date, calendar: WorkingCalendar | None) -> date:
    """The first day a meeting called today may be held: the dossiers reach the members
    at least two working days before."""
    known = calendar or weekends_only((today.year, today.year + 1))
    return add_working_days(today, MIN_NOTICE_WORKING_DAYS, known)


def meeting_refusal(
    slot: MeetingSlot,
    *,
    stage: CaseStage,
    level: str | None,
    today: date,
    due: datetime | None,
    calendar: WorkingCalendar | None,
    current: MeetingSlot | None,
) -> Refusal | None:
    """Why a product's case cannot go on this meeting's agenda, or None."""
    if stage != CaseStage.COUNCIL_SCORING or level != slot.level:
        return Refusal(
            "WrongStage",
            f"hồ sơ không chờ Hội đồng {level_label(slot.level)} chấm điểm (giai đoạn "
            f"{label(stage)}) — "
            f"the case is not waiting for the {slot.level} council's scoring",
        )
    if current is not None and current.meeting_id != slot.meeting_id:
        return Refusal(
            "AlreadyScheduled",
            f"hồ sơ đã có trong chương trình phiên họp ngày {format_day(current.meets_on)} — "
            f"the case is already on the agenda of the meeting of {current.meets_on.isoformat()}",
        )
    earliest = earliest_meeting_day(today, calendar)
    if slot.meets_on < earliest:
        return Refusal(
            "TooSoon",
            f"thành viên Hội đồng phải nhận hồ sơ ít nhất {MIN_NOTICE_WORKING_DAYS} ngày làm "
            f"việc trước phiên họp: ngày họp sớm nhất là {format_day(earliest)} — members "
            f"must receive the dossiers {MIN_NOTICE_WORKING_DAYS} working days ahead; the "
            f"earliest meeting day is {earliest.isoformat()}",
        )
    if due is not None and slot.meets_on > due.astimezone(VIETNAM).date():
        last = due.astimezone(VIETNAM).date()
        return Refusal(
            "AfterDeadline",
            f"ngày họp sau hạn chấm điểm {format_day(last)}; đề nghị gia hạn trước — the "
            f"meeting day is after the scoring deadline of {last.isoformat()}; extend it first",
        )
    return None


def early_scorecard_refusal(slot: MeetingSlot | None, today: date) -> Refusal | None:
    """A product on a meeting's agenda is scored at the meeting, not before."""
    if slot is None or today >= slot.meets_on:
        return None
    return Refusal(
        "TooSoon",
        f"sản phẩm được chấm điểm tại phiên họp ngày {format_day(slot.meets_on)} "
        f"({slot.venue}) — the product is scored at the meeting of "
        f"{slot.meets_on.isoformat()}; scorecards are taken from that day",
    )


# ----------------------------------------------------------------- the minutes


class MinutesItem(BaseModel):
    """One product's part of the minutes."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    dossier_number: str | None
    product_name: str
    product_code: str
    scored_by: tuple[str, ...]
    not_scored: tuple[str, ...]
    quorum: bool
    attempts: int = Field(description="Scoring rounds: more than 1 after a re-score")
    concluded: bool
    mean: Decimal | None = None
    stars: int | None = None
    mandatory_criteria_met: bool | None = None
    stage: CaseStage


class CouncilMinutes(BaseModel):
    """The minutes of a council meeting: a record in the register, printed by the chair."""

    model_config = ConfigDict(frozen=True)

    meeting_id: str
    province: str
    level: str
    meets_on: date
    venue: str
    called_by: str
    closed_by: str
    closed_at: AwareDatetime
    members: tuple[str, ...] = Field(description="Every member, as 'name (role)'")
    attended: tuple[str, ...] = Field(description="Members who scored at least one product")
    items: tuple[MinutesItem, ...]


def minutes_item(status: CaseStatus, council: Council, rules: CouncilRules) -> MinutesItem:
    """What the minutes say of one product, from where its case stands: its council's
    result if the chair closed its session (the members it counted attended), else the
    cards given so far."""
    result = status.last_result
    at_this_council = status.stage == CaseStage.COUNCIL_SCORING and status.level == council.level
    concluded = result is not None and not at_this_council
    if concluded and result is not None:
        counted = set(result.member_totals)
    else:
        counted = {score.member_id for score in status.scores}
    cards = {
        score.member_id: Scorecard(
            member_id=score.member_id,
            level=council.level,
            part_a=score.part_a,
            part_b=score.part_b,
            part_c=score.part_c,
            mandatory_criteria_met=score.mandatory_criteria_met,
        )
        for score in status.scores
    }
    return MinutesItem(
        workflow_id=status.workflow_id,
        dossier_number=status.dossier_number,
        product_name=status.product_name,
        product_code=status.product_code,
        scored_by=tuple(m.member_id for m in council.members if m.member_id in counted),
        not_scored=tuple(m.member_id for m in council.members if m.member_id not in counted),
        quorum=concluded or quorum_missing(council, rules, cards) is None,
        attempts=status.session_attempt,
        concluded=concluded,
        mean=result.mean if concluded and result else None,
        stars=int(result.stars) if concluded and result else None,
        mandatory_criteria_met=result.mandatory_criteria_met if concluded and result else None,
        stage=status.stage,
    )


def attended(council: Council, items: tuple[MinutesItem, ...]) -> tuple[str, ...]:
    """The members who scored at least one product of the meeting."""
    scored = {member for item in items for member in item.scored_by}
    return tuple(m.member_id for m in council.members if m.member_id in scored)

"""Extending a step's deadline, and a late review passing to the province.

Deadlines count in working days (`models.working_days`). Whoever is answerable for a
step may give it more time, with a reason that the register keeps and the producer is
told: the commune or district office its review and the producer's supplement, the
province's coordination office any step. A step may be extended at most
`MAX_EXTENSIONS_PER_STEP` times, by at most `MAX_EXTENSION_DAYS` working days each,
and only before its deadline has passed.

A review that passes its deadline is escalated to the province: its coordination
office is told and may from then on take the review in the locality's place (accept,
ask for a supplement, reject), as the locality still may. The rules are in
`models.deadline_rules`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from models.bounds import Count, FreeText, SingleLine
from models.clock import VIETNAM, end_of_day
from models.working_days import WorkingCalendar, add_working_days

MAX_EXTENSION_DAYS: Final = 30
MAX_EXTENSIONS_PER_STEP: Final = 2


class DeadlineStep(StrEnum):
    REVIEW = "review"
    SUPPLEMENT = "supplement"
    COUNCIL_SCORING = "council_scoring"


STEP_VI: Final = {
    DeadlineStep.REVIEW: "thẩm định hồ sơ",
    DeadlineStep.SUPPLEMENT: "bổ sung hồ sơ",
    DeadlineStep.COUNCIL_SCORING: "chấm điểm của hội đồng",
}


class DeadlineExtension(BaseModel):
    """A request for more time on the step the case is at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: DeadlineStep
    working_days: Count = Field(ge=1, le=MAX_EXTENSION_DAYS)
    reason: FreeText
    extended_by: SingleLine = Field(description="Stamped with the verified actor's name")

    @model_validator(mode="after")
    def _has_a_reason(self) -> DeadlineExtension:
        if not self.reason.strip():
            raise ValueError("reason: gia hạn phải nêu lý do — an extension must give its reason")
        return self


class GrantedExtension(BaseModel):
    """An extension the case granted, as its status and the register show it."""

    model_config = ConfigDict(frozen=True)

    step: DeadlineStep
    working_days: int
    reason: str
    extended_by: str
    granted_at: AwareDatetime
    due_before: AwareDatetime
    due_after: AwareDatetime


def extended_due(due: datetime, working_days: int, calendar: WorkingCalendar | None) -> datetime:
    """The deadline so many working days later (calendar days for a case without a
    working calendar, as its deadlines were counted)."""
    if calendar is None:
        return due + timedelta(days=working_days)
    return end_of_day(add_working_days(due.astimezone(VIETNAM).date(), working_days, calendar))

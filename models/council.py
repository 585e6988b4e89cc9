"""Council rules: quorum, divergence and the council's score.

Each member scores on their own; the council's score is the arithmetic mean of the
members' totals, **rounded half-up to two decimals**, and the stars follow from that
rounded mean. Quorum is at least 3/4 of the members with the chair among them. When
members' totals are more than 10 points apart, the council discusses and re-scores.
The council's finding on the mandatory 3★ criteria is the majority of the scoring
members; a tie counts as not met, because a certificate must not rest on a doubt.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from models.bounds import MAX_COUNCIL_MEMBERS, Count, Identifier, PersonName, SingleLine
from models.errors import DomainError
from models.refusal_wording import excerpt
from models.scorecard import Scorecard
from models.stars import Stars, stars_for_score


class CouncilRole(StrEnum):
    CHAIR = "chair"
    MEMBER = "member"


class CouncilMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: Identifier
    name: PersonName
    email: EmailStr | None = None
    role: CouncilRole = CouncilRole.MEMBER


class Council(BaseModel):
    """The members of one level's council; exactly one chair."""

    model_config = ConfigDict(frozen=True)

    level: Identifier
    members: tuple[CouncilMember, ...] = Field(min_length=1, max_length=MAX_COUNCIL_MEMBERS)

    @model_validator(mode="after")
    def _one_chair_unique_ids(self) -> Council:
        ids = [member.member_id for member in self.members]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"council member ids must be unique; repeated: {duplicates}")
        chairs = [m.member_id for m in self.members if m.role == CouncilRole.CHAIR]
        if len(chairs) != 1:
            raise ValueError(
                f"a council needs exactly one chair (role 'chair'); found {len(chairs)}"
            )
        return self

    @property
    def chair_id(self) -> str:
        return next(m.member_id for m in self.members if m.role == CouncilRole.CHAIR)

    def member(self, member_id: str) -> CouncilMember:
        for member in self.members:
            if member.member_id == member_id:
                return member
        accepted = ", ".join(m.member_id for m in self.members)
        raise DomainError(
            f"{excerpt(member_id)!r} is not a member of the {self.level} council; "
            f"members: {excerpt(accepted, 200)}"
        )


class MeetingSlot(BaseModel):
    """What each product's case is told: the meeting that scores it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meeting_id: Identifier
    level: Identifier
    meets_on: date
    venue: SingleLine
    called_by: SingleLine


class CouncilRules(BaseModel):
    model_config = ConfigDict(frozen=True)

    quorum_numerator: Count = Field(default=3, gt=0)
    quorum_denominator: Count = Field(default=4, gt=0)
    chair_required: bool = True
    max_divergence: Count = Field(default=10, ge=0, description="Largest allowed spread of totals")

    def quorum_size(self, council_size: int) -> int:
        return math.ceil(council_size * self.quorum_numerator / self.quorum_denominator)


SCORE_QUANTUM = Decimal("0.01")


def council_mean(totals: list[int]) -> Decimal:
    """Arithmetic mean of the totals, rounded half-up to two decimals."""
    if not totals:
        raise DomainError("a council score needs at least one scorecard")
    return (Decimal(sum(totals)) / Decimal(len(totals))).quantize(
        SCORE_QUANTUM, rounding=ROUND_HALF_UP
    )


class QuorumMissing(BaseModel):
    outcome: Literal["quorum_missing"] = "quorum_missing"
    scored: int
    required: int
    chair_scored: bool
    not_yet_scored: tuple[str, ...] = ()

    def explain(self) -> str:
        reasons = []
        if self.scored < self.required:
            reasons.append(f"{self.scored} of the {self.required} scorecards needed")
        if not self.chair_scored:
            reasons.append("the chair has not scored")
        waiting = (
            f"; not yet scored: {', '.join(self.not_yet_scored)}" if self.not_yet_scored else ""
        )
        return "quorum not reached: " + " and ".join(reasons) + waiting


class RescoreRequired(BaseModel):
    outcome: Literal["rescore_required"] = "rescore_required"
    lowest: int
    highest: int
    max_divergence: int

    @property
    def spread(self) -> int:
        return self.highest - self.lowest

    def explain(self) -> str:
        return (
            f"members' totals range from {self.lowest} to {self.highest} points, "
            f"{self.spread} apart (more than {self.max_divergence}): discuss and re-score"
        )


class CouncilResult(BaseModel):
    outcome: Literal["result"] = "result"
    mean: Decimal
    stars: Stars
    mandatory_criteria_met: bool
    member_totals: dict[str, int]
    part_means: dict[str, Decimal] = Field(
        default_factory=dict, description="Mean points of each part, for the producer's letter"
    )


SessionOutcome = QuorumMissing | RescoreRequired | CouncilResult


def counted_scorecards(
    council: Council, scorecards: Mapping[str, Scorecard]
) -> dict[str, Scorecard]:
    """The scorecards that count: those of the council's members."""
    member_ids = {m.member_id for m in council.members}
    return {mid: card for mid, card in scorecards.items() if mid in member_ids}


def has_quorum(council: Council, rules: CouncilRules, scorecards: Mapping[str, Scorecard]) -> bool:
    """Whether enough members have scored (3/4 by default) and, if required, the chair."""
    return quorum_missing(council, rules, scorecards) is None


def quorum_missing(
    council: Council, rules: CouncilRules, scorecards: Mapping[str, Scorecard]
) -> QuorumMissing | None:
    """What the session still lacks to close (who has not scored), or None at quorum."""
    return quorum_missing_of(council, rules, scorecards.keys())


def quorum_missing_of(
    council: Council, rules: CouncilRules, scored: Collection[str]
) -> QuorumMissing | None:
    """`quorum_missing` by the ids of the members who have scored (what a status shows)."""
    member_ids = {m.member_id for m in council.members}
    counted = [member_id for member_id in scored if member_id in member_ids]
    required = rules.quorum_size(len(council.members))
    chair_scored = council.chair_id in counted or not rules.chair_required
    if len(counted) >= required and chair_scored:
        return None
    return QuorumMissing(
        scored=len(counted),
        required=required,
        chair_scored=chair_scored,
        not_yet_scored=tuple(m.member_id for m in council.members if m.member_id not in counted),
    )


def needs_rescore(rules: CouncilRules, totals: Collection[int]) -> bool:
    """Whether the members' totals lie further apart than the council rules allow."""
    return max(totals) - min(totals) > rules.max_divergence


def close_session(
    council: Council, rules: CouncilRules, scorecards: Mapping[str, Scorecard]
) -> SessionOutcome:
    """Decide what closing a council session yields: no quorum, a re-score, or a result.

    Only scorecards of the council's members count; the caller refuses others earlier.
    """
    missing = quorum_missing(council, rules, scorecards)
    if missing is not None:
        return missing
    counted = counted_scorecards(council, scorecards)
    totals = [card.total for card in counted.values()]
    if needs_rescore(rules, totals):
        return RescoreRequired(
            lowest=min(totals), highest=max(totals), max_divergence=rules.max_divergence
        )
    met_votes = sum(1 for card in counted.values() if card.meets_mandatory)
    mandatory_met = met_votes * 2 > len(counted)
    mean = council_mean(totals)
    return CouncilResult(
        mean=mean,
        stars=stars_for_score(mean, mandatory_met),
        mandatory_criteria_met=mandatory_met,
        member_totals={mid: card.total for mid, card in sorted(counted.items())},
        part_means={
            part: council_mean([getattr(card, part) for card in counted.values()])
            for part in ("part_a", "part_b", "part_c")
        },
    )

"""The OCOP scorecard: 100 points in three parts, with maxima fixed by each rulebook."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bounds import Count, Flag, FreeText, Identifier, Points
from models.errors import DomainError

MAX_CRITERIA = 40
"""Criteria of one table of criteria (the official tables have some 20 to 30)."""
CriterionCode = Annotated[str, Field(pattern=r"^[ABC][0-9]{1,2}(\.[0-9]{1,2}){0,2}$")]
"""A criterion's number, its part first: `A1`, `A1.2`, `C3.1.2` (`models.criteria`)."""


class PartMaxima(BaseModel):
    """Maximum points of each part. 2019: 35/25/40; 2023 and later: 40/25/35."""

    model_config = ConfigDict(frozen=True)

    part_a: Count = Field(gt=0, description="Product and community strength")
    part_b: Count = Field(gt=0, description="Marketing capacity")
    part_c: Count = Field(gt=0, description="Product quality")

    @model_validator(mode="after")
    def _sum_to_hundred(self) -> PartMaxima:
        if self.part_a + self.part_b + self.part_c != 100:
            raise ValueError("the three parts of a scorecard must add up to 100 points")
        return self


MAXIMA_2019 = PartMaxima(part_a=35, part_b=25, part_c=40)
MAXIMA_2023 = PartMaxima(part_a=40, part_b=25, part_c=35)


class ScorePart(StrEnum):
    """The three parts of a scorecard, by their field names (labels: `models.labels`)."""

    PART_A = "part_a"  # sản phẩm và sức mạnh cộng đồng
    PART_B = "part_b"  # khả năng tiếp thị
    PART_C = "part_c"  # chất lượng sản phẩm


_PART_OF_LETTER = {"A": ScorePart.PART_A, "B": ScorePart.PART_B, "C": ScorePart.PART_C}


def part_of(code: str) -> ScorePart:
    """The part a criterion belongs to, by the letter its code starts with."""
    return _PART_OF_LETTER[code[0]]


def part_sums(scores: Mapping[str, int]) -> dict[ScorePart, int]:
    """Each part's points: the sum of its criteria's."""
    sums = dict.fromkeys(ScorePart, 0)
    for code, points in scores.items():
        sums[part_of(code)] += points
    return sums


class Scorecard(BaseModel):
    """One council member's scores for one product at one level.

    Scored by part totals (cases without a table of criteria), or criterion by
    criterion (`criteria`): then the parts are the sums of their criteria (given parts
    must agree), and the case's table says whether the mandatory criteria are met.
    Shape is checked here (whole, non-negative points; `true`, "12" and 12.0 are not
    points, `models.bounds.Points`); the maxima and the table are the case's, checked
    by `check_against` and `models.criteria.criteria_scores_refusal`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: Identifier
    level: Identifier
    part_a: Points
    part_b: Points
    part_c: Points
    mandatory_criteria_met: Flag | None = Field(
        default=None,
        description="Whether the product meets every mandatory criterion for 3★; "
        "required when scoring by part totals, found from the table when by criteria",
    )
    criteria: dict[CriterionCode, Points] = Field(
        default_factory=dict,
        max_length=MAX_CRITERIA,
        description='Points per criterion of the case\'s table, e.g. {"A1.1": 3}',
    )
    comment: FreeText = ""

    @model_validator(mode="before")
    @classmethod
    def _parts_from_criteria(cls, data: Any) -> Any:
        criteria = data.get("criteria") if isinstance(data, dict) else None
        if not isinstance(criteria, dict) or not criteria:
            return data
        if not all(
            isinstance(code, str) and code[:1] in _PART_OF_LETTER and type(points) is int
            for code, points in criteria.items()
        ):
            return data  # the field's own checks name what is wrong
        sums = part_sums(criteria)
        filled = dict(data)
        for part, total in sums.items():
            given = filled.setdefault(part.value, total)
            if given != total:
                raise ValueError(
                    f"{part.value} is {given} but its criteria add up to {total}; "
                    "send the criteria alone, or parts that agree with them"
                )
        return filled

    @model_validator(mode="after")
    def _flag_when_by_parts(self) -> Scorecard:
        if not self.criteria and self.mandatory_criteria_met is None:
            raise ValueError(
                "mandatory_criteria_met is required when scoring by part totals (true or false)"
            )
        return self

    @classmethod
    def by_criteria(
        cls, member_id: str, level: str, criteria: Mapping[str, int], comment: str = ""
    ) -> Scorecard:
        """A card scored criterion by criterion: its parts are the criteria's sums."""
        return cls.model_validate(
            {"member_id": member_id, "level": level, "criteria": dict(criteria), "comment": comment}
        )

    @property
    def total(self) -> int:
        return self.part_a + self.part_b + self.part_c

    @property
    def meets_mandatory(self) -> bool:
        """Whether the card supports 3★; a card by criteria the case has not evaluated
        yet (no finding) does not."""
        return self.mandatory_criteria_met is True

    def check_against(self, maxima: PartMaxima) -> None:
        """Raise a DomainError naming every part above its maximum."""
        problems = [
            f"{part} has {getattr(self, part)} points but its maximum is {getattr(maxima, part)}"
            for part in ("part_a", "part_b", "part_c")
            if getattr(self, part) > getattr(maxima, part)
        ]
        if problems:
            raise DomainError(
                "scorecard refused: "
                + "; ".join(problems)
                + f" (accepted: A 0–{maxima.part_a}, B 0–{maxima.part_b}, C 0–{maxima.part_c})"
            )

"""The OCOP scorecard: 100 points in three parts, with maxima fixed by each rulebook."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bounds import Count, Flag, FreeText, Identifier, Points
from models.errors import DomainError


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


class Scorecard(BaseModel):
    """One council member's scores for one product at one level.

    Shape is checked here (whole, non-negative points, every part present; `true`, "12"
    and 12.0 are not points, `models.bounds.Points`); the
    maxima depend on the rulebook and are checked by `check_against`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: Identifier
    level: Identifier
    part_a: Points
    part_b: Points
    part_c: Points
    mandatory_criteria_met: Flag = Field(
        description="Whether the product meets every mandatory criterion for 3★"
    )
    comment: FreeText = ""

    @property
    def total(self) -> int:
        return self.part_a + self.part_b + self.part_c

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

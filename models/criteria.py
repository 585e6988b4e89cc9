"""The scorecard by criteria: a product group's table of criteria, and scoring against it.

Decision 148/QĐ-TTg (2023), Annex III, gives each product group and set its own table:
numbered criteria in three parts (A: product and community strength, 40 points; B:
marketing, 25; C: quality, 35), each criterion with its maximum, some marked mandatory
for 3★. A table is data (`CriteriaSet`): a province loads its official tables
(`criteria_set_from_table`, YAML or JSON) and a case pins the one of its product group
when it starts, so a table edited later never re-scores a running case.

A criterion's code starts with its part (`A1.2`, `B2`, `C3.1`), so a card's part sums
follow from its codes alone; the table says which criteria exist, their maxima, and
which are mandatory. A mandatory criterion scored below its minimum (by default: no
point at all) means the product does not meet it, and the card cannot support 3★.

Cases started before tables existed, and cases whose province loaded none, keep
scoring by part totals (`Scorecard.criteria` empty).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bounds import Count
from models.errors import Refusal
from models.scorecard import (
    MAX_CRITERIA,
    MAXIMA_2023,
    CriterionCode,
    PartMaxima,
    Scorecard,
    ScorePart,
    part_of,
    part_sums,
)
from models.text import single_line

MAX_CRITERION_NAME_CHARS = 160
MAX_CRITERIA_SETS = 40
"""Tables a province loads (one per product group or set)."""

TableId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
ShortText = Annotated[str, Field(min_length=1, max_length=MAX_CRITERION_NAME_CHARS)]


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CriterionCode
    name_vi: ShortText
    max_points: Count = Field(ge=1, le=40)
    mandatory_for_3_stars: bool = False
    min_points: Count = Field(
        default=1, ge=0, le=40, description="For a mandatory criterion: the least that meets it"
    )

    @property
    def part(self) -> ScorePart:
        return part_of(self.code)

    @model_validator(mode="after")
    def _consistent(self) -> Criterion:
        single_line(self.name_vi)
        if self.min_points > self.max_points:
            raise ValueError(
                f"criterion {self.code}: min_points {self.min_points} is above its "
                f"maximum {self.max_points}"
            )
        return self


class CriteriaSet(BaseModel):
    """One table of criteria: for which product groups (and sets), from which source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: TableId
    title: ShortText
    source: ShortText = Field(description="The decision or province table it transcribes")
    product_groups: tuple[Annotated[str, Field(max_length=64)], ...] = Field(
        min_length=1, max_length=6
    )
    product_sets: tuple[Annotated[str, Field(max_length=64)], ...] = Field(
        default=(), max_length=30, description="Empty: every set of its groups"
    )
    maxima: PartMaxima = MAXIMA_2023
    criteria: tuple[Criterion, ...] = Field(min_length=1, max_length=MAX_CRITERIA)

    @model_validator(mode="after")
    def _criteria_fill_the_parts(self) -> CriteriaSet:
        codes = [criterion.code for criterion in self.criteria]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"table {self.id}: criteria codes repeated: {', '.join(repeated)}")
        sums = part_sums({c.code: c.max_points for c in self.criteria})
        wrong = [
            f"part {part.value[-1].upper()} sums to {sums[part]}, its maximum is "
            f"{getattr(self.maxima, part.value)}"
            for part in ScorePart
            if sums[part] != getattr(self.maxima, part.value)
        ]
        if wrong:
            raise ValueError(f"table {self.id}: " + "; ".join(wrong))
        return self

    def applies_to(self, group: str, product_set: str) -> bool:
        return group in self.product_groups and (
            not self.product_sets or product_set in self.product_sets
        )

    def mandatory(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.mandatory_for_3_stars)


def criteria_set_from_table(table: object) -> CriteriaSet:
    """A province's table (parsed YAML or JSON), checked like any input."""
    return CriteriaSet.model_validate(table)


def criteria_set_for(
    tables: tuple[CriteriaSet, ...], group: str, product_set: str
) -> CriteriaSet | None:
    """The table a product of this group and set is scored on: one naming its set
    first, else one for its whole group; None when the province loaded none."""
    fitting = [table for table in tables if table.applies_to(group, product_set)]
    fitting.sort(key=lambda table: not table.product_sets)
    return fitting[0] if fitting else None


def unmet_mandatory(table: CriteriaSet, scores: Mapping[str, int]) -> list[Criterion]:
    """The mandatory criteria these scores do not meet (scored below their minimum)."""
    return [c for c in table.mandatory() if scores.get(c.code, 0) < c.min_points]


def evaluated(table: CriteriaSet | None, card: Scorecard) -> Scorecard:
    """The card as the case keeps it: a card by criteria with the table's finding on the
    mandatory criteria; a card by part totals as it came."""
    if table is None or not card.criteria:
        return card
    met = not unmet_mandatory(table, card.criteria)
    return card.model_copy(update={"mandatory_criteria_met": met})


def scorecard_on_table_refusal(table: CriteriaSet | None, card: Scorecard) -> Refusal | None:
    """Why a member's card does not fit the case's table (or its absence), or None; a
    finding on the mandatory criteria the table contradicts is refused too."""
    refusal = criteria_scores_refusal(table, card.criteria)
    if refusal is not None or table is None:
        return refusal
    unmet = unmet_mandatory(table, card.criteria)
    if card.mandatory_criteria_met is True and unmet:
        return Refusal(
            "MandatoryCriteriaNotMet",
            "scorecard refused: mandatory_criteria_met is true but "
            + ", ".join(f"{c.code} ({c.name_vi}) has under {c.min_points} points" for c in unmet)
            + "; leave mandatory_criteria_met out: the table decides it",
        )
    if card.mandatory_criteria_met is False and not unmet:
        return Refusal(
            "MandatoryCriteriaNotMet",
            "scorecard refused: mandatory_criteria_met is false but every mandatory "
            "criterion has its points; leave mandatory_criteria_met out: the table decides it",
        )
    return None


def criteria_scores_refusal(
    table: CriteriaSet | None, scores: Mapping[str, int], what: str = "scorecard"
) -> Refusal | None:
    """Why these scores cannot be taken on this case's table, or None.

    Every criterion of the table must be scored (0 is a score), none above its
    maximum, no code the table lacks.
    """
    if table is None:
        if scores:
            return Refusal(
                "ScoredByPartTotals",
                f"{what} refused: this case scores by part totals (no table of criteria was "
                "pinned when it started); send part_a, part_b and part_c",
            )
        return None
    if not scores:
        return Refusal(
            "CriteriaMissing",
            f"{what} refused: this case scores criterion by criterion on table {table.id}; "
            f"send criteria {{code: points}} for {', '.join(c.code for c in table.criteria)}",
        )
    known = {c.code: c for c in table.criteria}
    unknown = sorted(code for code in scores if code not in known)
    missing = [code for code in known if code not in scores]
    over = [
        f"{code} has {points} points, at most {known[code].max_points}"
        for code, points in scores.items()
        if code in known and points > known[code].max_points
    ]
    problems = []
    if unknown:
        problems.append(f"table {table.id} has no criteria {', '.join(unknown)}")
    if missing:
        problems.append(f"not scored: {', '.join(missing)} (0 is a score)")
    problems.extend(over)
    if problems:
        return Refusal("CriteriaRefused", f"{what} refused: " + "; ".join(problems))
    return None


class TableRef(BaseModel):
    """A table a cycle scores on: its id, and once the cycle is opened the digest of
    the content it pinned (`table_digest`), so a table loaded again later never
    re-scores the cycle's products."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: TableId
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


def table_digest(table: CriteriaSet) -> str:
    """The SHA-256 of a table's canonical JSON: what a cycle pins."""
    return hashlib.sha256(table.model_dump_json().encode("utf-8")).hexdigest()

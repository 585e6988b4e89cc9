"""The scorecard by criteria: parts summed from criteria, the table's mandatory
criteria, the same stars as the part totals, and every refusal naming the criterion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from models.case import CaseStage, LifecycleInput
from models.council import CouncilResult, close_session
from models.criteria import (
    CriteriaSet,
    criteria_scores_refusal,
    criteria_set_for,
    criteria_set_from_table,
    evaluated,
    scorecard_on_table_refusal,
    unmet_mandatory,
)
from models.rulebook import QD148_2023
from models.scorecard import Scorecard
from models.stars import Stars
from tests.factories import case_input, council, honey_dossier
from tests.fixtures.lifecycle import CaseWorld
from tests.updates import refused

EXAMPLE = Path(__file__).parent.parent / "examples" / "criteria" / "minh-hoa-thuc-pham.yaml"
TABLE = criteria_set_from_table(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))


def criteria_for_total(
    table: CriteriaSet, total: int, zero: tuple[str, ...] = ()
) -> dict[str, int]:
    """Points per criterion adding up to `total`: full marks, taken off from the end,
    the criteria in `zero` given none."""
    scores = {c.code: 0 if c.code in zero else c.max_points for c in table.criteria}
    excess = sum(scores.values()) - total
    for criterion in reversed(table.criteria):
        if excess <= 0:
            break
        if criterion.mandatory_for_3_stars:
            continue
        taken = min(excess, scores[criterion.code])
        scores[criterion.code] -= taken
        excess -= taken
    assert sum(scores.values()) == total
    return scores


def by_criteria(member: str, total: int, zero: tuple[str, ...] = ()) -> Scorecard:
    return evaluated(
        TABLE,
        Scorecard.by_criteria(member, "district", criteria_for_total(TABLE, total, zero)),
    )


def by_parts(card: Scorecard) -> Scorecard:
    return Scorecard(
        member_id=card.member_id,
        level=card.level,
        part_a=card.part_a,
        part_b=card.part_b,
        part_c=card.part_c,
        mandatory_criteria_met=card.meets_mandatory,
    )


def result(cards: list[Scorecard]) -> CouncilResult:
    outcome = close_session(
        council("district", size=4), QD148_2023.council, {c.member_id: c for c in cards}
    )
    assert isinstance(outcome, CouncilResult)
    return outcome


MEMBERS = ("district-chair", "district-m1", "district-m2", "district-m3")


def test_the_example_table_fills_the_2023_parts_and_names_its_mandatory_criteria() -> None:
    assert [c.code for c in TABLE.mandatory()] == ["C2.1", "C2.2"]
    assert criteria_set_for((TABLE,), "food", "processed_food") is TABLE
    assert criteria_set_for((TABLE,), "handicrafts", "souvenirs") is None


@pytest.mark.parametrize("totals", [(72, 70, 75, 71), (49, 50, 51, 50), (90, 92, 89, 91)])
def test_cards_by_criteria_give_the_stars_of_the_part_totals_they_sum_to(
    totals: tuple[int, ...],
) -> None:
    cards = [by_criteria(m, t) for m, t in zip(MEMBERS, totals, strict=True)]
    assert [c.total for c in cards] == list(totals)
    assert result(cards) == result([by_parts(c) for c in cards])


def test_a_mandatory_criterion_not_met_caps_the_product_below_three_stars() -> None:
    cards = [by_criteria(m, 75, zero=("C2.2",)) for m in MEMBERS]
    assert not any(c.meets_mandatory for c in cards)
    assert [c.code for c in unmet_mandatory(TABLE, cards[0].criteria)] == ["C2.2"]
    outcome = result(cards)
    assert outcome.mean == 75 and outcome.stars == Stars.TWO
    assert not outcome.mandatory_criteria_met


def test_parts_given_with_criteria_must_agree_with_them() -> None:
    scores = criteria_for_total(TABLE, 70)
    with pytest.raises(ValidationError, match="part_a is 1 but its criteria add up to"):
        Scorecard.model_validate(
            {"member_id": "m", "level": "district", "criteria": scores, "part_a": 1}
        )
    with pytest.raises(ValidationError, match="mandatory_criteria_met is required"):
        Scorecard(member_id="m", level="district", part_a=30, part_b=20, part_c=20)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"Z9": 1}, "criteria"),  # not a code at all: the field refuses it
        ({"A9.9": 1}, "table minh-hoa-thuc-pham has no criteria A9.9"),
        ({"B2.1": 6}, "B2.1 has 6 points, at most 5"),
    ],
)
def test_a_card_off_the_table_is_refused_naming_the_criterion(
    change: dict[str, int], says: str
) -> None:
    scores: dict[str, Any] = criteria_for_total(TABLE, 60) | change
    try:
        card = Scorecard.by_criteria("m", "district", scores)
    except ValidationError as error:
        assert says in str(error)
        return
    refusal = scorecard_on_table_refusal(TABLE, card)
    assert refusal is not None and says in refusal.message


def test_every_criterion_must_be_scored_and_a_finding_the_table_contradicts_is_refused() -> None:
    scores = criteria_for_total(TABLE, 60)
    del scores["A1.2"]
    refusal = criteria_scores_refusal(TABLE, scores)
    assert refusal is not None and "not scored: A1.2 (0 is a score)" in refusal.message
    lying = Scorecard.by_criteria(
        "m", "district", criteria_for_total(TABLE, 60, zero=("C2.1",))
    ).model_copy(update={"mandatory_criteria_met": True})
    refusal = scorecard_on_table_refusal(TABLE, lying)
    assert refusal is not None and "C2.1 (Công bố tiêu chuẩn chất lượng)" in refusal.message


def test_a_case_without_a_table_takes_part_totals_and_one_with_a_table_criteria() -> None:
    parts = Scorecard(
        member_id="m",
        level="district",
        part_a=30,
        part_b=20,
        part_c=20,
        mandatory_criteria_met=True,
    )
    refusal = scorecard_on_table_refusal(TABLE, parts)
    assert refusal is not None and refusal.type == "CriteriaMissing"
    refusal = scorecard_on_table_refusal(None, by_criteria("m", 70))
    assert refusal is not None and refusal.type == "ScoredByPartTotals"


def test_a_table_must_fill_each_part_to_its_maximum() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["criteria"][0]["max_points"] = 6
    with pytest.raises(ValidationError, match="part A sums to 41, its maximum is 40"):
        criteria_set_from_table(data)


def test_the_producers_self_assessment_is_on_the_same_table() -> None:
    scores = criteria_for_total(TABLE, 68)
    dossier = honey_dossier().model_copy(update={"self_assessment": scores})
    assert case_input(dossier, criteria=TABLE).criteria == TABLE
    with pytest.raises(ValidationError, match=r"self_assessment refused: not scored: C3\.1"):
        case_input(
            dossier.model_copy(
                update={"self_assessment": {k: v for k, v in scores.items() if k != "C3.1"}}
            ),
            criteria=TABLE,
        )
    with pytest.raises(ValidationError, match="needs a table of criteria"):
        case_input(dossier)


PART_TOTALS = Scorecard(
    member_id="district-chair",
    level="district",
    part_a=30,
    part_b=20,
    part_c=20,
    mandatory_criteria_met=True,
)
"""A card of part totals, which a case scored on a table refuses."""


def case_with_table() -> LifecycleInput:
    return case_input(criteria=TABLE)


@pytest.mark.record_history
async def test_a_council_scores_by_criteria_and_the_case_finds_the_stars(
    case_world: CaseWorld,
) -> None:
    case = await case_world.open_case(case_with_table())
    await case.accept()
    assert "criterion by criterion on table minh-hoa-thuc-pham" in await refused(
        case.submit(PART_TOTALS)
    )
    for member, total in zip(MEMBERS, (66, 64, 68, 65), strict=False):
        await case.submit(
            Scorecard.by_criteria(member, "district", criteria_for_total(TABLE, total))
        )
    status = await case.status()
    assert [s.total for s in status.scores] == [66, 64, 68, 65]
    assert all(s.mandatory_criteria_met for s in status.scores)
    closed = await case.close("district")
    assert closed.result is not None and closed.result.stars == Stars.THREE
    assert await case.stage() == CaseStage.AWAITING_RECOGNITION

"""Scorecards, stars and council aggregation: the rules a council secretary relies on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models.council import (
    Council,
    CouncilMember,
    CouncilResult,
    CouncilRole,
    CouncilRules,
    QuorumMissing,
    RescoreRequired,
    close_session,
    council_mean,
)
from models.errors import DomainError
from models.scorecard import MAXIMA_2019, MAXIMA_2023, PartMaxima, Scorecard
from models.stars import Stars, stars_for_score

scores = st.integers(min_value=0, max_value=100)


def card(member: str, a: int, b: int, c: int, mandatory: bool = True) -> Scorecard:
    return Scorecard(
        member_id=member,
        level="district",
        part_a=a,
        part_b=b,
        part_c=c,
        mandatory_criteria_met=mandatory,
    )


def council_of(size: int) -> Council:
    members = [CouncilMember(member_id="chair", name="Chủ tịch", role=CouncilRole.CHAIR)]
    members += [CouncilMember(member_id=f"m{i}", name=f"Thành viên {i}") for i in range(1, size)]
    return Council(level="district", members=tuple(members))


@pytest.mark.parametrize(
    ("score", "stars"),
    [(0, 1), (29, 1), (30, 2), (49, 2), (50, 3), (69, 3), (70, 4), (89, 4), (90, 5), (100, 5)],
)
def test_each_band_starts_where_the_regulation_says(score: int, stars: int) -> None:
    assert stars_for_score(score) == Stars(stars)


@given(low=scores, high=scores)
def test_stars_never_fall_as_the_score_rises(low: int, high: int) -> None:
    low, high = sorted((low, high))
    assert stars_for_score(low) <= stars_for_score(high)


@given(score=scores)
def test_a_failed_mandatory_criterion_keeps_the_product_below_three_stars(score: int) -> None:
    assert stars_for_score(score, mandatory_criteria_met=False) <= Stars.TWO


def test_rulebook_maxima_match_the_decisions() -> None:
    assert (MAXIMA_2019.part_a, MAXIMA_2019.part_b, MAXIMA_2019.part_c) == (35, 25, 40)
    assert (MAXIMA_2023.part_a, MAXIMA_2023.part_b, MAXIMA_2023.part_c) == (40, 25, 35)
    with pytest.raises(ValidationError, match="add up to 100"):
        PartMaxima(part_a=40, part_b=25, part_c=40)


def test_a_part_above_its_maximum_is_refused_with_the_accepted_range() -> None:
    with pytest.raises(DomainError) as refused:
        card("chair", 41, 20, 30).check_against(MAXIMA_2023)
    message = str(refused.value)
    assert "part_a has 41 points but its maximum is 40" in message
    assert "A 0–40, B 0–25, C 0–35" in message
    # The same card is acceptable under the 2019 maxima only if part C fits there.
    card("chair", 35, 25, 40).check_against(MAXIMA_2019)


def test_negative_points_and_missing_parts_are_refused_by_shape() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        card("chair", -1, 20, 30)
    with pytest.raises(ValidationError, match="part_c"):
        Scorecard.model_validate(
            {
                "member_id": "chair",
                "level": "district",
                "part_a": 30,
                "part_b": 20,
                "mandatory_criteria_met": True,
            }
        )


@given(
    a=st.integers(0, 40),
    b=st.integers(0, 25),
    c=st.integers(0, 35),
)
def test_an_accepted_scorecard_never_totals_more_than_100(a: int, b: int, c: int) -> None:
    scorecard = card("chair", a, b, c)
    scorecard.check_against(MAXIMA_2023)
    assert 0 <= scorecard.total <= 100


@given(totals=st.lists(scores, min_size=1, max_size=15))
def test_the_council_mean_lies_within_the_members_totals(totals: list[int]) -> None:
    mean = council_mean(totals)
    assert min(totals) <= mean <= max(totals)
    assert mean == mean.quantize(Decimal("0.01"))


def test_the_mean_is_rounded_half_up_to_two_decimals() -> None:
    assert council_mean([70, 70, 71]) == Decimal("70.33")
    assert council_mean([69, 70, 70]) == Decimal("69.67")
    assert council_mean([1, 2, 2, 2, 2, 2, 2, 2]) == Decimal("1.88")  # 1.875 rounds up


def test_a_council_without_a_chair_is_refused() -> None:
    with pytest.raises(ValidationError, match="exactly one chair"):
        Council(level="province", members=(CouncilMember(member_id="a", name="A"),))


def test_quorum_needs_three_quarters_and_the_chair() -> None:
    council, rules = council_of(8), CouncilRules()
    six_without_chair = {f"m{i}": card(f"m{i}", 30, 20, 25) for i in range(1, 7)}
    outcome = close_session(council, rules, six_without_chair)
    assert isinstance(outcome, QuorumMissing)
    assert "the chair has not scored" in outcome.explain()

    five_with_chair = {"chair": card("chair", 30, 20, 25)}
    five_with_chair |= {f"m{i}": card(f"m{i}", 30, 20, 25) for i in range(1, 5)}
    outcome = close_session(council, rules, five_with_chair)
    assert isinstance(outcome, QuorumMissing)
    assert outcome.required == 6

    five_with_chair["m5"] = card("m5", 30, 20, 25)
    assert isinstance(close_session(council, rules, five_with_chair), CouncilResult)


def test_totals_more_than_ten_points_apart_require_a_rescore() -> None:
    council = council_of(4)
    cards = {
        "chair": card("chair", 30, 20, 25),  # 75
        "m1": card("m1", 30, 20, 24),
        "m2": card("m2", 25, 15, 24),  # 64: eleven below the chair
        "m3": card("m3", 30, 20, 25),
    }
    outcome = close_session(council, CouncilRules(), cards)
    assert isinstance(outcome, RescoreRequired)
    assert (outcome.lowest, outcome.highest, outcome.spread) == (64, 75, 11)
    cards["m2"] = card("m2", 26, 15, 24)  # 65: exactly ten apart is accepted
    result = close_session(council, CouncilRules(), cards)
    assert isinstance(result, CouncilResult)
    assert result.mean == Decimal("72.25") and result.stars == Stars.FOUR


def test_the_majority_decides_the_mandatory_criteria_and_a_tie_fails_them() -> None:
    council = council_of(4)
    cards = {
        "chair": card("chair", 30, 20, 25, mandatory=False),
        "m1": card("m1", 30, 20, 25, mandatory=False),
        "m2": card("m2", 30, 20, 25),
        "m3": card("m3", 30, 20, 25),
    }
    result = close_session(council, CouncilRules(), cards)
    assert isinstance(result, CouncilResult)
    assert not result.mandatory_criteria_met and result.stars == Stars.TWO


@given(
    totals=st.lists(st.integers(50, 60), min_size=3, max_size=9),
)
def test_a_quorate_council_within_the_divergence_always_yields_a_result(totals: list[int]) -> None:
    council = council_of(len(totals))
    ids = [m.member_id for m in council.members]
    # Totals of 50–60 spread over the parts: A full, the rest in B.
    cards = {mid: card(mid, 40, t - 40, 0) for mid, t in zip(ids, totals, strict=True)}
    outcome = close_session(council, CouncilRules(), cards)
    assert isinstance(outcome, CouncilResult)
    assert outcome.stars == stars_for_score(outcome.mean)

"""Closing a council session: quorum and divergence as named rules, and what they decide."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from models.council import (
    Council,
    CouncilMember,
    CouncilResult,
    CouncilRole,
    CouncilRules,
    QuorumMissing,
    RescoreRequired,
    close_session,
    counted_scorecards,
    has_quorum,
    needs_rescore,
    quorum_missing,
)
from models.rulebook import QD148_2023, council_roster_refusal
from models.scorecard import Scorecard
from tests.factories import council


def card(member: str, total: int = 60) -> Scorecard:
    part_a = min(total, 40)
    part_b = min(total - part_a, 25)
    return Scorecard(
        member_id=member,
        level="district",
        part_a=part_a,
        part_b=part_b,
        part_c=total - part_a - part_b,
        mandatory_criteria_met=True,
    )


def council_of(size: int) -> Council:
    members = [CouncilMember(member_id="chair", name="Chủ tịch", role=CouncilRole.CHAIR)]
    members += [CouncilMember(member_id=f"m{i}", name=f"Thành viên {i}") for i in range(1, size)]
    return Council(level="district", members=tuple(members))


def test_only_members_scorecards_count() -> None:
    council = council_of(3)
    cards = {"chair": card("chair"), "m1": card("m1"), "stranger": card("stranger")}
    assert list(counted_scorecards(council, cards)) == ["chair", "m1"]


def test_quorum_needs_three_quarters_of_the_members_and_the_chair() -> None:
    council, rules = council_of(8), CouncilRules()
    six_with_chair = {m: card(m) for m in ("chair", "m1", "m2", "m3", "m4", "m5")}
    assert has_quorum(council, rules, six_with_chair)
    assert quorum_missing(council, rules, six_with_chair) is None

    five_with_chair = {m: card(m) for m in ("chair", "m1", "m2", "m3", "m4")}
    assert not has_quorum(council, rules, five_with_chair)
    missing = quorum_missing(council, rules, five_with_chair)
    assert missing == QuorumMissing(
        scored=5, required=6, chair_scored=True, not_yet_scored=("m5", "m6", "m7")
    )
    assert missing.explain() == (
        "quorum not reached: 5 of the 6 scorecards needed; not yet scored: m5, m6, m7"
    )

    six_without_chair = {f"m{i}": card(f"m{i}") for i in range(1, 7)}
    missing = quorum_missing(council, rules, six_without_chair)
    assert missing is not None and not missing.chair_scored
    assert "the chair has not scored" in missing.explain()
    assert has_quorum(council, CouncilRules(chair_required=False), six_without_chair)


@given(size=st.integers(1, 15), scored=st.integers(0, 15), chair=st.booleans())
def test_quorum_holds_exactly_from_the_quorum_size_with_the_chair(
    size: int, scored: int, chair: bool
) -> None:
    council, rules = council_of(size), CouncilRules()
    others = [m.member_id for m in council.members if m.role != CouncilRole.CHAIR]
    voters = (["chair"] if chair else []) + others[: max(scored - int(chair), 0)]
    cards = {m: card(m) for m in voters}
    expected = chair and len(cards) >= math.ceil(size * 3 / 4)
    assert has_quorum(council, rules, cards) is expected
    assert (quorum_missing(council, rules, cards) is None) is expected
    # The session's outcome agrees: no quorum exactly when the rule says so.
    assert isinstance(close_session(council, rules, cards), QuorumMissing) is not expected


@given(totals=st.lists(st.integers(0, 100), min_size=1, max_size=9), limit=st.integers(0, 30))
def test_a_rescore_is_needed_exactly_when_totals_lie_more_than_the_limit_apart(
    totals: list[int], limit: int
) -> None:
    assert needs_rescore(CouncilRules(max_divergence=limit), totals) is (
        max(totals) - min(totals) > limit
    )


def test_ten_points_apart_is_a_result_eleven_is_a_rescore() -> None:
    council, rules = council_of(4), CouncilRules()
    members = ("chair", "m1", "m2", "m3")
    ten_apart = {m: card(m, total) for m, total in zip(members, (60, 70, 65, 65), strict=True)}
    assert not needs_rescore(rules, [c.total for c in ten_apart.values()])
    assert isinstance(close_session(council, rules, ten_apart), CouncilResult)

    eleven_apart = {m: card(m, total) for m, total in zip(members, (60, 71, 65, 65), strict=True)}
    assert needs_rescore(rules, [c.total for c in eleven_apart.values()])
    assert close_session(council, rules, eleven_apart) == RescoreRequired(
        lowest=60, highest=71, max_divergence=10
    )


def test_every_scoring_level_needs_its_council_roster() -> None:
    scoring = [level.name for level in QD148_2023.levels if level.scores]
    everyone = [council(level) for level in scoring]
    assert council_roster_refusal(QD148_2023, everyone) is None
    refusal = council_roster_refusal(QD148_2023, everyone[:-1])
    assert refusal == (
        f"rulebook {QD148_2023.id} scores at {', '.join(scoring)}; "
        f"no council roster given for: {scoring[-1]}"
    )

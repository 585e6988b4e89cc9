"""The commune's assessment of the four local-origin criteria under Decision 1489/2025."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.case import CaseStage, ReviewAction, ReviewDecision
from models.case_rules import CaseState, review_refusal
from models.local_assessment import LocalAssessment, LocalCriterion, LocalFinding
from models.rulebook import QD148_2023, QD1489_2025, Rulebook
from tests.factories import START, council, honey_dossier, local_assessment


def in_review(rules: Rulebook) -> CaseState:
    return CaseState(
        stage=CaseStage.LOCAL_REVIEW,
        level=rules.levels[0].name,
        dossier=honey_dossier(),
        rulebook=rules,
        councils=[council(level.name) for level in rules.levels if level.scores],
        today=START.date(),
    )


def accept(assessment: LocalAssessment | None) -> ReviewDecision:
    return ReviewDecision(
        action=ReviewAction.ACCEPT, reviewer="UBND xã Bình Liêu", local_assessment=assessment
    )


def test_the_commune_accepts_only_with_its_assessment_and_a_district_never_gives_one() -> None:
    commune = in_review(QD1489_2025)
    refusal = review_refusal(accept(None), commune)
    assert refusal is not None and refusal.type == "LocalAssessmentMissing"
    assert review_refusal(accept(local_assessment()), commune) is None
    district = in_review(QD148_2023)
    refusal = review_refusal(accept(local_assessment()), district)
    assert refusal is not None and refusal.type == "NoLocalAssessmentHere"
    assert review_refusal(accept(None), district) is None


def test_an_assessment_gives_each_of_the_four_criteria_one_finding() -> None:
    three = [LocalFinding(criterion=c, met=True) for c in list(LocalCriterion)[:3]]
    with pytest.raises(ValidationError, match="missing: local_identity"):
        LocalAssessment(assessed_by="UBND xã", findings=(*three, three[0]))
    assert local_assessment(unmet=("local_labour",)).met_count == 3

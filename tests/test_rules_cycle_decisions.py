"""What a batch decision leaves behind: its list in the register's parts, and what the
cycle learns from its outcomes about the products it recognised or skipped."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from models.applicants import ApplicantKind
from models.case import CaseStage
from models.cycle import CaseProgress
from models.cycle_decisions import (
    DecisionPart,
    PlannedDecision,
    RecognitionOutcome,
    RecognitionResult,
    decision_parts,
    recognised_progress,
    skipped_codes,
)
from models.stars import Stars

PLAN = PlannedDecision(
    level="district",
    authority="UBND huyện Bình Liêu",
    authority_key="district:UBND huyện Bình Liêu",
    number="125/2024/QĐ-UBND",
    decided_on=date(2024, 10, 15),
    items=(),
)


def outcome(code: str, result: RecognitionResult, stars: Stars | None = None) -> RecognitionOutcome:
    return RecognitionOutcome(
        product_code=code,
        certificate_number=f"{PLAN.number}-{code}",
        result=result,
        stars=stars,
        reason="" if result == RecognitionResult.RECOGNISED else "not awaiting recognition",
    )


outcomes_strategy = st.lists(
    st.builds(
        outcome,
        st.from_regex(r"[A-Z]{2}-[0-9]{4}", fullmatch=True),
        st.sampled_from(RecognitionResult),
        st.none() | st.sampled_from(Stars),
    ),
    max_size=40,
)


def progress(code: str, stage: CaseStage, stars: Stars | None = None) -> CaseProgress:
    return CaseProgress(
        workflow_id=f"ocop-product-quang-ninh-{code.lower()}",
        product_code=code,
        locality="binh-lieu",
        applicant_kind=ApplicantKind.COOPERATIVE,
        stage=stage,
        level="district",
        stars=stars,
        awaiting_recognition=stage == CaseStage.AWAITING_RECOGNITION,
    )


def rows(part: DecisionPart) -> list[dict[str, Any]]:
    products = part.details["products"]
    assert isinstance(products, list)
    return [row for row in products if isinstance(row, dict)]


# --------------------------------------------------------------- the register's parts


@given(outcomes_strategy, st.integers(1, 12))
def test_a_decisions_list_is_kept_in_numbered_parts_of_at_most_a_chunk(
    outcomes: list[RecognitionOutcome], chunk: int
) -> None:
    parts = decision_parts(PLAN, outcomes, chunk)
    assert len(parts) == -(-len(outcomes) // chunk)  # none for an empty list
    listed = [row for part in parts for row in rows(part)]
    assert [row["product_code"] for row in listed] == [o.product_code for o in outcomes]
    for number, part in enumerate(parts, start=1):
        assert part.details["part"] == number
        assert part.details["parts"] == len(parts)
        assert len(rows(part)) <= chunk
        assert part.key == f"decision:{PLAN.authority_key}:{PLAN.number}:{number}"


def test_each_part_names_the_decision_and_each_product_its_fate() -> None:
    outcomes = [
        outcome("MO-BINHLIEU", RecognitionResult.RECOGNISED, Stars.THREE),
        outcome("CHE-0001", RecognitionResult.SKIPPED),
    ]
    [part] = decision_parts(PLAN, outcomes, 500)
    assert part.details == {
        "level": "district",
        "authority": "UBND huyện Bình Liêu",
        "number": "125/2024/QĐ-UBND",
        "decided_on": "2024-10-15",
        "part": 1,
        "parts": 1,
        "products": [
            {
                "product_code": "MO-BINHLIEU",
                "certificate_number": "125/2024/QĐ-UBND-MO-BINHLIEU",
                "result": "recognised",
                "stars": 3,
                "reason": "",
            },
            {
                "product_code": "CHE-0001",
                "certificate_number": "125/2024/QĐ-UBND-CHE-0001",
                "result": "skipped",
                "stars": None,
                "reason": "not awaiting recognition",
            },
        ],
    }


# ------------------------------------------------------- what the outcomes tell the cycle


def test_skipped_products_are_known_by_their_lower_cased_code() -> None:
    outcomes = [
        outcome("MO-BINHLIEU", RecognitionResult.RECOGNISED, Stars.THREE),
        outcome("CHE-0001", RecognitionResult.SKIPPED),
    ]
    assert skipped_codes(outcomes) == {"che-0001"}


def test_a_recognised_product_still_awaiting_counts_as_certified_at_once() -> None:
    products = {
        "mo-binhlieu": progress("MO-BINHLIEU", CaseStage.AWAITING_RECOGNITION),
        # Its own signal came first: the cycle already knows it is certified.
        "mam-ngu": progress("MAM-NGU", CaseStage.CERTIFIED, Stars.FOUR),
        "che-0001": progress("CHE-0001", CaseStage.AWAITING_RECOGNITION),
    }
    outcomes = [
        outcome("MO-BINHLIEU", RecognitionResult.RECOGNISED, Stars.THREE),
        outcome("MAM-NGU", RecognitionResult.RECOGNISED, Stars.THREE),
        outcome("CHE-0001", RecognitionResult.SKIPPED),
        outcome("UNKNOWN-1", RecognitionResult.RECOGNISED, Stars.THREE),
    ]
    assert recognised_progress(products, outcomes) == {
        "mo-binhlieu": products["mo-binhlieu"].model_copy(
            update={
                "stage": CaseStage.CERTIFIED,
                "stars": Stars.THREE,
                "awaiting_recognition": False,
            }
        )
    }

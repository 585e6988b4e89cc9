"""What a batch decision leaves behind: its list in the register's parts, and what the
cycle learns from its outcomes about the products it recognised or skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from models.applicants import ApplicantKind
from models.case import CaseStage
from models.cycle import CaseProgress, RecognitionFailure
from models.cycle_decisions import (
    MAX_RECOGNITION_ATTEMPTS,
    RECOGNITION_RETRY_INTERVAL,
    RETRYABLE_FAILURES,
    DecisionPart,
    PlannedDecision,
    RecognitionItem,
    RecognitionOutcome,
    RecognitionResult,
    decision_parts,
    due_retries,
    failure_of,
    merge_retry,
    next_retry,
    recognised_progress,
    resumed_outcomes,
    retry_at,
    skipped_codes,
    summarise_decision,
    unrecognised_to_tell,
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
                "failure": "refused",  # a skip that names no failure was a refusal
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


# ------------------------------------------------- products a decision could not recognise

NOW = datetime(2024, 10, 15, 5, 0, tzinfo=UTC)
ITEMS = tuple(
    RecognitionItem(
        workflow_id=f"ocop-product-quang-ninh-p{n}",
        product_code=f"P{n}",
        certificate_number=f"{PLAN.number}-{n:03d}",
    )
    for n in range(1, 4)
)
TEN = PLAN.model_copy(update={"items": ITEMS})


def result(item: RecognitionItem, failure: RecognitionFailure | None = None) -> RecognitionOutcome:
    return RecognitionOutcome(
        product_code=item.product_code,
        certificate_number=item.certificate_number,
        result=RecognitionResult.RECOGNISED if failure is None else RecognitionResult.SKIPPED,
        stars=Stars.THREE if failure is None else None,
        reason="" if failure is None else f"because {failure.value}",
        failure=failure,
    )


def test_a_failure_a_later_attempt_may_overcome_is_asked_again_a_bounded_number_of_times() -> None:
    for failure in RecognitionFailure:
        later = retry_at(failure, 1, NOW)
        if failure in RETRYABLE_FAILURES:
            assert later == NOW + RECOGNITION_RETRY_INTERVAL
        else:  # gone, or it would refuse the same again
            assert later is None
    assert retry_at(RecognitionFailure.FROZEN, MAX_RECOGNITION_ATTEMPTS - 1, NOW) is not None
    assert retry_at(RecognitionFailure.FROZEN, MAX_RECOGNITION_ATTEMPTS, NOW) is None
    assert retry_at(RecognitionFailure.FROZEN, 1, None) is None  # a cycle from before retries


def test_a_legacy_skip_reads_as_a_refusal_and_a_recognition_as_no_failure() -> None:
    assert failure_of(outcome("A", RecognitionResult.SKIPPED)) == RecognitionFailure.REFUSED
    assert failure_of(outcome("A", RecognitionResult.RECOGNISED)) is None


def test_the_summary_lists_each_product_not_recognised_with_why_and_what_next() -> None:
    first, frozen, ended = ITEMS
    outcomes = [
        result(first),
        result(frozen, RecognitionFailure.FROZEN),
        result(ended, RecognitionFailure.CLOSED),
    ]
    summary = summarise_decision(TEN, outcomes, NOW)
    assert (summary.listed, summary.recognised) == (3, 1)
    assert summary.authority_key == PLAN.authority_key
    assert [(u.product_code, u.failure, u.reason, u.retry_at) for u in summary.unrecognised] == [
        ("P2", RecognitionFailure.FROZEN, "because frozen", NOW + RECOGNITION_RETRY_INTERVAL),
        ("P3", RecognitionFailure.CLOSED, "because closed", None),
    ]
    assert unrecognised_to_tell(None, summary) == summary.unrecognised  # all, the first time
    assert next_retry([summary]) == NOW + RECOGNITION_RETRY_INTERVAL

    assert due_retries([summary], NOW) == []  # not before its time
    [(index, again)] = due_retries([summary], NOW + RECOGNITION_RETRY_INTERVAL)
    assert index == 0
    # The same decision, the same certificate number: only the product due.
    assert again.model_copy(update={"items": ()}) == PLAN
    assert again.items == (frozen,)

    later = NOW + RECOGNITION_RETRY_INTERVAL
    merged = merge_retry(summary, again, [result(frozen)], later)
    assert (merged.listed, merged.recognised) == (3, 2)
    assert (merged.first_certificate, merged.last_certificate) == (
        first.certificate_number,
        frozen.certificate_number,
    )
    assert [u.product_code for u in merged.unrecognised] == ["P3"]
    assert unrecognised_to_tell(summary, merged) == ()  # nothing newly given up
    assert next_retry([merged]) is None


def test_a_product_still_failing_counts_its_attempts_then_is_given_up_and_told() -> None:
    summary = summarise_decision(TEN, [result(ITEMS[0], RecognitionFailure.TIMED_OUT)], NOW)
    moment = NOW
    for attempt in range(2, MAX_RECOGNITION_ATTEMPTS + 1):
        [(_, again)] = due_retries([summary], moment, all_waiting=True)
        before = summary
        moment += RECOGNITION_RETRY_INTERVAL
        summary = merge_retry(summary, again, [result(ITEMS[0], RecognitionFailure.FROZEN)], moment)
        [left] = summary.unrecognised
        assert left.attempts == attempt
        assert left.failure == RecognitionFailure.FROZEN
    assert left.retry_at is None
    assert unrecognised_to_tell(before, summary) == (left,)
    assert due_retries([summary], moment, all_waiting=True) == []


def test_a_retried_fan_out_resumes_from_its_last_heartbeat() -> None:
    done = [result(ITEMS[0]).model_dump(mode="json"), {"nonsense": 1}]
    resumed = resumed_outcomes([[], done], ITEMS)
    assert resumed == {"P1": result(ITEMS[0])}
    assert resumed_outcomes([], ITEMS) == {}
    assert resumed_outcomes(["not a list"], ITEMS) == {}
    elsewhere = [result(ITEMS[0]).model_dump(mode="json")]
    assert resumed_outcomes([elsewhere], ITEMS[1:]) == {}  # another chunk's product


def test_a_later_attempt_is_written_under_keys_of_its_own() -> None:
    [part] = decision_parts(PLAN, [result(ITEMS[1], RecognitionFailure.FROZEN)], 500, attempt=2)
    assert part.key == f"decision:{PLAN.authority_key}:{PLAN.number}:retry2:1"
    assert rows(part)[0]["failure"] == "frozen"

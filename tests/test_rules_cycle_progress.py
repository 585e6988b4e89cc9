"""Whether a `case_progress` word belongs to the cycle: `progress_verdict`, `opened_case`.

Pure rules (`models/cycle_rules.py`), no server.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.applicants import ApplicantKind
from models.case import CaseStage
from models.cycle import CaseProgress
from models.cycle_messages import OpenAction
from models.cycle_rules import CaseOfCycle, ProgressVerdict, opened_case, progress_verdict

CASE_ID = "ocop-product-quang-ninh-mo-binhlieu"


def word(**changes: Any) -> CaseProgress:
    data: dict[str, Any] = {
        "workflow_id": CASE_ID,
        "product_code": "MO-BINHLIEU",
        "locality": "binh-lieu",
        "applicant_kind": ApplicantKind.COOPERATIVE,
        "stage": CaseStage.LOCAL_REVIEW,
        "event_seq": 5,
    }
    return CaseProgress.model_validate(data | changes)


def case(round_number: int = 1, *, confirmed: bool = True, seq: int | None = 5) -> CaseOfCycle:
    return CaseOfCycle(CASE_ID, round_number, round_confirmed=confirmed, event_seq=seq)


@pytest.mark.parametrize(
    ("progress", "known", "verdict"),
    [
        (word(), case(), ProgressVerdict.ACCEPTED),
        (word(event_seq=9), case(), ProgressVerdict.ACCEPTED),
        (word(), None, ProgressVerdict.NOT_ITS_CASE),
        (
            word(workflow_id="ocop-product-hai-duong-mo-binhlieu"),
            case(),
            ProgressVerdict.NOT_ITS_CASE,
        ),
        (word(round_number=2), case(), ProgressVerdict.WRONG_ROUND),
        (word(round_number=1), case(2), ProgressVerdict.WRONG_ROUND),
        (word(event_seq=4), case(), ProgressVerdict.STALE),
        (word(event_seq=None), case(), ProgressVerdict.STALE),
        # A counter not known yet (the cycle continued as new, or a case before counters).
        (word(event_seq=None), case(seq=None), ProgressVerdict.ACCEPTED),
        (word(event_seq=0), case(seq=None), ProgressVerdict.ACCEPTED),
        # An unconfirmed round is a floor: the first word at or above it names it.
        (word(round_number=2), case(2, confirmed=False), ProgressVerdict.ACCEPTED),
        (word(round_number=7), case(2, confirmed=False), ProgressVerdict.ACCEPTED),
        (word(round_number=1), case(2, confirmed=False), ProgressVerdict.WRONG_ROUND),
    ],
)
def test_a_word_counts_only_from_the_case_the_cycle_opened_in_its_round_going_forward(
    progress: CaseProgress, known: CaseOfCycle | None, verdict: ProgressVerdict
) -> None:
    assert progress_verdict(progress, known) is verdict


def test_opening_a_case_says_what_round_it_runs() -> None:
    assert opened_case(CASE_ID, OpenAction.STARTED) == case(1, seq=None)
    assert opened_case(CASE_ID, OpenAction.APPLIED) == case(2, confirmed=False, seq=None)
    assert opened_case(CASE_ID, OpenAction.RECORDED) == case(1, confirmed=False, seq=None)


def test_progress_rows_stay_backward_compatible() -> None:
    # Recorded payloads have no counter; continue-as-new carries none either.
    old = {key: value for key, value in word().model_dump().items() if key != "event_seq"}
    assert CaseProgress.model_validate(old).event_seq is None
    assert CaseProgress.from_row(word().row()).event_seq is None

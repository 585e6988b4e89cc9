"""A case's timeline in plain words: every transition has its line, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.transitions import CaseTransition, action
from presentation.timeline import timeline_line

AT = datetime(2024, 3, 4, 2, tzinfo=UTC)


@pytest.mark.parametrize("transition", list(CaseTransition))
def test_every_transition_is_told_in_vietnamese_and_in_english(transition: CaseTransition) -> None:
    occasion: dict[CaseTransition, str | int] = {
        CaseTransition.EXPIRY_REMINDER: 90,
        CaseTransition.OVERDUE: "local_review",
    }
    recorded = action(transition, occasion.get(transition))
    vi = timeline_line(recorded, AT, None, {}, "vi").text
    en = timeline_line(recorded, AT, None, {}, "en").text
    assert vi and en and vi != en and "_" not in vi


def test_a_supplement_request_names_the_documents_and_the_deadline() -> None:
    details = {"documents": "test_results, barcode", "deadline": "2024-03-25T16:59:00+00:00"}
    line = timeline_line("supplement_requested", AT, None, details, "vi")
    assert line.text == (
        "Yêu cầu bổ sung hồ sơ: Phiếu kết quả kiểm nghiệm, Mã số, mã vạch; hạn 25/03/2024 23:59"
    )
    english = timeline_line("supplement_requested", AT, None, details, "en").text
    assert (
        english.startswith("A supplement was asked for: Laboratory test results")
        and "due 25 March" in english
    )


def test_a_rejection_says_why_and_an_unknown_action_is_told_by_its_own_words() -> None:
    rejected = timeline_line("review_rejected", AT, "sai nhóm sản phẩm", {}, "vi")
    assert rejected.text == "Hồ sơ không được chấp nhận: sai nhóm sản phẩm"
    assert timeline_line("some_new_step", AT, None, {}, "vi").text == "some new step"
    reminder = timeline_line("expiry_reminder_30", AT, None, {}, "vi")
    assert reminder.text == "Nhắc hạn: giấy chứng nhận sắp hết hiệu lực: còn 30 ngày"

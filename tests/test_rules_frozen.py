"""When a case is frozen, and when an operator may reset it (models/frozen.py)."""

from __future__ import annotations

import pytest

from models.frozen import FROZEN_AFTER, is_frozen, unfreeze_refusal


@pytest.mark.parametrize(
    ("attempt", "frozen"),
    [(None, False), (1, False), (FROZEN_AFTER - 1, False), (FROZEN_AFTER, True), (40, True)],
)
def test_a_case_is_frozen_from_the_third_failing_attempt(attempt: int | None, frozen: bool) -> None:
    assert is_frozen(attempt) is frozen


def test_after_an_unanswered_update_a_second_attempt_is_enough() -> None:
    assert is_frozen(2, frozen_after=2) and not is_frozen(1, frozen_after=2)


def test_only_a_running_frozen_case_may_be_reset() -> None:
    assert unfreeze_refusal(running=True, pending_task_attempt=FROZEN_AFTER) is None
    ended = unfreeze_refusal(running=False, pending_task_attempt=FROZEN_AFTER)
    assert ended is not None and "has ended" in ended
    healthy = unfreeze_refusal(running=True, pending_task_attempt=None)
    assert healthy is not None and "not frozen" in healthy and "attempt 0" in healthy

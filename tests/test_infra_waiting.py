"""`infra.waiting.poll_until`: the one way code outside the workflows waits for another process."""

from __future__ import annotations

import pytest

from infra.waiting import StillWaitingError, poll_until


class Counter:
    """A check that answers on its `answer_at`-th call (never, if None)."""

    def __init__(self, answer_at: int | None) -> None:
        self.calls = 0
        self.answer_at = answer_at

    async def __call__(self) -> str | None:
        self.calls += 1
        return "ready" if self.answer_at is not None and self.calls >= self.answer_at else None


async def test_the_first_answer_other_than_none_is_returned() -> None:
    check = Counter(answer_at=3)
    assert await poll_until(check, within=None, every=0) == "ready"
    assert check.calls == 3


async def test_a_falsy_answer_is_an_answer() -> None:
    async def zero() -> int | None:
        return 0

    assert await poll_until(zero, within=0) == 0


async def test_a_bound_that_runs_out_names_what_was_awaited() -> None:
    check = Counter(answer_at=None)
    with pytest.raises(StillWaitingError, match=r"the next round did not happen within 0\.05 s"):
        await poll_until(check, within=0.05, every=0.01, what="the next round")
    assert check.calls >= 2  # asked at least once more once the bound had passed


async def test_a_bound_of_zero_still_asks_once() -> None:
    check = Counter(answer_at=1)
    assert await poll_until(check, within=0) == "ready"
    assert check.calls == 1


async def test_an_error_of_the_check_ends_the_wait() -> None:
    async def broken() -> None:
        raise RuntimeError("the server exited")

    with pytest.raises(RuntimeError, match="the server exited"):
        await poll_until(broken, within=None)


def test_running_out_is_a_timeout() -> None:
    assert issubclass(StillWaitingError, TimeoutError)


async def test_a_backing_off_wait_grows_to_its_slowest_and_stays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("infra.waiting.asyncio.sleep", sleep)
    check = Counter(answer_at=8)
    assert await poll_until(check, within=None, every=0.1, slowest=0.3) == "ready"
    assert waits == pytest.approx([0.1, 0.15, 0.225, 0.3, 0.3, 0.3, 0.3])


async def test_without_a_slowest_every_wait_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("infra.waiting.asyncio.sleep", sleep)
    assert await poll_until(Counter(answer_at=4), within=None, every=0.1) == "ready"
    assert waits == [0.1, 0.1, 0.1]

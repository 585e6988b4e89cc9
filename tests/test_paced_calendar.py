"""A paced calendar: business time stands still until its pacer moves it, whatever the
wall clock does, so a slow machine can never let a deadline pass.

The rules are pure (`models.clock`); the workflow half runs a case on the time-skipping
server, which races its wall clock ahead as far as anyone likes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from contracts.case import CALENDAR_MOVED
from models.case import CasePolicy, CaseStage, CaseStatus
from models.clock import (
    BusinessClock,
    CalendarMove,
    calendar_move_refusal,
)
from tests.factories import START, case_input, honey_dossier
from tests.fixtures.lifecycle import CaseWorld
from tests.waiting import eventually
from workflows.product_lifecycle import ProductLifecycleWorkflow

REAL = datetime(2030, 1, 1, tzinfo=UTC)


def _paced(at: datetime = START) -> BusinessClock:
    return BusinessClock.anchored(REAL, at, speed=1.0, paced=True)


def test_a_paced_clock_stands_still_while_the_wall_clock_runs() -> None:
    clock = _paced()
    assert clock.business_now(REAL) == START
    assert clock.business_now(REAL + timedelta(days=400)) == START
    assert clock.business_today(REAL + timedelta(hours=30)) == START.date()


def test_only_a_move_brings_a_later_moment_on_a_paced_clock() -> None:
    clock = _paced()
    deadline = START + timedelta(days=30)
    assert clock.real_delay(REAL, deadline) is None  # no timer can bring it
    assert clock.real_delay(REAL, START) == timedelta(0)
    moved = clock.moved(CalendarMove(to=deadline))
    assert moved.business_now(REAL) == deadline
    assert moved.real_delay(REAL, deadline) == timedelta(0)


def test_real_and_compressed_clocks_are_unchanged() -> None:
    compressed = BusinessClock.anchored(REAL, START, speed=86_400.0, paced=False)
    assert not compressed.paced
    assert compressed.business_now(REAL + timedelta(seconds=2)) == START + timedelta(days=2)
    assert compressed.real_delay(REAL, START + timedelta(days=3)) == timedelta(seconds=3)


def test_a_calendar_moves_only_forwards_and_only_when_paced() -> None:
    clock = _paced()
    assert calendar_move_refusal(clock, CalendarMove(to=START + timedelta(days=1))) is None
    assert calendar_move_refusal(clock, CalendarMove(to=START)) is None  # standing still
    backwards = calendar_move_refusal(clock, CalendarMove(to=START - timedelta(seconds=1)))
    assert backwards is not None and "never moves back" in backwards
    real = BusinessClock.anchored(REAL, START, speed=1.0, paced=False)
    refused = calendar_move_refusal(real, CalendarMove(to=START + timedelta(days=1)))
    assert refused is not None and "real" in refused


# ------------------------------------------------------------------ on a running case


async def _move(handle: WorkflowHandle[ProductLifecycleWorkflow, Any], to: datetime) -> None:
    await handle.signal(CALENDAR_MOVED.name, CalendarMove(to=to))


async def test_a_paced_case_lets_no_deadline_pass_until_its_calendar_is_moved(
    case_world: CaseWorld,
) -> None:
    policy = CasePolicy(paced_calendar=True)
    case = await case_world.open_case(case_input(honey_dossier(), policy=policy))
    status = await _until(case.handle, lambda s: s.next_deadline is not None)
    assert status.stage == CaseStage.LOCAL_REVIEW and status.next_deadline is not None
    deadline = status.next_deadline.due
    assert deadline == START + timedelta(days=30)

    # Sixty real days pass on the server: on a paced calendar nothing is late.
    await case_world.env.sleep(timedelta(days=60))
    status = await case.status()
    assert status.as_of == START
    assert status.stage == CaseStage.LOCAL_REVIEW
    assert "local_review_overdue" not in await case_world.audit(case.workflow_id)

    # A forged move backwards is ignored; a move to the day before changes nothing.
    await _move(case.handle, START - timedelta(days=5))
    await _move(case.handle, deadline - timedelta(days=1))
    status = await _until(case.handle, lambda s: s.as_of != START)
    assert status.as_of == deadline - timedelta(days=1)  # the backward move was ignored
    assert "local_review_overdue" not in await case_world.audit(case.workflow_id)

    # Moved past the deadline, the case escalates, dated at the moment it was moved to.
    await _move(case.handle, deadline + timedelta(hours=1))
    await _overdue_recorded(case_world, case.workflow_id)
    await case.accept()
    assert await case.stage() == CaseStage.COUNCIL_SCORING


async def test_a_case_on_the_real_calendar_ignores_calendar_moves(case_world: CaseWorld) -> None:
    case = await case_world.open_case(case_input(honey_dossier()))
    before = await case.status()
    await _move(case.handle, START + timedelta(days=400))
    await case.accept()  # a workflow task after the signal: it has been handled
    after = await case.status()
    assert after.clock == before.clock
    assert after.stage == CaseStage.COUNCIL_SCORING


async def _until(
    handle: WorkflowHandle[ProductLifecycleWorkflow, Any], holds: Callable[[CaseStatus], bool]
) -> CaseStatus:
    """Poll until the case shows it; the suite's hard timeout names a hang."""

    async def shown() -> CaseStatus | None:
        status: CaseStatus = await handle.query(ProductLifecycleWorkflow.status)
        return status if holds(status) else None

    return await eventually(shown, "the case's status to show it")


async def _overdue_recorded(world: CaseWorld, workflow_id: str) -> None:
    # No wall-clock margin: the suite's hard timeout names this test if it never comes.
    while "local_review_overdue" not in await world.audit(workflow_id):
        await world.env.sleep(timedelta(seconds=1))

"""A cycle signs decisions in an authority's name only when an administrator opened it.

The worker signs each batch decision on each listed case as the authority the cycle's
settings name. Without a check, anyone reaching Temporal could start a cycle naming an
impostor as its authority and have its products certified. The cycle's batches sign
only for a cycle whose input an administrator of its province signed; a schedule's
launcher opens a year only for a schedule an administrator signed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from temporalio.client import WorkflowFailureError

from contracts import cycle as cycle_contract
from contracts.cycle import cycle_workflow_id, launcher_workflow_id
from infra.action_keys import ActionKeys
from infra.cycles import opened_by, scheduled_by
from models.case import CaseStage
from models.clock import start_of_day
from models.cycle import CycleReport
from models.cycle_calendar import CycleTargets
from models.cycle_settings import CycleInput, CycleSettings, DecisionAuthority, ScheduledCycles
from tests.fixtures.cycle import CycleDriver, CycleWorld, cycle_settings, product
from tests.signing import KEYS, act, administrator, producer_of
from tests.waiting import eventually
from workflows.cycle_launcher import CycleLauncherWorkflow

IMPOSTOR = "Kẻ Mạo Danh (impostor)"
DECISION_DAY = date(2024, 4, 15)


def _settings() -> CycleSettings:
    return cycle_settings(
        authorities=(
            DecisionAuthority(
                level="district", authority=IMPOSTOR, first_number=7, localities=("binh-lieu",)
            ),
        ),
        targets=CycleTargets(three_stars_or_more=1, five_stars=0),
    )


async def _decision_of(cycle: CycleDriver) -> CycleReport:
    """Bring one honey dossier to the district's decision day; the report after it."""
    dossier = cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu")
    await act(cycle.handle, producer_of(dossier), cycle_contract.SUBMIT, dossier)
    case = cycle.case("MO-BINHLIEU")
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    assert await case.stage() == CaseStage.AWAITING_RECOGNITION
    await cycle.skip_to(start_of_day(DECISION_DAY) + timedelta(hours=13))

    async def decided() -> CycleReport | None:
        report = await cycle.report()
        return report if report.decisions else None

    return await eventually(decided, "the district's batch decision")


def _unsigned(cycle: CycleInput) -> CycleInput:
    return cycle


def _by_a_producer(cycle: CycleInput) -> CycleInput:
    honey = product(cycle.province, "MO-BINHLIEU", "Mật ong rừng Bình Liêu")
    return opened_by(KEYS, producer_of(honey), cycle)


def _by_another_key(cycle: CycleInput) -> CycleInput:
    return opened_by(ActionKeys.generate(), administrator(cycle.province), cycle)


def _over_other_settings(cycle: CycleInput) -> CycleInput:
    """The office signed a cycle naming the true authority; the one started names another."""
    honest = cycle.model_copy(
        update={
            "authorities": tuple(
                a.model_copy(update={"authority": "UBND huyện Bình Liêu"})
                for a in cycle.authorities
            )
        }
    )
    return cycle.model_copy(
        update={"opened_by": opened_by(KEYS, administrator(cycle.province), honest).opened_by}
    )


@pytest.mark.parametrize(
    ("opening", "why"),
    [
        (_unsigned, "not opened by a verified administrator"),
        (_by_a_producer, "required role: administrator"),
        (_by_another_key, "does not verify"),
        (_over_other_settings, "differs from the one that was signed"),
    ],
    ids=["unsigned", "by-a-producer", "forged-key", "other-settings"],
)
async def test_a_cycle_no_administrator_opened_certifies_nothing(
    cycle_world: CycleWorld, opening: Callable[[CycleInput], CycleInput], why: str
) -> None:
    cycle = await cycle_world.start(
        _settings(),
        calendar={"recognition": {"district": DECISION_DAY.isoformat()}},
        opening=opening,
    )
    report = await _decision_of(cycle)
    [decision] = report.decisions
    assert (decision.listed, decision.recognised) == (1, 0)
    [left] = decision.unrecognised
    assert why in left.reason, left.reason
    status = await cycle.case("MO-BINHLIEU").status()
    assert status.stage == CaseStage.AWAITING_RECOGNITION and status.certificate is None


async def test_the_same_cycle_opened_by_its_office_is_recognised(cycle_world: CycleWorld) -> None:
    """The control: the impostor-named authority aside, an opened cycle's decision holds."""
    cycle = await cycle_world.start(
        _settings(),
        calendar={"recognition": {"district": DECISION_DAY.isoformat()}},
    )
    report = await _decision_of(cycle)
    [decision] = report.decisions
    assert (decision.listed, decision.recognised) == (1, 1)
    status = await cycle.case("MO-BINHLIEU").status()
    assert status.stage == CaseStage.CERTIFIED


async def _launch(
    cycle_world: CycleWorld, request: ScheduledCycles, at: datetime
) -> tuple[str | None, str | None]:
    """Run the launcher as the Schedule would; (the cycle it opened, or why it refused)."""
    world = cycle_world.cases
    handle = await world.client.start_workflow(
        CycleLauncherWorkflow.run,
        request,
        id=f"{launcher_workflow_id(request.province)}-{at:%Y%m%d}",
        task_queue=world.task_queue,
    )
    try:
        return await handle.result(), None
    except WorkflowFailureError as error:
        cause = error.cause
        return None, str(getattr(cause, "cause", None) or cause)


async def test_a_launcher_opens_a_year_only_for_a_signed_schedule(
    cycle_world: CycleWorld,
) -> None:
    province = f"quang-ninh-{uuid.uuid4().hex[:6]}"
    standing = cycle_settings()
    request = ScheduledCycles(province=province, settings=standing)
    now = await cycle_world.cases.env.get_current_time()

    opened, why = await _launch(cycle_world, request, now)
    assert opened is None and why is not None and "verified administrator" in why

    stranger = scheduled_by(KEYS, administrator("hai-duong"), request)
    opened, why = await _launch(cycle_world, stranger, now)
    assert opened is None and why is not None and "'quang-ninh" in why

    signed = scheduled_by(KEYS, administrator(province), request)
    opened, why = await _launch(cycle_world, signed, now)
    assert why is None and opened is not None
    assert opened.startswith(f"ocop-cycle-{province}-")
    assert opened == cycle_workflow_id(province, int(opened.rsplit("-", 1)[1]))

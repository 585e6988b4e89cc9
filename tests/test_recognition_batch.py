"""One case that cannot take the recognition Update never holds a batch decision.

The real `recognise_batch` activity (run as Temporal would run it, `ActivityEnvironment`)
against real product cases on the dev server, their own activities faked: ten products
in one decision, one of them terminated or frozen (a case whose every workflow task
fails). The other nine are recognised in one attempt, the tenth is listed with why, and
every product is heartbeated as it is done so a retried attempt resumes from there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio import activity, workflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities import recognition
from activities.cycle import CycleActivities
from contracts import case as case_contract
from contracts import cycle as contract
from contracts.case import product_workflow_id
from contracts.refs import query, signal
from models.applicants import ApplicantKind
from models.assertions import payload_digest
from models.case import CaseStage
from models.clock import start_of_day
from models.cycle import CaseProgress, RecognitionFailure
from models.cycle_decisions import (
    RECOGNITION_RETRY_INTERVAL,
    PlannedDecision,
    RecognitionBatch,
    RecognitionBatchResult,
    RecognitionOutcome,
    RecognitionResult,
    allocate_certificates,
)
from models.frozen import FROZEN_AFTER
from models.stars import Stars
from models.transitions import CycleTransition
from tests.case_driver import CaseDriver
from tests.factories import ADMIN_EMAIL, case_input, honey_dossier
from tests.fixtures.cycle import ADMIN_EN_EMAIL
from tests.fixtures.fakes import FakeActivities, FakeWorld
from tests.signing import KEYS, administrator
from tests.test_workflow_cycle import awaiting, dossier, skip_to, start, submit
from tests.waiting import eventually
from worker import SANDBOX, WORKFLOWS

DECIDED = date(2024, 3, 1)  # the cases' business day (tests.factories.START)
CODES = [f"P{n:02d}" for n in range(1, 10)]


@workflow.defn(name=case_contract.WORKFLOW_TYPE, sandboxed=False)
class FrozenCase:
    """A product's case whose every workflow task fails: it answers nothing, ever."""

    @workflow.run
    async def run(self, _: Any) -> None:
        raise RuntimeError("this case's workflow task always fails")


@pytest_asyncio.fixture(loop_scope="session")
async def dev_world(dev_server_env: WorkflowEnvironment) -> AsyncIterator[FakeWorld]:
    """The production workflows on the dev server, their activities faked."""
    fakes = FakeActivities()
    task_queue = f"batch-{uuid.uuid4().hex[:8]}"
    async with Worker(
        dev_server_env.client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=fakes.all(),
        workflow_runner=SANDBOX,
    ):
        yield FakeWorld(dev_server_env, dev_server_env.client, task_queue, fakes)


async def awaiting_recognition(world: FakeWorld, province: str, code: str) -> CaseDriver:
    dossier = honey_dossier().model_copy(update={"province": province, "product_code": code})
    case = await world.open_case(case_input(dossier))
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    assert await case.stage() == CaseStage.AWAITING_RECOGNITION
    return case


def decision(province: str, codes: list[str]) -> PlannedDecision:
    number = "125/2024/QĐ-UBND"
    return PlannedDecision(
        level="district",
        authority="UBND district",
        authority_key="district:UBND district",
        number=number,
        decided_on=DECIDED,
        items=allocate_certificates(
            number,
            (
                CaseProgress(
                    workflow_id=product_workflow_id(province, code),
                    product_code=code,
                    locality="binh-lieu",
                    applicant_kind=ApplicantKind.COOPERATIVE,
                    stage=CaseStage.AWAITING_RECOGNITION,
                    level="district",
                )
                for code in codes
            ),
        ),
    )


async def run_batch(
    client: Client,
    province: str,
    plan: PlannedDecision,
    heartbeat_details: list[Any] | None = None,
    beats: list[list[Any]] | None = None,
) -> tuple[RecognitionBatchResult, list[list[Any]]]:
    """The activity as Temporal runs it: one attempt; every heartbeat it sent (into
    `beats` as they come, when given)."""
    environment = ActivityEnvironment()
    if heartbeat_details is not None:
        environment.info = dataclasses.replace(
            environment.info, heartbeat_details=heartbeat_details
        )
    beats = [] if beats is None else beats
    environment.on_heartbeat = lambda *details: beats.append(list(details))
    activities = CycleActivities(client, sessions=None, task_queue="unused", keys=KEYS)  # type: ignore[arg-type]
    # As a cycle its province's office opened: only then are its decisions signed.
    opened = KEYS.sign(
        administrator(province),
        action=contract.OPEN_CYCLE,
        workflow_id=environment.info.workflow_id or "",
        payload=plan,
    )
    batch = RecognitionBatch(
        decision=plan.model_copy(update={"items": ()}),
        items=plan.items,
        concurrency=4,
        opened_by=opened,
        opening_digest=payload_digest(plan),
        province=province,
    )
    result = await environment.run(activities.recognise_batch, batch)
    return result, beats


async def nine_and_one(world: FakeWorld) -> tuple[str, list[CaseDriver], str]:
    province = f"quang-ninh-{uuid.uuid4().hex[:6]}"
    cases = await asyncio.gather(*(awaiting_recognition(world, province, c) for c in CODES))
    return province, list(cases), "P10"


def by_code(result: RecognitionBatchResult) -> dict[str, RecognitionOutcome]:
    return {outcome.product_code: outcome for outcome in result.outcomes}


async def assert_nine_recognised(
    result: RecognitionBatchResult, cases: list[CaseDriver], plan: PlannedDecision
) -> None:
    outcomes = by_code(result)
    numbers = {item.product_code: item.certificate_number for item in plan.items}
    for case in cases:
        status = await case.status()
        code = status.product_code
        assert outcomes[code].result == RecognitionResult.RECOGNISED, outcomes[code]
        assert outcomes[code].stars == Stars.THREE
        assert status.stage == CaseStage.CERTIFIED and status.certificate is not None
        assert status.certificate.number == numbers[code]


async def test_a_terminated_case_is_listed_with_why_and_the_other_nine_are_recognised(
    dev_world: FakeWorld,
) -> None:
    province, cases, last = await nine_and_one(dev_world)
    ended = await awaiting_recognition(dev_world, province, last)
    await ended.handle.terminate(reason="closed by an operator")
    plan = decision(province, [*CODES, last])

    result, beats = await run_batch(dev_world.client, province, plan)

    await assert_nine_recognised(result, cases, plan)
    missing = by_code(result)[last]
    assert missing.result == RecognitionResult.SKIPPED
    assert missing.failure == RecognitionFailure.CLOSED
    assert "terminated" in missing.reason
    # A heartbeat after every product, carrying every outcome so far.
    assert [len(details[-1]) for details in beats] == list(range(1, 11))


async def test_a_frozen_case_is_listed_with_why_and_the_other_nine_are_recognised(
    dev_world: FakeWorld, dev_server_env: WorkflowEnvironment
) -> None:
    province, cases, last = await nine_and_one(dev_world)
    side_queue = f"frozen-{uuid.uuid4().hex[:8]}"
    async with Worker(dev_server_env.client, task_queue=side_queue, workflows=[FrozenCase]):
        frozen = await dev_server_env.client.start_workflow(
            case_contract.WORKFLOW_TYPE,
            None,
            id=product_workflow_id(province, last),
            task_queue=side_queue,
        )

        async def failed_twice() -> bool | None:
            try:
                found = await dev_server_env.client.workflow_service.describe_workflow_execution(
                    DescribeWorkflowExecutionRequest(
                        namespace=dev_server_env.client.namespace,
                        execution=WorkflowExecution(workflow_id=frozen.id),
                    )
                )
            except RPCError as error:
                # A busy dev server may cancel one poll ("operation was canceled", seen
                # once in CI): ask again rather than fail on the machine's speed.
                if error.status in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
                    return None
                raise
            return True if found.pending_workflow_task.attempt >= FROZEN_AFTER else None

        await eventually(failed_twice, "the frozen case's workflow task to fail again and again")
        plan = decision(
            province, [*(c.workflow_id.rsplit("-", 1)[-1].upper() for c in cases), last]
        )

        result, _ = await run_batch(dev_world.client, province, plan)

    await assert_nine_recognised(result, cases, plan)
    missing = by_code(result)[last]
    assert missing.result == RecognitionResult.SKIPPED
    assert missing.failure == RecognitionFailure.FROZEN, missing
    assert "frozen" in missing.reason
    await frozen.terminate()


@pytest.mark.timeout(120)
async def test_a_slow_case_is_waited_for_and_recognised_in_the_same_attempt(
    dev_server_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A saturated machine makes every case slow at a decision moment: a case that is
    slow but not frozen (here: its worker is away for a while) is recognised when it
    answers, not listed as unanswered after one wait (a national year's benchmark saw
    0 of 40 products recognised that way, and the administrators told so)."""
    monkeypatch.setattr(recognition, "PRODUCT_RECOGNITION_TIMEOUT", timedelta(seconds=1))
    client, fakes = dev_server_env.client, FakeActivities()
    side = FakeWorld(dev_server_env, client, f"slow-{uuid.uuid4().hex[:8]}", fakes)
    province = f"quang-ninh-{uuid.uuid4().hex[:6]}"

    def side_worker() -> Worker:
        return Worker(
            client,
            task_queue=side.task_queue,
            workflows=list(WORKFLOWS),
            activities=fakes.all(),
            workflow_runner=SANDBOX,
        )

    async with side_worker():
        slow = await awaiting_recognition(side, province, "P01")
    plan = decision(province, ["P01"])
    beats: list[list[Any]] = []
    batch = asyncio.create_task(run_batch(client, province, plan, beats=beats))

    async def waited_once() -> bool | None:  # no answer yet, and the case is not frozen
        return True if beats else None

    await eventually(waited_once, "the batch to wait on the slow case once")
    async with side_worker():
        result, _ = await batch
        status = await slow.status()

    outcome = by_code(result)["P01"]
    assert outcome.result == RecognitionResult.RECOGNISED, outcome
    assert status.stage == CaseStage.CERTIFIED and status.certificate is not None
    assert status.certificate.number == plan.items[0].certificate_number
    assert beats[0] == [[]]  # waiting: no product done yet


async def test_a_retried_attempt_resumes_where_its_last_heartbeat_stood(
    dev_world: FakeWorld,
) -> None:
    province = f"quang-ninh-{uuid.uuid4().hex[:6]}"
    first, second = await asyncio.gather(
        awaiting_recognition(dev_world, province, "P01"),
        awaiting_recognition(dev_world, province, "P02"),
    )
    plan = decision(province, ["P01", "P02"])
    said = RecognitionOutcome(
        product_code="P01",
        certificate_number=plan.items[0].certificate_number,
        result=RecognitionResult.RECOGNISED,
        stars=Stars.THREE,
    )

    result, beats = await run_batch(
        dev_world.client, province, plan, heartbeat_details=[[said.model_dump(mode="json")]]
    )

    assert by_code(result)["P01"] == said  # taken from the heartbeat, not asked again
    assert await first.stage() == CaseStage.AWAITING_RECOGNITION
    assert await second.stage() == CaseStage.CERTIFIED
    assert [len(details[-1]) for details in beats] == [2]


# ------------------------------------------------- the cycle asks the leftover again


@pytest.mark.timeout(90)
async def test_the_cycle_lists_tells_and_later_recognises_a_product_its_decision_could_not(
    fake_world: FakeWorld,
) -> None:
    fakes = fake_world.fakes
    healthy = fakes.recognise_batch.answer

    heartbeat_timeouts = []

    def first_frozen(batch: Any) -> Any:
        heartbeat_timeouts.append(activity.info().heartbeat_timeout)
        result = healthy(batch)
        if len(fakes.recognise_batch.calls) > 1:
            return result
        outcomes = list(result.outcomes)
        outcomes[-1] = outcomes[-1].model_copy(
            update={
                "result": RecognitionResult.SKIPPED,
                "stars": None,
                "failure": RecognitionFailure.FROZEN,
                "reason": "the product's case is frozen",
            }
        )
        return result.model_copy(update={"outcomes": tuple(outcomes)})

    fakes.recognise_batch.answer = first_frozen
    cycle = await start(fake_world, {"recognition": {"district": "2024-04-15"}})
    codes = [f"P{n:02d}" for n in range(1, 11)]
    for code in codes:
        await submit(fake_world, cycle, dossier(code))
        await signal(cycle, contract.CASE_PROGRESS, awaiting(code))
    decided = start_of_day(date(2024, 4, 15)) + timedelta(hours=13)

    await skip_to(fake_world, decided)

    async def told() -> list[Any] | None:
        letters = [
            n for n in fakes.mail.calls if n.event.kind == CycleTransition.RECOGNITION_INCOMPLETE
        ]
        return letters or None

    [letter] = await eventually(told, "the administrators to be told of the product left")
    assert [r.email for r in letter.recipients] == [ADMIN_EMAIL, ADMIN_EN_EMAIL]
    [left] = letter.event.products
    assert (left.product_code, left.failure, left.attempts) == ("P10", "frozen", 1)
    assert (letter.event.listed, letter.event.recognised) == (10, 9)
    assert left.retry_at is not None
    first = fakes.recognise_batch.calls[0]
    [(_, number)] = [(i.product_code, i.certificate_number) for i in first.items[-1:]]
    part = next(e for e in fakes.cycle_register.calls if e.action == "recognition_decision")
    assert part.details["products"][-1]["failure"] == "frozen"  # type: ignore[index,call-overload]

    # One retry interval later the cycle asks P10 again, under the same decision.
    await fake_world.env.sleep(RECOGNITION_RETRY_INTERVAL)

    async def recognised_later() -> Any:
        [decision] = (await query(cycle, contract.REPORT)).decisions
        return decision if decision.recognised == 10 else None

    decision = await eventually(recognised_later, "P10 recognised on a later attempt")
    assert decision.unrecognised == ()
    second = fakes.recognise_batch.calls[1]
    assert [(i.product_code, i.certificate_number) for i in second.items] == [("P10", number)]
    assert second.decision.model_copy(update={"items": ()}) == first.decision
    assert decision.last_certificate == number
    keys = [e.key for e in fakes.cycle_register.calls if e.action == "recognition_decision"]
    assert keys[-1].endswith(f"{first.decision.number}:retry2:1")
    report = await query(cycle, contract.REPORT)
    assert report.by_stage[CaseStage.CERTIFIED] == 10
    # A worker lost mid-batch is noticed within 30 s (it was 2 minutes).
    assert set(heartbeat_timeouts) == {timedelta(seconds=30)}


async def test_a_number_the_register_holds_for_another_product_is_one_products_failure(
    dev_world: FakeWorld,
) -> None:
    province = f"quang-ninh-{uuid.uuid4().hex[:6]}"
    first, second = await asyncio.gather(
        awaiting_recognition(dev_world, province, "P01"),
        awaiting_recognition(dev_world, province, "P02"),
    )
    plan = decision(province, ["P01", "P02"])
    dev_world.fakes.numbers_taken.add(plan.items[1].certificate_number)

    result, _ = await run_batch(dev_world.client, province, plan)

    outcomes = by_code(result)
    assert outcomes["P01"].result == RecognitionResult.RECOGNISED
    assert outcomes["P02"].failure == RecognitionFailure.NUMBER_TAKEN
    assert "already belongs to another product" in outcomes["P02"].reason
    assert await first.stage() == CaseStage.CERTIFIED
    assert await second.stage() == CaseStage.AWAITING_RECOGNITION

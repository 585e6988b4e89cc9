"""The annual cycle, the workflow alone (fake activities): what it asks of the products'
cases when a dossier comes in, the batch decisions it fans out on a recognition date,
and the report it files and sends at its close.

No case runs here: the fake `open_cycle_case` only answers, so the tests play the cases'
part by signalling `case_progress`, as a case would at each stage change. Everything
is reached through the cycle's contract (`contracts.cycle`), as another service would.
End to end, with real cases, register and SMTP: tests/test_annual_cycle.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError

from contracts import cycle as contract
from contracts.case import product_workflow_id
from contracts.cycle import cycle_workflow_id
from contracts.refs import query, signal
from models.actors import actor_label
from models.applicants import RegistrationKind
from models.case import CaseStage
from models.clock import start_of_day
from models.cycle import CycleReport
from models.cycle_messages import CloseCycle, SubmissionReceipt
from models.dossier import Dossier
from models.transitions import CycleTransition
from tests.factories import ADMIN_EMAIL
from tests.fixtures.cycle import ADMIN_EN_EMAIL, CYCLE_START, cycle_settings, product
from tests.fixtures.fakes import FakeWorld
from tests.signing import act_on, administrator, producer_of
from tests.updates import refused
from tests.waiting import eventually

PROVINCE = "quang-ninh"


async def start(
    world: FakeWorld, calendar: dict[str, Any] | None = None, **settings: Any
) -> WorkflowHandle[Any, Any]:
    """Quảng Ninh's 2024 cycle, opened on 4 March 2024 (the window is open)."""
    data = cycle_settings(**settings).model_dump()
    data.update(province=PROVINCE, year=2024, calendar=calendar or {}, business_start=CYCLE_START)
    cycle = contract.START_CYCLE.argument.model_validate(data)  # the contract's CycleInput
    return await world.client.start_workflow(
        contract.WORKFLOW_TYPE,
        cycle,
        id=cycle_workflow_id(PROVINCE, 2024),
        task_queue=world.task_queue,
    )


def dossier(code: str, locality: str = "binh-lieu", **changes: Any) -> Dossier:
    honey = product(PROVINCE, code, f"Sản phẩm {code}", locality=locality)
    return honey.model_copy(update=changes)


def awaiting(code: str, locality: str = "binh-lieu", level: str = "district") -> Any:
    """What a case awaiting recognition at `level` tells its cycle."""
    return contract.CASE_PROGRESS.argument.model_validate(
        {
            "workflow_id": product_workflow_id(PROVINCE, code),
            "product_code": code,
            "locality": locality,
            "applicant_kind": "cooperative",
            "stage": CaseStage.AWAITING_RECOGNITION,
            "level": level,
            "awaiting_recognition": True,
        }
    )


async def submit(
    world: FakeWorld, cycle: WorkflowHandle[Any, Any], dossier: Dossier
) -> SubmissionReceipt:
    """The dossier's producer submits it (signed at the test server's time)."""
    return await act_on(world.env, cycle, producer_of(dossier), contract.SUBMIT, dossier)


async def close(
    world: FakeWorld, cycle: WorkflowHandle[Any, Any], request: CloseCycle
) -> CycleReport:
    """The province's office closes the cycle; the request names who writes it."""
    return await act_on(world.env, cycle, administrator(PROVINCE), contract.CLOSE, request)


async def skip_to(world: FakeWorld, moment: datetime) -> None:
    """Run the server's clock on to a business moment (the cycle's clock runs with it)."""
    await world.env.sleep(moment - CYCLE_START)


async def test_a_dossier_opens_its_case_on_the_cycles_rules_and_clock_once(
    fake_world: FakeWorld,
) -> None:
    cycle = await start(fake_world)

    receipt = await submit(fake_world, cycle, dossier("MO-BINHLIEU"))

    assert (receipt.action, receipt.received_on) == ("started", date(2024, 3, 4))
    assert receipt.workflow_id == product_workflow_id(PROVINCE, "MO-BINHLIEU")
    [request] = fake_world.fakes.open_case.calls
    assert request.application is None
    assert (request.cycle_workflow_id, request.case.cycle_workflow_id) == (cycle.id, cycle.id)
    assert (request.case.rulebook.id, request.case.cycle_year) == ("qd148-2023", 2024)
    assert request.case.carried is not None
    assert request.case.carried.clock.business_origin == CYCLE_START  # the cycle's own clock

    again = await refused(submit(fake_world, cycle, dossier("mo-binhlieu")))

    assert "đã đăng ký trong chu trình OCOP 2024" in again
    assert len(fake_world.fakes.open_case.calls) == 1  # the refusal asked no case
    assert (await query(cycle, contract.REPORT)).submissions == 1


async def test_a_certified_products_dossier_asks_its_case_for_a_new_round(
    fake_world: FakeWorld,
) -> None:
    cycle = await start(fake_world)
    upgrade = dossier("MO-BINHLIEU", registration_kind=RegistrationKind.UPGRADE, current_stars=3)

    receipt = await submit(fake_world, cycle, upgrade)

    assert receipt.action == "applied"
    [request] = fake_world.fakes.open_case.calls
    assert request.application is not None
    assert (request.application.cycle_year, request.application.cycle_workflow_id) == (
        2024,
        cycle.id,
    )
    assert request.application.dossier.registration_kind == RegistrationKind.UPGRADE


async def test_a_case_that_cannot_take_the_dossier_refuses_it_in_its_own_words(
    fake_world: FakeWorld,
) -> None:
    cycle = await start(fake_world)
    busy = "sản phẩm MO-BINHLIEU đang được đánh giá — the product's round is under way"

    def refuse(request: Any) -> Any:
        raise ApplicationError(busy, type="CaseRefused", non_retryable=True)

    fake_world.fakes.open_case.answer = refuse

    assert busy in await refused(submit(fake_world, cycle, dossier("MO-BINHLIEU")))
    assert (await query(cycle, contract.REPORT)).submissions == 0


async def test_on_its_recognition_date_each_district_decides_for_its_products_awaiting(
    fake_world: FakeWorld,
) -> None:
    authorities = [
        {"level": "district", "authority": authority, "first_number": first, "localities": [where]}
        for authority, first, where in (
            ("UBND huyện Bình Liêu", 125, "binh-lieu"),
            ("UBND TP Hạ Long", 40, "ha-long"),
        )
    ]
    cycle = await start(
        fake_world, {"recognition": {"district": "2024-04-15"}}, authorities=authorities
    )
    products = {"MO-BINHLIEU": "binh-lieu", "CHE-HOAVANG": "binh-lieu", "MAM-NGU": "ha-long"}
    for code, locality in [*products.items(), ("RUOU-MO", "binh-lieu")]:
        await submit(fake_world, cycle, dossier(code, locality))
    for code, locality in products.items():
        await signal(cycle, contract.CASE_PROGRESS, awaiting(code, locality))
    assert (await query(cycle, contract.REPORT)).awaiting_recognition == {"district": 3}

    await skip_to(fake_world, start_of_day(date(2024, 4, 15)) + timedelta(hours=13))

    async def both_recorded() -> bool | None:
        entries = fake_world.fakes.cycle_register.calls
        return True if sum(e.action == "recognition_decision" for e in entries) == 2 else None

    await eventually(both_recorded, "a decision from each district, in the register")
    batches = fake_world.fakes.recognise_batch.calls
    # One decision per authority (in order of their names), certificates numbered in
    # product-code order.
    decisions = [(b.decision.authority, b.decision.number, b.decision.decided_on) for b in batches]
    assert decisions == [
        ("UBND TP Hạ Long", "40/2024/QĐ-UBND", date(2024, 4, 15)),
        ("UBND huyện Bình Liêu", "125/2024/QĐ-UBND", date(2024, 4, 15)),
    ]
    assert [[(i.product_code, i.certificate_number) for i in b.items] for b in batches] == [
        [("MAM-NGU", "40/2024/QĐ-UBND-001")],
        [("CHE-HOAVANG", "125/2024/QĐ-UBND-001"), ("MO-BINHLIEU", "125/2024/QĐ-UBND-002")],
    ]
    recorded = [
        (e.actor, e.details["number"])
        for e in fake_world.fakes.cycle_register.calls
        if e.action == "recognition_decision"
    ]
    assert recorded == [(authority, number) for authority, number, _ in decisions]
    report = await query(cycle, contract.REPORT)
    assert [d.number for d in report.decisions] == ["40/2024/QĐ-UBND", "125/2024/QĐ-UBND"]
    assert report.awaiting_recognition == {}
    assert report.by_stage[CaseStage.CERTIFIED] == 3


async def test_only_an_administrator_closes_the_cycle_and_every_administrator_gets_the_report(
    fake_world: FakeWorld,
) -> None:
    cycle = await start(fake_world)
    await submit(fake_world, cycle, dossier("MO-BINHLIEU"))
    closing = contract.CLOSE.argument

    # The signed actor decides, not the name the request writes: a producer who writes
    # the office's address is refused, and so is the office of another province.
    as_producer = act_on(
        fake_world.env,
        cycle,
        producer_of(dossier("MO-BINHLIEU")),
        contract.CLOSE,
        closing(closed_by=ADMIN_EMAIL),
    )
    assert "may not administer the OCOP cycle; required role: administrator" in (
        await refused(as_producer)
    )
    elsewhere = act_on(
        fake_world.env, cycle, administrator("hai-duong"), contract.CLOSE, closing(closed_by="x")
    )
    assert "of province 'quang-ninh'; their scope is 'hai-duong'" in await refused(elsewhere)
    assert fake_world.fakes.mail.calls == []

    report = await close(fake_world, cycle, closing(closed_by=ADMIN_EMAIL, reason="Hết năm"))

    assert report.closed and report.submissions == 1
    await cycle.result()  # the report is filed and sent once the Update has its answer
    [filed] = [e for e in fake_world.fakes.cycle_register.calls if e.action == "cycle_report"]
    # Filed in the name of the verified administrator who closed it.
    assert (filed.actor, filed.reason) == (actor_label(administrator(PROVINCE)), "Hết năm")
    [letter] = fake_world.fakes.mail.calls
    assert letter.event.kind == CycleTransition.CYCLE_REPORT
    assert [r.email for r in letter.recipients] == [ADMIN_EMAIL, ADMIN_EN_EMAIL]


# ------------------------------------------------- progress from outside the cycle


def said(code: str, stage: CaseStage, **fields: Any) -> Any:
    """A `case_progress` word about product `code`, as its case (or a forger) sends it."""
    data: dict[str, Any] = {
        "workflow_id": product_workflow_id(PROVINCE, code),
        "product_code": code,
        "locality": "binh-lieu",
        "applicant_kind": "cooperative",
        "stage": stage,
        "level": "district",
        "awaiting_recognition": stage == CaseStage.AWAITING_RECOGNITION,
    }
    return contract.CASE_PROGRESS.argument.model_validate(data | fields)


async def _told(cycle: WorkflowHandle[Any, Any], code: str, stage: CaseStage) -> Any:
    """The report once it shows `code`'s case at `stage` (so every earlier word was read:
    a workflow takes signals in the order they arrived)."""

    async def shown() -> Any:
        report = await query(cycle, contract.REPORT)
        return report if report.by_stage.get(stage) else None

    return await eventually(shown, f"{code} at {stage.value} in the cycle's report")


async def test_progress_counts_only_from_the_cycles_own_cases_in_their_round(
    fake_world: FakeWorld,
) -> None:
    cycle = await start(fake_world)
    await submit(fake_world, cycle, dossier("MO-BINHLIEU"))
    await submit(fake_world, cycle, dossier("CHE-HOAVANG"))
    await signal(
        cycle,
        contract.CASE_PROGRESS,
        said("MO-BINHLIEU", CaseStage.AWAITING_RECOGNITION, event_seq=6),
    )
    before = await _told(cycle, "MO-BINHLIEU", CaseStage.AWAITING_RECOGNITION)
    assert (before.submissions, before.awaiting_recognition) == (2, {"district": 1})

    forged = [
        said("KHONG-CO-THAT", CaseStage.AWAITING_RECOGNITION),  # a product the cycle lacks
        said(  # the product's code, another workflow's id
            "MO-BINHLIEU",
            CaseStage.CERTIFIED,
            workflow_id="ocop-product-elsewhere-mo-binhlieu",
            stars=5,
            event_seq=9,
        ),
        # The case the cycle started runs round 1.
        said("MO-BINHLIEU", CaseStage.CERTIFIED, round_number=2, stars=5, event_seq=9),
        said("MO-BINHLIEU", CaseStage.LOCAL_REVIEW, event_seq=2),  # older than what it said
        said("MO-BINHLIEU", CaseStage.LOCAL_REVIEW),  # its case always says its counter
    ]
    for word in forged:
        await signal(cycle, contract.CASE_PROGRESS, word)
    # A genuine word sent after them: once it shows, the forged ones have been read.
    await signal(cycle, contract.CASE_PROGRESS, said("CHE-HOAVANG", CaseStage.LOCAL_REVIEW))
    after = await _told(cycle, "CHE-HOAVANG", CaseStage.LOCAL_REVIEW)

    assert (after.submissions, after.awaiting_recognition) == (2, {"district": 1})
    assert after.by_stage == {CaseStage.AWAITING_RECOGNITION: 1, CaseStage.LOCAL_REVIEW: 1}
    assert after.certified == 0
    assert after.forged_progress_ignored == len(forged)

    # The case's own next word still counts.
    await signal(
        cycle,
        contract.CASE_PROGRESS,
        said("MO-BINHLIEU", CaseStage.CERTIFIED, stars=3, event_seq=7),
    )
    certified = await _told(cycle, "MO-BINHLIEU", CaseStage.CERTIFIED)
    assert (certified.certified, certified.by_stars) == (1, {3: 1})


async def test_a_case_that_speaks_before_it_is_recorded_is_heard_and_a_forger_meanwhile_is_not(
    fake_world: FakeWorld,
) -> None:
    cycle = await start(fake_world)

    async def meanwhile(request: Any) -> None:
        # While open_cycle_case answers, the new case tells its first stage, and a forger
        # (other id; a round the case does not run) speaks after it.
        for word in (
            said("MO-BINHLIEU", CaseStage.LOCAL_REVIEW, event_seq=1),
            said("MO-BINHLIEU", CaseStage.AWAITING_RECOGNITION, round_number=3, event_seq=8),
            said(
                "MO-BINHLIEU",
                CaseStage.AWAITING_RECOGNITION,
                workflow_id="ocop-product-x-mo-binhlieu",
            ),
        ):
            await signal(cycle, contract.CASE_PROGRESS, word)

    fake_world.fakes.open_case.before = meanwhile
    await submit(fake_world, cycle, dossier("MO-BINHLIEU"))

    report = await query(cycle, contract.REPORT)
    assert report.by_stage == {CaseStage.LOCAL_REVIEW: 1}
    assert (report.awaiting_recognition, report.forged_progress_ignored) == ({}, 2)


async def test_an_applied_case_confirms_its_round_with_its_first_word(
    fake_world: FakeWorld,
) -> None:
    cycle = await start(fake_world)
    upgrade = dossier("MO-BINHLIEU", registration_kind=RegistrationKind.UPGRADE, current_stars=3)
    await submit(fake_world, cycle, upgrade)

    # Its next round is 2 or more: an earlier round's word is not this cycle's.
    await signal(cycle, contract.CASE_PROGRESS, said("MO-BINHLIEU", CaseStage.CERTIFIED, stars=5))
    await signal(
        cycle,
        contract.CASE_PROGRESS,
        said("MO-BINHLIEU", CaseStage.LOCAL_REVIEW, round_number=4, event_seq=30),
    )
    await _told(cycle, "MO-BINHLIEU", CaseStage.LOCAL_REVIEW)
    # Round 4 it is, from now on.
    await signal(
        cycle,
        contract.CASE_PROGRESS,
        said("MO-BINHLIEU", CaseStage.CERTIFIED, round_number=5, stars=5, event_seq=31),
    )
    await signal(
        cycle,
        contract.CASE_PROGRESS,
        said("MO-BINHLIEU", CaseStage.COUNCIL_SCORING, round_number=4, event_seq=32),
    )
    report = await _told(cycle, "MO-BINHLIEU", CaseStage.COUNCIL_SCORING)
    assert (report.certified, report.forged_progress_ignored) == (0, 2)

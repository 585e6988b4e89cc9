"""A province's year: the window, one case per product, batch decisions, the report.

The cycle runs on the time-skipping server with the real worker, register and SMTP
(`cycle_world`). Tests that are about the cycle's own bookkeeping (the report, its
size over thousands of submissions) set `start_cases=False` and play the cases' part
by signalling `case_progress` themselves; the others start real product cases.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from rich.logging import RichHandler
from sqlalchemy import func, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment

from activities.cycle import CycleActivities
from infra.refusals import explain_refusal
from models import register as tables
from models.actors import actor_label
from models.applicants import ApplicantKind
from models.case import Application, CaseStage, RevocationGround
from models.clock import VIETNAM, start_of_day
from models.cycle import CycleReport
from models.cycle_calendar import CycleTargets, TargetKind, scheduled_cycle_year
from models.cycle_messages import CycleCaseRequest, OpenAction
from models.cycle_settings import DecisionAuthority
from models.stars import Stars
from tests import updates
from tests.case_driver import CaseDriver
from tests.cli_output import ok, refused
from tests.factories import ADMIN_EMAIL, case_input
from tests.fixtures.cycle import (
    ADMIN_EN_EMAIL,
    EXAMPLES,
    CycleCli,
    CycleDriver,
    CycleWorld,
    cycle_settings,
)
from tests.fixtures.lifecycle import EVENT_HEADER
from tests.fixtures.smtp import CapturedMessage
from tests.signing import KEYS, administrator, producer
from tests.waiting import eventually


def plain_text(message: CapturedMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def noon(day: date) -> datetime:
    return start_of_day(day) + timedelta(hours=12)


# ----------------------------------------------------------------------- refusals


async def test_submissions_outside_the_window_are_refused_with_its_dates(
    cycle_world: CycleWorld,
) -> None:
    cycle = await cycle_world.start(business_start=datetime(2024, 2, 20, 2, 0, tzinfo=UTC))
    honey = cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu")

    early = await cycle.refusal(honey)
    assert early.startswith("chưa đến thời gian nhận hồ sơ")
    assert "từ ngày 01/03/2024 đến hết ngày 30/06/2024" in early
    assert "(hôm nay là 20/02/2024)" in early
    assert "submissions open on 2024-03-01 (window 2024-03-01 to 2024-06-30)" in early

    # Four months later on the cycle's own durable calendar, the window has closed.
    await cycle.skip_to(noon(date(2024, 7, 1)))
    late = await cycle.refusal(honey)
    assert late.startswith("đã hết thời gian nhận hồ sơ")
    assert "từ ngày 01/03/2024 đến hết ngày 30/06/2024" in late
    assert "the submission window closed on 2024-06-30" in late

    report = await cycle.report()
    assert (report.submissions, report.as_of) == (0, date(2024, 7, 1))


async def test_a_product_is_received_once_per_cycle(cycle_world: CycleWorld) -> None:
    cycle = await cycle_world.start()
    honey = cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu", email="hoptien@example.vn")

    receipt = await cycle.submit(honey)
    assert receipt.action == OpenAction.STARTED
    assert receipt.received_on == date(2024, 3, 4)
    case = cycle.case("MO-BINHLIEU")
    assert receipt.workflow_id == case.workflow_id
    status = await case.status()
    assert (status.stage, status.cycle_workflow_id) == (CaseStage.LOCAL_REVIEW, cycle.handle.id)
    assert status.as_of.date() == date(2024, 3, 4)  # the case keeps the cycle's clock

    again = await cycle.refusal(honey)
    assert again == (
        "sản phẩm MO-BINHLIEU đã đăng ký trong chu trình OCOP 2024 (giai đoạn: local_review)"
        " — product MO-BINHLIEU is already in this cycle (stage local_review)"
    )
    # The product code is the product, however it is written.
    assert "đã đăng ký" in await cycle.refusal(
        honey.model_copy(update={"product_code": "mo-binhlieu"})
    )

    # Two agents submitting the same dossier at once: one is received, one refused.
    fish = cycle.dossier("MAM-NGU-DAIYEN", "Mắm ngự Đại Yên", locality="ha-long")
    results = await asyncio.gather(cycle.submit(fish), cycle.submit(fish), return_exceptions=True)
    refusals = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
    assert len(refusals) == 1 and "MAM-NGU-DAIYEN" in explain_refusal(refusals[0])

    await case.mail_sent()
    assert cycle_world.inbox("hoptien@example.vn") == ["dossier_received"]
    report = await cycle.report()
    assert report.submissions == 2


async def test_a_dossier_that_does_not_belong_to_this_cycle_is_refused(
    cycle_world: CycleWorld,
) -> None:
    cycle = await cycle_world.start(cycle_settings(localities=("binh-lieu", "ha-long", "van-don")))

    other_province = cycle.dossier("BDX-RVHG", "Bánh đậu xanh Rồng Vàng Hoàng Gia").model_copy(
        update={"province": "hai-duong"}
    )
    refusal = await cycle.refusal(other_province)
    assert refusal.startswith(
        "hồ sơ thuộc tỉnh Hải Dương (hai-duong), không thuộc chu trình OCOP 2024 của "
    )

    elsewhere = cycle.dossier("MO-TIENYEN", "Mật ong Tiên Yên", locality="tien-yen")
    refusal = await cycle.refusal(elsewhere)
    assert "locality 'tien-yen' is not a district of this cycle" in refusal
    assert "accepted: binh-lieu, ha-long, van-don" in refusal

    five_star = cycle.dossier("GAO-VITHUY", "Gạo sạch Vị Thủy").model_copy(
        update={"registration_kind": "upgrade", "current_stars": Stars.FIVE}
    )
    assert "a 5★ product cannot be upgraded" in await cycle.refusal(five_star)

    # A dossier that is not even well formed never reaches the workflow's code.
    malformed = cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu").model_dump(mode="json")
    malformed["group"] = "seafood"
    refusal = await cycle.refusal(malformed)
    assert "unknown product group 'seafood'" in refusal

    assert (await cycle.report()).submissions == 0
    with pytest.raises(RPCError):  # no case was started for any of them
        await cycle.case("MO-TIENYEN").handle.describe()


# -------------------------------------------------------------- batch recognition


@pytest.mark.record_history
async def test_one_decision_recognises_every_product_awaiting_at_the_district(
    cycle_world: CycleWorld,
) -> None:
    settings = cycle_settings(
        authorities=(
            DecisionAuthority(
                level="district",
                authority="UBND huyện Bình Liêu",
                first_number=125,
                localities=("binh-lieu",),
            ),
        ),
        targets=CycleTargets(three_stars_or_more=3, five_stars=1),
    )
    cycle = await cycle_world.start(settings, calendar={"recognition": {"district": "2024-04-15"}})
    products = {
        "MO-BINHLIEU": ("Mật ong rừng Bình Liêu", ApplicantKind.COOPERATIVE),
        "CHE-HOAVANG": ("Chè hoa vàng Bình Liêu", ApplicantKind.HOUSEHOLD),
        "MIEN-DONG": ("Miến dong Bình Liêu", ApplicantKind.ENTERPRISE),
    }
    for code, (name, kind) in products.items():
        await cycle.submit(cycle.dossier(code, name, kind=kind))
    await cycle.submit(cycle.dossier("RUOU-MOBL", "Rượu mơ Bình Liêu", locality="binh-lieu"))
    await cycle.submit(cycle.dossier("MAM-NGU", "Mắm ngự Đại Yên", locality="ha-long"))

    for code in products:
        case = cycle.case(code)
        await case.accept()
        await case.score_and_close("district", 62, 60, 65, 61)
        assert await case.stage() == CaseStage.AWAITING_RECOGNITION
    await cycle.case("RUOU-MOBL").reject("Sản phẩm rượu chưa có giấy phép sản xuất")
    fish = cycle.case("MAM-NGU")
    await fish.accept()
    await fish.score_and_close("district", 76, 74, 78, 75)  # ≥ 70: up to the province

    report = await cycle.report()
    assert report.awaiting_recognition == {"district": 3}
    assert report.decisions == []

    # The district's recognition date comes: one decision lists all three.
    await cycle.skip_to(noon(date(2024, 4, 15)) + timedelta(hours=1))

    async def decided() -> CycleReport | None:
        current = await cycle.report()
        return current if current.decisions else None

    report = await eventually(decided, "the district's batch decision")
    [decision] = report.decisions
    assert (decision.number, decision.authority, decision.decided_on) == (
        "125/2024/QĐ-UBND",
        "UBND huyện Bình Liêu",
        date(2024, 4, 15),
    )
    assert (decision.listed, decision.recognised) == (3, 3)
    certificates = {}
    for code in products:
        status = await cycle.case(code).status()
        assert status.stage == CaseStage.CERTIFIED and status.certificate is not None
        assert status.certificate.decision_number == "125/2024/QĐ-UBND"
        assert status.certificate.valid_until == date(2027, 4, 15)
        certificates[code] = status.certificate.number
    # Sequential numbers in product-code order.
    assert certificates == {
        "CHE-HOAVANG": "125/2024/QĐ-UBND-001",
        "MIEN-DONG": "125/2024/QĐ-UBND-002",
        "MO-BINHLIEU": "125/2024/QĐ-UBND-003",
    }
    for code in products:
        await cycle.case(code).mail_sent()
        assert cycle_world.inbox(f"{code.lower()}@example.vn") == [
            "dossier_received",
            "review_accepted",
            "council_result",
            "recognised",
        ]
    async with cycle.world.sessions() as session:
        listed = await session.scalar(
            select(func.count())
            .select_from(tables.DecisionProductRow)
            .join(tables.DecisionRow)
            .where(tables.DecisionRow.number == "125/2024/QĐ-UBND")
        )
    assert listed == 3
    [(action, key, details)] = [row for row in await cycle.audit() if row[0] != "cycle_report"]
    assert action == "recognition_decision"
    assert key == f"{cycle.handle.id}:decision:district:UBND huyện Bình Liêu:125/2024/QĐ-UBND:1"
    assert (details["part"], details["parts"]) == (1, 1)
    assert [p["certificate_number"] for p in details["products"]] == list(
        sorted(certificates.values())
    )

    # The report: figures by stage, stars, locality and kind, and the targets.
    report = await cycle.report()
    assert report.submissions == 5
    assert report.by_stage == {
        CaseStage.COUNCIL_SCORING: 1,
        CaseStage.CERTIFIED: 3,
        CaseStage.REJECTED: 1,
    }
    assert (report.certified, report.by_stars) == (3, {3: 3})
    assert {k: (v.submitted, v.certified) for k, v in report.by_locality.items()} == {
        "binh-lieu": (4, 3),
        "ha-long": (1, 0),
    }
    assert report.by_applicant_kind == {
        ApplicantKind.ENTERPRISE: 1,
        ApplicantKind.COOPERATIVE: 3,
        ApplicantKind.HOUSEHOLD: 1,
    }
    assert [(t.target, t.goal, t.achieved, t.met) for t in report.targets] == [
        (TargetKind.THREE_STARS_OR_MORE, 3, 3, True),
        (TargetKind.FIVE_STARS, 1, 0, False),
    ]

    # The administrator closes the year; a case still running outlives its cycle.
    final = await cycle.close(reason="Kết thúc đợt đánh giá năm 2024")
    assert final.closed and final.decisions == report.decisions
    assert (await cycle.handle.result()).certified == 3
    await fish.score_and_close("province", 80, 78, 79, 81)
    assert await fish.stage() == CaseStage.AWAITING_RECOGNITION


@pytest.mark.record_history
async def test_next_years_cycle_takes_an_upgrade_on_the_certified_case(
    cycle_world: CycleWorld,
) -> None:
    spring_decisions = {"district": "2024-04-15", "province": "2024-04-22", "central": "2024-04-29"}
    first = await cycle_world.start(calendar={"recognition": spring_decisions})
    honey = first.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu", email="hoptien@example.vn")
    await first.submit(honey)
    case = first.case("MO-BINHLIEU")
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    await first.skip_to(noon(date(2024, 4, 15)) + timedelta(hours=1))
    await eventually(lambda: _certified_stars(case), "the 2024 district decision")

    # A year on (the 2024 cycle closed itself on its last day), the 2025 cycle opens on
    # the same business calendar as the case, and the cooperative applies for 4★.
    await first.skip_to(noon(date(2025, 3, 3)))
    closed = await first.report()  # not result(): that would let the test server run ahead
    assert closed.closed and closed.certified == 1
    second = await cycle_world.start(
        year=2025,
        business_start=await first.business_now(),
        province=first.province,
    )
    upgrade = honey.model_copy(
        update={"registration_kind": "upgrade", "current_stars": Stars.THREE}
    )
    receipt = await second.submit(upgrade)
    assert (receipt.action, receipt.workflow_id) == (OpenAction.APPLIED, case.workflow_id)

    async def round_two() -> bool | None:
        status = await case.status()
        return True if status.round_number == 2 and status.stage == CaseStage.LOCAL_REVIEW else None

    await eventually(round_two, "the upgrade round")
    assert (await case.status()).cycle_workflow_id == second.handle.id
    # Running the activity again (as a retry would) finds the round it opened.
    activities = CycleActivities(
        cycle_world.cases.client, cycle_world.cases.sessions, cycle_world.cases.task_queue, KEYS
    )
    request = CycleCaseRequest(
        cycle_workflow_id=second.handle.id,
        case=case_input(dossier=upgrade, cycle_workflow_id=second.handle.id),
        application=Application(
            dossier=upgrade, cycle_year=2025, cycle_workflow_id=second.handle.id
        ),
    )
    again = await ActivityEnvironment().run(activities.open_cycle_case, request)
    assert again.action == OpenAction.APPLIED

    await case.accept()
    await case.score_and_close("district", 76, 74, 78, 75)
    await case.score_and_close("province", 80, 78, 79, 81)
    # The round waits for the 2025 cycle's province decision in November: its deadline
    # comes from this cycle's calendar (the 2024 one decided in April), so nobody is told
    # the recognition is overdue meanwhile.
    waiting = await case.status()
    assert waiting.next_deadline is not None
    assert waiting.next_deadline.due.date() >= date(2025, 11, 15)
    await second.skip_to(noon(date(2025, 11, 15)) + timedelta(hours=1))
    stars = await eventually(
        lambda: _certified_stars(case, round_number=2), "the province decision"
    )
    assert stars == Stars.FOUR
    report = await second.report()
    [decision] = report.decisions
    assert (decision.level, decision.number) == ("province", "1/2025/QĐ-UBND")
    assert report.by_stars == {4: 1}
    status = await case.status()
    assert status.certificate is not None
    assert status.certificate.number == "1/2025/QĐ-UBND-001"
    assert [d.number for d in status.decisions] == ["1/2024/QĐ-UBND", "1/2025/QĐ-UBND"]


async def _certified_stars(case: CaseDriver, round_number: int = 1) -> Stars | None:
    status = await case.status()
    if status.round_number == round_number and status.stage == CaseStage.CERTIFIED:
        return status.current_stars
    return None


async def test_progress_forged_by_an_outside_client_changes_nothing(
    cycle_world: CycleWorld,
) -> None:
    cycle = await cycle_world.start()
    await cycle.submit(cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu"))
    case = cycle.case("MO-BINHLIEU")

    async def reported(stage: CaseStage) -> CycleReport | None:
        report = await cycle.report()
        return report if report.by_stage.get(stage) else None

    await eventually(lambda: reported(CaseStage.LOCAL_REVIEW), "the case's review, reported")
    # A client outside the cycle signals it as its cases would.
    forged = cycle.progress("MO-BINHLIEU", CaseStage.AWAITING_RECOGNITION)
    await cycle.tell(cycle.progress("KHONG-CO-THAT", CaseStage.AWAITING_RECOGNITION))
    await cycle.tell(forged.model_copy(update={"round_number": 2}))
    await cycle.tell(forged)  # says no event counter, as the real case always does
    # An Update sent after them is taken after them.
    await cycle.submit(cycle.dossier("CHE-HOAVANG", "Chè Hoa Vàng"))

    report = await cycle.report()
    assert report.submissions == 2
    assert report.awaiting_recognition == {}
    assert report.forged_progress_ignored == 3

    # The real case's next stage still counts.
    await case.accept()
    scoring = await eventually(
        lambda: reported(CaseStage.COUNCIL_SCORING), "the case's council, reported"
    )
    assert scoring.forged_progress_ignored == 3


# ------------------------------------------------------------------------ report


async def test_two_districts_numbering_alike_each_have_their_decision_on_record(
    cycle_world: CycleWorld,
) -> None:
    # Both People's Committees start at 1 with the same prefix: the numbers collide,
    # the decisions must not (each is its own authority's act).
    settings = cycle_settings(
        authorities=tuple(
            DecisionAuthority(level="district", authority=name, localities=(locality,))
            for name, locality in (
                ("UBND huyện Bình Liêu", "binh-lieu"),
                ("UBND thành phố Hạ Long", "ha-long"),
            )
        )
    )
    cycle = await cycle_world.start(settings, calendar={"recognition": {"district": "2024-04-15"}})
    for code, locality in (("MO-BINHLIEU", "binh-lieu"), ("MAM-NGU", "ha-long")):
        await cycle.submit(cycle.dossier(code, code, locality=locality))
        case = cycle.case(code)
        await case.accept()
        await case.score_and_close("district", 62, 60, 65, 61)
    await cycle.skip_to(noon(date(2024, 4, 15)) + timedelta(hours=1))

    async def both_decided() -> CycleReport | None:
        current = await cycle.report()
        return current if len(current.decisions) == 2 else None

    report = await eventually(both_decided, "both districts' decisions")
    assert {(d.authority, d.number) for d in report.decisions} == {
        ("UBND huyện Bình Liêu", "1/2024/QĐ-UBND"),
        ("UBND thành phố Hạ Long", "1/2024/QĐ-UBND"),
    }
    recorded = [
        details["authority"]
        for action, _, details in await cycle.audit()
        if action == "recognition_decision"
    ]
    assert sorted(recorded) == ["UBND huyện Bình Liêu", "UBND thành phố Hạ Long"]


async def test_the_report_counts_everything_and_goes_to_the_administrators_at_close(
    cycle_world: CycleWorld,
) -> None:
    settings = cycle_settings(
        start_cases=False,
        targets=CycleTargets(submissions=8, three_stars_or_more=5, four_stars_or_more=2),
    )
    cycle = await cycle_world.start(settings)
    # Hậu Giang's mix in small: households, cooperatives and one enterprise.
    people = [
        ("GAO-VITHUY", "vi-thuy", ApplicantKind.COOPERATIVE, CaseStage.CERTIFIED, 4),
        ("KHOM-CAUDUC", "vi-thuy", ApplicantKind.HOUSEHOLD, CaseStage.CERTIFIED, 3),
        ("CA-THATLAT", "vi-thuy", ApplicantKind.HOUSEHOLD, CaseStage.CERTIFIED, 3),
        ("BUOI-NAMROI", "phung-hiep", ApplicantKind.HOUSEHOLD, CaseStage.CERTIFIED, 4),
        ("MAT-ONG-U", "phung-hiep", ApplicantKind.ENTERPRISE, CaseStage.COUNCIL_SCORING, None),
        ("DUA-SAP", "phung-hiep", ApplicantKind.HOUSEHOLD, CaseStage.NOT_CERTIFIED, None),
        ("CHA-LUA", "long-my", ApplicantKind.COOPERATIVE, CaseStage.AWAITING_SUPPLEMENT, None),
    ]
    for code, locality, kind, stage, stars in people:
        await cycle.submit(cycle.dossier(code, code.title(), locality=locality, kind=kind))
        await cycle.tell(cycle.progress(code, CaseStage.LOCAL_REVIEW, locality=locality, kind=kind))
        await cycle.tell(cycle.progress(code, stage, stars=stars, locality=locality, kind=kind))

    report = await cycle.report()
    assert report.submissions == 7 and report.certified == 4
    assert report.by_stars == {3: 2, 4: 2}
    assert report.by_stage == {
        CaseStage.AWAITING_SUPPLEMENT: 1,
        CaseStage.COUNCIL_SCORING: 1,
        CaseStage.CERTIFIED: 4,
        CaseStage.NOT_CERTIFIED: 1,
    }
    assert report.by_applicant_kind == {
        ApplicantKind.ENTERPRISE: 1,
        ApplicantKind.COOPERATIVE: 2,
        ApplicantKind.HOUSEHOLD: 4,
    }
    assert {k: (v.submitted, v.certified) for k, v in report.by_locality.items()} == {
        "long-my": (1, 0),
        "phung-hiep": (3, 1),
        "vi-thuy": (3, 3),
    }
    progress = {t.target: (t.goal, t.achieved, t.met, t.remaining) for t in report.targets}
    assert progress == {
        TargetKind.SUBMISSIONS: (8, 7, False, 1),
        TargetKind.THREE_STARS_OR_MORE: (5, 4, False, 1),
        TargetKind.FOUR_STARS_OR_MORE: (2, 2, True, 0),
    }
    assert not report.targets_met

    # Only an administrator may close the cycle.
    as_producer = cycle.close(
        closed_by=ADMIN_EMAIL, by=producer(cycle.province, "hoptien@example.vn")
    )
    assert "may not administer the OCOP cycle" in await updates.refused(as_producer)

    final = await cycle.close(closed_by="Phạm Văn Đức", reason="Hoàn thành chỉ tiêu quý IV")
    assert final.closed and final.submissions == 7
    await cycle.handle.result()
    assert cycle_world.inbox(ADMIN_EMAIL) == ["cycle_report"]
    assert cycle_world.inbox(ADMIN_EN_EMAIL) == ["cycle_report"]
    [vi] = cycle_world.cases.smtp.messages_to(ADMIN_EMAIL)
    [en] = cycle_world.cases.smtp.messages_to(ADMIN_EN_EMAIL)
    assert vi["Subject"] == f"Báo cáo kết quả chu trình OCOP năm 2024 – {cycle.province}"
    assert en["Subject"] == f"OCOP cycle 2024 report – {cycle.province}"
    text = plain_text(vi)
    for fact in (
        "Hồ sơ tiếp nhận: 7",
        "Sản phẩm được công nhận: 4",
        "Trong đó 4 sao: 2",
        "Sản phẩm đạt từ 3 sao trở lên: 4/5 – chưa đạt (còn thiếu 1)",
        "Sản phẩm đạt từ 4 sao trở lên: 2/2 – đạt chỉ tiêu",
        "Hộ sản xuất, cơ sở sản xuất: 4",
        "Huyện Vị Thủy: 3 hồ sơ, 3 sản phẩm được công nhận",
        # The verified administrator who closed it, not the name the request wrote.
        f"Người kết thúc chu trình: {actor_label(administrator(cycle.province))}",
        "Ghi chú: Hoàn thành chỉ tiêu quý IV",
    ):
        assert fact in text, fact
    english = plain_text(en)
    assert "Products of 3 stars or more: 4/5 – not met (1 short)" in english
    assert en[EVENT_HEADER] == "cycle_report"

    [(action, _, details)] = await cycle.audit()
    assert action == "cycle_report"
    assert details["submissions"] == 7 and details["by_stars"] == {"3": 2, "4": 2}


@pytest.mark.record_history
async def test_the_cycle_closes_itself_when_its_calendar_ends(cycle_world: CycleWorld) -> None:
    cycle = await cycle_world.start(cycle_settings(start_cases=False))
    await cycle.submit(cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu"))
    await cycle.tell(cycle.progress("MO-BINHLIEU", CaseStage.AWAITING_RECOGNITION))

    final = await cycle.handle.result()  # the test server skips to 1 January 2025

    assert final.closed and final.as_of == date(2025, 1, 1)
    # Nothing answered for the product (no case runs here), so nothing was recognised.
    assert [(d.level, d.listed, d.recognised) for d in final.decisions] == [("district", 1, 0)]
    [missing] = final.decisions[0].unrecognised
    assert (missing.product_code, missing.failure, missing.retry_at) == (
        "MO-BINHLIEU",
        "not_found",
        None,  # a case that does not exist is not asked again
    )
    # The administrators are told which product the decision could not recognise, and why.
    assert cycle_world.inbox(ADMIN_EMAIL) == ["recognition_incomplete", "cycle_report"]
    assert [row[0] for row in await cycle.audit()] == ["recognition_decision", "cycle_report"]


# ------------------------------------------------------------------------- scale


async def _history_lengths(cycle: CycleDriver) -> list[int]:
    """Events in each run of the cycle, following continue-as-new from the first run."""
    client = cycle.world.client
    run_id: str | None = cycle.handle.first_execution_run_id
    lengths = []
    while run_id:
        history = await client.get_workflow_handle(cycle.handle.id, run_id=run_id).fetch_history()
        lengths.append(len(history.events))
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )
    return lengths


# ~20 s on an idle 2-core machine, ~50 s on a busy one, up to ~3 min fully saturated.
@pytest.mark.timeout(600)
async def test_three_thousand_submissions_keep_each_history_small(
    cycle_world: CycleWorld,
) -> None:
    limit = 2_000
    cycle = await cycle_world.start(
        cycle_settings(
            start_cases=False,
            max_history_events=limit,
            targets=CycleTargets(three_stars_or_more=2_000),
        )
    )
    localities = ("ha-long", "cam-pha", "uong-bi", "mong-cai", "binh-lieu", "van-don")
    kinds = list(ApplicantKind)
    total = 3_000
    gate = asyncio.Semaphore(64)

    async def one(i: int) -> None:
        code, locality, kind = f"QN-{i:05d}", localities[i % 6], kinds[i % 4]
        async with gate:
            await cycle.submit(cycle.dossier(code, f"Sản phẩm {i}", locality=locality, kind=kind))
            stage, stars = (
                (CaseStage.CERTIFIED, 3 + i % 3) if i % 5 else (CaseStage.LOCAL_REVIEW, None)
            )
            await cycle.tell(cycle.progress(code, stage, stars=stars, locality=locality, kind=kind))

    await asyncio.gather(*(one(i) for i in range(total)))

    report = await cycle.report()
    assert report.submissions == total
    assert report.by_stage == {CaseStage.LOCAL_REVIEW: 600, CaseStage.CERTIFIED: 2_400}
    assert report.by_stars == {3: 800, 4: 800, 5: 800}
    assert sum(f.submitted for f in report.by_locality.values()) == total
    assert report.by_applicant_kind == {kind: 750 for kind in ApplicantKind}
    assert [(t.achieved, t.met) for t in report.targets] == [(2_400, True)]
    assert report.run_number >= 4, f"expected continue-as-new, still on run {report.run_number}"

    # A product from the first run is still known after several continue-as-new.
    assert "đã đăng ký" in await cycle.refusal(cycle.dossier("QN-00007", "Sản phẩm 7"))

    lengths = await _history_lengths(cycle)
    assert len(lengths) == report.run_number
    assert max(lengths) <= limit + 500, lengths


async def test_a_case_outlives_its_closed_cycle_under_the_consoles_rich_logging(
    cycle_world: CycleWorld,
) -> None:
    # `ocop dev up` and the demo log through Rich. A case that tells its closed cycle
    # of a later stage logs it from inside the workflow sandbox, where Rich's lazy
    # imports once failed every workflow task of the case from then on.
    handler = RichHandler(console=Console(file=io.StringIO()))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        spring = {"district": "2024-04-15", "province": "2024-04-22", "central": "2024-04-29"}
        cycle = await cycle_world.start(calendar={"recognition": spring})
        await cycle.submit(cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu"))
        case = cycle.case("MO-BINHLIEU")
        await case.accept()
        await case.score_and_close("district", 62, 60, 65, 61)
        await cycle.skip_to(noon(date(2024, 4, 15)) + timedelta(hours=1))
        await eventually(lambda: _certified_stars(case), "the district decision")

        await cycle.skip_to(noon(date(2025, 1, 6)))  # the cycle closed itself on 31 December
        assert (await cycle.report()).closed
        # With the bug, the Update waited for a workflow task that always failed (until
        # the hard timeout).
        await case.revoke(date(2025, 1, 6), RevocationGround.FOOD_SAFETY)
        assert (await case.status()).stage == CaseStage.REVOKED
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_a_closed_cycle_refuses_new_submissions(cycle_world: CycleWorld) -> None:
    cycle = await cycle_world.start(cycle_settings(start_cases=False))
    await cycle.close()
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await cycle.submit(cycle.dossier("MO-BINHLIEU", "Mật ong rừng Bình Liêu"))


# ------------------------------------------------------------ the command line


CONFIG = str(EXAMPLES / "cycle-quang-ninh-2024.yaml")


@pytest.mark.devserver
async def test_ocop_cycle_start_submit_report_and_close(cycle_cli: CycleCli) -> None:
    province = cycle_cli.province
    where = ("--province", province, "--year", "2024")

    missing = await cycle_cli.ocop(
        "submit",
        str(cycle_cli.dossier_file("dossier-mat-ong-binh-lieu.yaml")),
        *where,
        who="hoptien",
    )
    refused(missing, 1, f"no 2024 cycle for {province}", "ocop cycle start")

    ok(
        await cycle_cli.ocop("cycle", "start", *where, "--config", CONFIG, who="admin"),
        f"ocop-cycle-{province}-2024",
        "15/07/2024",
    )
    twice = await cycle_cli.ocop("cycle", "start", *where, "--config", CONFIG, who="admin")
    refused(twice, 1, "exists already")
    # Opening a cycle is the office's step: a producer's token, or none, is refused.
    refused(
        await cycle_cli.ocop("cycle", "start", *where, "--config", CONFIG, who="hoptien"),
        1,
        "may not administer the OCOP cycle",
    )
    refused(
        await cycle_cli.ocop("cycle", "start", *where, "--config", CONFIG),
        1,
        "ocop cycle start is a person's step and needs their sign-in",
    )
    bad = cycle_cli.folder / "bad.yaml"
    bad.write_text("targets:\n  five_star: 2\n", encoding="utf-8")
    refused(
        await cycle_cli.ocop(
            "cycle", "start", "--province", province, "--year", "2025", "--config", str(bad)
        ),
        2,
        "targets.five_star: Extra inputs are not permitted",
    )

    honey = cycle_cli.dossier_file("dossier-mat-ong-binh-lieu.yaml")
    receipt = ok(await cycle_cli.ocop("submit", str(honey), *where, "--json", who="hoptien"))
    assert json.loads(receipt)["action"] == "started"
    refused(
        await cycle_cli.ocop("submit", str(honey), *where, who="hoptien"),
        1,
        "refused: sản phẩm MO-BINHLIEU đã đăng ký",
    )
    cake = cycle_cli.dossier_file("dossier-banh-dau-xanh-hai-duong.yaml")
    refused(
        await cycle_cli.ocop("submit", str(cake), *where, who="rongvang"),
        1,
        "không được nộp hồ sơ của tỉnh 'hai-duong'",
    )
    stray = cycle_cli.dossier_file("dossier-mam-ngu-dai-yen.yaml", locality="tien-phong")
    refused(
        await cycle_cli.ocop("submit", str(stray), *where, who="daiyen"),
        1,
        "locality 'tien-phong' is not a district",
    )
    broken = cycle_cli.dossier_file("dossier-mam-ngu-dai-yen.yaml", product_set="seafood")
    refused(
        await cycle_cli.ocop("submit", str(broken), *where, who="daiyen"),
        2,
        "product set 'seafood' is not in group 'food'",
    )
    fish = cycle_cli.dossier_file("dossier-mam-ngu-dai-yen.yaml")
    # A producer submits only their own dossiers.
    refused(
        await cycle_cli.ocop("submit", str(fish), *where, who="hoptien"),
        1,
        "may submit dossiers only for the applicant they act for",
    )
    ok(
        await cycle_cli.ocop("submit", str(fish), *where, who="daiyen"),
        "Mắm ngự Đại Yên",
        "Đã tiếp nhận hồ sơ",
    )

    status = ok(await cycle_cli.ocop("cycle", "status", province, "2024"), "dossiers received")
    assert "đang diễn ra / open" in status
    report = json.loads(ok(await cycle_cli.ocop("cycle", "report", province, "2024", "--json")))
    assert report["submissions"] == 2
    assert report["by_applicant_kind"] == {"enterprise": 1, "cooperative": 1}
    assert [t["target"] for t in report["targets"]] == [
        "submissions",
        "three_stars_or_more",
        "four_stars_or_more",
        "five_stars",
    ]
    ok(
        await cycle_cli.ocop("cycle", "report", province, "2024"),
        "huyện Bình Liêu",
        "thành phố Hạ Long",
        "products of ≥ 3★",
    )

    refused(
        await cycle_cli.ocop("cycle", "close", province, "2024", who="hoptien"),
        1,
        "may not administer the OCOP cycle",
    )
    ok(await cycle_cli.ocop("cycle", "close", province, "2024", who="admin"), "closed")
    ok(await cycle_cli.ocop("cycle", "status", province, "2024"), "đã kết thúc / closed")
    refused(await cycle_cli.ocop("submit", str(fish), *where, who="daiyen"), 1, "đã kết thúc")
    again = refused(await cycle_cli.ocop("cycle", "close", province, "2024", who="admin"), 1)
    # Still mailing its report ("already closing") or done ("closed already", or "is
    # closed" when it ended between the command's look and the API's).
    assert any(said in again for said in ("already closing", "closed already", "is closed")), again


@pytest.mark.devserver
async def test_ocop_cycle_schedule_opens_the_coming_year(cycle_cli: CycleCli) -> None:
    standing = yaml.safe_load(await asyncio.to_thread(Path(CONFIG).read_text, "utf-8"))
    refused(
        await cycle_cli.ocop(
            "cycle", "schedule", "--province", cycle_cli.province, "--config", CONFIG
        ),
        2,
        "a yearly schedule uses each year's official calendar",
    )
    for key in ("calendar", "business_start"):
        standing.pop(key)
    config = cycle_cli.folder / "standing.yaml"
    config.write_text(yaml.safe_dump(standing, allow_unicode=True), encoding="utf-8")
    schedule_id = f"ocop-cycle-schedule-{cycle_cli.province}"
    cycle_cli.schedules.append(schedule_id)

    answer = json.loads(
        ok(
            await cycle_cli.ocop(
                "cycle",
                "schedule",
                "--province",
                cycle_cli.province,
                "--config",
                str(config),
                "--on",
                "01-02",
                "--at",
                "08:00",
                "--now",
                "--json",
                who="admin",
            )
        )
    )
    assert answer["schedule_id"] == schedule_id and answer["created"]
    assert answer["next_runs"][0][5:16] == "01-02T08:00"

    year = scheduled_cycle_year(datetime.now(VIETNAM).date())
    handle = cycle_cli.client.get_workflow_handle(f"ocop-cycle-{cycle_cli.province}-{year}")

    async def started() -> bool | None:
        try:
            await handle.describe()
        except RPCError:
            return None
        return True

    await eventually(started, f"the scheduled start of the {year} cycle")
    status = ok(await cycle_cli.ocop("cycle", "status", cycle_cli.province, str(year)))
    assert f"01/03/{year} – 30/06/{year}" in status
    again = await cycle_cli.ocop(
        "cycle",
        "schedule",
        "--province",
        cycle_cli.province,
        "--config",
        str(config),
        "--on",
        "13-40",
    )
    refused(again, 2, "--on: '13-40' is not MM-DD")

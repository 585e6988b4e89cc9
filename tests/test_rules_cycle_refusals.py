"""What the annual cycle may accept: submissions, its close, a running case, its schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.applicants import ApplicantKind, RegistrationKind
from models.case import CaseStage, CaseStatus, Certificate, Contact
from models.cycle import CaseProgress
from models.cycle_messages import CloseCycle
from models.cycle_rules import (
    continuation_refusal,
    cycle_close_refusal,
    cycle_submission_refusal,
    schedule_settings_refusal,
    yearly_day_refusal,
)
from models.cycle_settings import CycleInput, CycleSettings, cycle_input
from models.dossier import Dossier
from models.errors import Refusal
from models.rulebook import QD148_2023
from models.stars import Stars
from tests.factories import council, honey_dossier

ADMINS = (
    Contact(name="Phạm Văn Đức", email="vanphong@example.vn"),
    Contact(name="Lê Thị Hoa", email="hoa.ocop@example.vn"),
)
IN_WINDOW = date(2024, 4, 2)


def cycle(**changes: Any) -> CycleInput:
    scoring = [level.name for level in QD148_2023.levels if level.scores]
    standing = CycleSettings.model_validate(
        {"councils": tuple(council(level) for level in scoring), "administrators": ADMINS} | changes
    )
    return cycle_input("quang-ninh", 2024, standing)


def submit(
    dossier: Dossier | None = None,
    today: date = IN_WINDOW,
    *,
    closing: bool = False,
    pending: frozenset[str] = frozenset(),
    products: dict[str, CaseProgress] | None = None,
    **changes: Any,
) -> Refusal | None:
    return cycle_submission_refusal(
        cycle(**changes),
        dossier or honey_dossier(),
        today,
        closing=closing,
        pending=pending,
        products=products or {},
    )


# ------------------------------------------------------------------- submissions


def test_a_dossier_of_the_province_inside_the_window_is_received() -> None:
    assert submit() is None


def test_a_closed_cycle_receives_nothing_more() -> None:
    assert submit(closing=True) == Refusal(
        "CycleClosed",
        "chu trình OCOP 2024 của quang-ninh đã kết thúc, không nhận thêm hồ sơ — "
        "the 2024 cycle is closed",
    )


@given(st.dates(date(2024, 1, 1), date(2024, 12, 31)))
def test_exactly_the_days_outside_the_window_are_refused(day: date) -> None:
    refusal = submit(today=day)
    inside = date(2024, 3, 1) <= day <= date(2024, 6, 30)
    assert (refusal is None) is inside
    if not inside:
        assert refusal is not None and refusal.type == "OutsideWindow"
        assert "2024-03-01 to 2024-06-30" in refusal.message


def test_a_dossier_that_is_not_the_cycles_is_refused_as_invalid() -> None:
    other = honey_dossier().model_copy(update={"province": "hai-duong"})
    refusal = submit(other)
    assert refusal is not None and refusal.type == "InvalidDossier"
    assert refusal.message.startswith("hồ sơ thuộc tỉnh Hải Dương (hai-duong)")

    elsewhere = submit(honey_dossier(locality="tien-yen"), localities=("binh-lieu", "ha-long"))
    assert elsewhere is not None and elsewhere.type == "InvalidDossier"
    assert "accepted: binh-lieu, ha-long" in elsewhere.message

    five = honey_dossier(registration_kind=RegistrationKind.UPGRADE, current_stars=5)
    assert submit(five) == Refusal(
        "InvalidDossier",
        "sản phẩm 5 sao không thể đăng ký nâng hạng — a 5★ product cannot be upgraded",
    )
    four = honey_dossier(registration_kind=RegistrationKind.UPGRADE, current_stars=4)
    assert submit(four) is None


def test_a_product_being_submitted_or_already_in_the_cycle_is_refused() -> None:
    assert submit(pending=frozenset({"mo-binhlieu"})) == Refusal(
        "AlreadySubmitted",
        "hồ sơ sản phẩm MO-BINHLIEU đang được tiếp nhận — product MO-BINHLIEU is being "
        "submitted already",
    )
    known = CaseProgress(
        workflow_id="ocop-product-quang-ninh-mo-binhlieu",
        product_code="MO-BINHLIEU",
        locality="binh-lieu",
        applicant_kind=ApplicantKind.COOPERATIVE,
        stage=CaseStage.COUNCIL_SCORING,
    )
    assert submit(products={"mo-binhlieu": known}) == Refusal(
        "AlreadySubmitted",
        "sản phẩm MO-BINHLIEU đã đăng ký trong chu trình OCOP 2024 (giai đoạn: council_scoring) "
        "— product MO-BINHLIEU is already in this cycle (stage council_scoring)",
    )
    # Other products of the cycle do not stand in the way.
    assert submit(pending=frozenset({"mam-ngu"}), products={"mam-ngu": known}) is None


def test_the_first_reason_is_given_when_several_apply() -> None:
    late_duplicate = submit(today=date(2024, 7, 1), pending=frozenset({"mo-binhlieu"}))
    assert late_duplicate is not None and late_duplicate.type == "OutsideWindow"
    assert submit(closing=True, today=date(2024, 7, 1)) == submit(closing=True)


# ------------------------------------------------------------------------- close


def test_a_cycle_closes_once() -> None:
    # Who may close it is the verified administrator (test_rules_access): the name the
    # request writes is not looked at.
    assert cycle_close_refusal(None) is None
    first = CloseCycle(closed_by="system", reason="the cycle's calendar ended")
    again = cycle_close_refusal(first)
    assert again == Refusal("CycleClosed", "the cycle is already closing (by system)")


# ------------------------------------------------------ a product's running case

CERTIFICATE = Certificate(
    number="QN-OCOP-0215",
    stars=Stars.FOUR,
    level="province",
    authority="UBND tỉnh Quảng Ninh",
    decision_number="9/2024/QĐ-UBND",
    valid_from=date(2024, 11, 15),
    valid_until=date(2027, 11, 15),
)
WORKFLOW_ID = "ocop-product-quang-ninh-mo-binhlieu"


def status(stage: CaseStage, certificate: Certificate | None = None) -> CaseStatus:
    return CaseStatus(
        workflow_id=WORKFLOW_ID,
        case_id="c-1",
        province="quang-ninh",
        locality="binh-lieu",
        product_code="MO-BINHLIEU",
        product_name="Mật ong rừng Bình Liêu",
        rulebook=QD148_2023.id,
        round_number=2,
        registration_kind=RegistrationKind.FIRST,
        cycle_year=2024,
        stage=stage,
        level="province",
        session_attempt=1,
        scores=[],
        last_result=None,
        missing_documents=[],
        certificate=certificate,
        current_stars=certificate.stars if certificate else None,
        next_deadline=None,
        decisions=[],
        rounds=[],
        business_now=datetime(2025, 4, 1, tzinfo=UTC),
    )


def test_a_certified_case_takes_an_application_for_a_new_round() -> None:
    certified = status(CaseStage.CERTIFIED, CERTIFICATE)
    assert continuation_refusal("MO-BINHLIEU", WORKFLOW_ID, certified, applying=True) is None


@pytest.mark.parametrize(
    ("stage", "certificate"),
    [
        (CaseStage.LOCAL_REVIEW, None),
        (CaseStage.COUNCIL_SCORING, CERTIFICATE),  # an upgrade round under way
        (CaseStage.CERTIFIED, None),
    ],
)
def test_a_case_with_a_round_open_refuses_another(
    stage: CaseStage, certificate: Certificate | None
) -> None:
    refusal = continuation_refusal(
        "MO-BINHLIEU", WORKFLOW_ID, status(stage, certificate), applying=True
    )
    assert refusal == Refusal(
        "CaseAlreadyOpen",
        f"sản phẩm MO-BINHLIEU đang có hồ sơ chưa xử lý xong (vòng 2, giai đoạn {stage.value})"
        f" — product MO-BINHLIEU already has an open case ({WORKFLOW_ID}, round 2, stage "
        f"{stage.value}); wait for its round to end",
    )


def test_a_certified_product_needs_an_upgrade_or_reevaluation_dossier() -> None:
    certified = status(CaseStage.CERTIFIED, CERTIFICATE)
    assert continuation_refusal("MO-BINHLIEU", WORKFLOW_ID, certified, applying=False) == Refusal(
        "AlreadyCertified",
        "sản phẩm MO-BINHLIEU đang có giấy chứng nhận OCOP 4 sao số QN-OCOP-0215 còn hiệu lực "
        "đến 15/11/2027; đề nghị đăng ký nâng hạng hoặc đánh giá lại — product MO-BINHLIEU "
        "holds a valid 4★ certificate: submit an 'upgrade' or 'reevaluation' dossier",
    )


# ---------------------------------------------------------------------- schedule


def test_a_yearly_schedule_takes_standing_settings_only() -> None:
    standing = {"councils": [council("district").model_dump()], "rulebook": "qd148-2023"}
    assert schedule_settings_refusal(standing) is None
    expected = Refusal(
        "CalendarInSchedule",
        "a yearly schedule uses each year's official calendar; remove 'calendar' and 'year' "
        "(or start one year with `ocop cycle start`)",
    )
    assert schedule_settings_refusal({**standing, "calendar": {}}) == expected
    assert schedule_settings_refusal({**standing, "year": 2024}) == expected


@given(month=st.integers(1, 12), day=st.integers(1, 31))
def test_a_launch_day_must_come_every_year(month: int, day: int) -> None:
    try:
        every_year = all(date(year, month, day) for year in (2023, 2024, 2025, 2100))
    except ValueError:
        every_year = False
    refusal = yearly_day_refusal(month, day)
    assert (refusal is None) is every_year
    if refusal is not None:
        assert refusal.type == "NotEveryYear"


def test_the_refused_day_is_named_as_written() -> None:
    assert yearly_day_refusal(2, 29) == Refusal(
        "NotEveryYear", "'02-29' is not a day that comes every year (MM-DD, e.g. 01-02)"
    )
    refusal = yearly_day_refusal(2, 30, written="2-30")
    assert refusal is not None and refusal.message.startswith("'2-30' is not a day")
    assert yearly_day_refusal(1, 2) is None

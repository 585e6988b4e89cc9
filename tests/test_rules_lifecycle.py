"""Dossiers, rulebook routing and certificate validity: rules producers and offices see."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models.applicants import RegistrationKind
from models.catalogue import PRODUCT_GROUPS, DocumentKind
from models.council import CouncilResult
from models.dossier import Applicant, DocumentRef, Dossier, missing_documents, with_documents
from models.errors import DomainError
from models.rulebook import (
    QD148_2023,
    QD1489_2025,
    Forward,
    NoCertificate,
    Recognise,
    route_after_scoring,
    rulebook_in_force,
)
from models.stars import Stars, stars_for_score
from models.validity import add_months, check_reminder_offsets, reminder_dates, validity_period

HONEY = Applicant(name="HTX Hợp Tiến", kind="cooperative", email="hoptien@example.vn")


def document(kind: DocumentKind) -> DocumentRef:
    return DocumentRef(file_name=f"{kind.value}.pdf", kind=kind, sha256="a" * 64, size_bytes=1024)


def honey_dossier(**changes: object) -> Dossier:
    fields: dict[str, object] = {
        "province": "quang-ninh",
        "locality": "binh-lieu",
        "product_code": "MAT-ONG-BL",
        "product_name": "Mật ong rừng Bình Liêu",
        "applicant": HONEY,
        "group": "food",
        "product_set": "processed_food",
    }
    return Dossier.model_validate(fields | changes)


def result(mean: str, mandatory: bool = True) -> CouncilResult:
    value = Decimal(mean)
    return CouncilResult(
        mean=value,
        stars=stars_for_score(value, mandatory),
        mandatory_criteria_met=mandatory,
        member_totals={},
    )


def test_an_unknown_product_group_is_refused_with_the_accepted_groups() -> None:
    with pytest.raises(
        ValidationError,
        match="unknown product group 'fod'; accepted groups: beverages, food, handicrafts",
    ):
        honey_dossier(group="fod")


def test_a_product_set_from_another_group_is_refused() -> None:
    with pytest.raises(ValidationError, match="product set 'flowers' is not in group 'food'"):
        honey_dossier(product_set="flowers")


def test_a_name_with_a_line_break_is_refused_before_it_can_reach_an_email_header() -> None:
    with pytest.raises(ValidationError, match="single line"):
        honey_dossier(product_name="Mật ong\r\nBcc: everyone@example.com")


def test_completeness_names_exactly_the_documents_the_group_requires() -> None:
    food = honey_dossier(documents=(document(DocumentKind.REGISTRATION_FORM),))
    assert DocumentKind.FOOD_SAFETY_CERTIFICATE in missing_documents(food)
    assert DocumentKind.REGISTRATION_FORM not in missing_documents(food)
    tour = honey_dossier(group="tourism", product_set="community_tourism")
    assert DocumentKind.SAMPLE_RECEIPT not in missing_documents(tour)
    assert DocumentKind.TOURISM_OPERATING_CONDITIONS in missing_documents(tour)


def test_a_reevaluation_also_needs_the_three_year_report() -> None:
    first = set(missing_documents(honey_dossier()))
    again = set(
        missing_documents(
            honey_dossier(registration_kind=RegistrationKind.REEVALUATION, current_stars=3)
        )
    )
    assert again - first == {DocumentKind.THREE_YEAR_REPORT}


@given(group=st.sampled_from(PRODUCT_GROUPS), kind=st.sampled_from(list(RegistrationKind)))
def test_a_supplement_of_the_missing_documents_completes_any_dossier(group, kind) -> None:  # type: ignore[no-untyped-def]
    dossier = honey_dossier(
        group=group.code,
        product_set=group.sets[0].code,
        registration_kind=kind,
        current_stars=None if kind == RegistrationKind.FIRST else 3,
    )
    supplied = tuple(document(k) for k in missing_documents(dossier))
    assert missing_documents(with_documents(dossier, supplied)) == []


@pytest.mark.parametrize(
    ("level", "mean", "expected"),
    [
        ("district", "65", Recognise(level="district", stars=Stars.THREE)),
        ("district", "72.5", Forward(to_level="province")),
        ("province", "75", Recognise(level="province", stars=Stars.FOUR)),
        ("province", "66", Recognise(level="district", stars=Stars.THREE)),
        ("province", "91", Forward(to_level="central")),
        ("central", "93", Recognise(level="central", stars=Stars.FIVE)),
        ("central", "88", Recognise(level="province", stars=Stars.FOUR)),
    ],
)
def test_the_2023_rules_route_district_province_central(level, mean, expected) -> None:  # type: ignore[no-untyped-def]
    assert route_after_scoring(QD148_2023, level, result(mean)) == expected


def test_under_the_2025_rules_the_province_recognises_three_and_four_stars() -> None:
    assert QD1489_2025.first_scoring_level().name == "province"
    assert route_after_scoring(QD1489_2025, "province", result("55")) == Recognise(
        level="province", stars=Stars.THREE
    )
    assert route_after_scoring(QD1489_2025, "province", result("90")) == Forward(to_level="central")


def test_below_three_stars_or_a_failed_mandatory_criterion_ends_without_certificate() -> None:
    low = route_after_scoring(QD148_2023, "district", result("45"))
    assert isinstance(low, NoCertificate) and "below the 50 needed" in low.reason
    failed = route_after_scoring(QD148_2023, "district", result("80", mandatory=False))
    assert isinstance(failed, NoCertificate) and "mandatory" in failed.reason


def test_cases_starting_after_6_july_2025_take_the_commune_route() -> None:
    assert rulebook_in_force(date(2025, 7, 5)).id == "qd148-2023"
    assert rulebook_in_force(date(2025, 7, 6)).id == "qd1489-2025"
    with pytest.raises(DomainError, match="no shipped rulebook"):
        rulebook_in_force(date(2020, 1, 1))


@pytest.mark.parametrize(
    ("decided", "until"),
    [
        (date(2024, 1, 31), date(2027, 1, 31)),
        (date(2024, 2, 29), date(2027, 2, 28)),
        (date(2023, 11, 30), date(2026, 11, 30)),
        (date(2025, 12, 31), date(2028, 12, 31)),
    ],
)
def test_a_certificate_is_valid_36_months_by_the_calendar(decided: date, until: date) -> None:
    assert validity_period(decided).valid_until == until


@given(start=st.dates(date(2000, 1, 1), date(2090, 12, 31)), months=st.integers(1, 120))
def test_validity_always_ends_strictly_after_it_starts(start: date, months: int) -> None:
    period = validity_period(start, months)
    assert period.valid_until > period.valid_from
    assert add_months(start, months).day <= start.day


@given(
    start=st.dates(date(2000, 1, 1), date(2090, 12, 31)),
    months=st.integers(1, 60),
    offsets=st.lists(st.integers(30, 400), min_size=1, max_size=5),
)
def test_reminders_fall_after_the_decision_and_before_expiry(start, months, offsets) -> None:  # type: ignore[no-untyped-def]
    period = validity_period(start, months)
    for days_before, day in reminder_dates(period, offsets):
        assert period.valid_from < day < period.expires_on
        assert period.expires_on - day == timedelta(days=days_before)


def test_default_reminders_come_90_and_30_days_before_expiry() -> None:
    period = validity_period(date(2024, 3, 15))
    assert reminder_dates(period, (30, 90)) == [
        (90, date(2027, 3, 16) - timedelta(days=90)),
        (30, date(2027, 3, 16) - timedelta(days=30)),
    ]


def test_a_reminder_later_than_30_days_before_expiry_is_refused() -> None:
    with pytest.raises(DomainError, match="at least 30 days before expiry; refused: \\[14\\]"):
        check_reminder_offsets((90, 14))

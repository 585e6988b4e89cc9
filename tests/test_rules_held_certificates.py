"""Reading the national register's lines, and which certificates can be loaded."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from models.held_certificates import (
    HeldCertificate,
    RegisterLineError,
    held_certificate_refusal,
    register_line,
)
from models.rulebook import QD148_2023
from models.stars import Stars
from tests.factories import case_input

LINE = {
    "product_code": "MO-BL",
    "product_name": "Mật ong rừng Bình Liêu",
    "locality": "binh-lieu",
    "group": "food",
    "product_set": "raw_semi_processed",
    "applicant_name": "HTX Hợp Tiến",
    "applicant_kind": "cooperative",
    "applicant_email": "hoptien@example.vn",
    "applicant_phone": "",
    "stars": "3",
    "level": "district",
    "issuing_authority": "UBND huyện Bình Liêu",
    "decision_number": "125/2024/QĐ-UBND",
    "decided_on": "2024-10-15",
    "certificate_number": "125-001",
    "valid_from": "2024-10-15",
    "valid_until": "2027-10-15",
}
TODAY = date(2025, 12, 1)


def test_a_line_reads_into_the_products_dossier_and_its_certificate() -> None:
    dossier, held = register_line(LINE, "quang-ninh")
    assert (dossier.province, dossier.product_code, dossier.applicant.name) == (
        "quang-ninh",
        "MO-BL",
        "HTX Hợp Tiến",
    )
    assert (held.number, held.stars, held.valid_until) == (
        "125-001",
        Stars.THREE,
        date(2027, 10, 15),
    )
    assert held_certificate_refusal(held, QD148_2023, TODAY) is None


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("stars", "7", "stars: Input should be 1, 2, 3, 4 or 5"),
        ("decided_on", "15/10/2024", "decided_on: "),
        ("applicant_kind", "firm", "applicant_kind: 'firm' is not one of enterprise"),
        ("applicant_email", "hoptien", "applicant_email: value is not a valid email"),
        ("certificate_number", "", "certificate_number: "),
    ],
)
def test_a_bad_value_is_refused_naming_its_column(column: str, value: str, said: str) -> None:
    with pytest.raises(RegisterLineError) as refused:
        register_line(LINE | {column: value}, "quang-ninh")
    assert str(refused.value).startswith(said)
    if column == "decided_on":
        assert "accepted: YYYY-MM-DD" in str(refused.value)


def held(**changes: object) -> HeldCertificate:
    return register_line(LINE, "quang-ninh")[1].model_copy(update=changes)


@pytest.mark.parametrize(
    ("certificate", "said"),
    [
        (held(stars=Stars.FOUR), "stars: the district level does not recognise 4★"),
        (held(level="commune"), "level: 'commune' issues no certificate"),
        (held(valid_from=date(2024, 10, 1)), "valid_from: a certificate is valid from"),
        (
            held(valid_until=date(2027, 10, 16)),
            "valid_until: must fall after valid_from and by 2027-10-15",
        ),
        (
            held(valid_until=date(2025, 11, 30)),
            "valid_until: certificate 125-001 ran out on 2025-11-30",
        ),
    ],
)
def test_only_a_certificate_the_rules_could_have_issued_and_still_in_force_is_loaded(
    certificate: HeldCertificate, said: str
) -> None:
    refusal = held_certificate_refusal(certificate, QD148_2023, TODAY)
    assert refusal is not None and refusal.message.startswith(said)
    assert refusal.type == "CertificateNotLoadable"


def test_a_case_input_holding_a_certificate_the_rules_refuse_is_refused_at_the_edge() -> None:
    with pytest.raises(ValidationError, match=r"holding\.stars: the district level"):
        case_input(holding=held(stars=Stars.FOUR))
    with pytest.raises(ValidationError, match="in no cycle"):
        case_input(holding=held(), cycle_workflow_id="ocop-cycle-quang-ninh-2024")

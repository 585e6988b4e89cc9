"""Who may do what to which case: each access rule's yes, and every way to be refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from models.actors import (
    NOT_PERMITTED,
    Actor,
    ActorRef,
    CaseFacts,
    Role,
    Scope,
    actor_label,
    applicant_key,
    batch_authority,
    close_session_refusal,
    cycle_administration_refusal,
    decision_refusal,
    in_own_name,
    operator_read_refusal,
    own_case_refusal,
    review_refusal,
    scorecard_refusal,
    signing_refusal,
    submission_refusal,
)
from models.case import ReviewAction, ReviewDecision
from models.cycle_messages import CloseCycle
from models.cycle_settings import DecisionAuthority
from models.errors import Refusal
from tests.factories import PRODUCER_EMAIL, council, honey_dossier

pytestmark = pytest.mark.timeout(10)

QN = "quang-ninh"
DISTRICT_COUNCIL = council("district")
PROVINCE_COUNCIL = council("province")
BINH_LIEU_UBND = DecisionAuthority(
    level="district", authority="UBND huyện Bình Liêu", localities=("binh-lieu",)
)
PROVINCE_UBND = DecisionAuthority(level="province", authority="UBND tỉnh Quảng Ninh")


def actor(role: Role, name: str = "Nguyễn Văn An", **scope: Any) -> Actor:
    scope.setdefault("province", QN)
    return Actor(subject=f"sub-{role}", display_name=name, role=role, scope=Scope(**scope))


def producer(email: str = PRODUCER_EMAIL) -> Actor:
    return actor(Role.PRODUCER, "HTX Hợp Tiến", applicant=applicant_key(email))


def member(member_id: str, level: str = "district") -> Actor:
    return actor(Role.COUNCIL_MEMBER, level=level, member_id=member_id)


def authority(name: str, level: str, *localities: str) -> Actor:
    return actor(Role.AUTHORITY, name, level=level, authority=name, localities=localities)


def refused(refusal: Refusal | None, *words: str) -> str:
    assert refusal is not None, "expected a refusal"
    assert refusal.type == NOT_PERMITTED
    for word in words:
        assert word in refusal.message, f"{word!r} not in {refusal.message!r}"
    return refusal.message


CASE = CaseFacts.of("ocop-quang-ninh-MO-BINHLIEU", honey_dossier(), "district")


# ----------------------------------------------------------------------- actors


def test_a_role_needs_its_scope() -> None:
    with pytest.raises(ValidationError, match="reviewer needs a scope with locality"):
        Actor(subject="s", display_name="A", role=Role.REVIEWER, scope=Scope(province=QN))
    with pytest.raises(ValidationError, match="lower case"):
        Scope(province=QN, applicant="HopTien@Example.vn")


def test_actor_ref_keeps_only_subject_and_role() -> None:
    ref = producer().ref
    assert ref == ActorRef(subject="sub-producer", role=Role.PRODUCER)
    assert set(ref.model_dump()) == {"subject", "role"}


def test_case_facts_normalise_the_applicant() -> None:
    assert CASE.applicant == PRODUCER_EMAIL
    assert (CASE.province, CASE.locality, CASE.level) == (QN, "binh-lieu", "district")


# ----------------------------------------------------------------------- cycle


def test_cycle_administration() -> None:
    assert cycle_administration_refusal(actor(Role.ADMINISTRATOR), QN) is None
    refused(
        cycle_administration_refusal(producer(), QN),
        "chủ thể",
        "không được quản lý chu trình OCOP",
        "may not administer the OCOP cycle; required role: administrator",
    )
    refused(
        cycle_administration_refusal(actor(Role.ADMINISTRATOR, province="hai-duong"), QN),
        "tỉnh 'quang-ninh'",
        "scope is 'hai-duong'",
    )


# ----------------------------------------------------------------------- producer


def test_submission() -> None:
    assert submission_refusal(producer(), honey_dossier()) is None
    assert submission_refusal(producer(PRODUCER_EMAIL.upper()), honey_dossier()) is None
    refused(submission_refusal(actor(Role.REVIEWER, locality="binh-lieu"), honey_dossier()))
    refused(
        submission_refusal(producer("dai-yen@example.vn"), honey_dossier()),
        "chỉ được nộp hồ sơ cho chủ thể của mình",
        "only for the applicant they act for",
    )
    other_province = actor(Role.PRODUCER, applicant=PRODUCER_EMAIL, province="hai-duong")
    refused(submission_refusal(other_province, honey_dossier()), "province 'quang-ninh'")


def test_own_case() -> None:
    assert own_case_refusal(producer(), CASE) is None
    refused(
        own_case_refusal(producer("dai-yen@example.vn"), CASE),
        "không phải sản phẩm của chủ thể này",
        "is not a product of the applicant they act for",
        CASE.workflow_id,
    )
    refused(own_case_refusal(actor(Role.OPERATOR), CASE), "required role: producer")


# ----------------------------------------------------------------------- reviewer


def test_review() -> None:
    reviewer = actor(Role.REVIEWER, "Phòng Kinh tế Bình Liêu", locality="binh-lieu")
    assert review_refusal(reviewer, QN, "binh-lieu") is None
    refused(
        review_refusal(reviewer, QN, "tien-yen"),
        "chỉ thẩm định hồ sơ của địa bàn 'binh-lieu', không phải 'tien-yen'",
        "reviews only dossiers of locality 'binh-lieu', not 'tien-yen'",
    )
    refused(review_refusal(reviewer, "hai-duong", "binh-lieu"), "tỉnh 'hai-duong'")
    refused(review_refusal(producer(), QN, "binh-lieu"), "không được thẩm định hồ sơ")


def test_review_refusal_never_echoes_long_input() -> None:
    reviewer = actor(Role.REVIEWER, locality="binh-lieu")
    message = refused(review_refusal(reviewer, QN, "x" * 64))
    assert "x" * 41 not in message and "…" in message


# ----------------------------------------------------------------------- council


def test_scorecard() -> None:
    assert (
        scorecard_refusal(member("district-m1"), DISTRICT_COUNCIL, "district", "district-m1")
        is None
    )
    refused(
        scorecard_refusal(member("district-m1"), DISTRICT_COUNCIL, "district", "district-m2"),
        "chỉ được chấm điểm với tư cách của mình ('district-m1'), không thay cho 'district-m2'",
        "may score only as themselves",
    )
    refused(
        scorecard_refusal(member("district-m9"), DISTRICT_COUNCIL, "district", "district-m9"),
        "không có tên trong hội đồng cấp huyện",
        "is not on the roster of the district council",
    )
    refused(
        scorecard_refusal(member("district-m1"), PROVINCE_COUNCIL, "province", "district-m1"),
        "thuộc hội đồng cấp huyện, không phải hội đồng cấp tỉnh",
    )
    secretary = actor(Role.COUNCIL_SECRETARY, level="district")
    refused(
        scorecard_refusal(secretary, DISTRICT_COUNCIL, "district", "district-m1"),
        "thư ký hội đồng",
        "required role: council_member",
    )


def test_close_session() -> None:
    assert close_session_refusal(member("district-chair"), DISTRICT_COUNCIL) is None
    secretary = actor(Role.COUNCIL_SECRETARY, "Thư ký huyện", level="district")
    assert close_session_refusal(secretary, DISTRICT_COUNCIL) is None
    refused(
        close_session_refusal(member("district-m1"), DISTRICT_COUNCIL),
        "chỉ chủ tịch hoặc thư ký hội đồng được kết thúc phiên họp",
        "only the council's chair or secretary",
    )
    other_secretary = actor(Role.COUNCIL_SECRETARY, level="province")
    refused(
        close_session_refusal(other_secretary, DISTRICT_COUNCIL),
        "thuộc hội đồng cấp tỉnh, không phải hội đồng cấp huyện",
    )


def test_impostor_closing_a_session() -> None:
    """The issue's `closed_by="không phải thư ký"`: a person with no council role."""
    impostor = actor(Role.PRODUCER, "không phải thư ký", applicant=PRODUCER_EMAIL)
    refused(
        close_session_refusal(impostor, DISTRICT_COUNCIL),
        "không phải thư ký (chủ thể / producer)",
        "không được kết thúc phiên họp hội đồng",
        "required role: council_member / council_secretary",
    )


# ----------------------------------------------------------------------- authority


def test_decision() -> None:
    binh_lieu = authority("UBND huyện Bình Liêu", "district", "binh-lieu")
    assert decision_refusal(binh_lieu, "district", BINH_LIEU_UBND, "binh-lieu") is None
    province = authority("UBND tỉnh Quảng Ninh", "province")
    assert decision_refusal(province, "province", PROVINCE_UBND, "tien-yen") is None
    refused(
        decision_refusal(binh_lieu, "district", BINH_LIEU_UBND, "tien-yen"),
        "địa bàn 'tien-yen' không thuộc thẩm quyền",
        "outside this authority's localities",
    )
    refused(
        decision_refusal(province, "district", BINH_LIEU_UBND, "binh-lieu"),
        "quyết định cấp huyện do UBND huyện Bình Liêu ký",
    )
    tien_yen = authority("UBND huyện Tiên Yên", "district", "tien-yen")
    refused(decision_refusal(tien_yen, "district", BINH_LIEU_UBND, "binh-lieu"), "Bình Liêu ký")


def test_impostor_recognising_and_someone_revoking() -> None:
    """The issue's "Kẻ Mạo Danh (impostor)" and "Ai đó": names that are no authority."""
    impostor = authority("Kẻ Mạo Danh (impostor)", "province")
    refused(
        decision_refusal(impostor, "province", PROVINCE_UBND, "binh-lieu"),
        "Kẻ Mạo Danh (impostor) (cơ quan có thẩm quyền / authority)",
        "signed by UBND tỉnh Quảng Ninh",
    )
    someone = actor(Role.OPERATOR, "Ai đó")
    refused(
        decision_refusal(someone, "province", PROVINCE_UBND, "binh-lieu"),
        "Ai đó (vận hành hệ thống / operator)",
        "không được ký quyết định công nhận/thu hồi",
        "required role: authority",
    )


# ----------------------------------------------------------------------- operator


def test_operator_read() -> None:
    assert operator_read_refusal(actor(Role.OPERATOR), QN) is None
    refused(operator_read_refusal(actor(Role.OPERATOR), "hai-duong"), "tỉnh 'hai-duong'")
    refused(operator_read_refusal(producer(), QN), "required role: operator")


def test_a_case_checks_the_decision_against_its_signer_alone() -> None:
    """`signing_refusal`: what a case knows without its cycle — the decision's level and
    authority, and the product's place."""
    district = authority("UBND huyện Bình Liêu", "district", "binh-lieu")
    place = {"province": "quang-ninh", "locality": "binh-lieu"}
    assert (
        signing_refusal(district, level="district", authority="UBND huyện Bình Liêu", **place)
        is None
    )
    refused(
        signing_refusal(district, level="district", authority="Kẻ Mạo Danh (impostor)", **place),
        "quyết định cấp huyện do Kẻ Mạo Danh (impostor) ký",
    )
    refused(
        signing_refusal(
            district,
            level="district",
            authority="UBND huyện Bình Liêu",
            province="quang-ninh",
            locality="tien-yen",
        ),
        "outside this authority's localities",
    )
    elsewhere = actor(
        Role.AUTHORITY,
        "UBND tỉnh Hải Dương",
        level="province",
        authority="UBND tỉnh",
        province="hai-duong",
    )
    refused(
        signing_refusal(elsewhere, level="province", authority="UBND tỉnh", **place),
        "of province 'quang-ninh'",
    )
    ministry = actor(Role.AUTHORITY, "Bộ NN&MT", level="central", authority="Bộ NN&MT")
    assert signing_refusal(ministry, level="central", authority="Bộ NN&MT", **place) is None


def test_a_cycles_batch_signs_as_the_authority_its_settings_name() -> None:
    signer = batch_authority("district", "UBND huyện Bình Liêu", "district:binh-lieu")
    assert signer.role == Role.AUTHORITY and signer.subject == "cycle-batch:district:binh-lieu"
    place = {"province": "quang-ninh", "locality": "binh-lieu"}
    assert (
        signing_refusal(signer, level="district", authority="UBND huyện Bình Liêu", **place) is None
    )
    assert signing_refusal(signer, level="province", authority="UBND huyện Bình Liêu", **place)
    assert actor_label(signer) == "UBND huyện Bình Liêu (authority, cycle-batch:district:binh-lieu)"


def test_a_certificates_public_status_reads_the_record_then_the_calendar() -> None:
    from models.public_certificate import PublicStatus, public_status
    from models.records import CertificateStatus

    until = date(2027, 3, 1)
    active = CertificateStatus.ACTIVE
    assert public_status(active, until, date(2025, 1, 1)) == PublicStatus.VALID
    assert public_status(active, until, date(2026, 9, 2)) == PublicStatus.EXPIRING  # 180 days
    assert public_status(active, until, date(2026, 9, 1)) == PublicStatus.VALID
    # Its last valid day is `until` itself (models.validity): it expires the day after.
    assert public_status(active, until, until) == PublicStatus.EXPIRING
    assert public_status(active, until, date(2027, 3, 2)) == PublicStatus.EXPIRED
    assert public_status(CertificateStatus.EXPIRED, until, until) == PublicStatus.EXPIRED
    assert public_status(CertificateStatus.REVOKED, until, date(2025, 1, 1)) == PublicStatus.REVOKED
    assert public_status(CertificateStatus.LAPSED, until, until) == PublicStatus.LAPSED


def test_a_step_names_its_verified_actor_whatever_the_client_wrote() -> None:
    office = actor(Role.REVIEWER, "Phòng Nông nghiệp huyện Bình Liêu", locality="binh-lieu")
    claimed = ReviewDecision(action=ReviewAction.ACCEPT, reviewer="Kẻ Mạo Danh (impostor)")
    assert in_own_name(claimed, office).reviewer == "Phòng Nông nghiệp huyện Bình Liêu"
    closing = in_own_name(
        CloseCycle(closed_by="Ai đó", reason="Hết năm"), actor(Role.ADMINISTRATOR)
    )
    assert (closing.closed_by, closing.reason) == ("Nguyễn Văn An", "Hết năm")
    # A step without a name field is left as it is.
    dossier = honey_dossier()
    assert in_own_name(dossier, producer()) is dossier

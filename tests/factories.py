"""Realistic test data: products, councils and cases as a provincial office would have them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from models.applicants import RegistrationKind
from models.case import CasePolicy, Contact, LifecycleInput
from models.catalogue import DocumentKind, required_documents
from models.council import Council, CouncilMember, CouncilRole
from models.dossier import Applicant, DocumentRef, Dossier
from models.local_assessment import LocalAssessment, LocalCriterion, LocalFinding
from models.rulebook import QD148_2023, Rulebook
from models.scorecard import PartMaxima, Scorecard

PRODUCER_EMAIL = "hoptien@example.vn"
ADMIN_EMAIL = "vanphong.ocop@quangninh.example.vn"
START = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


def document(kind: DocumentKind, name: str | None = None) -> DocumentRef:
    file_name = name or f"{kind.value}.pdf"
    return DocumentRef(
        file_name=file_name,
        kind=kind,
        sha256=hashlib.sha256(file_name.encode()).hexdigest(),
        size_bytes=48_213,
    )


def honey_dossier(
    *,
    complete: bool = True,
    registration_kind: RegistrationKind = RegistrationKind.FIRST,
    current_stars: int | None = None,
    locality: str = "binh-lieu",
    language: str = "vi",
) -> Dossier:
    """Mật ong rừng Bình Liêu of HTX Hợp Tiến, Quảng Ninh: a real 3★ product."""
    needed = sorted(required_documents("food", registration_kind))
    kinds = needed if complete else [k for k in needed if k != DocumentKind.TEST_RESULTS]
    return Dossier(
        province="quang-ninh",
        locality=locality,
        product_code="MO-BINHLIEU",
        product_name="Mật ong rừng Bình Liêu",
        applicant=Applicant(
            name="HTX Hợp Tiến",
            kind="cooperative",
            email=PRODUCER_EMAIL,
            preferred_language=language,
        ),
        group="food",
        product_set="processed_food",
        registration_kind=registration_kind,
        current_stars=current_stars,
        documents=tuple(document(kind) for kind in kinds),
    )


def council(level: str, size: int = 5) -> Council:
    members = [
        CouncilMember(
            member_id=f"{level}-chair",
            name=f"Chủ tịch hội đồng {level}",
            email=f"{level}.chair@example.vn",
            role=CouncilRole.CHAIR,
        )
    ]
    members += [
        CouncilMember(
            member_id=f"{level}-m{i}",
            name=f"Thành viên {i} ({level})",
            email=f"{level}.m{i}@example.vn",
        )
        for i in range(1, size)
    ]
    return Council(level=level, members=tuple(members))


def case_input(
    dossier: Dossier | None = None,
    rulebook: Rulebook = QD148_2023,
    policy: CasePolicy | None = None,
    **changes: Any,
) -> LifecycleInput:
    scoring = [level.name for level in rulebook.levels if level.scores]
    fields: dict[str, Any] = {
        "dossier": dossier or honey_dossier(),
        "rulebook": rulebook,
        "policy": policy or CasePolicy(),
        "councils": tuple(council(level) for level in scoring),
        "administrators": (Contact(name="Văn phòng điều phối OCOP", email=ADMIN_EMAIL),),
        "cycle_year": 2024,
        "business_start": START,
    }
    return LifecycleInput(**(fields | changes))


def scorecard_for_total(
    member_id: str, level: str, total: int, maxima: PartMaxima, mandatory: bool = True
) -> Scorecard:
    """A plausible scorecard reaching `total`: parts filled in proportion to their maxima."""
    part_a = min(maxima.part_a, round(total * maxima.part_a / 100))
    part_b = min(maxima.part_b, round(total * maxima.part_b / 100))
    part_c = total - part_a - part_b
    if part_c > maxima.part_c:
        part_a += part_c - maxima.part_c
        part_c = maxima.part_c
    return Scorecard(
        member_id=member_id,
        level=level,
        part_a=part_a,
        part_b=part_b,
        part_c=part_c,
        mandatory_criteria_met=mandatory,
    )


def local_assessment(
    commune: str = "UBND xã Bình Liêu", unmet: tuple[str, ...] = ()
) -> LocalAssessment:
    """The commune's findings on the four local-origin criteria (2025 rules), with its
    evaluation report; those named in `unmet` are found not met."""
    return LocalAssessment(
        assessed_by=commune,
        findings=tuple(
            LocalFinding(
                criterion=criterion,
                met=criterion.value not in unmet,
                note="Nguyên liệu mật ong khai thác tại rừng Bình Liêu"
                if criterion == LocalCriterion.ORIGIN
                else "",
            )
            for criterion in LocalCriterion
        ),
        report=document(DocumentKind.OTHER, "bien-ban-danh-gia-cua-xa.pdf"),
    )

"""The benchmark's province: its calendar, councils, authorities and N products.

Its own data, not the tests': every product is a processed food with each document a
first round needs, so the district accepts it at once; every council has COUNCIL_SIZE
members, the chair first.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Final

from benchmarks.fanout.figures import Options
from models.applicants import ApplicantKind, RegistrationKind
from models.case import CasePolicy, Contact
from models.catalogue import DocumentKind, required_documents
from models.clock import start_of_day
from models.council import Council, CouncilMember, CouncilRole
from models.cycle_calendar import DECISION_TIME
from models.cycle_settings import CycleSettings, DecisionAuthority
from models.dossier import Applicant, DocumentRef, Dossier
from models.rulebook import QD148_2023
from models.scorecard import PartMaxima, Scorecard

YEAR: Final = 2024
LEVEL: Final = "district"
RECOGNITION_DAY: Final = date(YEAR, 4, 15)
DECISION_MOMENT: Final = start_of_day(RECOGNITION_DAY) + DECISION_TIME
"""When the cycle signs the district's decision(s): midday of the recognition date."""

BUSINESS_LEAD: Final = timedelta(days=20)
"""Business time from the cycle's start to the decision moment, whatever the real lead:
the cycle starts on 26 March (inside the March–June window) and 20 days stay clear of
the cases' 30-day review and council deadlines, so no overdue e-mail fires during setup."""

BUSINESS_START: Final = DECISION_MOMENT - BUSINESS_LEAD

COUNCIL_SIZE: Final = 4
SCORES: Final = (62, 60, 65)
"""The district council's totals: 3 of 4 members is a quorum (¾ with the chair); mean 62
is 3★, below the 70 that would send the product up to the province."""


def district_code(index: int) -> str:
    return f"huyen-{index:02d}"


def product_code(index: int) -> str:
    return f"SP-{index:05d}"


def cycle_settings(options: Options, concurrency: int, lead_s: float) -> CycleSettings:
    """A province with councils at every level and one decision authority per district.

    Every district numbers from 1 with the same prefix, as People's Committees do: the
    cycle keeps their decisions apart by authority.
    """
    authorities = tuple(
        DecisionAuthority(
            level=LEVEL,
            authority=f"UBND huyện {index:02d}",
            localities=(district_code(index),),
        )
        for index in range(1, options.districts + 1)
    )
    return CycleSettings(
        rulebook=QD148_2023,
        councils=tuple(council(level) for level in ("district", "province", "central")),
        administrators=(
            Contact(name="Văn phòng điều phối OCOP", email="vanphong.ocop@bench.example.vn"),
        ),
        policy=CasePolicy(clock_speed=BUSINESS_LEAD.total_seconds() / lead_s),
        authorities=authorities,
        recognition_concurrency=concurrency,
        fanout_chunk=options.fanout_chunk,
    )


def council(level: str, size: int = COUNCIL_SIZE) -> Council:
    """The level's council: its chair, then members m1, m2, …"""
    chair = CouncilMember(
        member_id=f"{level}-chair",
        name=f"Chủ tịch hội đồng {level}",
        email=f"{level}.chair@bench.example.vn",
        role=CouncilRole.CHAIR,
    )
    members = [
        CouncilMember(
            member_id=f"{level}-m{i}",
            name=f"Thành viên {i} ({level})",
            email=f"{level}.m{i}@bench.example.vn",
        )
        for i in range(1, size)
    ]
    return Council(level=level, members=(chair, *members))


def document(kind: DocumentKind, owner: str) -> DocumentRef:
    """A reference to one of a product's documents (the files themselves are not needed)."""
    file_name = f"{owner.lower()}-{kind.value}.pdf"
    return DocumentRef(
        file_name=file_name,
        kind=kind,
        sha256=hashlib.sha256(file_name.encode()).hexdigest(),
        size_bytes=48_213,
    )


def dossier(province: str, index: int, districts: int) -> Dossier:
    """Product `index` of one of the districts: complete, so the review can accept it."""
    code = product_code(index)
    needed = sorted(required_documents("food", RegistrationKind.FIRST))
    return Dossier(
        province=province,
        locality=district_code(1 + index % districts),
        product_code=code,
        product_name=f"Sản phẩm OCOP số {index}",
        applicant=Applicant(
            name=f"HTX số {index}", kind=ApplicantKind.COOPERATIVE, email=f"{code.lower()}@bench.vn"
        ),
        group="food",
        product_set="processed_food",
        documents=tuple(document(kind, code) for kind in needed),
    )


def scorecard(member_id: str, total: int, maxima: PartMaxima) -> Scorecard:
    """A district scorecard of `total` points, its parts in proportion to their maxima,
    every mandatory 3★ criterion met (for the totals of SCORES, well below 100)."""
    part_a = total * maxima.part_a // 100
    part_b = total * maxima.part_b // 100
    return Scorecard(
        member_id=member_id,
        level=LEVEL,
        part_a=part_a,
        part_b=part_b,
        part_c=total - part_a - part_b,
        mandatory_criteria_met=True,
    )

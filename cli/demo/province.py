"""Quảng Ninh for the demo: its offices, councils, decision authorities and 38 products.

The products are Quảng Ninh specialties; the producers named in docs/architecture.md
are real, the other producers' names are illustrative, and every score and outcome is
invented. The mix follows the real figures: about three quarters 3★, a quarter 4★,
one 5★; a quarter enterprises, the rest cooperatives and households (Quảng Ninh 2022:
54 enterprises, 87 cooperatives, 78 households).

Each product carries its script: when it is submitted, what the district finds in the
dossier, the total the councils give it, and what becomes of its certificate.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from models.admin_units import ministry_on
from models.applicants import ApplicantKind, RegistrationKind
from models.case import CasePolicy, Contact
from models.catalogue import DocumentKind, required_documents
from models.council import Council, CouncilMember, CouncilRole
from models.cycle_calendar import CycleTargets
from models.cycle_settings import CycleSettings, DecisionAuthority
from models.dossier import Applicant, DocumentRef, Dossier
from models.local_assessment import LocalAssessment, LocalCriterion, LocalFinding
from models.rulebook import QD148_2023, Rulebook, rulebook_in_force
from models.scorecard import PartMaxima, Scorecard

RULEBOOK: Rulebook = QD148_2023
"""The rules of the 2024 cycle; the 2027 cycle runs under Decision 1489/2025
(`rules_of`): communes review, the province's council scores and decides 3★ and 4★."""
PROVINCE_VI = "Quảng Ninh"
PROVINCE_AUTHORITY = "UBND tỉnh Quảng Ninh"
REMINDER_DAYS = (180, 90, 30)
"""Official minimum is 30 days; the province also writes when re-evaluation opens."""


@dataclass(frozen=True)
class District:
    code: str
    name: str  # as in "UBND {name}"
    first_number: int  # where its decision numbers start in a cycle


DISTRICTS: dict[str, District] = {
    d.code: d
    for d in (
        District("ha-long", "thành phố Hạ Long", 3010),
        District("cam-pha", "thành phố Cẩm Phả", 1520),
        District("uong-bi", "thành phố Uông Bí", 2040),
        District("mong-cai", "thành phố Móng Cái", 1730),
        District("dong-trieu", "thị xã Đông Triều", 960),
        District("quang-yen", "thị xã Quảng Yên", 1180),
        District("van-don", "huyện Vân Đồn", 418),
        District("tien-yen", "huyện Tiên Yên", 655),
        District("binh-lieu", "huyện Bình Liêu", 125),
        District("dam-ha", "huyện Đầm Hà", 372),
        District("hai-ha", "huyện Hải Hà", 814),
        District("ba-che", "huyện Ba Chẽ", 290),
        District("co-to", "huyện Cô Tô", 86),
    )
}


class Fate(StrEnum):
    """What becomes of a certificate after the cycle."""

    LAPSE = "lapse"  # nobody re-evaluates
    REEVALUATE = "reevaluate"  # through the 2027 cycle
    REVOKE = "revoke"  # a post-inspection finds a fault


@dataclass(frozen=True)
class Entry:
    """A product entered in the 2024 cycle, and its script."""

    code: str
    name: str
    applicant: str
    kind: ApplicantKind
    locality: str
    group: str
    product_set: str
    submitted: date
    quality: int  # the councils' total, around which members score
    missing: DocumentKind | None = None  # the district asks for it
    supplies: bool = True  # False: the producer never brings it
    rejected: str = ""  # the district's reason for rejecting the dossier
    mandatory_met: bool = True
    disputed_at: str = ""  # the level whose first scoring diverges
    fate: Fate = Fate.LAPSE
    reevaluated: int = 0  # the total at re-evaluation
    reevaluation_submitted: date | None = None

    @property
    def district(self) -> District:
        return DISTRICTS[self.locality]

    @property
    def email(self) -> str:
        return f"{self.code.lower()}@ocop-quangninh.example.vn"

    @property
    def phone(self) -> str:
        """An invented landline of Quảng Ninh (area code 0203), the same on every run."""
        digits = int.from_bytes(hashlib.sha256(self.code.encode()).digest()[:4]) % 10**7
        return f"0203 {digits:07d}"


HH = ApplicantKind.HOUSEHOLD
COOP = ApplicantKind.COOPERATIVE
ENT = ApplicantKind.ENTERPRISE
GROUP = ApplicantKind.COOPERATIVE_GROUP
D = date

# fmt: off
ENTRIES: tuple[Entry, ...] = (
    Entry("MO-BINHLIEU", "Mật ong rừng Bình Liêu", "HTX Hợp Tiến", COOP,
          "binh-lieu", "food", "raw_semi_processed", D(2024, 3, 5), 62,
          missing=DocumentKind.TEST_RESULTS, fate=Fate.REEVALUATE, reevaluated=64,
          reevaluation_submitted=D(2027, 5, 12)),
    Entry("MAM-NGU-DAIYEN", "Mắm ngự Đại Yên", "Công ty CP Thủy sản Đại Yên", ENT,
          "ha-long", "food", "condiments", D(2024, 3, 7), 60, fate=Fate.REEVALUATE, reevaluated=77,
          reevaluation_submitted=D(2027, 5, 14)),
    Entry("VIETCOR-VIENNANG", "Viên nang Đông trùng hạ thảo Vietcor", "HTX Việt Hoàng", COOP,
          "ha-long", "herbal", "health_supplements", D(2024, 3, 11), 75, fate=Fate.REVOKE),
    Entry("CHA-MUC-HALONG", "Chả mực Hạ Long", "Công ty CP Chả mực Hạ Long", ENT,
          "ha-long", "food", "processed_food", D(2024, 3, 13), 92, disputed_at="province",
          fate=Fate.REEVALUATE, reevaluated=93, reevaluation_submitted=D(2027, 6, 22)),
    Entry("MIEN-DONG-BL", "Miến dong Bình Liêu", "HTX Miến dong Hoàng Tiến", COOP,
          "binh-lieu", "food", "processed_food", D(2024, 3, 15), 76, fate=Fate.REEVALUATE,
          reevaluated=79, reevaluation_submitted=D(2027, 6, 3)),
    Entry("DAU-SO-BL", "Dầu sở Bình Liêu", "Hộ kinh doanh Vi Thị Sáu", HH,
          "binh-lieu", "food", "condiments", D(2024, 3, 19), 58),
    Entry("TRA-HOAVANG-BC", "Trà hoa vàng Ba Chẽ", "Công ty TNHH Trà hoa vàng Ba Chẽ", ENT,
          "ba-che", "food", "tea", D(2024, 3, 21), 81, fate=Fate.REEVALUATE, reevaluated=83,
          reevaluation_submitted=D(2027, 6, 5)),
    Entry("BA-KICH-BC", "Ba kích tím Ba Chẽ", "HTX Dược liệu Ba Chẽ", COOP,
          "ba-che", "herbal", "raw_herbs", D(2024, 3, 25), 66),
    Entry("RUOU-BAKICH-BC", "Rượu ba kích Ba Chẽ", "Hộ sản xuất Bàn Văn Thành", HH,
          "ba-che", "beverages", "alcoholic", D(2024, 3, 27), 55,
          missing=DocumentKind.QUALITY_DECLARATION),
    Entry("TINHDAU-QUE-BC", "Tinh dầu quế Ba Chẽ", "Tổ hợp tác quế Thanh Sơn", GROUP,
          "ba-che", "herbal", "herbal_cosmetics", D(2024, 3, 29), 57),
    Entry("GA-TIENYEN", "Gà Tiên Yên", "HTX Gà Tiên Yên", COOP,
          "tien-yen", "food", "fresh_produce", D(2024, 4, 2), 74, fate=Fate.REEVALUATE,
          reevaluated=75, reevaluation_submitted=D(2027, 6, 7)),
    Entry("KHAN-THEU-DAO", "Khăn thêu người Dao Thanh Phán", "HTX Thêu Dao Tiên Yên", COOP,
          "tien-yen", "handicrafts", "textiles", D(2024, 4, 4), 62),
    Entry("BANH-GATGU-TY", "Bánh gật gù Tiên Yên", "Hộ kinh doanh Hoàng Thị Lan", HH,
          "tien-yen", "food", "processed_food", D(2024, 4, 8), 53),
    Entry("CHE-QUANGLONG", "Chè Quảng Long Hải Hà", "HTX Chè Quảng Long", COOP,
          "hai-ha", "food", "tea", D(2024, 4, 10), 64),
    Entry("DUA-CHUA-HH", "Dưa cải chua Hải Hà", "Hộ kinh doanh Lục Văn Tài", HH,
          "hai-ha", "food", "processed_food", D(2024, 4, 12), 44),
    Entry("NGAN-DAMHA", "Ngán Đầm Hà", "Hộ kinh doanh Nguyễn Văn Hải", HH,
          "dam-ha", "food", "fresh_produce", D(2024, 4, 16), 54),
    Entry("GA-DOI-DAMHA", "Gà đồi Đầm Hà", "HTX Nông nghiệp Đầm Hà", COOP,
          "dam-ha", "food", "fresh_produce", D(2024, 4, 18), 56),
    Entry("SA-SUNG-VD", "Sá sùng khô Vân Đồn", "Hộ kinh doanh Trần Văn Quý", HH,
          "van-don", "food", "raw_semi_processed", D(2024, 4, 22), 63, fate=Fate.REEVALUATE,
          reevaluated=65, reevaluation_submitted=D(2027, 5, 17)),
    Entry("NUOC-MAM-CAIRONG", "Nước mắm Cái Rồng", "Công ty TNHH Nước mắm Cái Rồng", ENT,
          "van-don", "food", "condiments", D(2024, 4, 24), 77, fate=Fate.REEVALUATE, reevaluated=66,
          reevaluation_submitted=D(2027, 6, 10)),
    Entry("HAU-SUA-VD", "Hàu sữa Vân Đồn", "Công ty CP Hàu Vân Đồn", ENT,
          "van-don", "food", "fresh_produce", D(2024, 4, 26), 57),
    Entry("SA-SUNG-QUANLAN", "Sá sùng Quan Lạn", "Hộ kinh doanh Phạm Thị Nga", HH,
          "van-don", "food", "raw_semi_processed", D(2024, 5, 2), 66),
    Entry("MUC-KHO-COTO", "Mực khô Cô Tô", "Hộ kinh doanh Lê Văn Hùng", HH,
          "co-to", "food", "raw_semi_processed", D(2024, 5, 6), 59),
    Entry("RONG-BIEN-COTO", "Rong biển Cô Tô", "Tổ hợp tác rong biển Thanh Lân", GROUP,
          "co-to", "food", "raw_semi_processed", D(2024, 5, 8), 63,
          missing=DocumentKind.FOOD_SAFETY_CERTIFICATE, supplies=False),
    Entry("RUOU-MO-YENTU", "Rượu mơ Yên Tử", "Công ty CP Rượu Yên Tử", ENT,
          "uong-bi", "beverages", "alcoholic", D(2024, 5, 10), 73),
    Entry("MAI-VANG-YENTU", "Mai vàng Yên Tử", "HTX Mai vàng Yên Tử", COOP,
          "uong-bi", "ornamental", "ornamental_plants", D(2024, 5, 14), 63),
    Entry("VAI-PHUONGNAM", "Vải chín sớm Phương Nam", "HTX Nông nghiệp Phương Nam", COOP,
          "uong-bi", "food", "fresh_produce", D(2024, 5, 16), 56),
    Entry("GOM-DONGTRIEU", "Gốm Đông Triều", "Công ty CP Gốm Đông Triều", ENT,
          "dong-trieu", "handicrafts", "furniture_decoration", D(2024, 5, 20), 72),
    Entry("NEP-CAI-DT", "Gạo nếp cái hoa vàng Đông Triều", "HTX Nông nghiệp Đông Triều", COOP,
          "dong-trieu", "food", "raw_semi_processed", D(2024, 5, 22), 65, fate=Fate.REEVALUATE,
          reevaluated=67, reevaluation_submitted=D(2027, 5, 19)),
    Entry("MIEN-KHOAI-DT", "Miến khoai Đông Triều", "Hộ kinh doanh Vũ Thị Hằng", HH,
          "dong-trieu", "food", "processed_food", D(2024, 5, 24), 63, mandatory_met=False),
    Entry("RUOC-TOM-QY", "Ruốc tôm Quảng Yên", "Hộ kinh doanh Đỗ Văn Bình", HH,
          "quang-yen", "food", "processed_food", D(2024, 5, 28), 52),
    Entry("CHA-CA-QY", "Chả cá Quảng Yên", "HTX Thủy sản Quảng Yên", COOP,
          "quang-yen", "food", "processed_food", D(2024, 5, 30), 61,
          missing=DocumentKind.TEST_RESULTS),
    Entry("CHA-CA-THU-CP", "Chả cá thu Cẩm Phả", "Công ty TNHH Thủy sản Cẩm Phả", ENT,
          "cam-pha", "food", "processed_food", D(2024, 6, 4), 64),
    Entry("TRA-THAOMOC-CP", "Trà thảo mộc Cẩm Phả", "Hộ kinh doanh Ngô Văn Toàn", HH,
          "cam-pha", "food", "tea", D(2024, 6, 6), 58,
          rejected="sản phẩm là hàng mua về đóng gói lại, không do chủ thể sản xuất"),
    Entry("NUOC-MAM-TRACO", "Nước mắm Trà Cổ", "HTX Hải sản Trà Cổ", COOP,
          "mong-cai", "food", "condiments", D(2024, 6, 10), 61),
    Entry("TRA-HOAVANG-HB", "Trà hoa vàng Hoành Bồ", "HTX Dược liệu Hoành Bồ", COOP,
          "ha-long", "food", "tea", D(2024, 6, 12), 78),
    Entry("DULICH-DONGVAN", "Du lịch cộng đồng Đồng Văn", "HTX Du lịch Đồng Văn", COOP,
          "binh-lieu", "tourism", "community_tourism", D(2024, 6, 14), 59),
    Entry("SUA-CHUA-MC", "Sữa chua nếp cẩm Móng Cái", "Hộ kinh doanh Hà Thị Mai", HH,
          "mong-cai", "food", "processed_food", D(2024, 6, 18), 57),
    Entry("CHA-GIO-HALONG", "Chả giò hải sản Hạ Long", "Công ty TNHH Thực phẩm Vịnh Xanh", ENT,
          "ha-long", "food", "processed_food", D(2024, 6, 20), 60),
)
# fmt: on
"""38 dossiers: 34 recognised (25 3★, 8 4★, 1 5★), one 2★ on points, one failing the
mandatory criteria, one rejected, one returned without its supplement."""

REVOCATION_ON = D(2025, 9, 10)
REVOCATION_DETAILS = "Hậu kiểm: hàm lượng cordycepin thấp hơn mức đã công bố"
LATE_SUBMISSION_ON = D(2024, 7, 8)
LATE_ENTRY = Entry(
    "NEM-CHUA-QY",
    "Nem chua Quảng Yên",
    "Hộ kinh doanh Bùi Thị Tươi",
    HH,
    "quang-yen",
    "food",
    "processed_food",
    LATE_SUBMISSION_ON,
    60,
)
NEXT_CYCLE_OPENS = D(2027, 2, 20)  # when the office starts the 2027 cycle


# ----------------------------------------------------------------------- builders


def demo_province(run: int) -> str:
    """Each run is a rehearsal province of its own, so runs never collide."""
    return f"quang-ninh-demo{run}"


def administrators(province: str) -> tuple[Contact, ...]:
    return (
        Contact(
            name="Văn phòng Điều phối OCOP tỉnh Quảng Ninh", email=f"vpdp@{province}.example.vn"
        ),
        Contact(
            name="OCOP Coordination Office (international desk)",
            email=f"coordinator@{province}.example.vn",
            language="en",
        ),
    )


def rules_of(year: int) -> Rulebook:
    """The rulebook a cycle of that year opens under (1489/2025 from 6 July 2025)."""
    return rulebook_in_force(date(year, 3, 1))


def commune_office(district: District) -> str:
    """Who reviews a dossier from a former district under the 2025 rules: the commune
    where the product is made (the demo does not name the new communes)."""
    return f"UBND xã nơi sản xuất (địa bàn {district.name} cũ)"


def councils(province: str, rules: Rulebook = RULEBOOK) -> tuple[Council, ...]:
    """Five members per scoring level, the chair first: quorum (3/4) is four with the chair."""
    names = {
        "district": (
            "Phó Chủ tịch UBND cấp huyện",
            "Trưởng phòng Nông nghiệp và PTNT",
            "Trưởng phòng Kinh tế và Hạ tầng",
            "Giám đốc Trung tâm Y tế",
            "Trưởng phòng Văn hóa và Thông tin",
        ),
        "province": (
            "Phó Chủ tịch UBND tỉnh",
            "Giám đốc Sở Nông nghiệp và PTNT",
            "Giám đốc Sở Công Thương",
            "Giám đốc Sở Khoa học và Công nghệ",
            "Giám đốc Sở Văn hóa và Thể thao",
        ),
        "central": (
            "Thứ trưởng Bộ Nông nghiệp và PTNT",
            "Văn phòng Điều phối nông thôn mới TW",
            "Cục Chế biến và Phát triển thị trường nông sản",
            "Bộ Công Thương",
            "Bộ Khoa học và Công nghệ",
        ),
    }
    return tuple(
        Council(
            level=level,
            members=tuple(
                CouncilMember(
                    member_id=f"{level}-{index}",
                    name=name,
                    email=f"hoidong.{level}.{index}@{province}.example.vn",
                    role=CouncilRole.CHAIR if index == 0 else CouncilRole.MEMBER,
                )
                for index, name in enumerate(people)
            ),
        )
        for level, people in names.items()
        if any(rule.name == level and rule.scores for rule in rules.levels)
    )


def authorities(run: int, year: int) -> tuple[DecisionAuthority, ...]:
    """Each district decides for itself; numbers move on with every run. The ministry is
    the one of the cycle's year (Bộ Nông nghiệp và Môi trường from 1 March 2025)."""
    shift = 10 * (run % 500)
    ministry = ministry_on(date(year, 12, 31))
    districts_decide = any(rule.name == "district" for rule in rules_of(year).levels)
    return (
        *(
            DecisionAuthority(
                level="district",
                authority=f"UBND {d.name}",
                first_number=d.first_number + shift,
                localities=(d.code,),
            )
            for d in DISTRICTS.values()
            if districts_decide
        ),
        DecisionAuthority(
            level="province", authority=PROVINCE_AUTHORITY, first_number=2650 + shift
        ),
        DecisionAuthority(
            level="central",
            authority=ministry.name_vi,
            prefix=ministry.decision_suffix,
            first_number=410 + shift,
        ),
    )


def cycle_settings(run: int, province: str, year: int, targets: CycleTargets) -> CycleSettings:
    """The rehearsal's cycle: official durations on a paced calendar (see `pacer`)."""
    rules = rules_of(year)
    return CycleSettings(
        rulebook=rules,
        councils=councils(province, rules),
        administrators=administrators(province),
        targets=targets,
        policy=CasePolicy(paced_calendar=True, reminder_days=REMINDER_DAYS),
        authorities=authorities(run, year),
        # The districts' offices review in 2024; from July 2025 any commune may.
        localities=tuple(DISTRICTS) if rules == RULEBOOK else (),
        recognition_concurrency=20,
    )


TARGETS_2024 = CycleTargets(
    submissions=40, three_stars_or_more=30, four_stars_or_more=10, five_stars=1
)
TARGETS_2027 = CycleTargets(submissions=8, three_stars_or_more=8)


def document(kind: DocumentKind, owner: str) -> DocumentRef:
    file_name = f"{owner.lower()}-{kind.value}.pdf"
    return DocumentRef(
        file_name=file_name,
        kind=kind,
        sha256=hashlib.sha256(file_name.encode()).hexdigest(),
        size_bytes=180_000 + len(file_name) * 1_000,
    )


def local_assessment(office: str, code: str) -> LocalAssessment:
    """The commune's findings on the four local-origin criteria, all met, and its report."""
    return LocalAssessment(
        assessed_by=office,
        findings=tuple(LocalFinding(criterion=criterion, met=True) for criterion in LocalCriterion),
        report=document(DocumentKind.OTHER, f"{code}-bien-ban-danh-gia-xa"),
    )


def dossier(
    entry: Entry,
    province: str,
    kind: RegistrationKind = RegistrationKind.FIRST,
    current_stars: int | None = None,
) -> Dossier:
    needed = sorted(required_documents(entry.group, kind))
    leave_out = entry.missing if kind == RegistrationKind.FIRST else None
    return Dossier(
        province=province,
        locality=entry.locality,
        product_code=entry.code,
        product_name=entry.name,
        applicant=Applicant(
            name=entry.applicant, kind=entry.kind, email=entry.email, phone=entry.phone
        ),
        group=entry.group,
        product_set=entry.product_set,
        registration_kind=kind,
        current_stars=current_stars,
        documents=tuple(document(k, entry.code) for k in needed if k != leave_out),
    )


def member_totals(entry: Entry, level: str, quality: int, attempt: int = 1) -> tuple[int, ...]:
    """Four members' totals around `quality`, the same on every run (seeded by product)."""
    seed = int.from_bytes(hashlib.sha256(f"{entry.code}:{level}:{attempt}".encode()).digest()[:8])
    spread = random.Random(seed)
    if entry.disputed_at == level and attempt == 1:
        return (quality + 3, quality - 10, quality + 1, quality - 1)  # 13 points apart
    return tuple(min(100, quality + spread.randint(-2, 2)) for _ in range(4))


def scorecard(member_id: str, level: str, total: int, maxima: PartMaxima, met: bool) -> Scorecard:
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
        mandatory_criteria_met=met,
    )

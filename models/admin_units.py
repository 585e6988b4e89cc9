"""Administrative units and authorities as dated data, with their successors.

From 1 July 2025 Vietnam has 34 provincial units instead of 63 (Nghị quyết
202/2025/QH15 on the arrangement of provincial units): 23 new units each took the name
of one of those merged into it (Hải Dương became part of Hải Phòng, Yên Bái of Lào Cai,
Hậu Giang and Sóc Trăng of Cần Thơ, …), 11 stayed as they were. Thừa Thiên Huế became
the centrally-run city of Huế on 1 January 2025 (Nghị quyết 1314/NQ-UBTVQH15). District
level units ended on the same 1 July 2025 (the 2025 amendment of the Constitution and
the Law on the Organisation of Local Government 2025); their OCOP functions passed to
the province, which under Decision 1489/QĐ-TTg recognises 3★ and 4★ products, so a
district's successor here is its province. The ministry became Bộ Nông nghiệp và Môi
trường on 1 March 2025 (Nghị quyết 176/2025/QH15; Nghị định 35/2025/NĐ-CP), its
decisions numbered `…/QĐ-BNNMT`.

A unit keeps its code for ever (a certificate names the unit that issued it); what
stands for it on a later date is `successor_on`. `docs/rules-sources.md` lists every
source. Communes are not listed: a province's file of localities names them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict

from models.dossier import Language

MERGED_ON: Final = date(2025, 7, 1)
"""Provinces merged and districts ended (the new units' first day)."""
HUE_CITY_ON: Final = date(2025, 1, 1)
MINISTRY_RENAMED_ON: Final = date(2025, 3, 1)


class UnitKind(StrEnum):
    CITY = "city"  # thành phố trực thuộc trung ương
    PROVINCE = "province"  # tỉnh
    PROVINCIAL_CITY = "provincial_city"  # thành phố thuộc tỉnh
    TOWN = "town"  # thị xã
    DISTRICT = "district"  # huyện


_KIND_WORDS: Final[dict[UnitKind, tuple[str, str]]] = {
    UnitKind.CITY: ("thành phố", "City"),
    UnitKind.PROVINCE: ("tỉnh", "Province"),
    UnitKind.PROVINCIAL_CITY: ("thành phố", "City"),
    UnitKind.TOWN: ("thị xã", "Town"),
    UnitKind.DISTRICT: ("huyện", "District"),
}


class AdministrativeUnit(BaseModel):
    """A province or a district, from when to when it existed, and who took it over."""

    model_config = ConfigDict(frozen=True)

    code: str
    proper_name: str
    kind: UnitKind
    parent: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    """Its last day; None: it still exists."""
    successor: str | None = None
    basis: str = ""

    def exists_on(self, day: date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_until is None or day <= self.valid_until)

    def name(self, language: Language | str = Language.VI) -> str:
        """`tỉnh Hải Dương`, `thành phố Hạ Long` (English: `Hải Dương Province`)."""
        vi, en = _KIND_WORDS[self.kind]
        if Language(language) == Language.VI:
            return f"{vi} {self.proper_name}"
        return f"{self.proper_name} {en}"


_RESOLUTION_202: Final = "Nghị quyết 202/2025/QH15 (từ 01/07/2025)"
_DISTRICTS_ENDED: Final = "cấp huyện kết thúc từ 01/07/2025; chức năng OCOP chuyển về cấp tỉnh"

# (code, proper name, kind) of the 63 provincial units before the 2025 arrangement.
_PROVINCES_BEFORE_2025: Final = (
    ("ha-noi", "Hà Nội", UnitKind.CITY),
    ("ho-chi-minh", "Hồ Chí Minh", UnitKind.CITY),
    ("hai-phong", "Hải Phòng", UnitKind.CITY),
    ("da-nang", "Đà Nẵng", UnitKind.CITY),
    ("can-tho", "Cần Thơ", UnitKind.CITY),
    ("thua-thien-hue", "Thừa Thiên Huế", UnitKind.PROVINCE),
    ("ha-giang", "Hà Giang", UnitKind.PROVINCE),
    ("cao-bang", "Cao Bằng", UnitKind.PROVINCE),
    ("bac-kan", "Bắc Kạn", UnitKind.PROVINCE),
    ("tuyen-quang", "Tuyên Quang", UnitKind.PROVINCE),
    ("lao-cai", "Lào Cai", UnitKind.PROVINCE),
    ("dien-bien", "Điện Biên", UnitKind.PROVINCE),
    ("lai-chau", "Lai Châu", UnitKind.PROVINCE),
    ("son-la", "Sơn La", UnitKind.PROVINCE),
    ("yen-bai", "Yên Bái", UnitKind.PROVINCE),
    ("hoa-binh", "Hòa Bình", UnitKind.PROVINCE),
    ("thai-nguyen", "Thái Nguyên", UnitKind.PROVINCE),
    ("lang-son", "Lạng Sơn", UnitKind.PROVINCE),
    ("quang-ninh", "Quảng Ninh", UnitKind.PROVINCE),
    ("bac-giang", "Bắc Giang", UnitKind.PROVINCE),
    ("phu-tho", "Phú Thọ", UnitKind.PROVINCE),
    ("vinh-phuc", "Vĩnh Phúc", UnitKind.PROVINCE),
    ("bac-ninh", "Bắc Ninh", UnitKind.PROVINCE),
    ("hai-duong", "Hải Dương", UnitKind.PROVINCE),
    ("hung-yen", "Hưng Yên", UnitKind.PROVINCE),
    ("thai-binh", "Thái Bình", UnitKind.PROVINCE),
    ("ha-nam", "Hà Nam", UnitKind.PROVINCE),
    ("nam-dinh", "Nam Định", UnitKind.PROVINCE),
    ("ninh-binh", "Ninh Bình", UnitKind.PROVINCE),
    ("thanh-hoa", "Thanh Hóa", UnitKind.PROVINCE),
    ("nghe-an", "Nghệ An", UnitKind.PROVINCE),
    ("ha-tinh", "Hà Tĩnh", UnitKind.PROVINCE),
    ("quang-binh", "Quảng Bình", UnitKind.PROVINCE),
    ("quang-tri", "Quảng Trị", UnitKind.PROVINCE),
    ("quang-nam", "Quảng Nam", UnitKind.PROVINCE),
    ("quang-ngai", "Quảng Ngãi", UnitKind.PROVINCE),
    ("binh-dinh", "Bình Định", UnitKind.PROVINCE),
    ("phu-yen", "Phú Yên", UnitKind.PROVINCE),
    ("khanh-hoa", "Khánh Hòa", UnitKind.PROVINCE),
    ("ninh-thuan", "Ninh Thuận", UnitKind.PROVINCE),
    ("binh-thuan", "Bình Thuận", UnitKind.PROVINCE),
    ("kon-tum", "Kon Tum", UnitKind.PROVINCE),
    ("gia-lai", "Gia Lai", UnitKind.PROVINCE),
    ("dak-lak", "Đắk Lắk", UnitKind.PROVINCE),
    ("dak-nong", "Đắk Nông", UnitKind.PROVINCE),
    ("lam-dong", "Lâm Đồng", UnitKind.PROVINCE),
    ("binh-phuoc", "Bình Phước", UnitKind.PROVINCE),
    ("tay-ninh", "Tây Ninh", UnitKind.PROVINCE),
    ("binh-duong", "Bình Dương", UnitKind.PROVINCE),
    ("dong-nai", "Đồng Nai", UnitKind.PROVINCE),
    ("ba-ria-vung-tau", "Bà Rịa – Vũng Tàu", UnitKind.PROVINCE),
    ("long-an", "Long An", UnitKind.PROVINCE),
    ("tien-giang", "Tiền Giang", UnitKind.PROVINCE),
    ("ben-tre", "Bến Tre", UnitKind.PROVINCE),
    ("tra-vinh", "Trà Vinh", UnitKind.PROVINCE),
    ("vinh-long", "Vĩnh Long", UnitKind.PROVINCE),
    ("dong-thap", "Đồng Tháp", UnitKind.PROVINCE),
    ("an-giang", "An Giang", UnitKind.PROVINCE),
    ("kien-giang", "Kiên Giang", UnitKind.PROVINCE),
    ("hau-giang", "Hậu Giang", UnitKind.PROVINCE),
    ("soc-trang", "Sóc Trăng", UnitKind.PROVINCE),
    ("bac-lieu", "Bạc Liêu", UnitKind.PROVINCE),
    ("ca-mau", "Cà Mau", UnitKind.PROVINCE),
)

MERGED_INTO: Final[dict[str, str]] = {
    "ha-giang": "tuyen-quang",
    "yen-bai": "lao-cai",
    "bac-kan": "thai-nguyen",
    "vinh-phuc": "phu-tho",
    "hoa-binh": "phu-tho",
    "bac-giang": "bac-ninh",
    "thai-binh": "hung-yen",
    "hai-duong": "hai-phong",
    "ha-nam": "ninh-binh",
    "nam-dinh": "ninh-binh",
    "quang-binh": "quang-tri",
    "quang-nam": "da-nang",
    "kon-tum": "quang-ngai",
    "binh-dinh": "gia-lai",
    "ninh-thuan": "khanh-hoa",
    "dak-nong": "lam-dong",
    "binh-thuan": "lam-dong",
    "phu-yen": "dak-lak",
    "binh-duong": "ho-chi-minh",
    "ba-ria-vung-tau": "ho-chi-minh",
    "binh-phuoc": "dong-nai",
    "long-an": "tay-ninh",
    "soc-trang": "can-tho",
    "hau-giang": "can-tho",
    "ben-tre": "vinh-long",
    "tra-vinh": "vinh-long",
    "tien-giang": "dong-thap",
    "bac-lieu": "ca-mau",
    "kien-giang": "an-giang",
}
"""The 29 provincial units merged on 1 July 2025, and the unit each became part of."""

# District-level units the shipped examples and the demo use: (code, proper name, kind,
# province).
_DISTRICTS: Final = (
    ("ha-long", "Hạ Long", UnitKind.PROVINCIAL_CITY, "quang-ninh"),
    ("cam-pha", "Cẩm Phả", UnitKind.PROVINCIAL_CITY, "quang-ninh"),
    ("uong-bi", "Uông Bí", UnitKind.PROVINCIAL_CITY, "quang-ninh"),
    ("mong-cai", "Móng Cái", UnitKind.PROVINCIAL_CITY, "quang-ninh"),
    ("dong-trieu", "Đông Triều", UnitKind.TOWN, "quang-ninh"),
    ("quang-yen", "Quảng Yên", UnitKind.TOWN, "quang-ninh"),
    ("van-don", "Vân Đồn", UnitKind.DISTRICT, "quang-ninh"),
    ("tien-yen", "Tiên Yên", UnitKind.DISTRICT, "quang-ninh"),
    ("binh-lieu", "Bình Liêu", UnitKind.DISTRICT, "quang-ninh"),
    ("dam-ha", "Đầm Hà", UnitKind.DISTRICT, "quang-ninh"),
    ("hai-ha", "Hải Hà", UnitKind.DISTRICT, "quang-ninh"),
    ("ba-che", "Ba Chẽ", UnitKind.DISTRICT, "quang-ninh"),
    ("co-to", "Cô Tô", UnitKind.DISTRICT, "quang-ninh"),
    ("tp-hai-duong", "Hải Dương", UnitKind.PROVINCIAL_CITY, "hai-duong"),
    ("thanh-pho-hai-duong", "Hải Dương", UnitKind.PROVINCIAL_CITY, "hai-duong"),
    ("kinh-mon", "Kinh Môn", UnitKind.TOWN, "hai-duong"),
    ("vi-thuy", "Vị Thủy", UnitKind.DISTRICT, "hau-giang"),
)


def _province(code: str, name: str, kind: UnitKind) -> AdministrativeUnit:
    if code == "thua-thien-hue":
        return AdministrativeUnit(
            code=code,
            proper_name=name,
            kind=kind,
            valid_until=date(2024, 12, 31),
            successor="hue",
            basis="Nghị quyết 1314/NQ-UBTVQH15 (từ 01/01/2025)",
        )
    merged_into = MERGED_INTO.get(code)
    return AdministrativeUnit(
        code=code,
        proper_name=name,
        kind=kind,
        valid_until=date(2025, 6, 30) if merged_into else None,
        successor=merged_into,
        basis=_RESOLUTION_202 if merged_into else "",
    )


UNITS: Final[dict[str, AdministrativeUnit]] = {
    unit.code: unit
    for unit in (
        *(_province(*row) for row in _PROVINCES_BEFORE_2025),
        AdministrativeUnit(
            code="hue",
            proper_name="Huế",
            kind=UnitKind.CITY,
            valid_from=HUE_CITY_ON,
            basis="Nghị quyết 1314/NQ-UBTVQH15 (từ 01/01/2025)",
        ),
        *(
            AdministrativeUnit(
                code=code,
                proper_name=name,
                kind=kind,
                parent=province,
                valid_until=date(2025, 6, 30),
                successor=province,
                basis=_DISTRICTS_ENDED,
            )
            for code, name, kind, province in _DISTRICTS
        ),
    )
}


def unit(code: str) -> AdministrativeUnit | None:
    return UNITS.get(code)


def unit_name(code: str, language: Language | str = Language.VI) -> str:
    """A unit by its proper name (`ha-long` → `thành phố Hạ Long`); an unknown code as it is."""
    known = UNITS.get(code)
    return known.name(language) if known is not None else code


def successor_on(code: str, day: date) -> str:
    """The unit that stands for `code` on `day`: itself while it exists, else its
    successor's (followed as far as needed); an unknown code stands for itself."""
    seen: set[str] = set()
    current = code
    while current not in seen:
        seen.add(current)
        known = UNITS.get(current)
        if known is None or known.exists_on(day) or known.successor is None:
            return current
        current = known.successor
    return current


def province_on(province: str, day: date) -> str:
    """The province that runs OCOP for a unit of `province` on `day`."""
    return successor_on(province, day)


def lineage(code: str) -> tuple[str, ...]:
    """The unit and every unit that took it over, oldest first."""
    chain = [code]
    known = UNITS.get(code)
    while known is not None and known.successor is not None and known.successor not in chain:
        chain.append(known.successor)
        known = UNITS.get(known.successor)
    return tuple(chain)


# ---------------------------------------------------------------- authorities


class Authority(BaseModel):
    """Who signs a level's decisions on a date, and how the decisions are numbered."""

    model_config = ConfigDict(frozen=True)

    name_vi: str
    name_en: str
    decision_suffix: str


MINISTRY_BEFORE_2025: Final = Authority(
    name_vi="Bộ Nông nghiệp và Phát triển nông thôn",
    name_en="Ministry of Agriculture and Rural Development",
    decision_suffix="QĐ-BNN",
)
MINISTRY_FROM_2025: Final = Authority(
    name_vi="Bộ Nông nghiệp và Môi trường",
    name_en="Ministry of Agriculture and Environment",
    decision_suffix="QĐ-BNNMT",
)


def ministry_on(day: date) -> Authority:
    """The ministry that recognises 5★ products on `day`."""
    return MINISTRY_FROM_2025 if day >= MINISTRY_RENAMED_ON else MINISTRY_BEFORE_2025


def peoples_committee_on(code: str, day: date) -> Authority:
    """The People's Committee of the unit standing for `code` on `day`
    (`UBND thành phố Hải Phòng` for a unit of Hải Dương after 1 July 2025)."""
    standing = successor_on(code, day)
    return Authority(
        name_vi=f"UBND {unit_name(standing)}",
        name_en=f"People's Committee of {unit_name(standing, Language.EN)}",
        decision_suffix="QĐ-UBND",
    )


def coordination_office(province: str, day: date, language: Language | str = Language.VI) -> str:
    """The OCOP coordination office that writes for a case of `province` on `day`."""
    standing = successor_on(province, day)
    if Language(language) == Language.VI:
        return f"Văn phòng Điều phối Chương trình OCOP {unit_name(standing)}"
    return f"OCOP Coordination Office of {unit_name(standing, Language.EN)}"

"""Product groups and sets of Decision 148/QĐ-TTg (2023), and the documents each requires.

Groups and sets are data, not enums: a province can add a set, and a later decision can
replace the table, without touching the code that reads it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from models.applicants import RegistrationKind
from models.errors import DomainError


class DocumentKind(StrEnum):
    REGISTRATION_FORM = "registration_form"  # phiếu đăng ký
    SELF_ASSESSMENT = "self_assessment"  # báo cáo tự đánh giá
    BUSINESS_REGISTRATION = "business_registration"  # giấy đăng ký kinh doanh
    SAMPLE_RECEIPT = "sample_receipt"  # biên bản giao nhận mẫu
    FOOD_SAFETY_CERTIFICATE = "food_safety_certificate"  # giấy chứng nhận đủ điều kiện ATTP
    QUALITY_DECLARATION = "quality_declaration"  # bản tự công bố chất lượng
    TEST_RESULTS = "test_results"  # phiếu kết quả kiểm nghiệm
    TOURISM_OPERATING_CONDITIONS = "tourism_operating_conditions"  # điều kiện kinh doanh du lịch
    THREE_YEAR_REPORT = "three_year_report"  # báo cáo kết quả 3 năm (đánh giá lại)
    INTELLECTUAL_PROPERTY = "intellectual_property"  # sở hữu trí tuệ
    BARCODE = "barcode"  # mã số mã vạch
    LABEL_DESIGN = "label_design"  # nhãn, bao bì
    BUSINESS_PLAN = "business_plan"  # phương án kinh doanh
    OTHER = "other"


class ProductSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name_vi: str
    name_en: str


class ProductGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name_vi: str
    name_en: str
    sets: tuple[ProductSet, ...]
    required_documents: frozenset[DocumentKind]
    # Tourism services are visited on site; every other group hands in samples.
    site_visit_instead_of_samples: bool = False


_BASE_DOCUMENTS = frozenset(
    {
        DocumentKind.REGISTRATION_FORM,
        DocumentKind.SELF_ASSESSMENT,
        DocumentKind.BUSINESS_REGISTRATION,
    }
)
_CONSUMABLE_DOCUMENTS = _BASE_DOCUMENTS | {
    DocumentKind.SAMPLE_RECEIPT,
    DocumentKind.FOOD_SAFETY_CERTIFICATE,
    DocumentKind.QUALITY_DECLARATION,
    DocumentKind.TEST_RESULTS,
}


def _set(code: str, vi: str, en: str) -> ProductSet:
    return ProductSet(code=code, name_vi=vi, name_en=en)


PRODUCT_GROUPS: tuple[ProductGroup, ...] = (
    ProductGroup(
        code="food",
        name_vi="Thực phẩm",
        name_en="Food",
        sets=(
            _set("fresh_produce", "Nông sản tươi sống", "Fresh produce"),
            _set("raw_semi_processed", "Thực phẩm thô, sơ chế", "Raw and semi-processed food"),
            _set("processed_food", "Thực phẩm chế biến", "Processed food"),
            _set("condiments", "Gia vị", "Condiments"),
            _set("tea", "Chè và sản phẩm từ chè", "Tea and tea products"),
            _set("coffee_cocoa", "Cà phê, ca cao", "Coffee and cocoa"),
        ),
        required_documents=_CONSUMABLE_DOCUMENTS,
    ),
    ProductGroup(
        code="beverages",
        name_vi="Đồ uống",
        name_en="Beverages",
        sets=(
            _set("alcoholic", "Đồ uống có cồn", "Alcoholic beverages"),
            _set("non_alcoholic", "Đồ uống không cồn", "Non-alcoholic beverages"),
        ),
        required_documents=_CONSUMABLE_DOCUMENTS,
    ),
    ProductGroup(
        code="herbal",
        name_vi="Dược liệu và sản phẩm từ dược liệu",
        name_en="Medicinal herbs and herbal products",
        sets=(
            _set("herbal_medicine", "Thuốc từ dược liệu", "Herbal medicines"),
            _set("health_supplements", "Thực phẩm bảo vệ sức khỏe", "Health supplements"),
            _set("herbal_cosmetics", "Mỹ phẩm từ dược liệu", "Herbal cosmetics"),
            _set("raw_herbs", "Dược liệu, sản phẩm khác từ dược liệu", "Raw herbs and others"),
        ),
        required_documents=_CONSUMABLE_DOCUMENTS,
    ),
    ProductGroup(
        code="handicrafts",
        name_vi="Thủ công mỹ nghệ",
        name_en="Handicrafts",
        sets=(
            _set("textiles", "Vải, may mặc", "Textiles and garments"),
            _set("souvenirs", "Đồ lưu niệm", "Souvenirs"),
            _set("furniture_decoration", "Nội thất, trang trí", "Furniture and decoration"),
        ),
        required_documents=_BASE_DOCUMENTS | {DocumentKind.SAMPLE_RECEIPT},
    ),
    ProductGroup(
        code="ornamental",
        name_vi="Sinh vật cảnh",
        name_en="Ornamental plants and animals",
        sets=(
            _set("flowers", "Hoa", "Flowers"),
            _set("ornamental_plants", "Cây cảnh", "Ornamental plants"),
            _set("ornamental_animals", "Động vật cảnh", "Ornamental animals"),
        ),
        required_documents=_BASE_DOCUMENTS | {DocumentKind.SAMPLE_RECEIPT},
    ),
    ProductGroup(
        code="tourism",
        name_vi="Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        name_en="Community and eco-tourism services and tourist sites",
        sets=(
            _set("community_tourism", "Du lịch cộng đồng, du lịch sinh thái", "Community tourism"),
            _set("tourist_sites", "Điểm du lịch", "Tourist sites"),
        ),
        required_documents=_BASE_DOCUMENTS | {DocumentKind.TOURISM_OPERATING_CONDITIONS},
        site_visit_instead_of_samples=True,
    ),
)

_GROUPS_BY_CODE = {group.code: group for group in PRODUCT_GROUPS}

EXTRA_DOCUMENTS_BY_REGISTRATION: dict[RegistrationKind, frozenset[DocumentKind]] = {
    RegistrationKind.FIRST: frozenset(),
    RegistrationKind.UPGRADE: frozenset(),
    RegistrationKind.REEVALUATION: frozenset({DocumentKind.THREE_YEAR_REPORT}),
}


def product_group(code: str) -> ProductGroup:
    """The group with this code, or a DomainError listing the accepted codes."""
    try:
        return _GROUPS_BY_CODE[code]
    except KeyError:
        accepted = ", ".join(sorted(_GROUPS_BY_CODE))
        raise DomainError(f"unknown product group {code!r}; accepted groups: {accepted}") from None


def check_product_set(group_code: str, set_code: str) -> None:
    group = product_group(group_code)
    codes = [item.code for item in group.sets]
    if set_code not in codes:
        raise DomainError(
            f"product set {set_code!r} is not in group {group_code!r}; "
            f"accepted sets: {', '.join(codes)}"
        )


def required_documents(group_code: str, kind: RegistrationKind) -> frozenset[DocumentKind]:
    """Documents a dossier of this group and registration kind must contain."""
    return product_group(group_code).required_documents | EXTRA_DOCUMENTS_BY_REGISTRATION[kind]

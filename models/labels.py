"""The names of things in words, Vietnamese first, English available: one catalogue.

Letters (`activities/rendering.py` and the templates), the command line, the demo and
the operator's story all name stages, levels, score parts, registration and applicant
kinds, documents, revocation grounds, targets and localities through `label()`:

    label(CaseStage.LOCAL_REVIEW)                      # "thẩm định hồ sơ"
    label(CaseStage.LOCAL_REVIEW, Language.EN, Form.STATUS)   # "in dossier review"
    level_label("district", Language.EN)               # "district level"
    level_label("province", form=Form.AUTHORITY)       # "Ủy ban nhân dân cấp tỉnh"

A label is written as it stands inside a sentence (lower case unless it is a proper
name or a document's title); a letter capitalises it where it starts a line. Levels
are the rulebooks' level names (strings): the four the country has are known here,
any other is named after itself ("cấp {name}", "{name} level").

Forms: `NAME` (the default) is what a letter or a list calls the thing; `STATUS` is a
stage as where a case stands; `SHORT` fits a table column. For levels, `BARE` is the
level's own word to build a phrase with ("huyện" / "district", "tỉnh" / "provincial"),
`LOCALITY` the unit a locality of that level is ("huyện" / "district"), `COUNCIL` its
scoring council and `AUTHORITY` who decides there, by their proper names. A form a
kind of thing does not have falls back to its `NAME`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from models.applicants import ApplicantKind, RegistrationKind
from models.case import CaseStage, RevocationGround
from models.catalogue import DocumentKind
from models.cycle_calendar import TargetKind
from models.dossier import Language
from models.scorecard import ScorePart


class Form(StrEnum):
    NAME = "name"
    STATUS = "status"
    SHORT = "short"
    BARE = "bare"
    LOCALITY = "locality"
    COUNCIL = "council"
    AUTHORITY = "authority"


class Level(StrEnum):
    """The administrative levels a rulebook's levels are named after."""

    COMMUNE = "commune"
    DISTRICT = "district"
    PROVINCE = "province"
    CENTRAL = "central"


Labelled = (
    CaseStage
    | RegistrationKind
    | ApplicantKind
    | DocumentKind
    | RevocationGround
    | ScorePart
    | TargetKind
    | Level
)
"""Everything the catalogue names."""


@dataclass(frozen=True)
class Words:
    """One label in both languages."""

    vi: str
    en: str

    def said_in(self, language: Language | str) -> str:
        return self.vi if Language(language) == Language.VI else self.en


def label(item: Labelled, language: Language | str = Language.VI, form: Form = Form.NAME) -> str:
    """The label of `item` in `language`, in `form` (or its name, if it has no such form)."""
    if isinstance(item, Level):
        return level_label(item.value, language, form)
    tables = _CATALOGUE[type(item)]
    table = tables.get(form) or tables[Form.NAME]
    return table[item].said_in(language)


def level_label(level: str, language: Language | str = Language.VI, form: Form = Form.NAME) -> str:
    """A rulebook level (`district`, `province`, …) in words; an unknown one by its name."""
    known = _LEVELS.get(level)
    bare = known.bare if known is not None else Words(level, level)
    if form == Form.BARE:
        return bare.said_in(language)
    if form == Form.LOCALITY:
        return (known.locality if known is not None else bare).said_in(language)
    if form == Form.AUTHORITY:
        if known is not None and known.authority is not None:
            return known.authority.said_in(language)
        named = _phrase(_AUTHORITY, bare, language)
        return named[:1].upper() + named[1:]  # a proper name
    if form == Form.COUNCIL:
        return _phrase(_COUNCIL, bare, language)
    return _phrase(_LEVEL, bare, language)


def words(item: Labelled, form: Form = Form.NAME) -> Words:
    """Both languages of a label at once (bilingual tables and messages)."""
    return Words(label(item, Language.VI, form), label(item, Language.EN, form))


def _phrase(pattern: Words, bare: Words, language: Language | str) -> str:
    return pattern.said_in(language).format(bare.said_in(language))


# ------------------------------------------------------------------------------ levels


@dataclass(frozen=True)
class _LevelWords:
    bare: Words
    locality: Words
    authority: Words | None = None
    """Who decides at the level, when it is not its People's Committee."""


_LEVEL: Final = Words("cấp {}", "{} level")
_COUNCIL: Final = Words("Hội đồng đánh giá, phân hạng sản phẩm OCOP cấp {}", "{} OCOP council")
_AUTHORITY: Final = Words("Ủy ban nhân dân cấp {}", "{} People's Committee")

_LEVELS: Final[dict[str, _LevelWords]] = {
    Level.COMMUNE: _LevelWords(Words("xã", "commune"), Words("xã", "commune")),
    Level.DISTRICT: _LevelWords(Words("huyện", "district"), Words("huyện", "district")),
    Level.PROVINCE: _LevelWords(Words("tỉnh", "provincial"), Words("tỉnh", "province")),
    Level.CENTRAL: _LevelWords(
        Words("trung ương", "central"),
        Words("toàn quốc", "country"),
        authority=Words("Bộ Nông nghiệp và Môi trường", "Ministry of Agriculture and Environment"),
    ),
}


# -------------------------------------------------------------------------- the tables

_STAGES: Final = {
    CaseStage.SUBMITTED: Words("tiếp nhận hồ sơ", "dossier intake"),
    CaseStage.LOCAL_REVIEW: Words("thẩm định hồ sơ", "dossier review"),
    CaseStage.AWAITING_SUPPLEMENT: Words("bổ sung hồ sơ", "dossier supplement"),
    CaseStage.COUNCIL_SCORING: Words("chấm điểm của Hội đồng", "council scoring"),
    CaseStage.AWAITING_RECOGNITION: Words("ban hành quyết định công nhận", "recognition decision"),
    CaseStage.CERTIFIED: Words("đã được công nhận", "certified"),
    CaseStage.RETURNED: Words("trả lại hồ sơ", "dossier returned"),
    CaseStage.REJECTED: Words("không chấp nhận hồ sơ", "dossier rejected"),
    CaseStage.NOT_CERTIFIED: Words("không đủ điều kiện công nhận", "not certified"),
    CaseStage.LAPSED: Words("hết hiệu lực", "lapsed"),
    CaseStage.REVOKED: Words("thu hồi", "revoked"),
}

_STAGE_STATUS: Final = {
    CaseStage.SUBMITTED: Words("đã nộp hồ sơ", "submitted"),
    CaseStage.LOCAL_REVIEW: Words("đang thẩm định hồ sơ", "in dossier review"),
    CaseStage.AWAITING_SUPPLEMENT: Words(
        "chờ chủ thể bổ sung hồ sơ", "awaiting a supplement from the producer"
    ),
    CaseStage.COUNCIL_SCORING: Words("đang được Hội đồng chấm điểm", "in council scoring"),
    CaseStage.AWAITING_RECOGNITION: Words(
        "chờ quyết định công nhận", "awaiting a recognition decision"
    ),
    CaseStage.CERTIFIED: Words("đã được công nhận", "certified"),
    CaseStage.RETURNED: Words(
        "đã trả lại hồ sơ (quá hạn bổ sung)", "returned (the supplement did not arrive in time)"
    ),
    CaseStage.REJECTED: Words("hồ sơ không được chấp nhận", "rejected"),
    CaseStage.NOT_CERTIFIED: Words("không đủ điều kiện công nhận", "not certified"),
    CaseStage.LAPSED: Words(
        "đã hết hiệu lực (không đánh giá lại)",
        "lapsed (certificate expired without re-evaluation)",
    ),
    CaseStage.REVOKED: Words("đã bị thu hồi giấy chứng nhận", "revoked"),
}

_REGISTRATIONS: Final = {
    RegistrationKind.FIRST: Words("đánh giá, phân hạng lần đầu", "first evaluation"),
    RegistrationKind.UPGRADE: Words("đánh giá nâng hạng", "upgrade evaluation"),
    RegistrationKind.REEVALUATION: Words("đánh giá lại", "re-evaluation"),
}

_APPLICANTS: Final = {
    ApplicantKind.ENTERPRISE: Words("doanh nghiệp", "enterprise"),
    ApplicantKind.COOPERATIVE: Words("hợp tác xã", "cooperative"),
    ApplicantKind.COOPERATIVE_GROUP: Words("tổ hợp tác", "cooperative group"),
    ApplicantKind.HOUSEHOLD: Words(
        "hộ sản xuất, cơ sở sản xuất", "household or production establishment"
    ),
}

_APPLICANTS_SHORT: Final = {
    **_APPLICANTS,
    ApplicantKind.HOUSEHOLD: Words("hộ sản xuất", "household"),
}

_DOCUMENTS: Final = {
    DocumentKind.REGISTRATION_FORM: Words("Phiếu đăng ký sản phẩm", "Product registration form"),
    DocumentKind.SELF_ASSESSMENT: Words("Báo cáo tự đánh giá", "Self-assessment report"),
    DocumentKind.BUSINESS_REGISTRATION: Words(
        "Giấy đăng ký kinh doanh", "Business registration certificate"
    ),
    DocumentKind.SAMPLE_RECEIPT: Words("Biên bản giao nhận mẫu sản phẩm", "Product sample receipt"),
    DocumentKind.FOOD_SAFETY_CERTIFICATE: Words(
        "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
        "Food-safety eligibility certificate",
    ),
    DocumentKind.QUALITY_DECLARATION: Words(
        "Bản tự công bố chất lượng sản phẩm", "Product quality self-declaration"
    ),
    DocumentKind.TEST_RESULTS: Words("Phiếu kết quả kiểm nghiệm", "Laboratory test results"),
    DocumentKind.TOURISM_OPERATING_CONDITIONS: Words(
        "Hồ sơ điều kiện kinh doanh dịch vụ du lịch", "Tourism service operating conditions"
    ),
    DocumentKind.THREE_YEAR_REPORT: Words(
        "Báo cáo kết quả sản xuất, kinh doanh 3 năm", "Three-year production and business report"
    ),
    DocumentKind.INTELLECTUAL_PROPERTY: Words(
        "Giấy tờ sở hữu trí tuệ", "Intellectual-property documents"
    ),
    DocumentKind.BARCODE: Words("Mã số, mã vạch", "Barcode registration"),
    DocumentKind.LABEL_DESIGN: Words("Nhãn, bao bì sản phẩm", "Label and packaging"),
    DocumentKind.BUSINESS_PLAN: Words("Phương án kinh doanh", "Business plan"),
    DocumentKind.OTHER: Words("Tài liệu khác", "Other document"),
}

_GROUNDS: Final = {
    RevocationGround.PROCESS_NOT_FOLLOWED: Words(
        "Không thực hiện đúng quy trình sản xuất đã công bố",
        "The declared production process was not followed",
    ),
    RevocationGround.FOOD_SAFETY: Words("Vi phạm an toàn thực phẩm", "Food-safety violation"),
    RevocationGround.QUALITY_MISMATCH: Words(
        "Chất lượng không đúng với sản phẩm đã được công nhận",
        "Quality does not match the recognised product",
    ),
    RevocationGround.DESIGN_MISMATCH: Words(
        "Mẫu mã, bao bì không đúng với sản phẩm đã được công nhận",
        "Design or packaging does not match the recognised product",
    ),
    RevocationGround.CEASED_PRODUCTION: Words(
        "Chủ thể ngừng sản xuất", "The producer has ceased production"
    ),
    RevocationGround.OTHER: Words("Lý do khác", "Other grounds"),
}

_PARTS: Final = {
    ScorePart.PART_A: Words(
        "Phần A – Sản phẩm và sức mạnh cộng đồng", "Part A – Product and community strength"
    ),
    ScorePart.PART_B: Words("Phần B – Khả năng tiếp thị", "Part B – Marketing"),
    ScorePart.PART_C: Words("Phần C – Chất lượng sản phẩm", "Part C – Product quality"),
}

_TARGETS: Final = {
    TargetKind.SUBMISSIONS: Words("hồ sơ tiếp nhận", "dossiers received"),
    TargetKind.THREE_STARS_OR_MORE: Words(
        "sản phẩm đạt từ 3 sao trở lên", "products of 3 stars or more"
    ),
    TargetKind.FOUR_STARS_OR_MORE: Words(
        "sản phẩm đạt từ 4 sao trở lên", "products of 4 stars or more"
    ),
    TargetKind.FIVE_STARS: Words("sản phẩm đạt 5 sao", "products of 5 stars"),
}

_TARGETS_SHORT: Final = {
    TargetKind.SUBMISSIONS: Words("hồ sơ tiếp nhận", "dossiers received"),
    TargetKind.THREE_STARS_OR_MORE: Words("sản phẩm ≥ 3★", "products of ≥ 3★"),
    TargetKind.FOUR_STARS_OR_MORE: Words("sản phẩm ≥ 4★", "products of ≥ 4★"),
    TargetKind.FIVE_STARS: Words("sản phẩm 5★", "products of 5★"),
}

_CATALOGUE: Final[dict[type[Any], Mapping[Form, Mapping[Any, Words]]]] = {
    CaseStage: {Form.NAME: _STAGES, Form.STATUS: _STAGE_STATUS},
    RegistrationKind: {Form.NAME: _REGISTRATIONS},
    ApplicantKind: {Form.NAME: _APPLICANTS, Form.SHORT: _APPLICANTS_SHORT},
    DocumentKind: {Form.NAME: _DOCUMENTS},
    RevocationGround: {Form.NAME: _GROUNDS},
    ScorePart: {Form.NAME: _PARTS},
    TargetKind: {Form.NAME: _TARGETS, Form.SHORT: _TARGETS_SHORT},
}
"""Each kind of thing, the forms it has, and each form's label of every member."""

CATALOGUED: Final = (*_CATALOGUE, Level)
"""Every enum the catalogue names (a test checks each member has every label)."""

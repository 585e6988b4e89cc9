"""A case's timeline in plain words, for the producer and the offices: one line per
transition the register recorded, with the dates and the documents it names.

The operator's story (`presentation/story`) tells everything, history included; this
tells what a producer would want to know, from the register's rows alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from models.catalogue import DocumentKind
from models.dates import format_moment
from models.dossier import Language
from models.labels import Words, label
from models.transitions import CaseTransition, parse_action

_PLAIN: Final[dict[CaseTransition, Words]] = {
    CaseTransition.DOSSIER_RECEIVED: Words("Hồ sơ đã được tiếp nhận", "The dossier was received"),
    CaseTransition.APPLICATION_RECEIVED: Words(
        "Đã nhận đơn đăng ký đánh giá mới", "An application for a new evaluation was received"
    ),
    CaseTransition.REVIEW_ACCEPTED: Words(
        "Hồ sơ được chấp nhận và chuyển Hội đồng",
        "The dossier was accepted and sent to the council",
    ),
    CaseTransition.REVIEW_REJECTED: Words("Hồ sơ không được chấp nhận", "The dossier was rejected"),
    CaseTransition.SUPPLEMENT_REQUESTED: Words(
        "Yêu cầu bổ sung hồ sơ", "A supplement was asked for"
    ),
    CaseTransition.SUPPLEMENT_RECEIVED: Words(
        "Đã nhận hồ sơ bổ sung", "The supplement was received"
    ),
    CaseTransition.SUPPLEMENT_MISSED: Words(
        "Quá hạn bổ sung: hồ sơ bị trả lại",
        "The supplement did not arrive: the dossier was returned",
    ),
    CaseTransition.COUNCIL_SESSION_OPENED: Words(
        "Hội đồng bắt đầu chấm điểm", "The council began scoring"
    ),
    CaseTransition.COUNCIL_MEETING_SCHEDULED: Words(
        "Sản phẩm được đưa vào phiên họp của Hội đồng",
        "The product is on a council meeting's agenda",
    ),
    CaseTransition.SCORECARD_SUBMITTED: Words(
        "Một thành viên Hội đồng đã chấm điểm", "A council member scored the product"
    ),
    CaseTransition.SCORECARD_REPLACED: Words(
        "Một thành viên Hội đồng đã chấm lại", "A council member re-scored the product"
    ),
    CaseTransition.SESSION_CLOSED: Words(
        "Hội đồng kết thúc phiên chấm", "The council closed its session"
    ),
    CaseTransition.RESCORE_REQUESTED: Words(
        "Điểm chênh lệch nhiều: Hội đồng chấm lại", "The scores diverged: the council re-scores"
    ),
    CaseTransition.COUNCIL_RESULT: Words("Kết quả của Hội đồng", "The council's result"),
    CaseTransition.FORWARDED: Words(
        "Hồ sơ được chuyển lên Hội đồng cấp trên",
        "The dossier was sent to the next level's council",
    ),
    CaseTransition.RECOGNISED: Words(
        "Sản phẩm được công nhận sản phẩm OCOP", "The product was recognised as an OCOP product"
    ),
    CaseTransition.CERTIFICATE_SUPERSEDED: Words(
        "Giấy chứng nhận cũ được thay bằng giấy mới",
        "The old certificate was replaced by a new one",
    ),
    CaseTransition.CERTIFICATE_LOADED: Words(
        "Giấy chứng nhận đã cấp được đưa vào hệ thống", "The certificate held was entered"
    ),
    CaseTransition.EXPIRY_REMINDER: Words(
        "Nhắc hạn: giấy chứng nhận sắp hết hiệu lực", "Reminder: the certificate expires soon"
    ),
    CaseTransition.CERTIFICATE_LAPSED: Words(
        "Giấy chứng nhận đã hết hiệu lực", "The certificate lapsed"
    ),
    CaseTransition.CERTIFICATE_EXPIRED: Words(
        "Giấy chứng nhận hết hạn trong khi đang đánh giá lại",
        "The certificate expired while it is re-evaluated",
    ),
    CaseTransition.CERTIFICATE_REVOKED: Words(
        "Giấy chứng nhận bị thu hồi", "The certificate was revoked"
    ),
    CaseTransition.ROUND_ENDED: Words("Kết thúc đợt đánh giá", "The evaluation round ended"),
    CaseTransition.OVERDUE: Words("Một bước đã quá hạn", "A step is overdue"),
    CaseTransition.DEADLINE_EXTENDED: Words("Được gia hạn", "More time was given"),
}

_DUE: Final = Words("hạn {}", "due {}")
_DAYS_BEFORE: Final = Words("còn {} ngày", "{} days before expiry")
_RESULT: Final = Words("{} điểm, {} sao", "{} points, {} stars")
_SPREAD: Final = Words("chênh lệch {} điểm", "{} points apart")


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    text: str


def _documents(codes: str, language: Language) -> str:
    named = []
    for code in (part.strip() for part in codes.split(",")):
        try:
            named.append(label(DocumentKind(code), language))
        except ValueError:
            named.append(code)
    return ", ".join(named)


def _particulars(
    transition: CaseTransition, occasion: str | None, details: Mapping[str, Any], lang: Language
) -> list[str]:
    found: list[str] = []
    if transition == CaseTransition.SUPPLEMENT_REQUESTED:
        if details.get("documents"):
            found.append(_documents(str(details["documents"]), lang))
        if details.get("deadline"):
            due = format_moment(datetime.fromisoformat(str(details["deadline"])), lang)
            found.append(_DUE.said_in(lang).format(due))
    elif transition == CaseTransition.COUNCIL_RESULT and "stars" in details:
        found.append(_RESULT.said_in(lang).format(details.get("mean", "?"), details["stars"]))
    elif transition == CaseTransition.RESCORE_REQUESTED and "spread" in details:
        found.append(_SPREAD.said_in(lang).format(details["spread"]))
    elif transition == CaseTransition.EXPIRY_REMINDER and occasion:
        found.append(_DAYS_BEFORE.said_in(lang).format(occasion))
    return found


def timeline_line(
    action: str,
    at: datetime,
    reason: str | None,
    details: Mapping[str, Any],
    language: Language | str = Language.VI,
) -> TimelineLine:
    """One register row in plain words (an action this version lacks: its own word)."""
    lang = Language(language)
    parsed = parse_action(action)
    if parsed is None:
        return TimelineLine(at, action.replace("_", " "))
    transition, occasion = parsed
    text = _PLAIN[transition].said_in(lang)
    particulars = _particulars(transition, occasion, details, lang)
    if reason and transition in (CaseTransition.REVIEW_REJECTED, CaseTransition.DEADLINE_EXTENDED):
        particulars.append(reason)
    return TimelineLine(at, f"{text}: {'; '.join(particulars)}" if particulars else text)

"""The portal's own words, Vietnamese first, English a click away.

Domain names (stages, documents, levels, localities) come from the label catalogue
(`models.labels`, `models.admin_units`); only the words of the pages themselves live
here, one entry per phrase.
"""

from __future__ import annotations

from typing import Final

from models.dossier import Language
from models.labels import Words

LANGUAGE_COOKIE: Final = "ocop_lang"

PHRASES: Final[dict[str, Words]] = {
    "portal": Words("Cổng thông tin OCOP", "OCOP portal"),
    "programme": Words("Chương trình mỗi xã một sản phẩm", "One Commune One Product"),
    "sign_in": Words("Đăng nhập", "Sign in"),
    "sign_out": Words("Đăng xuất", "Sign out"),
    "username": Words("Tên đăng nhập", "Username"),
    "password": Words("Mật khẩu", "Password"),
    "signed_in_as": Words("Đang đăng nhập", "Signed in as"),
    "session_ended": Words(
        "Phiên làm việc đã hết hạn, vui lòng đăng nhập lại.",
        "Your session has ended; please sign in again.",
    ),
    "sign_in_elsewhere": Words(
        "Đăng nhập tại nhà cung cấp định danh của tỉnh",
        "Sign in at the province's identity provider",
    ),
    "other_language": Words("English", "Tiếng Việt"),
    "sign_in_failed": Words("Không đăng nhập được", "Sign-in failed"),
    "refused": Words("Không thực hiện được", "Not done"),
    "fix_fields": Words("Vui lòng sửa các mục sau", "Please correct these fields"),
    "my_products": Words("Sản phẩm của tôi", "My products"),
    "no_products": Words("Chưa có sản phẩm nào.", "No products yet."),
    "new_dossier": Words("Nộp hồ sơ mới", "Submit a new dossier"),
    "product": Words("Sản phẩm", "Product"),
    "product_code": Words("Mã sản phẩm", "Product code"),
    "product_name": Words("Tên sản phẩm", "Product name"),
    "locality": Words("Địa bàn (xã/huyện)", "Locality (commune/district)"),
    "group": Words("Nhóm sản phẩm", "Product group"),
    "product_set": Words("Bộ sản phẩm", "Product set"),
    "choose_group": Words("Chọn nhóm", "Choose the group"),
    "applicant": Words("Chủ thể", "Applicant"),
    "applicant_name": Words("Tên chủ thể", "Applicant's name"),
    "applicant_kind": Words("Loại hình chủ thể", "Kind of applicant"),
    "email": Words("Thư điện tử", "Email"),
    "phone": Words("Số điện thoại", "Phone"),
    "stage": Words("Tình trạng", "Status"),
    "stars": Words("Số sao", "Stars"),
    "deadline": Words("Hạn", "Due"),
    "days_left": Words("Còn {} ngày", "{} days left"),
    "days_over": Words("Quá hạn {} ngày", "{} days overdue"),
    "documents": Words("Tài liệu", "Documents"),
    "document_kind": Words("Loại tài liệu", "Kind of document"),
    "file": Words("Tệp", "File"),
    "size": Words("Dung lượng", "Size"),
    "download": Words("Tải về", "Download"),
    "required_documents": Words("Tài liệu bắt buộc của nhóm", "Documents the group requires"),
    "missing": Words("Còn thiếu", "Missing"),
    "present": Words("Đã có", "Present"),
    "kept_files": Words("Tệp đã tải lên", "Files uploaded"),
    "upload_limits": Words(
        "Mỗi tệp tối đa {} MB; nhận: {}.", "At most {} MB per file; accepted: {}."
    ),
    "send_incomplete": Words(
        "Vẫn gửi hồ sơ còn thiếu (tôi sẽ bổ sung khi được yêu cầu)",
        "Send it incomplete (I will bring the rest when asked)",
    ),
    "incomplete_held": Words(
        "Hồ sơ chưa được gửi: còn thiếu tài liệu bắt buộc.",
        "The dossier was not sent: required documents are missing.",
    ),
    "submit": Words("Gửi hồ sơ", "Send the dossier"),
    "submitted": Words("Đã nộp hồ sơ {} — số hồ sơ {}", "Dossier {} submitted — number {}"),
    "no_open_cycle": Words(
        "Hiện không có chu trình OCOP nào đang nhận hồ sơ của tỉnh.",
        "No OCOP cycle of the province is taking dossiers now.",
    ),
    "cycle": Words("Chu trình", "Cycle"),
    "timeline": Words("Diễn biến hồ sơ", "What happened"),
    "nothing_yet": Words("Chưa có diễn biến nào.", "Nothing has happened yet."),
    "supplement": Words("Bổ sung hồ sơ", "Bring a supplement"),
    "supplement_asked": Words(
        "Cơ quan thẩm định yêu cầu bổ sung, hạn {}",
        "The reviewing office asks for a supplement by {}",
    ),
    "send_supplement": Words("Gửi bổ sung", "Send the supplement"),
    "certificate": Words("Giấy chứng nhận", "Certificate"),
    "valid_until": Words("Hiệu lực đến", "Valid until"),
    "apply": Words("Đăng ký đánh giá lại hoặc nâng hạng", "Apply for re-evaluation or upgrade"),
    "reused_documents": Words(
        "Tài liệu của hồ sơ trước (dùng lại)", "Documents of the last dossier (reused)"
    ),
    "send_application": Words("Gửi đăng ký", "Send the application"),
    "no_certificate": Words("Hồ sơ chưa có giấy chứng nhận", "The case has no certificate"),
    "download_certificate": Words("Tải giấy chứng nhận (PDF)", "Download the certificate (PDF)"),
    "review_inbox": Words("Hồ sơ chờ thẩm định", "Dossiers to review"),
    "no_reviews": Words("Không có hồ sơ nào chờ thẩm định.", "No dossier is waiting for review."),
    "checklist": Words("Kiểm tra thành phần hồ sơ", "Completeness checklist"),
    "review": Words("Thẩm định", "Review"),
    "accept": Words("Chấp nhận hồ sơ", "Accept the dossier"),
    "request_supplement": Words("Yêu cầu bổ sung", "Ask for a supplement"),
    "reject": Words("Không chấp nhận", "Reject"),
    "reason": Words("Lý do", "Reason"),
    "supplement_due": Words(
        "Chủ thể có {} ngày làm việc để bổ sung.", "The producer has {} working days to bring it."
    ),
    "supplement_due_days": Words(
        "Chủ thể có {} ngày để bổ sung.", "The producer has {} days to bring it."
    ),
    "open_case": Words("Mở hồ sơ", "Open"),
    "dossier_number": Words("Số hồ sơ", "Dossier number"),
    "not_your_page": Words("Trang này dành cho vai trò khác.", "This page is for another role."),
    "home": Words("Trang chính", "Home"),
    "scored": Words("Đã nộp phiếu chấm điểm.", "Your scorecard was submitted."),
    "draft_saved": Words(
        "Đã lưu nháp phiếu chấm (chưa nộp).", "Your draft scorecard was saved (not submitted)."
    ),
    "issued": Words("Đã ban hành quyết định.", "The decision was issued."),
    "council_inbox": Words("Phiên chấm điểm đang mở", "Open scoring sessions"),
    "no_sessions": Words("Không có phiên chấm điểm nào đang mở.", "No scoring session is open."),
    "my_scorecard": Words("Phiếu chấm điểm của tôi", "My scorecard"),
    "part_a": Words("Phần A — Sản phẩm và sức mạnh cộng đồng", "Part A — product and community"),
    "part_b": Words("Phần B — Khả năng tiếp thị", "Part B — marketing capacity"),
    "part_c": Words("Phần C — Chất lượng sản phẩm", "Part C — product quality"),
    "max_points": Words("tối đa {} điểm", "at most {} points"),
    "mandatory_met": Words(
        "Sản phẩm đáp ứng tất cả các tiêu chí bắt buộc để đạt hạng 3 sao",
        "The product meets every mandatory criterion for 3 stars",
    ),
    "comment": Words("Nhận xét", "Comment"),
    "save_draft": Words("Lưu nháp", "Save the draft"),
    "send_scorecard": Words("Nộp phiếu chấm", "Submit the scorecard"),
    "already_scored": Words(
        "Bạn đã chấm: {} điểm (có thể chấm lại trong phiên này).",
        "You scored {} points (you may score again in this session).",
    ),
    "rescore_why": Words(
        "Chấm lại (lần {}): tổng điểm các thành viên chênh nhau {} điểm, quá {} điểm cho phép.",
        "Re-score (attempt {}): the totals were {} points apart, more than the {} allowed.",
    ),
    "session": Words("Phiên chấm điểm", "Scoring session"),
    "attempt": Words("Lần chấm", "Attempt"),
    "who_scored": Words("Thành viên đã chấm", "Who has scored"),
    "not_scored": Words("chưa chấm", "not yet"),
    "chair": Words("Chủ tịch", "Chair"),
    "quorum": Words("Số phiếu", "Quorum"),
    "quorum_of": Words("{} / {} phiếu cần có", "{} of the {} scorecards needed"),
    "quorum_reached": Words("Đủ số phiếu", "Quorum reached"),
    "chair_missing": Words("chủ tịch chưa chấm", "the chair has not scored"),
    "spread": Words("Chênh lệch tổng điểm", "Spread of totals"),
    "spread_of": Words("{} điểm (cho phép tối đa {})", "{} points (at most {} allowed)"),
    "end_session": Words("Kết thúc phiên chấm", "Close the session"),
    "closed_result": Words("Kết quả phiên: {} điểm, {} sao", "Session result: {} points, {} stars"),
    "closed_rescore": Words(
        "Điểm chênh lệch quá mức: các thành viên chấm lại.",
        "The totals diverge too far: the members score again.",
    ),
    "decision": Words("Quyết định", "Decision"),
    "awaiting_decision": Words(
        "Sản phẩm chờ quyết định công nhận", "Products awaiting recognition"
    ),
    "no_awaiting": Words(
        "Không có sản phẩm nào chờ quyết định.", "No product is awaiting a decision."
    ),
    "council_result": Words("Kết quả Hội đồng", "Council result"),
    "decision_number": Words("Số quyết định", "Decision number"),
    "decided_on": Words("Ngày ký", "Signed on"),
    "preview": Words("Xem trước quyết định", "Preview the decision"),
    "issue": Words("Ban hành quyết định", "Issue the decision"),
    "certificate_number": Words("Số giấy chứng nhận", "Certificate number"),
    "none_chosen": Words("Chưa chọn sản phẩm nào", "No product was chosen"),
    "some_not_issued": Words(
        "Một số sản phẩm chưa được công nhận (xem từng dòng)",
        "Some products were not recognised (see each line)",
    ),
    "no_decision": Words("Không có quyết định này", "There is no such decision"),
    "decision_title": Words(
        "Quyết định công nhận sản phẩm đạt chuẩn OCOP",
        "Decision recognising products as meeting the OCOP standard",
    ),
    "recognised_list": Words("Danh sách sản phẩm được công nhận", "Products recognised"),
    "print": Words("In quyết định", "Print the decision"),
    "as_of": Words("Tính đến", "As of"),
}


def phrase(key: str, language: Language | str, *values: object) -> str:
    """The phrase `key` in `language`, with `values` in its {} places."""
    text = PHRASES[key].said_in(language)
    return text.format(*values) if values else text


def language_of(cookie: str | None) -> Language:
    return Language.EN if cookie == Language.EN.value else Language.VI


def both(key: str, *values: object) -> str:
    """The phrase in both languages, as refusals say it: Vietnamese — English."""
    return f"{phrase(key, Language.VI, *values)} — {phrase(key, Language.EN, *values)}"

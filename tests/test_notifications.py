"""Notifications reach their recipients once, in their language, whatever fails on the way.

The activity runs as Temporal runs it (``ActivityEnvironment``), against the real
in-process SMTP server (``smtp_server``) and the register on SQLite and PostgreSQL
(``register``). Assertions are on what the server received: envelope, decoded headers,
bodies — and on the ledger rows operators would read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.ledger import LedgerEntry, ledger_key
from activities.mailer import REFERENCE_HEADER, classify, message_id_for
from activities.notify import (
    PERMANENT_FAILURE_TYPE,
    TEMPORARY_FAILURE_TYPE,
    DeliveryResult,
    LedgerStatus,
    NotificationActivities,
    NotificationLedger,
)
from activities.rendering import EVENT_KINDS, TEMPLATE_DIR, render
from cli.cycle.report import print_report
from infra.settings import Settings, SmtpSecurity
from models.applicants import ApplicantKind, RegistrationKind
from models.case import CaseStage, RevocationGround
from models.catalogue import DocumentKind
from models.cycle import (
    CycleReport,
    DecisionSummary,
    LocalityFigures,
    RecognitionFailure,
    TargetProgress,
    UnrecognisedProduct,
)
from models.cycle_calendar import TargetKind, official_calendar
from models.deadlines import DeadlineStep
from models.dossier import Language
from models.events import (
    CaseEvent,
    CaseFacts,
    CertificateExpired,
    CertificateLoaded,
    CouncilMeetingScheduled,
    CouncilSessionOpened,
    CycleReported,
    DeadlineExtended,
    DossierAccepted,
    DossierReceived,
    DossierRejected,
    DossierReturned,
    ExpiryReminder,
    ForwardedToLevel,
    Lapsed,
    Notification,
    Recipient,
    RecipientRole,
    Recognised,
    RecognitionIncomplete,
    RescoreRequested,
    Revoked,
    ScoringResult,
    StepOverdue,
    SupplementReceived,
    SupplementRequested,
)
from models.register import NotificationRow
from models.stars import Stars
from models.transitions import CaseTransition
from tests.fixtures.database import Register
from tests.fixtures.smtp import CapturedMessage, SmtpTestServer

SENDER = "Văn phòng Điều phối OCOP tỉnh Quảng Ninh <ocop@quangninh.example.vn>"

HONEY = CaseFacts(
    reference="ocop-product-quang-ninh-mo-binhlieu",
    product_code="MO-BINHLIEU",
    product_name="Mật ong rừng Bình Liêu",
    applicant_name="HTX Hợp Tiến",
    province="quang-ninh",
    round_number=1,
    occurred_on=date(2024, 3, 4),
)
MOONCAKE = CaseFacts(
    reference="ocop-product-hai-duong-bdx-rvhg",
    product_code="BDX-RVHG",
    product_name="Bánh đậu xanh Rồng Vàng Hoàng Gia",
    applicant_name="Công ty TNHH Rồng Vàng Hoàng Gia",
    province="hai-duong",
    round_number=2,
    occurred_on=date(2025, 5, 12),
)

PRODUCER = Recipient(email="hoptien@example.vn", name="HTX Hợp Tiến")
PRODUCER_EN = Recipient(
    email="export@rongvanghoanggia.example.com",
    name="Rong Vang Hoang Gia Export Desk",
    language=Language.EN,
)
COUNCIL_MEMBER = Recipient(
    email="ngoc.ttb@sonnptnt.example.vn",
    name="Trần Thị Bích Ngọc",
    role=RecipientRole.COUNCIL_MEMBER,
)
COUNCIL_MEMBER_EN = Recipient(
    email="d.nguyen@university.example.edu",
    name="Dr. David Nguyen",
    language=Language.EN,
    role=RecipientRole.COUNCIL_MEMBER,
)
ADMINISTRATOR = Recipient(
    email="vanphong.ocop@quangninh.example.vn",
    name="Phạm Văn Đức",
    role=RecipientRole.ADMINISTRATOR,
)
ADMINISTRATOR_EN = Recipient(
    email="coordinator@quangninh.example.vn",
    name="Project Coordinator",
    language=Language.EN,
    role=RecipientRole.ADMINISTRATOR,
)


@dataclass(frozen=True)
class Sample:
    """An event as a workflow would emit it, and what each language must say about it."""

    event: CaseEvent
    audience: tuple[Recipient, Recipient]  # (Vietnamese reader, English reader)
    subject_vi: str
    facts_vi: tuple[str, ...]
    subject_en: str
    facts_en: tuple[str, ...]


PRODUCERS = (PRODUCER, PRODUCER_EN)
COUNCIL = (COUNCIL_MEMBER, COUNCIL_MEMBER_EN)
ADMINISTRATORS = (ADMINISTRATOR, ADMINISTRATOR_EN)

SAMPLES: dict[str, Sample] = {
    "dossier_received": Sample(
        DossierReceived(case=HONEY, registration_kind=RegistrationKind.FIRST, level="district"),
        PRODUCERS,
        "Hồ sơ sản phẩm “Mật ong rừng Bình Liêu” đã được tiếp nhận",
        ("Mã hồ sơ: ocop-product-quang-ninh-mo-binhlieu", "04/03/2024", "cấp huyện"),
        "Dossier for “Mật ong rừng Bình Liêu” received",
        ("Case reference: ocop-product-quang-ninh-mo-binhlieu", "4 March 2024", "district"),
    ),
    "certificate_expired": Sample(
        CertificateExpired(
            case=HONEY,
            certificate_number="BL-01",
            stars=Stars.THREE,
            valid_until=date(2027, 3, 1),
            registration_kind=RegistrationKind.REEVALUATION,
            stage=CaseStage.COUNCIL_SCORING,
        ),
        PRODUCERS,
        "Giấy chứng nhận OCOP sản phẩm “Mật ong rừng Bình Liêu” đã hết hiệu lực",
        ("BL-01", "01/03/2027", "đang được xử lý"),
        "has expired; its re-evaluation is in progress",
        ("BL-01", "1 March 2027", "Until a new recognition decision is issued"),
    ),
    "review_accepted": Sample(
        DossierAccepted(
            case=HONEY, reviewer="Lê Thu Hà", level="district", council_level="district"
        ),
        PRODUCERS,
        "Hồ sơ sản phẩm “Mật ong rừng Bình Liêu” đã được tiếp nhận và chuyển Hội đồng đánh giá",
        ("Lê Thu Hà", "04/03/2024", "Hội đồng đánh giá, phân hạng sản phẩm OCOP cấp huyện"),
        "accepted and sent to the evaluation council",
        ("Lê Thu Hà", "4 March 2024", "evaluation council at the district level"),
    ),
    "supplement_requested": Sample(
        SupplementRequested(
            case=HONEY,
            documents=(DocumentKind.TEST_RESULTS, DocumentKind.FOOD_SAFETY_CERTIFICATE),
            deadline=date(2024, 3, 19),
            reviewer="Lê Thu Hà",
            reason="Phiếu kiểm nghiệm đã quá 12 tháng",
        ),
        PRODUCERS,
        "Đề nghị bổ sung hồ sơ sản phẩm “Mật ong rừng Bình Liêu” trước ngày 19/03/2024",
        (
            "Phiếu kết quả kiểm nghiệm",
            "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
            "19/03/2024",
            "Phiếu kiểm nghiệm đã quá 12 tháng",
        ),
        "by 19 March 2024",
        ("Laboratory test results", "Food-safety eligibility certificate", "19 March 2024"),
    ),
    "supplement_received": Sample(
        SupplementReceived(
            case=HONEY,
            file_names=("phieu-kiem-nghiem-2024.pdf",),
            still_missing=(DocumentKind.FOOD_SAFETY_CERTIFICATE,),
        ),
        PRODUCERS,
        "Đã nhận tài liệu bổ sung cho hồ sơ sản phẩm “Mật ong rừng Bình Liêu”",
        (
            "phieu-kiem-nghiem-2024.pdf",
            "vẫn còn thiếu",
            "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
        ),
        "Additional documents received",
        ("phieu-kiem-nghiem-2024.pdf", "still missing", "Food-safety eligibility certificate"),
    ),
    "supplement_missed": Sample(
        DossierReturned(
            case=HONEY, deadline=date(2024, 3, 19), documents=(DocumentKind.TEST_RESULTS,)
        ),
        PRODUCERS,
        "Trả lại hồ sơ sản phẩm “Mật ong rừng Bình Liêu” do quá hạn bổ sung",
        ("19/03/2024", "Phiếu kết quả kiểm nghiệm", "trả lại"),
        "returned",
        ("19 March 2024", "Laboratory test results"),
    ),
    "review_rejected": Sample(
        DossierRejected(
            case=HONEY,
            reviewer="Lê Thu Hà",
            reason="Sản phẩm không thuộc danh mục nhóm thực phẩm đã đăng ký",
        ),
        PRODUCERS,
        "Hồ sơ sản phẩm “Mật ong rừng Bình Liêu” không được chấp nhận",
        ("Sản phẩm không thuộc danh mục nhóm thực phẩm đã đăng ký", "Lê Thu Hà"),
        "not accepted",
        ("Sản phẩm không thuộc danh mục nhóm thực phẩm đã đăng ký", "Lê Thu Hà"),
    ),
    "overdue": Sample(
        StepOverdue(
            case=HONEY,
            stage=CaseStage.LOCAL_REVIEW,
            level="district",
            deadline=date(2024, 4, 3),
        ),
        ADMINISTRATORS,
        "Quá hạn thẩm định hồ sơ",
        ("03/04/2024", "cấp huyện", "Mật ong rừng Bình Liêu", "MO-BINHLIEU"),
        "Overdue – dossier review",
        ("3 April 2024", "district level", "MO-BINHLIEU"),
    ),
    "council_meeting_scheduled": Sample(
        CouncilMeetingScheduled(
            case=HONEY,
            level="district",
            meets_on=date(2024, 4, 10),
            venue="Hội trường UBND huyện Bình Liêu",
            called_by="Thư ký hội đồng huyện",
            documents=("ban-dang-ky.pdf", "phieu-kiem-nghiem.pdf"),
        ),
        COUNCIL,
        "Phiên họp Hội đồng OCOP cấp huyện ngày 10/04/2024",
        ("Hội trường UBND huyện Bình Liêu", "phieu-kiem-nghiem.pdf", "chấm điểm sản phẩm tại"),
        "OCOP council meeting at district level on 10 April 2024",
        ("10 April 2024", "phieu-kiem-nghiem.pdf", "score the product at the meeting"),
    ),
    "deadline_extended": Sample(
        DeadlineExtended(
            case=HONEY,
            step=DeadlineStep.SUPPLEMENT,
            stage=CaseStage.AWAITING_SUPPLEMENT,
            working_days=5,
            reason="Phiếu kiểm nghiệm đang chờ phòng thí nghiệm trả kết quả",
            extended_by="Phòng Nông nghiệp huyện Bình Liêu",
            due_before=date(2024, 3, 25),
            due_after=date(2024, 4, 1),
        ),
        PRODUCERS,
        "Gia hạn bổ sung hồ sơ sản phẩm “Mật ong rừng Bình Liêu” đến ngày 01/04/2024",
        ("5 ngày làm việc", "25/03/2024", "01/04/2024", "chờ phòng thí nghiệm"),
        "Dossier supplement for “Mật ong rừng Bình Liêu” extended to 1 April 2024",
        ("5 working days", "25 March 2024", "Phòng Nông nghiệp huyện Bình Liêu"),
    ),
    "forwarded": Sample(
        ForwardedToLevel(
            case=MOONCAKE, from_level="district", to_level="province", mean=Decimal("78.40")
        ),
        PRODUCERS,
        "Sản phẩm “Bánh đậu xanh Rồng Vàng Hoàng Gia” được chuyển lên cấp tỉnh đánh giá",
        ("78,4 điểm", "cấp huyện", "cấp tỉnh"),
        "sent up to the provincial level",
        ("78.4 points", "district level", "provincial level"),
    ),
    "council_session_opened": Sample(
        CouncilSessionOpened(
            case=MOONCAKE, level="province", attempt=1, deadline=date(2025, 6, 11)
        ),
        COUNCIL,
        "Mời chấm điểm sản phẩm “Bánh đậu xanh Rồng Vàng Hoàng Gia” – Hội đồng OCOP cấp tỉnh",
        ("11/06/2025", "BDX-RVHG", "Công ty TNHH Rồng Vàng Hoàng Gia"),
        "Please score “Bánh đậu xanh Rồng Vàng Hoàng Gia”",
        ("11 June 2025", "BDX-RVHG"),
    ),
    "rescore_requested": Sample(
        RescoreRequested(
            case=MOONCAKE, level="province", attempt=2, lowest=64, highest=81, max_divergence=10
        ),
        COUNCIL,
        "chênh lệch 17 điểm",
        ("từ 64 đến 81 điểm", "vượt mức 10 điểm", "lần 2"),
        "17 points apart",
        ("from 64 to 81 points", "the 10 points allowed", "round 2"),
    ),
    "council_result": Sample(
        ScoringResult(
            case=MOONCAKE,
            level="province",
            part_means={
                "part_a": Decimal("31.20"),
                "part_b": Decimal("19.00"),
                "part_c": Decimal("28.20"),
            },
            mean=Decimal("78.40"),
            stars=Stars.FOUR,
            mandatory_criteria_met=True,
            outcome="recognise",
            outcome_detail="recognised at province level",
        ),
        PRODUCERS,
        "Kết quả chấm điểm sản phẩm “Bánh đậu xanh Rồng Vàng Hoàng Gia”: 78,4 điểm, 4 sao",
        ("Phần A", "31,2 điểm", "Phần B", "19 điểm", "Phần C", "28,2 điểm", "78,4/100", "4 sao"),
        "78.4 points, 4 stars",
        ("Part A", "31.2 points", "19 points", "28.2 points", "78.4/100", "4 stars"),
    ),
    "recognised": Sample(
        Recognised(
            case=MOONCAKE,
            level="province",
            authority="UBND tỉnh Hải Dương",
            decision_number="1687/QĐ-UBND",
            decided_on=date(2025, 7, 2),
            certificate_number="HD-2025-0118",
            stars=Stars.FOUR,
            valid_until=date(2028, 7, 1),
            previous_stars=Stars.THREE,
            registration_kind=RegistrationKind.UPGRADE,
        ),
        PRODUCERS,
        "Sản phẩm “Bánh đậu xanh Rồng Vàng Hoàng Gia” được công nhận sản phẩm OCOP 4 sao",
        (
            "Quyết định số 1687/QĐ-UBND ngày 02/07/2025",
            "HD-2025-0118",
            "01/07/2028",
            "nâng hạng từ 3 sao lên 4 sao",
        ),
        "recognised as a 4-star OCOP product",
        ("No. 1687/QĐ-UBND of 2 July 2025", "HD-2025-0118", "1 July 2028", "raised"),
    ),
    "expiry_reminder": Sample(
        ExpiryReminder(
            case=HONEY,
            certificate_number="QN-2021-0421",
            stars=Stars.THREE,
            valid_until=date(2024, 12, 30),
            days_left=30,
        ),
        PRODUCERS,
        "hết hạn sau 30 ngày (30/12/2024)",
        ("QN-2021-0421", "3 sao", "còn 30 ngày", "đánh giá lại", "Báo cáo kết quả sản xuất"),
        "expires in 30 days (30 December 2024)",
        ("QN-2021-0421", "3 stars", "re-evaluation", "three years"),
    ),
    "certificate_loaded": Sample(
        CertificateLoaded(
            case=HONEY,
            certificate_number="QN-2021-0421",
            stars=Stars.THREE,
            authority="UBND huyện Bình Liêu",
            decision_number="125/2021/QĐ-UBND",
            valid_until=date(2024, 12, 30),
            first_reminder=date(2024, 10, 2),
        ),
        PRODUCERS,
        "đã được đưa vào hệ thống theo dõi",
        ("QN-2021-0421", "30/12/2024", "02/10/2024", "UBND huyện Bình Liêu", "125/2021/QĐ-UBND"),
        "is now followed",
        ("QN-2021-0421", "30 December 2024", "2 October 2024", "re-evaluation"),
    ),
    "certificate_lapsed": Sample(
        Lapsed(
            case=HONEY,
            certificate_number="QN-2021-0421",
            stars=Stars.THREE,
            valid_until=date(2024, 12, 30),
        ),
        PRODUCERS,
        "Giấy chứng nhận OCOP sản phẩm “Mật ong rừng Bình Liêu” đã hết hiệu lực",
        ("QN-2021-0421", "30/12/2024", "không còn là sản phẩm OCOP"),
        "has lapsed",
        ("QN-2021-0421", "30 December 2024", "no longer an OCOP product"),
    ),
    "certificate_revoked": Sample(
        Revoked(
            case=HONEY,
            certificate_number="QN-2021-0421",
            stars=Stars.THREE,
            authority="UBND tỉnh Quảng Ninh",
            decision_number="3120/QĐ-UBND",
            decided_on=date(2024, 9, 16),
            grounds=RevocationGround.FOOD_SAFETY,
            details="Mẫu lấy ngày 05/09/2024 có dư lượng kháng sinh vượt ngưỡng",
        ),
        PRODUCERS,
        "Thu hồi giấy chứng nhận OCOP sản phẩm “Mật ong rừng Bình Liêu”",
        ("3120/QĐ-UBND", "16/09/2024", "Vi phạm an toàn thực phẩm", "dư lượng kháng sinh"),
        "revoked",
        ("3120/QĐ-UBND", "16 September 2024", "Food-safety violation"),
    ),
    "cycle_report": Sample(
        CycleReported(
            reference="ocop-cycle-quang-ninh-2024",
            occurred_on=date(2025, 1, 1),
            closed_by="Phạm Văn Đức",
            report=CycleReport(
                cycle="ocop-cycle-quang-ninh-2024",
                province="quang-ninh",
                year=2024,
                rulebook="qd148-2023",
                as_of=date(2025, 1, 1),
                closed=True,
                calendar=official_calendar(2024),
                submissions=117,
                certified=96,
                by_stage={CaseStage.CERTIFIED: 96, CaseStage.NOT_CERTIFIED: 21},
                by_stars={3: 80, 4: 15, 5: 1},
                by_locality={"binh-lieu": LocalityFigures(submitted=12, certified=10)},
                by_applicant_kind={ApplicantKind.COOPERATIVE: 117},
                awaiting_recognition={},
                overdue_reviews=0,
                overdue_scoring=0,
                targets=[
                    TargetProgress(target=TargetKind.THREE_STARS_OR_MORE, goal=100, achieved=96)
                ],
                decisions=[],
            ),
        ),
        ADMINISTRATORS,
        "Báo cáo kết quả chu trình OCOP năm 2024 – quang-ninh",
        ("Hồ sơ tiếp nhận", "Trong đó 5 sao", "96/100 – chưa đạt (còn thiếu 4)"),
        "OCOP cycle 2024 report – quang-ninh",
        ("Dossiers received", "of which 5 stars", "96/100 – not met (4 short)"),
    ),
    "recognition_incomplete": Sample(
        RecognitionIncomplete(
            reference="ocop-cycle-quang-ninh-2024",
            province="quang-ninh",
            year=2024,
            occurred_on=date(2024, 10, 15),
            authority="UBND huyện Bình Liêu",
            decision_number="125/2024/QĐ-UBND",
            decided_on=date(2024, 10, 15),
            listed=10,
            recognised=9,
            products=(
                UnrecognisedProduct(
                    product_code="MO-BINHLIEU",
                    workflow_id="ocop-product-quang-ninh-mo-binhlieu",
                    certificate_number="125/2024/QĐ-UBND-003",
                    failure=RecognitionFailure.FROZEN,
                    reason="its workflow task has failed 4 times in a row",
                    attempts=1,
                    retry_at=datetime(2024, 10, 15, 5, 10, tzinfo=UTC),
                ),
            ),
        ),
        ADMINISTRATORS,
        "Quyết định số 125/2024/QĐ-UBND: 1 sản phẩm chưa được công nhận",
        ("MO-BINHLIEU", "125/2024/QĐ-UBND-003", "đang bị treo", "9/10", "thử lại"),
        "Decision No. 125/2024/QĐ-UBND: 1 product not recognised",
        ("MO-BINHLIEU", "125/2024/QĐ-UBND-003", "frozen", "9 of 10", "try again"),
    ),
}


# ------------------------------------------------------------------------------ helpers


@pytest.fixture
def settings(smtp_server: SmtpTestServer, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security=SmtpSecurity.NONE,
        smtp_username=None,
        smtp_password=None,
        smtp_timeout_seconds=5.0,
        mail_sender=SENDER,
    )


@pytest.fixture
def notifier(register: Register, settings: Settings) -> NotificationActivities:
    return NotificationActivities(register.sessions, settings)


async def send(
    notifier: NotificationActivities, notification: Notification
) -> list[DeliveryResult]:
    """Run the activity the way a worker would (activity context, heartbeats)."""
    return await ActivityEnvironment().run(notifier.send_notification, notification)


def notification(event: CaseEvent, recipients: Sequence[Recipient], seq: int = 1) -> Notification:
    case_id = event.case.reference
    return Notification(
        key=f"{case_id}:r{event.case.round_number}:{seq:05d}:{event.kind}",
        workflow_id=case_id,
        event=event,
        recipients=tuple(recipients),
    )


async def ledger_row(register: Register, key: str) -> NotificationRow:
    async with register() as session:
        row = await session.scalar(
            select(NotificationRow).where(NotificationRow.notification_key == key)
        )
    assert row is not None, f"no ledger row {key}"
    return row


def plain(message: CapturedMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html(message: CapturedMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def html_as_text(message: CapturedMessage) -> str:
    """What a reader of the HTML part sees: tags dropped, entities decoded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html(message))).split())


def raw_headers(message: CapturedMessage) -> list[bytes]:
    head = message.raw.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


# ------------------------------------------------------------------ templates (no I/O)


def test_every_event_kind_has_a_sample_and_both_languages() -> None:
    assert set(SAMPLES) == set(EVENT_KINDS)
    for kind in EVENT_KINDS:
        for language in ("vi", "en"):
            assert (TEMPLATE_DIR / language / f"{kind}.j2").is_file(), (language, kind)


@pytest.mark.parametrize(
    ("previous", "vi", "en"),
    [
        (Stars.THREE, "được nâng hạng từ 3 sao lên 4 sao", "raised from 3 stars to 4 stars"),
        (Stars.FOUR, "giữ nguyên hạng 4 sao", "keeps its 4 stars"),
        (Stars.FIVE, "bị hạ hạng từ 5 sao xuống 4 sao", "lowered from 5 stars to 4 stars"),
    ],
)
def test_a_re_evaluation_says_whether_the_stars_were_kept_raised_or_lowered(
    previous: Stars, vi: str, en: str
) -> None:
    base = SAMPLES["recognised"].event
    assert isinstance(base, Recognised)
    event = base.model_copy(
        update={"previous_stars": previous, "registration_kind": RegistrationKind.REEVALUATION}
    )
    assert vi in " ".join(render(event, PRODUCER).text.split())
    assert en in " ".join(render(event, PRODUCER_EN).text.split())


def test_a_first_recognition_says_nothing_about_earlier_stars() -> None:
    base = SAMPLES["recognised"].event
    event = base.model_copy(update={"previous_stars": None})
    text = render(event, PRODUCER).text
    assert "nâng hạng" not in text and "giữ nguyên" not in text


@pytest.mark.parametrize(
    ("mandatory_met", "stars", "mean", "vi"),
    [
        (False, Stars.TWO, Decimal("61.00"), "chưa đáp ứng các tiêu chí bắt buộc"),
        (True, Stars.TWO, Decimal("44.50"), "chưa đạt 50 điểm"),
    ],
)
def test_a_result_without_certificate_explains_why(
    mandatory_met: bool, stars: Stars, mean: Decimal, vi: str
) -> None:
    base = SAMPLES["council_result"].event
    event = base.model_copy(
        update={
            "mandatory_criteria_met": mandatory_met,
            "stars": stars,
            "mean": mean,
            "outcome": "no_certificate",
        }
    )
    assert vi in " ".join(render(event, PRODUCER).text.split())


def test_the_report_counts_the_products_each_decision_could_not_recognise() -> None:
    report = SAMPLES["cycle_report"].event
    left = SAMPLES["recognition_incomplete"].event
    assert isinstance(report, CycleReported) and isinstance(left, RecognitionIncomplete)
    decision = DecisionSummary(
        level="district",
        authority=left.authority,
        number=left.decision_number,
        decided_on=left.decided_on,
        listed=10,
        recognised=9,
        first_certificate="125/2024/QĐ-UBND-001",
        last_certificate="125/2024/QĐ-UBND-010",
        unrecognised=left.products,
    )
    event = report.model_copy(
        update={"report": report.report.model_copy(update={"decisions": [decision]})}
    )
    vi = " ".join(render(event, ADMINISTRATOR).text.split())
    en = " ".join(render(event, ADMINISTRATOR_EN).text.split())
    assert "công nhận 9/10 sản phẩm" in vi and "1 sản phẩm chưa được công nhận" in vi
    assert "9 of 10 products recognised" in en and "1 not recognised" in en


def test_ocop_cycle_report_lists_each_product_a_decision_could_not_recognise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = SAMPLES["cycle_report"].event
    left = SAMPLES["recognition_incomplete"].event
    assert isinstance(report, CycleReported) and isinstance(left, RecognitionIncomplete)
    retried = left.products[0]
    given_up = retried.model_copy(
        update={
            "product_code": "MAM-NGU",
            "certificate_number": "125/2024/QĐ-UBND-007",
            "failure": RecognitionFailure.CLOSED,
            "reason": "the case was terminated",
            "retry_at": None,
        }
    )
    decision = DecisionSummary(
        level="district",
        authority=left.authority,
        number=left.decision_number,
        decided_on=left.decided_on,
        listed=10,
        recognised=8,
        unrecognised=(retried, given_up),
    )
    print_report(report.report.model_copy(update={"decisions": [decision]}))
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    frozen = next(line for line in lines if "MO-BINHLIEU" in line)
    closed = next(line for line in lines if "MAM-NGU" in line)
    # The retry comes at 12:10 on Vietnam's clock (05:10 UTC).
    assert "125/2024/QĐ-UBND-003" in frozen and "frozen" in frozen and "15/10/2024 12:10" in frozen
    assert "closed" in closed and "given up" in closed


def test_message_ids_are_deterministic_per_ledger_key() -> None:
    first = message_id_for("case:r1:00001:dossier_received:a@example.vn")
    assert first == message_id_for("case:r1:00001:dossier_received:a@example.vn")
    assert first != message_id_for("case:r1:00001:dossier_received:b@example.vn")
    assert first.startswith("<") and first.endswith("@ocop-flow>")


def test_failures_are_classified_temporary_or_permanent() -> None:
    import aiosmtplib

    refused = classify(aiosmtplib.SMTPConnectError("Error connecting to 127.0.0.1:1"))
    busy = classify(aiosmtplib.SMTPRecipientRefused(421, "Service not available", "a@b.vn"))
    unknown = classify(aiosmtplib.SMTPRecipientRefused(550, "Mailbox unavailable", "a@b.vn"))
    bad_credentials = classify(aiosmtplib.SMTPAuthenticationError(535, "Bad credentials"))
    lost = classify(aiosmtplib.SMTPServerDisconnected("Connection lost"), data_sent=True)
    assert refused.temporary and not refused.handed_over
    assert busy.temporary and busy.answer == "421 Service not available"
    assert unknown.permanent and unknown.answer == "550 Mailbox unavailable"
    assert bad_credentials.permanent  # retrying bad credentials forever alerts nobody
    assert lost.temporary and lost.handed_over


# -------------------------------------------------------------- delivery, per event kind


@pytest.mark.parametrize("kind", sorted(SAMPLES))
async def test_each_event_arrives_once_with_its_facts_in_the_readers_language(
    kind: str,
    notifier: NotificationActivities,
    smtp_server: SmtpTestServer,
    register: Register,
) -> None:
    sample = SAMPLES[kind]
    vi_reader, en_reader = sample.audience
    sent = notification(sample.event, sample.audience)

    results = await send(notifier, sent)

    assert [(r.recipient, r.status, r.sent_now) for r in results] == [
        (vi_reader.email, LedgerStatus.SENT, True),
        (en_reader.email, LedgerStatus.SENT, True),
    ]
    assert len(smtp_server.messages) == 2
    for reader, subject, facts in (
        (vi_reader, sample.subject_vi, sample.facts_vi),
        (en_reader, sample.subject_en, sample.facts_en),
    ):
        [message] = smtp_server.messages_to(reader.email)
        key = ledger_key(sent.key, reader.email)
        assert message.envelope_recipients == (reader.email,)
        assert message["To"].addresses[0].addr_spec == reader.email
        assert message["To"].addresses[0].display_name == reader.name
        assert message["From"].addresses[0].addr_spec == "ocop@quangninh.example.vn"
        assert "Văn phòng Điều phối OCOP" in message["From"].addresses[0].display_name
        # Decoded subject keeps its diacritics; on the wire it is RFC 2047, 7-bit clean.
        assert subject in message["Subject"]
        assert message["Subject"] == render(sample.event, reader).subject
        assert all(byte < 128 for byte in message.raw)
        assert any(line.startswith(b"Subject: =?utf-8?") for line in raw_headers(message))
        assert message["Message-ID"] == message_id_for(key)
        assert message[REFERENCE_HEADER] == sample.event.case.reference
        assert message["Content-Language"] == reader.language
        text = " ".join(plain(message).split())
        body_html = html_as_text(message)
        greeting = "Kính gửi" if reader.language == Language.VI else "Dear"
        assert f"{greeting} {reader.name}," in text
        assert sample.event.case.reference in text
        for fact in facts:
            assert fact in text, f"{kind}/{reader.language}: {fact!r} missing from text"
            assert fact in body_html, f"{kind}/{reader.language}: {fact!r} missing from HTML"

        row = await ledger_row(register, key)
        assert row.status == "sent"
        assert row.attempts == 1
        assert row.message_id == message_id_for(key)
        assert row.sent_at is not None
        assert row.smtp_response is not None and row.smtp_response.startswith("250")
        assert row.event_type == kind
        assert row.language == reader.language
        assert row.subject == message["Subject"]


# --------------------------------------------------------------------- exactly once


async def test_calling_the_activity_twice_sends_nothing_twice(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    sent = notification(SAMPLES["recognised"].event, PRODUCERS)

    first = await send(notifier, sent)
    again = await send(notifier, sent)

    assert [r.sent_now for r in first] == [True, True]
    assert [r.sent_now for r in again] == [False, False]
    assert [r.status for r in again] == [LedgerStatus.SENT, LedgerStatus.SENT]
    assert len(smtp_server.messages_to(PRODUCER.email)) == 1
    assert len(smtp_server.messages_to(PRODUCER_EN.email)) == 1
    row = await ledger_row(register, ledger_key(sent.key, PRODUCER.email))
    assert row.attempts == 1


async def test_a_crash_between_sending_and_recording_leaves_it_unconfirmed_and_resends_it(
    notifier: NotificationActivities,
    smtp_server: SmtpTestServer,
    register: Register,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before issue 11 the retry recorded such a message as `sent`, unconfirmed."""
    sent = notification(SAMPLES["council_result"].event, (PRODUCER,))
    key = ledger_key(sent.key, PRODUCER.email)
    real_mark_sent = NotificationLedger.mark_sent
    crashes = iter([True])

    async def mark_sent_once_failing(
        self: NotificationLedger, key: str, attempt: int, answer: str, claimed: LedgerEntry
    ) -> None:
        if next(crashes, False):
            raise ConnectionResetError("register unreachable after the send")
        await real_mark_sent(self, key, attempt, answer, claimed)

    monkeypatch.setattr(NotificationLedger, "mark_sent", mark_sent_once_failing)

    with pytest.raises(ApplicationError) as raised:
        await send(notifier, sent)
    assert raised.value.type == TEMPORARY_FAILURE_TYPE
    assert len(smtp_server.messages) == 1
    row = await ledger_row(register, key)
    assert (row.status, row.attempts, row.unconfirmed_sends) == ("unconfirmed", 1, 1)
    assert row.sent_at is not None  # the hand-over was recorded before DATA

    [result] = await send(notifier, sent)  # Temporal's retry: sent again, same Message-ID

    assert [m["Message-ID"] for m in smtp_server.messages] == [message_id_for(key)] * 2
    assert (result.status, result.sent_now) == (LedgerStatus.SENT, True)
    row = await ledger_row(register, key)
    assert (row.status, row.attempts, row.unconfirmed_sends) == ("sent", 2, 1)
    assert row.smtp_response is not None and "re-sent with the same Message-ID" in row.smtp_response


# --------------------------------------------------------------------------- failures


async def test_an_outage_is_retried_and_recovery_delivers_everything_queued(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    queued = [
        notification(SAMPLES[kind].event, (PRODUCER,), seq)
        for seq, kind in enumerate(("dossier_received", "supplement_requested", "forwarded"), 1)
    ]
    keys = [ledger_key(n.key, PRODUCER.email) for n in queued]

    smtp_server.stop()  # the relay is down: connections are refused
    for item in queued:
        with pytest.raises(ApplicationError):
            await send(notifier, item)
    smtp_server.start()
    smtp_server.fail_next(421, count=2, stage="rcpt")  # back, but busy
    smtp_server.fail_next(451, count=1, stage="data")  # and refusing one message at DATA
    for item in queued:
        with pytest.raises(ApplicationError) as raised:
            await send(notifier, item)
        assert raised.value.type == TEMPORARY_FAILURE_TYPE
    assert smtp_server.messages == []

    answers = [(await ledger_row(register, key)) for key in keys]
    assert [(r.status, r.attempts, r.sent_at) for r in answers] == [("pending", 2, None)] * 3
    assert [str(r.smtp_response)[:3] for r in answers] == ["421", "421", "451"]

    for item in queued:  # recovery: Temporal's next retries
        [result] = await send(notifier, item)
        assert result.sent_now and result.attempts == 3

    received = smtp_server.messages_to(PRODUCER.email)
    assert [m["Message-ID"] for m in received] == [message_id_for(key) for key in keys]
    assert [(await ledger_row(register, key)).status for key in keys] == ["sent"] * 3


async def test_the_first_refused_connection_is_recorded_with_its_answer(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    smtp_server.stop()
    sent = notification(SAMPLES["dossier_received"].event, (PRODUCER,))
    with pytest.raises(ApplicationError):
        await send(notifier, sent)
    row = await ledger_row(register, ledger_key(sent.key, PRODUCER.email))
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.smtp_response is not None and "connect" in row.smtp_response.lower()


async def test_a_refused_recipient_is_recorded_failed_and_the_others_are_served(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    gone = Recipient(
        email="thanhvien.cu@sonnptnt.example.vn",
        name="Hoàng Văn Khải",
        role=RecipientRole.COUNCIL_MEMBER,
    )
    smtp_server.reject_recipient(gone.email, 550, "5.1.1 Mailbox does not exist")
    recipients = (COUNCIL_MEMBER, gone, COUNCIL_MEMBER_EN)
    sent = notification(SAMPLES["council_session_opened"].event, recipients)

    with pytest.raises(ApplicationError) as raised:  # not retried; the workflow goes on
        await send(notifier, sent)

    assert (raised.value.type, raised.value.non_retryable) == (PERMANENT_FAILURE_TYPE, True)
    [failed] = raised.value.details
    assert failed["recipient"] == gone.email and failed["status"] == "failed"
    assert failed["smtp_response"] == "550 5.1.1 Mailbox does not exist"
    assert smtp_server.messages_to(gone.email) == []
    assert len(smtp_server.messages_to(COUNCIL_MEMBER.email)) == 1
    assert len(smtp_server.messages_to(COUNCIL_MEMBER_EN.email)) == 1
    row = await ledger_row(register, ledger_key(sent.key, gone.email))
    assert (row.status, row.attempts, row.sent_at) == ("failed", 1, None)
    assert row.smtp_response == "550 5.1.1 Mailbox does not exist"

    with pytest.raises(ApplicationError):  # a second run neither retries nor resends
        await send(notifier, sent)
    assert len(smtp_server.messages) == 2
    assert (await ledger_row(register, ledger_key(sent.key, gone.email))).attempts == 1


async def test_a_temporary_failure_of_one_recipient_does_not_hold_up_the_others(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    smtp_server.fail_next(452, count=1, stage="rcpt")  # only the first RCPT
    sent = notification(SAMPLES["rescore_requested"].event, COUNCIL)

    with pytest.raises(ApplicationError):
        await send(notifier, sent)
    assert smtp_server.messages_to(COUNCIL_MEMBER.email) == []
    assert len(smtp_server.messages_to(COUNCIL_MEMBER_EN.email)) == 1

    results = await send(notifier, sent)
    assert [r.sent_now for r in results] == [True, False]
    assert len(smtp_server.messages) == 2


async def test_an_unusable_address_is_recorded_failed_without_reaching_the_server(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    broken = Recipient.model_construct(
        email="hoptien@example.vn>\r\nRCPT TO:<attacker@evil.example",
        name="HTX Hợp Tiến",
        language=Language.VI,
        role=RecipientRole.PRODUCER,
    )
    sent = Notification.model_construct(
        key="ocop-product-quang-ninh-mo-binhlieu:r1:00009:lapsed",
        workflow_id=HONEY.reference,
        event=SAMPLES["certificate_lapsed"].event,
        recipients=(broken, PRODUCER_EN),
    )
    with pytest.raises(ApplicationError) as raised:
        await send(notifier, sent)
    assert raised.value.type == PERMANENT_FAILURE_TYPE
    assert [d["status"] for d in raised.value.details] == ["failed"]
    assert [m.envelope_recipients for m in smtp_server.messages] == [(PRODUCER_EN.email,)]


# ------------------------------------------------------------------- hostile content


async def test_a_line_break_in_a_recipient_name_injects_no_header(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    sly = Recipient(
        email="hoptien@example.vn",
        name="HTX Hợp Tiến\r\nBcc: attacker@evil.example\r\nX-Injected: yes",
    )
    await send(notifier, notification(SAMPLES["dossier_received"].event, (sly,)))

    [message] = smtp_server.messages
    assert message.envelope_recipients == ("hoptien@example.vn",)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["hoptien@example.vn"]
    assert message["To"].addresses[0].display_name == (
        "HTX Hợp Tiến Bcc: attacker@evil.example X-Injected: yes"
    )
    assert not any(
        line.lower().startswith((b"bcc:", b"x-injected:")) for line in raw_headers(message)
    )


async def test_a_line_break_smuggled_into_a_product_name_injects_no_header(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    facts = CaseFacts.model_construct(
        **(
            MOONCAKE.model_dump()
            | {
                "product_name": "Bánh đậu xanh\r\nBcc: attacker@evil.example\nX-Injected: yes",
                "reference": "ocop-product-hai-duong-bdx-rvhg\r\nCc: other@evil.example",
            }
        )
    )
    event = DossierReceived.model_construct(
        kind=CaseTransition.DOSSIER_RECEIVED,
        case=facts,
        registration_kind=RegistrationKind.UPGRADE,
        level="province",
    )
    sent = Notification.model_construct(
        key="ocop-product-hai-duong-bdx-rvhg:r2:00001:dossier_received",
        workflow_id=MOONCAKE.reference,
        event=event,
        recipients=(PRODUCER,),
    )

    [result] = await send(notifier, sent)

    assert result.status == LedgerStatus.SENT
    [message] = smtp_server.messages
    assert message.envelope_recipients == (PRODUCER.email,)
    for header in ("Bcc", "Cc", "X-Injected"):
        assert message[header] is None, header
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert "Bánh đậu xanh Bcc: attacker@evil.example X-Injected: yes" in message["Subject"]
    assert message[REFERENCE_HEADER] == "ocop-product-hai-duong-bdx-rvhg Cc: other@evil.example"
    assert not any(
        line.lower().startswith((b"bcc:", b"cc:", b"x-injected:")) for line in raw_headers(message)
    )


async def test_the_html_body_escapes_markup_in_a_product_name(
    notifier: NotificationActivities, smtp_server: SmtpTestServer, register: Register
) -> None:
    facts = MOONCAKE.model_copy(
        update={"product_name": "Bánh <script>alert('OCOP')</script> Rồng Vàng & Hoàng Gia"}
    )
    event = Lapsed(
        case=facts,
        certificate_number="HD-2022-0007",
        stars=Stars.FOUR,
        valid_until=date(2025, 4, 1),
    )
    await send(notifier, notification(event, (PRODUCER,)))

    [message] = smtp_server.messages
    body_html = html(message)
    assert "<script>" not in body_html
    assert "&lt;script&gt;alert(&#39;OCOP&#39;)&lt;/script&gt;" in body_html
    assert "Rồng Vàng &amp; Hoàng Gia" in body_html
    text = " ".join(plain(message).split())
    assert "Bánh <script>alert('OCOP')</script> Rồng Vàng & Hoàng Gia" in text


async def test_starttls_required_but_not_offered_sends_nothing_in_clear(
    register: Register, settings: Settings, smtp_server: SmtpTestServer
) -> None:
    strict = NotificationActivities(
        register.sessions, settings.model_copy(update={"smtp_security": SmtpSecurity.STARTTLS})
    )
    sent = notification(SAMPLES["dossier_received"].event, (PRODUCER,))

    with pytest.raises(ApplicationError):
        await send(strict, sent)

    assert smtp_server.messages == []
    row = await ledger_row(register, ledger_key(sent.key, PRODUCER.email))
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.smtp_response is not None and "STARTTLS" in row.smtp_response

"""The portal's pages over HTTP: a producer submits a dossier with its documents, the
district office asks for a supplement, the producer brings it, the office accepts —
and each refusal is shown on the page it was tried from, with what was typed kept."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from pypdf import PdfReader

from tests.fixtures.api import ApiWorld
from tests.portal.forms import FOOD_DOCUMENTS, dossier_form, pdf, signed_in, text_of
from tests.test_api_case import opened

pytestmark = pytest.mark.devserver


async def test_a_dossier_goes_from_the_producer_to_the_office_and_back(
    portal_world: ApiWorld,
) -> None:
    world = portal_world
    code = f"MO-{uuid.uuid4().hex[:6].upper()}"
    async with signed_in(world, "producer") as producer:
        files = [
            (f"file_{kind}", (f"{kind}.pdf", pdf(kind + code), "application/pdf"))
            for kind in FOOD_DOCUMENTS
        ]
        held = await producer.post(
            "/portal/dossiers/new?group=food", "/portal/dossiers", dossier_form(code), files
        )
        assert held.status_code == 422, held.text
        page = text_of(held.text)
        assert "còn thiếu tài liệu bắt buộc" in page
        assert "✗ Còn thiếu" in page and "Phiếu kết quả kiểm nghiệm" in page
        kept = re.findall(r'name="kept" value="([^"]+)"', held.text)
        assert len(kept) == len(FOOD_DOCUMENTS)
        sent = await producer.post(
            "/portal/dossiers/new?group=food",
            "/portal/dossiers",
            {**dossier_form(code), "kept": kept, "send_incomplete": "yes"},
        )
        assert sent.status_code == 200, sent.text
        assert "/portal/cases/" in str(sent.url), sent.url
        case_path = str(sent.url.path)
        assert "Đã nộp hồ sơ" in text_of(sent.text)
    async with signed_in(world, "reviewer-bl") as office:
        inbox = await office.page("/portal/reviews")
        listed = text_of(inbox.text)
        assert "Mật ong rừng Bình Liêu" in listed and "Còn 42 ngày" in listed, listed
        checklist = text_of((await office.page(case_path)).text)
        assert "✗ Còn thiếu: Phiếu kết quả kiểm nghiệm" in checklist
        assert "Chủ thể có 15 ngày làm việc để bổ sung." in checklist, checklist
        asked = await office.post(
            case_path,
            case_path + "/review",
            {
                "action": "request_supplement",
                "documents_requested": ["test_results"],
                "reason": "thiếu phiếu kiểm nghiệm",
            },
        )
        assert asked.status_code == 200, asked.text
        told = text_of(asked.text)
        assert "chờ chủ thể bổ sung hồ sơ" in told
        assert "Yêu cầu bổ sung hồ sơ: Phiếu kết quả kiểm nghiệm; hạn 25/03/2024 23:59" in told
    async with signed_in(world, "producer") as producer:
        page = text_of((await producer.page(case_path)).text)
        assert "Cơ quan thẩm định yêu cầu bổ sung, hạn 25/03/2024 23:59" in page
        brought = await producer.post(
            case_path,
            case_path + "/supplement",
            {},
            [
                (
                    "file_test_results",
                    ("kiem-nghiem.pdf", pdf("kiem nghiem" + code), "application/pdf"),
                )
            ],
        )
        assert brought.status_code == 200, brought.text
        after = text_of(brought.text)
        assert "đang thẩm định hồ sơ" in after and "Đã nhận hồ sơ bổ sung" in after
        assert "✓ Phiếu kết quả kiểm nghiệm: kiem-nghiem.pdf" in after


async def test_a_council_scores_its_chair_closes_and_the_authority_issues_the_decision(
    portal_world: ApiWorld,
) -> None:
    world = portal_world
    workflow_id, _ = await opened(world)
    case_path = f"/portal/cases/{workflow_id}"
    async with signed_in(world, "reviewer-bl") as office:
        accepted = await office.post(case_path, case_path + "/review", {"action": "accept"})
        assert "đang được Hội đồng chấm điểm" in text_of(accepted.text)

    card = {"part_a": "25", "part_b": "15", "part_c": "22", "mandatory_criteria_met": "yes"}
    async with signed_in(world, "district-m1") as member:
        inbox = text_of((await member.page("/portal/council")).text)
        assert "Mật ong rừng Bình Liêu" in inbox and "chưa chấm" in inbox, inbox
        draft = await member.post(
            case_path, case_path + "/scorecard", {**card, "part_a": "99", "intent": "draft"}
        )
        assert "Đã lưu nháp phiếu chấm" in text_of(draft.text)
        assert 'name="part_a" min="0" max="40" step="1" value="99"' in draft.text
        over = await member.post(case_path, case_path + "/scorecard", {**card, "part_a": "99"})
        assert over.status_code == 409, over.text
        assert "part_a has 99 points but its maximum is 40" in text_of(over.text)
        assert 'value="99"' in over.text
    for seat, part_c in (("chair", "22"), ("m1", "20"), ("m2", "24"), ("m3", "21")):
        async with signed_in(world, f"district-{seat}") as member:
            scored = await member.post(
                case_path, case_path + "/scorecard", {**card, "part_c": part_c}
            )
            assert "Đã nộp phiếu chấm điểm" in text_of(scored.text), text_of(scored.text)

    async with signed_in(world, "secretary") as secretary:
        session = text_of((await secretary.page(case_path)).text)
        assert "✓ Đủ số phiếu" in session and "4 điểm (cho phép tối đa 10)" in session, session
        closed = await secretary.post(case_path, case_path + "/close-session", {})
        assert "Kết quả phiên: 61.75 điểm, 3 sao" in text_of(closed.text)

    async with signed_in(world, "ubnd-bl") as authority:
        listed = text_of((await authority.page("/portal/decisions")).text)
        assert "Mật ong rừng Bình Liêu" in listed and "61.75" in listed, listed
        number = f"{uuid.uuid4().hex[:4]}/QĐ-UBND"
        fields = {"workflow_id": [workflow_id], "decision_number": number}
        preview = await authority.post("/portal/decisions", "/portal/decisions", fields)
        assert f"{number}-001" in text_of(preview.text)
        heading = rf"Xem trước quyết định: {re.escape(number)} · \d{{2}}/\d{{2}}/\d{{4}}"
        assert re.search(heading, text_of(preview.text)), text_of(preview.text)
        printed = await authority.post(
            "/portal/decisions", "/portal/decisions", {**fields, "intent": "issue"}
        )
        assert printed.status_code == 200, printed.text
        decision = text_of(printed.text)
        assert "QUYẾT ĐỊNH" not in decision  # the authority's name heads it, in capitals
        assert "UBND HUYỆN BÌNH LIÊU" in decision and f"{number}-001" in decision, decision

    async with signed_in(world, "producer") as producer:
        mine = text_of((await producer.page(case_path)).text)
        assert "đã được công nhận" in mine and f"{number}-001 · ★★★" in mine, mine
        pdf_answer = await producer.page(case_path + "/certificate.pdf")
        assert pdf_answer.headers["content-type"] == "application/pdf"
        printed_text = PdfReader(io.BytesIO(pdf_answer.content)).pages[0].extract_text()
        for words in ("GIẤY CHỨNG NHẬN SẢN PHẨM OCOP", "Mật ong rừng Bình Liêu", "Đạt hạng 3 sao"):
            assert words in printed_text, printed_text
        assert f"{number}-001" in printed_text

        # Later, the producer applies again, reusing the dossier the case holds.
        form = await producer.page(case_path + "/apply")
        assert "Tài liệu của hồ sơ trước (dùng lại)" in text_of(form.text)
        kept = re.findall(r'name="kept" value="([^"]+)"', form.text)
        assert len(kept) == 7
        early = await producer.post(
            case_path + "/apply", case_path + "/apply", {"kind": "reevaluation", "kept": kept}
        )
        assert early.status_code == 409, early.text
        assert "re-evaluation opens on 2026-09-03, 180 days before expiry" in text_of(early.text)
        upgrade = await producer.post(
            case_path + "/apply", case_path + "/apply", {"kind": "upgrade", "kept": kept}
        )
        assert upgrade.status_code == 200, upgrade.text
        again = text_of(upgrade.text)
        assert "đang thẩm định hồ sơ" in again, again


async def test_english_is_a_click_away_and_the_choice_stays(api_world: ApiWorld) -> None:
    async with signed_in(api_world, "producer") as producer:
        vietnamese = text_of((await producer.page("/portal/products")).text)
        assert "Sản phẩm của tôi" in vietnamese and "Nộp hồ sơ mới" in vietnamese
        english = await producer.page("/portal/language/en?back=/portal/products")
        assert english.url.path == "/portal/products"
        words = text_of(english.text)
        assert "My products" in words and "Submit a new dossier" in words
        assert "Tiếng Việt" in words  # the way back
        again = text_of((await producer.page("/portal/dossiers/new?group=food")).text)
        assert "Documents the group requires" in again and "Laboratory test results" in again
        elsewhere = await producer.http.get("/portal/language/en?back=https://evil.example/")
        assert elsewhere.headers["location"] == "/portal/"


async def test_after_a_divergence_the_members_are_told_why_they_score_again(
    api_world: ApiWorld,
) -> None:
    world = api_world
    workflow_id, _ = await opened(world)
    case_path = f"/portal/cases/{workflow_id}"
    async with signed_in(world, "reviewer-bl") as office:
        await office.post(case_path, case_path + "/review", {"action": "accept"})
    card = {"part_b": "15", "part_c": "20", "mandatory_criteria_met": "yes"}
    for seat, part_a in (("chair", "15"), ("m1", "25"), ("m2", "35"), ("m3", "25")):
        async with signed_in(world, f"district-{seat}") as member:
            await member.post(case_path, case_path + "/scorecard", {**card, "part_a": part_a})
    async with signed_in(world, "secretary") as secretary:
        session = text_of((await secretary.page(case_path)).text)
        assert "20 điểm (cho phép tối đa 10)" in session, session
        closed = await secretary.post(case_path, case_path + "/close-session", {})
        assert "Điểm chênh lệch quá mức: các thành viên chấm lại." in text_of(closed.text)
    async with signed_in(world, "district-m1") as member:
        again = text_of((await member.page(case_path)).text)
        assert (
            "Chấm lại (lần 2): tổng điểm các thành viên chênh nhau 20 điểm, quá 10 điểm cho phép."
            in again
        ), again
        assert "Điểm chênh lệch nhiều: Hội đồng chấm lại: chênh lệch 20 điểm" in again

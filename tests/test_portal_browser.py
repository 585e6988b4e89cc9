"""One product's whole life in the portal, in a real Chromium, each person at their own
browser: the producer submits with uploads, the district office asks for a supplement,
the producer brings it, four members score, the secretary closes, the authority issues
the decision, the producer downloads the certificate — and each role's refusals are
shown on the page, with what was typed kept. Each role's main page is photographed into
`build/screenshots/`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.fixtures.api import ApiWorld
from tests.portal.forms import FOOD_DOCUMENTS, pdf
from tests.portal.people import Person, signed_in

pytestmark = [pytest.mark.devserver, pytest.mark.timeout(420)]


async def press(page: Any, button: str) -> None:
    """Press the button of that exact name (a label may hold the same words)."""
    async with page.expect_navigation():
        await page.get_by_role("button", name=button, exact=True).click()


def upload(name: str, content: bytes, mime: str = "application/pdf") -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": content}


async def submit_dossier(producer: Person, code: str) -> str:
    """The producer's dossier, sent without its test results; the case page's path."""
    page = producer.page
    await producer.open("/portal/products")
    await page.click("text=Nộp hồ sơ mới")
    await page.select_option("select[name=group]", "food")
    await press(page, "Chọn nhóm")
    await page.select_option("select[name=product_set]", "processed_food")
    await page.fill("input[name=product_code]", code)
    await page.fill("input[name=product_name]", "Mật ong rừng Bình Liêu")
    await page.fill("input[name=locality]", "binh-lieu")
    await page.fill("input[name='applicant.name']", "HTX Hợp Tiến")
    await page.select_option("select[name='applicant.kind']", "cooperative")
    # A program is not a document: refused by its bytes, whatever its name says.
    await page.set_input_files(
        "input[name=file_test_results]", upload("ket-qua.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 64)
    )
    for kind in FOOD_DOCUMENTS:
        await page.set_input_files(
            f"input[name=file_{kind}]", upload(f"{kind}.pdf", pdf(kind + code))
        )
    await press(page, "Gửi hồ sơ")
    refusal = await producer.refusal()
    assert "ket-qua.pdf không phải loại được nhận" in refusal, refusal
    assert await page.input_value("input[name=product_name]") == "Mật ong rừng Bình Liêu"
    await producer.shot("producer-dossier-refused")
    await press(page, "Gửi hồ sơ")  # the six stored files are kept; test results missing
    assert "còn thiếu tài liệu bắt buộc" in await producer.refusal()
    assert "✗ Còn thiếu" in await producer.main_text()
    await page.check("input[name=send_incomplete]")
    await press(page, "Gửi hồ sơ")
    assert "Đã nộp hồ sơ Mật ong rừng Bình Liêu" in await producer.main_text()
    path: str = page.url.removeprefix(producer.base_url).split("?")[0]
    return path


async def test_one_product_through_the_portal_by_each_of_its_people(
    portal_world: ApiWorld, chromium: Any, screenshots: Path
) -> None:
    world = portal_world
    code = f"MO-{uuid.uuid4().hex[:6].upper()}"

    def person(username: str, **context: Any) -> Any:
        return signed_in(chromium, world.base_url, screenshots, username, **context)

    async with person("producer") as producer:
        case_path = await submit_dossier(producer, code)

    async with person("other-producer") as stranger:
        await stranger.open(case_path)
        assert "chỉ thao tác trên hồ sơ của chủ thể mình" in await stranger.refusal() or (
            "Không được phép" in await stranger.refusal()
        )

    async with person("reviewer-bl") as office:
        inbox = await office.main_text()
        assert "Mật ong rừng Bình Liêu" in inbox and "Còn 42 ngày" in inbox, inbox
        await office.shot("reviewer-inbox")
        await office.page.click("text=Mở hồ sơ")
        await office.page.check("input[name=action][value=reject]")
        await press(office.page, "Thẩm định")
        assert "a rejection must give its reason" in await office.refusal()
        assert await office.page.is_checked("input[name=action][value=reject]")
        await office.page.check("input[name=action][value=request_supplement]")
        await press(office.page, "Thẩm định")
        told = await office.main_text()
        assert "Yêu cầu bổ sung hồ sơ: Phiếu kết quả kiểm nghiệm; hạn 25/03/2024" in told, told

    async with person("producer") as producer:
        await producer.open(case_path)
        assert (
            "Cơ quan thẩm định yêu cầu bổ sung, hạn 25/03/2024 23:59" in await producer.main_text()
        )
        await producer.page.set_input_files(
            "input[name=file_test_results]", upload("kiem-nghiem.pdf", pdf("kiem nghiem" + code))
        )
        await press(producer.page, "Gửi bổ sung")
        assert "Đã nhận hồ sơ bổ sung" in await producer.main_text()

    async with person("reviewer-bl") as office:
        await office.open(case_path)
        await office.page.check("input[name=action][value=accept]")
        await press(office.page, "Thẩm định")
        assert "đang được Hội đồng chấm điểm" in await office.main_text()

    async with person("secretary") as secretary:
        await secretary.open(case_path)
        await press(secretary.page, "Kết thúc phiên chấm")
        assert "quorum not reached" in await secretary.refusal()

    for seat, part_c in (("chair", "22"), ("m1", "20"), ("m2", "24"), ("m3", "21")):
        async with person(f"district-{seat}") as member:
            assert "Mật ong rừng Bình Liêu" in await member.main_text()
            if seat == "m1":
                await member.shot("council-member-inbox")
            await member.page.click("text=Mật ong rừng Bình Liêu")
            page = member.page
            await page.fill("input[name=part_a]", "99" if seat == "m1" else "25")
            await page.fill("input[name=part_b]", "15")
            await page.fill("input[name=part_c]", part_c)
            await page.check("input[name=mandatory_criteria_met]")
            if seat == "m1":
                # The form knows part A's maximum (40) and will not send 99; the case
                # refuses it too when sent by other means (tests/test_portal_pages.py).
                await page.get_by_role("button", name="Nộp phiếu chấm", exact=True).click()
                over = "e => e.validity.rangeOverflow && e.max === '40'"
                assert await page.eval_on_selector("input[name=part_a]", over)
                assert "Đã nộp" not in await member.main_text()
                await page.fill("input[name=part_a]", "25")
                await press(page, "Lưu nháp")
                assert "Đã lưu nháp phiếu chấm" in await member.main_text()
                await member.shot("council-member-scorecard")
            await press(page, "Nộp phiếu chấm")
            assert "Đã nộp phiếu chấm điểm" in await member.main_text()

    async with person("secretary") as secretary:
        await secretary.open(case_path + "#session")
        session = await secretary.main_text()
        assert "Đủ số phiếu" in session and "4 điểm (cho phép tối đa 10)" in session, session
        await secretary.shot("council-secretary-session")
        await press(secretary.page, "Kết thúc phiên chấm")
        assert "Kết quả phiên: 61.75 điểm, 3 sao" in await secretary.main_text()

    number = f"{uuid.uuid4().hex[:4]}/QĐ-UBND"
    async with person("ubnd-bl") as authority:
        assert "Mật ong rừng Bình Liêu" in await authority.main_text()
        await authority.page.fill("input[name=decision_number]", "số?")
        await press(authority.page, "Xem trước quyết định")
        assert "decision_number" in await authority.refusal()
        await authority.page.fill("input[name=decision_number]", number)
        await press(authority.page, "Xem trước quyết định")
        assert f"{number}-001" in await authority.main_text()
        await authority.shot("authority-decisions")
        await press(authority.page, "Ban hành quyết định")
        printed = await authority.main_text()
        assert "UBND HUYỆN BÌNH LIÊU" in printed and f"{number}-001" in printed, printed
        await authority.shot("authority-decision-printed")

    async with person("producer", viewport={"width": 390, "height": 844}) as producer:
        await producer.open(case_path)
        assert f"{number}-001 · ★★★" in await producer.main_text()
        await producer.shot("producer-case-phone")
        async with producer.page.expect_download() as waiting:
            await producer.page.click("text=Tải giấy chứng nhận")
        download = await waiting.value
        text = PdfReader(str(await download.path())).pages[0].extract_text()
        assert "Mật ong rừng Bình Liêu" in text and "Đạt hạng 3 sao" in text, text

    async with person("producer") as producer:
        listed = await producer.main_text()
        assert "Mật ong rừng Bình Liêu" in listed and "đã được công nhận" in listed, listed
        await producer.shot("producer-products")

    for name in (
        "producer-products",
        "reviewer-inbox",
        "council-member-inbox",
        "authority-decisions",
    ):
        assert (screenshots / f"{name}.png").stat().st_size > 10_000

"""The portal refuses what it must, on the page, in the rule's words: a form not sent
from its own page, a person on another role's page or another producer's case, a file
that is not a document, a hash the store does not hold, a wrong password — and what was
typed stays in the form."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.fixtures.api import ApiWorld
from tests.portal.forms import dossier_form, pdf, signed_in, text_of
from tests.test_api_case import opened

pytestmark = pytest.mark.devserver


async def test_signing_in_refuses_a_wrong_password_and_never_leaves_the_portal(
    api_world: ApiWorld,
) -> None:
    async with httpx.AsyncClient(base_url=api_world.base_url, timeout=30.0) as http:
        wrong = await http.post(
            "/portal/sign-in",
            data={"username": "producer", "password": "sai", "next": "https://evil.example/"},
        )
        assert wrong.status_code == 401
        assert "tên đăng nhập hoặc mật khẩu không đúng" in text_of(wrong.text)
        assert 'name="username" value="producer"' in wrong.text  # what was typed stays
        assert 'value="/portal/"' in wrong.text  # another site is never where it goes next
        away = await http.get("/portal/products")
        assert away.status_code == 303
        assert away.headers["location"] == "/portal/sign-in?next=/portal/products"
        page = await http.get("/portal/sign-in")
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_a_form_not_sent_from_the_portal_is_refused(api_world: ApiWorld) -> None:
    workflow_id, _ = await opened(api_world)
    async with signed_in(api_world, "reviewer-bl") as office:
        forged = await office.http.post(
            f"/portal/cases/{workflow_id}/review", data={"action": "accept", "csrf": "0" * 32}
        )
        assert forged.status_code == 403
        assert "biểu mẫu không gửi từ trang của cổng thông tin" in text_of(forged.text)
        status = await api_world.call("GET", f"/api/v1/cases/{workflow_id}", "operator")
        assert status.json()["stage"] == "local_review"  # nothing was done


async def test_each_person_sees_only_their_own_work(api_world: ApiWorld) -> None:
    workflow_id, _ = await opened(api_world)
    case_path = f"/portal/cases/{workflow_id}"
    async with signed_in(api_world, "other-producer") as stranger:
        page = await stranger.page(case_path)
        assert page.status_code == 403
        assert "Không được phép" in text_of(page.text)
        assert "Mật ong rừng Bình Liêu" not in page.text
    async with signed_in(api_world, "reviewer-ty") as other_office:
        inbox = text_of((await other_office.page("/portal/reviews")).text)
        assert "Không có hồ sơ nào chờ thẩm định" in inbox
        tried = await other_office.post(
            "/portal/reviews", case_path + "/review", {"action": "accept"}
        )
        assert tried.status_code == 403, tried.text
        assert "chỉ thẩm định hồ sơ của địa bàn 'tien-yen'" in text_of(tried.text)
    async with signed_in(api_world, "producer") as producer:
        office_page = await producer.page("/portal/reviews")
        assert office_page.status_code == 403
        assert "required role: reviewer" in text_of(office_page.text)
        decisions = await producer.page("/portal/decisions")
        assert decisions.status_code == 403


async def test_documents_are_only_what_the_store_holds_and_only_for_the_case(
    portal_world: ApiWorld,
) -> None:
    world = portal_world
    code = f"MO-{uuid.uuid4().hex[:6].upper()}"
    form = dossier_form(code)
    async with signed_in(world, "producer") as producer:
        made_up = await producer.post(
            "/portal/dossiers/new?group=food",
            "/portal/dossiers",
            {**form, "kept": f"registration_form|{'a' * 64}|phieu.pdf"},
        )
        assert made_up.status_code == 422
        assert "'phieu.pdf' is not stored here" in text_of(made_up.text)
        files = [("file_registration_form", ("phieu.pdf", pdf(code), "application/pdf"))]
        held = await producer.post(
            "/portal/dossiers/new?group=food",
            "/portal/dossiers",
            {**form, "product_code": "bad code!", "send_incomplete": "yes"},
            files,
        )
        assert held.status_code == 422
        assert "product_code" in text_of(held.text)
        assert 'value="bad code!"' in held.text  # typed, kept, and named
        kept = re.findall(r'name="kept" value="([^"]+)"', held.text)
        assert len(kept) == 1 and kept[0].startswith("registration_form|")
        sent = await producer.post(
            "/portal/dossiers/new?group=food",
            "/portal/dossiers",
            {**form, "kept": kept, "send_incomplete": "yes"},
        )
        assert sent.status_code == 200, sent.text
        case_path = sent.url.path
        sha = kept[0].split("|")[1]
        got = await producer.page(f"{case_path}/documents/{sha}")
        assert got.content == pdf(code)
        assert "attachment" in got.headers["content-disposition"]
        nothing = await producer.page(f"{case_path}/documents/{'b' * 64}")
        assert nothing.status_code == 404
    async with signed_in(world, "other-producer") as stranger:
        theirs = await stranger.page(f"{case_path}/documents/{sha}")
        assert theirs.status_code == 403 and theirs.content != pdf(code)

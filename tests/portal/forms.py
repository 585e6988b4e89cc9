"""The portal as a browser without a screen would use it: httpx with cookies, forms
filled in from the pages' own fields (the form value included)."""

from __future__ import annotations

import html as html_text
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fixtures.api import PASSWORD, ApiWorld

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


FOOD_DOCUMENTS = (
    "registration_form",
    "self_assessment",
    "business_registration",
    "sample_receipt",
    "food_safety_certificate",
    "quality_declaration",
)
"""A food dossier's required documents but its test results (the office asks for them)."""


def dossier_form(code: str) -> dict[str, str]:
    """The new-dossier form as HTX Hợp Tiến fills it in for its honey."""
    return {
        "group": "food",
        "product_set": "processed_food",
        "product_code": code,
        "product_name": "Mật ong rừng Bình Liêu",
        "locality": "binh-lieu",
        "applicant.name": "HTX Hợp Tiến",
        "applicant.kind": "cooperative",
        "applicant.phone": "0203 3878 111",
    }


def pdf(words: str) -> bytes:
    """A small PDF whose bytes differ by `words` (each one its own stored document)."""
    return PDF.replace(b"<<>>endobj", f"<</T({words})>>endobj".encode())


@dataclass
class Browser:
    http: httpx.AsyncClient

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        answer = await self.http.post(
            "/portal/sign-in",
            data={"username": username, "password": password, "next": "/portal/"},
            follow_redirects=True,
        )
        assert answer.status_code == 200, answer.text
        return answer

    async def page(self, path: str) -> httpx.Response:
        return await self.http.get(path, follow_redirects=True)

    async def csrf(self, path: str) -> str:
        found = _CSRF.search((await self.page(path)).text)
        assert found is not None, f"no form value on {path}"
        return found.group(1)

    async def post(
        self, form_page: str, action: str, data: dict[str, Any], files: Any = None
    ) -> httpx.Response:
        """POST `data` to `action` as the form on `form_page` would."""
        fields = {**data, "csrf": await self.csrf(form_page)}
        return await self.http.post(action, data=fields, files=files, follow_redirects=True)


@asynccontextmanager
async def signed_in(world: ApiWorld, username: str) -> AsyncIterator[Browser]:
    """`username` signed in to the portal of `world` on a client of their own."""
    async with httpx.AsyncClient(base_url=world.base_url, timeout=90.0) as http:
        person = Browser(http)
        await person.sign_in(username)
        yield person


def text_of(html: str) -> str:
    """The page's words without tags (what a reader sees, roughly)."""
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))

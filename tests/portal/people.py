"""People at their browsers: one Playwright context (cookies, language) per person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures.api import PASSWORD


@dataclass
class Person:
    page: Any  # playwright.async_api.Page
    base_url: str
    shots: Path

    async def open(self, path: str) -> None:
        await self.page.goto(self.base_url + path)

    async def main_text(self) -> str:
        text: str = await self.page.locator("main").inner_text()
        return text

    async def refusal(self) -> str:
        text: str = await self.page.locator("section.refusal").inner_text()
        return text

    async def shot(self, name: str, *, full: bool = True) -> Path:
        path = self.shots / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=full)
        return path


@asynccontextmanager
async def signed_in(
    chromium: Any, base_url: str, shots: Path, username: str, **context: Any
) -> AsyncIterator[Person]:
    """`username` signed in on a browser context of their own, until the block ends."""
    browser_context = await chromium.new_context(locale="vi-VN", accept_downloads=True, **context)
    browser_context.set_default_timeout(60_000)
    try:
        page = await browser_context.new_page()
        person = Person(page, base_url, shots)
        await person.open("/portal/")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("form button[type=submit]")
        await page.wait_for_load_state()
        yield person
    finally:
        await browser_context.close()

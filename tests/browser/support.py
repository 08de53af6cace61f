"""What the browser tests share: the driver's phone, the shop, a later clock."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocpp_bridge.simulator import SimulatedStation
from payments.fake import FakeProviderServer
from tests.support.platform import RunningPlatform
from tests.support.shop import Inbox

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CPO_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CPO_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}
LOCALES = {"de": "de-DE", "en": "en-GB"}
WAIT_MS = 15_000
BLOCKING_IMPACTS = {"serious", "critical"}
MAIL_WAIT_S = 15.0


def browser_missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if importlib.util.find_spec("axe_playwright_python") is None:
        return "axe-playwright-python is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@dataclass
class Phone:
    """A driver's phone: one browser profile (storage, service worker) and its tab."""

    context: BrowserContext
    page: Page
    language: str

    async def look(self, screen: str) -> None:
        """Keep a screenshot of this screen and check it with axe-core."""
        from axe_playwright_python.async_playwright import Axe

        language = await self.page.evaluate("document.documentElement.lang")
        name = f"{screen}-{language}"
        shots = ARTIFACTS / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=shots / f"{name}.png", full_page=True)
        results = (await Axe().run(self.page)).response
        findings = [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "targets": [node["target"] for node in violation["nodes"]],
            }
            for violation in results["violations"]
        ]
        axe = ARTIFACTS / "axe"
        axe.mkdir(parents=True, exist_ok=True)
        (axe / f"{name}.json").write_text(json.dumps(findings, indent=2))
        blocking = [finding for finding in findings if finding["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe on the {screen} screen: {json.dumps(blocking, indent=2)}"


async def open_phone(browser: Browser, base_url: str, language: str = "en") -> Phone:
    context = await browser.new_context(
        base_url=base_url,
        viewport=PHONE,
        locale=LOCALES[language],
        is_mobile=True,
        has_touch=True,
        service_workers="allow",
    )
    page = await context.new_page()
    return Phone(context, page, language)


@dataclass
class Shop:
    platform: RunningPlatform
    fake: FakeProviderServer
    charger: SimulatedStation

    @property
    def base_url(self) -> str:
        """Where the driver's browser goes: the platform's public URL."""
        return self.platform.ctx.settings.base_url


@contextlib.asynccontextmanager
async def phone_at(browser: Browser, shop: Shop, language: str) -> AsyncIterator[Phone]:
    phone = await open_phone(browser, shop.base_url, language)
    try:
        yield phone
    finally:
        await phone.context.close()


class LaterClock:
    """The platform's clock, moved on: lets a test run the sweeper "minutes later"."""

    def __init__(self, clock: Any, by: timedelta) -> None:
        self._clock = clock
        self._by = by

    def now(self) -> datetime:
        moment: datetime = self._clock.now() + self._by
        return moment


def kwh_in(text: str) -> float:
    """ "12,34 kWh" or "12.34 kWh" → 12.34."""
    number = re.sub(r"[^\d,.]", "", text)
    return float(number.replace(",", ".")) if number else 0.0


async def watch_it_charge(phone: Phone) -> float:
    from playwright.async_api import expect

    page = phone.page
    energy = page.locator('[data-live="energy"]')
    await expect(page.locator('[data-live="cost"]')).not_to_have_text("–")
    first = kwh_in(await energy.inner_text())
    await expect(energy).not_to_have_text(await energy.inner_text())  # updates arrive live
    assert kwh_in(await energy.inner_text()) > first
    return kwh_in(await energy.inner_text())


async def stop_with_confirmation(phone: Phone, stop: str, yes: str) -> None:
    from playwright.async_api import expect

    page = phone.page
    await page.get_by_role("button", name=stop, exact=True).click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await phone.look("stop-dialog")
    await dialog.get_by_role("button", name=yes).click()


async def link_from_mail(inbox: Inbox, already: int) -> str:
    """The path of the login link in the newest mail (after `already` earlier ones)."""
    for _ in range(int(MAIL_WAIT_S * 10)):
        if len(inbox.messages) > already:
            break
        await asyncio.sleep(0.1)
    assert len(inbox.messages) > already, "no login mail arrived"
    body = inbox.messages[-1].get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"https?://[^/\s]+(/login/\S+)", body.get_content())
    assert found is not None
    return found.group(1)


async def log_in_by_mail(phone: Phone, inbox: Inbox, email: str, send: str) -> str:
    """Asks for a link, opens it; returns its path."""
    from playwright.async_api import expect

    page = phone.page
    await page.get_by_role("textbox", name=re.compile("e-mail|E-Mail")).fill(email)
    already = len(inbox.messages)
    await page.get_by_role("button", name=send).click()
    await expect(page.get_by_role("status")).to_contain_text(email)
    await phone.look("login-link-sent")
    link = await link_from_mail(inbox, already)
    await page.goto(link)
    # Logged in once the app has redeemed the link and moved on.
    await expect(page).not_to_have_url(re.compile(r"/login"))
    return link

"""The app as an installed app: what Chromium reads from the manifest, starting without
signal from the service worker's copy of the shell, and the size of the first load on a
weak connection."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

import pytest
from playwright.async_api import Browser, Request, expect

from tests.browser.support import ARTIFACTS, Phone, Shop, open_phone

EVSE = "DE*DEM*E0001*1"
# HTML, CSS, JS, icons, the texts and the charger's data, compressed on the wire.
FIRST_LOAD_BUDGET_BYTES = 60 * 1024


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def until_the_service_worker_controls(phone: Phone) -> None:
    # Asked over and over with evaluate(): wait_for_function would poll with a function
    # built from a string in the page, which the app's Content-Security-Policy forbids.
    for _ in range(150):
        if await phone.page.evaluate("navigator.serviceWorker.controller !== null"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the service worker did not take control within 15 s")


async def test_the_manifest_makes_it_installable_in_the_operators_brand(
    browser: Browser, shop: Shop
) -> None:
    phone = await open_phone(browser, shop.base_url)
    try:
        page = phone.page
        await page.goto(f"/c/{EVSE}")
        await expect(page.locator(".evse-id")).to_have_text(EVSE)
        await until_the_service_worker_controls(phone)
        cdp = await phone.context.new_cdp_session(page)
        manifest: dict[str, Any] = await cdp.send("Page.getAppManifest")
        assert not manifest["errors"], manifest["errors"]
        fields = json.loads(manifest["data"])
        assert fields["name"] == "Demo Stadtwerke Laden"
        assert fields["short_name"] == "Demo"
        assert (fields["start_url"], fields["scope"], fields["display"]) == ("/", "/", "standalone")
        assert fields["theme_color"] == "#0b5fff"  # the operator's brand, from the database
        assert fields["background_color"] == "#ffffff"
        icons = {(icon["sizes"], icon.get("purpose", "any")): icon for icon in fields["icons"]}
        assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
        for (sizes, _purpose), icon in icons.items():
            response = await page.request.get(icon["src"])
            assert response.ok
            assert response.headers["content-type"] == "image/png"
            assert png_size(await response.body()) == tuple(map(int, sizes.split("x")))
        installability = await cdp.send("Page.getInstallabilityErrors")
        errors = [error["errorId"] for error in installability["installabilityErrors"]]
        assert [error for error in errors if error != "in-incognito"] == []  # a test profile is
    finally:
        await phone.context.close()


async def test_the_installed_shell_starts_offline(browser: Browser, shop: Shop) -> None:
    phone = await open_phone(browser, shop.base_url, "de")
    try:
        page = phone.page
        await page.goto(f"/c/{EVSE}")
        await expect(page.locator(".evse-id")).to_have_text(EVSE)
        await until_the_service_worker_controls(phone)
        kept = await page.evaluate(
            "caches.keys().then(names => caches.open(names[0]))"
            ".then(cache => cache.keys()).then(requests => requests.map(r => r.url))"
        )
        assert any(url.endswith("/app.css") for url in kept)
        assert not any("/api/" in url or "/r/" in url for url in kept)

        await phone.context.set_offline(True)
        await page.reload()
        # The shell comes from the service worker, in the driver's language; the charger
        # needs the network, so the app says what works without it.
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind offline")
        await expect(page.locator("#connection")).not_to_be_empty()
        await phone.look("offline")
        await page.get_by_role("link", name="Meine Ladevorgänge").first.click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Meine Ladevorgänge")
        await page.goto("/offline")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind offline")
    finally:
        await phone.context.close()


@pytest.mark.parametrize("language", ["en", "de"])  # German adds the texts' download
async def test_the_first_load_of_a_charger_page_stays_small(
    browser: Browser, shop: Shop, language: str
) -> None:
    phone = await open_phone(browser, shop.base_url, language)
    try:
        page = phone.page
        transferred: dict[str, int] = {}

        async def count(request: Request) -> None:
            sizes = await request.sizes()
            url = request.url.removeprefix(shop.base_url)
            where = "service worker" if request.service_worker else "page"
            transferred[f"{where} {url}"] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

        phone.context.on("requestfinished", count)
        await page.goto(f"/c/{EVSE}")
        await expect(page.locator(".price-list")).to_contain_text(
            "0,49" if language == "de" else "0.49"
        )
        await until_the_service_worker_controls(phone)
        await page.wait_for_load_state("networkidle")
        page_bytes = sum(size for key, size in transferred.items() if key.startswith("page "))
        total = sum(transferred.values())
        report = {
            # What the charger page itself loads (HTML, CSS, JS, icon, texts, its data)...
            "page_bytes": page_bytes,
            # ... and with what the service worker then keeps for starting offline.
            "total_bytes": total,
            "requests": dict(sorted(transferred.items())),
        }
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"first-load-{language}.json").write_text(json.dumps(report, indent=2))
        print(json.dumps(report, indent=2))
        assert any(url.endswith("/js/main.js") for url in transferred)
        assert total < FIRST_LOAD_BUDGET_BYTES, report
    finally:
        await phone.context.close()

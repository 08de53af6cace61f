"""Operator admins in Chromium: tariffs edited with a live price preview, QR stickers
downloaded (a site's sheet as PDF), and the monthly report of a month of charging."""

from __future__ import annotations

import io
import re

import pypdf
from playwright.async_api import Browser, Page, expect

from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL, DEMO_STATIONS
from tests.browser.support import Phone, Shop, log_in_by_mail, phone_at
from tests.support.shop import Inbox

DEMO_EVSE_IDS = sorted(evse.evse_id for station in DEMO_STATIONS for evse in station.evses)


async def admin_at(phone: Phone, inbox: Inbox, path: str) -> Page:
    page = phone.page
    await page.goto(path)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Send me a login link")
    await expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    return page


async def test_the_operator_downloads_the_qr_sheet_of_a_site(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = await admin_at(phone, inbox, "/admin/qr")
        await expect(page.get_by_role("heading", level=1)).to_have_text("QR codes")
        await expect(page.get_by_role("heading", level=2)).to_have_text("Parkhaus Mitte, Berlin")
        first = page.get_by_role("listitem").filter(has_text="DE*DEM*E0001*1")
        await expect(first).to_contain_text(f"{shop.base_url}/c/DE*DEM*E0001*1")
        await expect(first.get_by_role("img")).to_have_js_property("complete", True)
        await phone.look("admin-qr")

        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Print sheet of Parkhaus Mitte (PDF)").click()
        download = await waiting.value
        assert download.suggested_filename.endswith(".pdf")
        path = await download.path()
        pdf = path.read_bytes()
        assert pdf.startswith(b"%PDF")
        text = "".join(page_.extract_text() for page_ in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        for evse_id in DEMO_EVSE_IDS:
            assert evse_id in text

        async with page.expect_download() as waiting:
            await first.get_by_role("link", name="DE*DEM*E0001*1 as SVG").click()
        svg = (await (await waiting.value).path()).read_text()
        assert ">DE*DEM*E0001*1</text>" in svg

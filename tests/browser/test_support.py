"""A driver reports a stuck cable from the charger page (with a photo and an e-mail
address); the operator sees the report in admin mode, releases the cable through the
simulated charger and answers; the answer reaches the driver by mail and on the report's
page — in Chromium, German for the driver, English for the operator."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from tests.browser.support import ROOT, Shop, log_in_by_mail, phone_at
from tests.support.shop import Inbox

EVSE = "DE*DEM*E0001*1"
PHOTO = ROOT / "pwa" / "icons" / "icon-192.png"
DRIVER_EMAIL = "driver@example.net"


async def test_a_stuck_cable_reported_released_and_answered(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "de") as driver:
        page = driver.page
        await page.goto(f"/c/{EVSE}")
        await page.get_by_role("link", name="Ein Problem mit diesem Ladepunkt melden").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Problem melden")
        await page.get_by_label("Das Kabel steckt fest").check()
        await page.get_by_label("Beschreiben Sie es").fill("Das Kabel lässt sich nicht lösen.")
        await page.get_by_label("Foto (freiwillig)").set_input_files(PHOTO)
        await page.get_by_label("E-Mail", exact=True).fill(DRIVER_EMAIL)
        await driver.look("problem")
        await page.get_by_role("button", name="Meldung senden").click()

        await expect(page).to_have_url(re.compile(r"/t/"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Meldung")
        await expect(page.locator(".notice")).to_contain_text("per E-Mail")
        await expect(page.locator(".card")).to_contain_text("Eingegangen")
        await driver.look("report")
        report_url = page.url

        async with phone_at(browser, shop, "en") as operator:
            admin = operator.page
            await admin.set_viewport_size({"width": 1280, "height": 800})
            await admin.goto("/login")
            await log_in_by_mail(operator, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Send me a login link")
            await admin.goto("/admin/support")
            await expect(admin.get_by_role("heading", level=1)).to_have_text("Drivers' reports")
            row = admin.locator("#ticket-rows tr").first
            await expect(row).to_contain_text("Cable stuck")
            await expect(row).to_contain_text("Open")
            await operator.look("admin-reports")
            await row.get_by_role("link").click()

            await expect(admin.get_by_role("heading", level=1)).to_have_text(re.compile("Report #"))
            photo = admin.get_by_role("img", name="Photo of the report")
            await expect(photo).to_be_visible()
            assert await photo.evaluate("image => image.naturalWidth") > 0
            await expect(admin.locator("#ticket-details")).to_contain_text("Cable stuck")
            await operator.look("admin-report")

            await admin.get_by_role("button", name="Release the cable").click()
            await admin.get_by_role("dialog").get_by_role("button", name="Release").click()
            await expect(admin.locator("#ticket-action-status")).to_have_text(
                "The charge point answered: Unlocked"
            )
            already = len(inbox.messages)
            await admin.get_by_label("Answer to the driver").fill(
                "Wir haben das Kabel freigegeben. Gute Fahrt!"
            )
            await admin.get_by_role("button", name="Send answer").click()
            await expect(admin.locator("#ticket-action-status")).to_have_text("Answer sent.")
            await admin.get_by_label("Status").select_option("resolved")
            await admin.get_by_role("button", name="Save status").click()
            await expect(admin.locator("#ticket-action-status")).to_have_text("Status saved.")

        for _ in range(150):
            if len(inbox.messages) > already:
                break
            await page.wait_for_timeout(100)
        mail = inbox.messages[-1]
        assert mail["To"] == DRIVER_EMAIL
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        assert "Wir haben das Kabel freigegeben." in body.get_content()

        await page.goto(report_url)
        await expect(page.locator(".card").first).to_contain_text("Erledigt")
        await expect(page.locator(".sessions")).to_contain_text("Gute Fahrt!")
        await expect(page.locator(".sessions")).to_contain_text("Unlocked")

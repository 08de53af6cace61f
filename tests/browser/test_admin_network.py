"""The operator runs the network in Chromium: the dashboard opens first and follows a
simulated charger's connector without a reload; on a station's page a remote reset gets the
charger's answer and lands in the message log; a fault is acknowledged on the faults page."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from tests.browser.support import Shop, log_in_by_mail, phone_at
from tests.support.shop import Inbox


async def test_the_operator_watches_the_network_and_resets_a_station(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    charger = shop.charger
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.goto("/admin")
        await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Send me a login link")

        await expect(page).to_have_url(re.compile(r"/admin/dashboard$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        row = page.locator(f'#dashboard-stations tr[data-identity="{charger.identity}"]')
        await expect(row).to_contain_text("Online")
        await expect(page.locator("#dashboard-live")).to_contain_text("Live")
        await phone.look("admin-dashboard")

        # Pushed, not reloaded: a mark on the page survives the update.
        await page.evaluate("window.notReloaded = true")
        await charger.plug_in(1)
        await expect(row.locator("li").first).to_contain_text("Preparing")
        assert await page.evaluate("window.notReloaded === true")
        await charger.report_fault(2, "GroundFailure")
        await expect(page.get_by_role("heading", name="Open faults", level=2)).to_be_visible()
        await expect(page.locator("main")).to_contain_text("GroundFailure")
        assert await page.evaluate("window.notReloaded === true")

        await page.locator(".admin-nav").get_by_role("link", name="Stations").click()
        await expect(page).to_have_url(re.compile(r"/admin/stations$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Stations")
        await expect(page.locator("#stations-table")).to_contain_text(charger.identity)
        await phone.look("admin-stations")

        await page.locator("#stations-table").get_by_role("link", name="Level 0, bays 1–2").click()
        await expect(page).to_have_url(re.compile(r"/admin/stations/\d+$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Level 0, bays 1–2")
        await expect(page.locator("#log-rows")).to_contain_text("BootNotification")
        await page.get_by_label("Command", exact=True).select_option(label="Reset (soft)")
        boots = charger.boot_count
        await page.get_by_role("button", name="Send command").click()
        await expect(page.locator("#command-answer")).to_have_text("The station answered: Accepted")
        await expect(page.locator("#log-rows")).to_contain_text("Reset")
        await charger.wait_for(lambda: charger.boot_count > boots, 15)
        await phone.look("admin-station")

        await page.get_by_label("Command", exact=True).select_option(label="Read the configuration")
        await page.get_by_label("Configuration key (empty: all)").fill("HeartbeatInterval")
        await page.get_by_role("button", name="Send command").click()
        await expect(page.locator("#command-result table")).to_contain_text("HeartbeatInterval")

        await page.get_by_text("Edit station and EVSEs").click()
        await page.get_by_label("City").fill("Potsdam")
        await page.get_by_role("button", name="Save site").click()
        await expect(page.locator("#edit-status")).to_have_text("Saved.")
        evse_id = page.get_by_label("EVSE ID (e.g. DE*ABC*E0001*1)").first
        await evse_id.fill("not an EVSE ID")
        await page.get_by_role("button", name="Save EVSE").first.click()
        await expect(page.locator("#edit-status")).to_contain_text("is not an EVSE ID")
        await evse_id.fill("DE*DEM*E0001*7")
        await page.get_by_label("Maximum power (kW)").first.fill("7.4")
        await page.get_by_role("button", name="Save EVSE").first.click()
        await expect(page.locator("#station-facts")).to_contain_text("DE*DEM*E0001*7")
        await phone.look("admin-station-edit")

        await page.locator(".admin-nav").get_by_role("link", name="Faults").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Faults")
        fault = page.locator("#fault-rows tr", has_text="GroundFailure")
        await fault.get_by_role("button", name="Acknowledge").click()
        await expect(fault).to_contain_text(f"Seen by {DEMO_OPERATOR_ADMIN_EMAIL}")
        await phone.look("admin-faults")


async def test_the_station_page_speaks_german_on_a_phone(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await page.goto("/admin/stations")
        await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Anmeldelink senden")
        await expect(page).to_have_url(re.compile(r"/admin/stations$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Ladestationen")
        await page.locator("#stations-table").get_by_role("link", name="Level 0, bays 1–2").click()
        await expect(page.get_by_role("heading", name="Fernbefehle")).to_be_visible()
        await page.get_by_role("button", name="Befehl senden").click()
        await expect(page.locator("#command-answer")).to_have_text(
            "Die Station hat geantwortet: Accepted"
        )
        await phone.look("admin-station-phone")

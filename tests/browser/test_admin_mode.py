"""Operator staff in admin mode, in Chromium: log in by e-mail link, land in the admin
sections, read the audit log (who changed what, before and after), filter and export it;
a contract customer is kept out."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, expect

from cpo.demo import (
    DEMO_ANNA_EMAIL,
    DEMO_API_TOKEN,
    DEMO_OPERATOR_ADMIN_EMAIL,
    DEMO_PLATFORM_ADMIN_EMAIL,
)
from tests.browser.support import Shop, link_from_mail, log_in_by_mail, phone_at
from tests.support.shop import Inbox

TARIFF = {
    "name": "Night owl",
    "kind": "AD_HOC_PAYMENT",
    "definition": {
        "currency": "EUR",
        "vat_rate_bp": 1900,
        "elements": [{"components": [{"type": "ENERGY", "price_micro": 290000}]}],
    },
}


async def test_the_operator_reads_the_audit_log(browser: Browser, shop: Shop, inbox: Inbox) -> None:
    async with httpx.AsyncClient(
        base_url=shop.platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    ) as script:
        created = await script.post("/api/admin/tariffs", json=TARIFF)
        assert created.status_code == 201
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.set_viewport_size({"width": 1280, "height": 800})
        await page.goto("/admin")
        await expect(page).to_have_url(re.compile(r"/login\?next="))
        await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Send me a login link")

        # Admin mode opens on the dashboard; the audit log is a section of its navigation.
        await expect(page).to_have_url(re.compile(r"/admin/dashboard$"))
        await page.locator(".admin-nav").get_by_role("link", name="Audit log").click()
        await expect(page).to_have_url(re.compile(r"/admin/audit$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
        await expect(page.locator(".admin-nav [aria-current=page]")).to_have_text("Audit log")
        # An operator's admin has no say over other operators.
        await expect(page.locator(".admin-nav")).not_to_contain_text("Operators")
        await expect(page.locator("#tabs")).to_be_hidden()
        row = page.locator("#audit-rows tr").first
        await expect(row).to_contain_text("tariff.create")
        await expect(row).to_contain_text("API token")
        await row.get_by_text("Before and after").click()
        await expect(row.locator("pre").nth(1)).to_contain_text("Night owl")
        await phone.look("admin-audit")

        await page.get_by_label("Kind of change").fill("token.block")
        await page.get_by_role("button", name="Filter").click()
        await expect(page.locator("#audit-status")).to_have_text("No changes recorded yet.")
        export = page.get_by_role("link", name="Export as CSV")
        href = await export.get_attribute("href")
        assert href == "/api/admin/audit/export.csv?action=token.block"
        response = await page.request.get("/api/admin/audit/export.csv")
        assert response.ok
        assert "tariff.create" in await response.text()


async def test_a_customer_is_kept_out_of_admin_mode(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, DEMO_ANNA_EMAIL, "Anmeldelink senden")
        await expect(page).to_have_url(re.compile(r"/account$"))
        await page.goto("/admin/audit")
        await expect(page.get_by_role("alert")).to_have_text("Dazu sind Sie nicht berechtigt.")


async def test_the_platform_admin_creates_an_operator_and_sets_a_brand(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, DEMO_PLATFORM_ADMIN_EMAIL, "Send me a login link")
        await page.goto("/admin/operators")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Operators")
        await expect(page.locator("#operator-rows tr")).to_have_count(1)
        await page.get_by_label("Name", exact=True).fill("Nordlicht Laden")
        await page.get_by_label("Short name in addresses").fill("nordlicht")
        await page.get_by_label("Country code").fill("DE")
        await page.get_by_label("Party ID").fill("NOL")
        await page.get_by_label("E-mail of its first admin").fill("nora@nordlicht.example")
        already = len(inbox.messages)
        await page.get_by_role("button", name="Create and invite").click()
        await expect(page.locator("#operator-status")).to_have_text(
            "Nordlicht Laden is created; its admin has an invitation."
        )
        await expect(page.locator("#operator-rows tr")).to_have_count(2)
        await phone.look("admin-operators")
        invitation = await link_from_mail(inbox, already)
        assert invitation.startswith("/login/")

        await page.get_by_role("link", name="Brand").click()
        await expect(page.get_by_label("Name shown to drivers")).to_have_value(
            "Demo Stadtwerke Laden"
        )
        await page.get_by_label("Support phone").fill("+49 30 999999")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator("#brand-status")).to_have_text(
            "Saved. Drivers see the change at their next visit."
        )
        await phone.look("admin-brand")
        evse = await page.request.get("/api/evses/DE*DEM*E0001*1")
        assert (await evse.json())["operator"]["support_phone"] == "+49 30 999999"


async def test_the_operator_creates_a_customer_and_invites_a_driver(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Anmeldelink senden")
        await page.goto("/admin/customers")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Kunden")
        await page.get_by_label("Art", exact=True).select_option("company")
        await page.get_by_label("Name", exact=True).fill("Müller Logistik GmbH")
        await page.get_by_label("E-Mail für Rechnungen").fill("rechnung@mueller.example")
        await page.get_by_role("button", name="Kunden anlegen").click()
        await expect(page.locator("#customer-status")).to_have_text(
            "Müller Logistik GmbH ist angelegt."
        )
        await phone.look("admin-customers")
        await page.get_by_role("link", name="Müller Logistik GmbH").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Müller Logistik GmbH")
        await page.get_by_label("E-Mail der einzuladenden Person").fill("fritz@mueller.example")
        await page.get_by_label("Rolle").select_option("fleet_manager")
        already = len(inbox.messages)
        await page.get_by_role("button", name="Einladen").click()
        await expect(page.locator("#customer-status")).to_have_text(
            "fritz@mueller.example ist eingeladen."
        )
        await expect(page.locator("#people-rows")).to_contain_text("Fuhrparkverantwortliche/r")
        await expect(
            page.get_by_text("Keine: Rechnungen werden per Überweisung bezahlt.")
        ).to_be_visible()
        await phone.look("admin-customer")
        assert (await link_from_mail(inbox, already)).startswith("/login/")

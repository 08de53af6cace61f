"""The operator's Invoices section in Chromium, in German on a phone: last month's invoice
of Anna (two sessions) in the list, its page with lines and PDF; the admin credits the
second line with a rebill — a Rechnungskorrektur appears, set off against the invoice — and
marks the rest paid by bank transfer. Anna then sees both in her account, in plain words."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, expect

from cpo.demo import DEMO_ANNA_EMAIL, DEMO_API_TOKEN, DEMO_OPERATOR_ADMIN_EMAIL
from tests.browser.support import Shop, log_in_by_mail, phone_at
from tests.support.billing_site import anna_charges_last_month
from tests.support.shop import Inbox


async def test_the_operator_credits_a_line_and_marks_the_invoice_paid(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    period = await anna_charges_last_month(shop.platform.ctx, 20_000, 8_000)
    async with httpx.AsyncClient(
        base_url=shop.platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    ) as script:
        ran = await script.post("/api/admin/billing-runs", json={"period": str(period)})
        [number] = ran.json()["new_invoices"]

    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Anmeldelink senden")
        await page.goto("/admin/invoices")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Rechnungen")
        row = page.locator("#invoice-rows tr", has_text=number)
        await expect(row).to_contain_text("Offen")
        await phone.look("admin-invoices")

        await row.get_by_role("link", name=number).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Rechnung {number}")
        await expect(page.locator("#line-rows tr")).to_have_count(2)
        await expect(page.get_by_role("link", name="PDF")).to_have_attribute(
            "href", re.compile(r"/api/admin/invoices/\d+/pdf$")
        )
        await phone.look("admin-invoice")

        await page.get_by_label("Position 2 korrigieren").check()
        await page.get_by_label("Grund (steht auf der Rechnungskorrektur)").fill(
            "Ladevorgang doppelt berechnet"
        )
        await page.get_by_label("Dieselbe Energie im nächsten Monat erneut abrechnen").check()
        await page.get_by_role("button", name="Rechnungskorrektur erstellen").click()
        status = page.locator("#invoice-status")
        await expect(status).to_contain_text("ist erstellt und per E-Mail verschickt")
        credit_note = page.locator("#credit-notes li")
        await expect(credit_note).to_contain_text("-RK-")
        await expect(credit_note).to_contain_text("Bezahlt")  # set off against the invoice
        await expect(page.locator("#line-rows tr").nth(1)).to_contain_text("Korrigiert")
        await expect(page.get_by_label("Position 1 korrigieren")).to_be_visible()
        await phone.look("admin-invoice-credited")

        await page.get_by_label("Verwendungszweck auf dem Kontoauszug").fill("Überweisung 4711")
        await page.get_by_role("button", name="Als bezahlt markieren").click()
        await expect(status).to_have_text("Als bezahlt markiert.")
        await expect(page.locator("#invoice-state")).to_have_text("Bezahlt")
        await expect(page.get_by_role("button", name="Als bezahlt markieren")).to_have_count(0)

        await credit_note.get_by_role("link").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Rechnungskorrektur")
        await expect(page.get_by_role("link", name=number)).to_be_visible()
        await phone.look("admin-credit-note")

        await page.goto("/admin/invoices?kind=credit_note")
        await expect(page.locator("#invoice-rows tr")).to_have_count(1)

    # Anna sees both documents in her account, with what they mean now.
    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, DEMO_ANNA_EMAIL, "Anmeldelink senden")
        await page.goto("/account")
        documents = page.locator("#invoice-list li")
        await expect(documents).to_have_count(2)
        await expect(documents.nth(0)).to_contain_text(f"Mit der Rechnung {number} verrechnet.")
        await expect(documents.nth(1)).to_contain_text("Bezahlt. Vielen Dank!")
        await phone.look("account-invoices")

"""A contract customer keeps a payment method on file, in Chromium on a 360 px phone: Anna
(a person) reads the SEPA Direct Debit mandate in the app, enters her IBAN on the fake
provider's setup page (the demo's stand-in for Stripe's Payment Element), sees the bank
account in the account's payment section, replaces it with a card, and removes it."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from playwright.async_api import Browser, Route, expect

from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from tests.browser.support import Shop, log_in_by_mail, phone_at
from tests.support.shop import Inbox

ANNA = "anna@example.org"
# Stands in for https://js.stripe.com/v3, which this machine cannot reach: records what the
# app asks of Stripe.js, and saves the card at the fake when the customer confirms.
STRIPE_JS = """
window.stripeCalls = [];
window.Stripe = (key, options) => {
  stripeCalls.push(["Stripe", key, options.locale]);
  return {
    elements: (config) => {
      stripeCalls.push(["elements", config.clientSecret]);
      return { create: (kind) => ({ mount: (target) => stripeCalls.push(["mount", kind, target]) }) };
    },
    confirmSetup: async ({ confirmParams, redirect }) => {
      stripeCalls.push(["confirmSetup", confirmParams.return_url, redirect]);
      await window.saveAtTheFake();
      return { setupIntent: { status: "succeeded" } };
    },
  };
};
"""


async def test_a_person_adds_sepa_debit_replaces_it_with_a_card_and_removes_it(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, ANNA, "Send me a login link")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hello Anna Schmidt")

        await page.get_by_role("link", name="Payment method").click()
        await expect(page).to_have_url(re.compile(r"/account/payment$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Payment method")
        await expect(page.locator("#method-title")).to_have_text("No payment method on file")
        await expect(page.get_by_text("Your invoices are paid by bank transfer.")).to_be_visible()
        await phone.look("account-payment-none")

        # The mandate first, with the operator as creditor; then the IBAN at the provider.
        await page.get_by_role("button", name="SEPA Direct Debit").click()
        mandate = page.locator("#mandate")
        await expect(mandate).to_be_visible()
        await expect(mandate).to_contain_text("I authorise Demo Stadtwerke Laden GmbH")
        await phone.look("account-payment-mandate")
        await mandate.get_by_role("button", name="Accept the mandate and continue").click()
        await page.wait_for_url(re.compile(r"/setup/seti_"))
        await expect(
            page.get_by_text("you authorise Demo Stadtwerke Laden GmbH (the creditor)")
        ).to_be_visible()
        await page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
        await page.get_by_label("Account holder").fill("Anna Schmidt")
        await expect(page.get_by_label("E-mail")).to_have_value(ANNA)
        await page.get_by_role("button", name="Accept the mandate and save").click()

        await expect(page).to_have_url(re.compile(r"/account/payment$"))
        status = page.locator("[data-status]")
        await expect(status).to_have_text(
            "Saved: Bank account ending in 3000. Your invoices will be charged to it."
        )
        await expect(page.locator("#method-title")).to_have_text("SEPA Direct Debit")
        await expect(page.locator(".card").first).to_contain_text("Mandate reference")
        await phone.look("account-payment-sepa")

        # Replaced by a card.
        await page.get_by_role("button", name="Card", exact=True).click()
        await page.wait_for_url(re.compile(r"/setup/seti_"))
        await page.get_by_label("Card number").fill("4242 4242 4242 4242")
        await page.get_by_role("button", name="Save card").click()
        await expect(page).to_have_url(re.compile(r"/account/payment$"))
        await expect(status).to_have_text(
            "Saved: Visa ending in 4242. Your invoices will be charged to it."
        )
        await expect(page.locator("#method-title")).to_have_text("Card")
        await expect(page.get_by_text("Valid until 12/2034")).to_be_visible()
        await expect(page.get_by_text("Bank account ending in 3000")).to_have_count(0)
        await phone.look("account-payment-card")

        # Admin mode shows it on Anna's page: kind, brand, last digits, since when.
        async with phone_at(browser, shop, "en") as office:
            admin = office.page
            await admin.goto("/login")
            await log_in_by_mail(office, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Send me a login link")
            await admin.goto("/admin/customers")
            await admin.get_by_role("link", name="Anna Schmidt").click()
            await expect(admin.get_by_role("heading", level=1)).to_have_text("Anna Schmidt")
            await expect(
                admin.get_by_text(re.compile(r"^Card · Visa · …4242 · on file since"))
            ).to_be_visible()
            await office.look("admin-customer-payment-method")

        # Removed, after asking.
        await page.get_by_role("button", name="Remove").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("Visa ending in 4242")
        await phone.look("account-payment-remove")
        await dialog.get_by_role("button", name="Yes, remove it").click()
        await expect(status).to_have_text(
            "The payment method is removed. Your invoices are paid by bank transfer."
        )
        await expect(page.locator("#method-title")).to_have_text("No payment method on file")
        await phone.look("account-payment-removed")


async def test_a_declined_card_is_explained_in_german(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, ANNA, "Anmeldelink senden")
        await page.goto("/account/payment")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Zahlungsart")
        await page.get_by_role("button", name="Karte", exact=True).click()
        await page.wait_for_url(re.compile(r"/setup/seti_"))
        await page.get_by_label("Card number").fill("4000 0000 0000 0002")
        await page.get_by_role("button", name="Save card").click()
        await expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
        await page.get_by_role("link", name="Cancel and return").click()

        await expect(page).to_have_url(re.compile(r"/account/payment$"))
        await expect(page.get_by_role("alert")).to_have_text(
            "Ihre Bank hat diese Karte abgelehnt, sie wurde nicht gespeichert. Bitte versuchen "
            "Sie eine andere Karte, oder bezahlen Sie per Lastschrift."
        )
        await expect(page.locator("#method-title")).to_have_text("Keine Zahlungsart hinterlegt")
        await phone.look("account-payment-declined")


async def test_a_live_stripe_account_takes_the_card_in_stripes_payment_element(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    # A live account sends no page to go to: the setup's answer has no redirect.
    setup_page: list[str] = []

    async def without_redirect(route: Route) -> None:
        response = await route.fetch()
        step: dict[str, Any] = await response.json()
        if step.get("redirect_url"):
            setup_page.append(step["redirect_url"])
            step["redirect_url"] = None
        await route.fulfill(response=response, body=json.dumps(step))

    async def save_at_the_fake() -> None:
        async with httpx.AsyncClient() as client:
            await client.post(
                setup_page[0], data={"method": "card", "card_number": "4242 4242 4242 4242"}
            )

    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.route(re.compile(r"/api/me/payment-method/setups(\?.*)?$"), without_redirect)
        await page.route("https://js.stripe.com/v3", lambda route: route.fulfill(body=STRIPE_JS))
        await page.expose_function("saveAtTheFake", save_at_the_fake)
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, ANNA, "Send me a login link")
        await page.goto("/account/payment")
        await page.get_by_role("button", name="Card", exact=True).click()
        form = page.locator("#stripe-form")
        await expect(form).to_be_visible()
        await phone.look("account-payment-stripe")
        await form.get_by_role("button", name="Save").click()
        await expect(page.locator("[data-status]")).to_have_text(
            "Saved: Visa ending in 4242. Your invoices will be charged to it."
        )
        calls = await page.evaluate("stripeCalls")
        assert calls[0][:3] == ["Stripe", calls[0][1], "en"]
        assert calls[0][1].startswith("pk_test_")
        assert calls[1][0] == "elements"
        assert calls[1][1].startswith("seti_")
        assert ["mount", "payment", "#stripe-setup"] in calls
        [confirm] = [call for call in calls if call[0] == "confirmSetup"]
        assert re.fullmatch(rf"{shop.base_url}/account/payment\?setup=\d+", confirm[1])
        assert confirm[2] == "if_required"

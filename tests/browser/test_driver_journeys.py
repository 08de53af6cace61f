"""A driver scans a charger, sees the price, pays, charges, stops and keeps the receipt —
in Chromium on a 360 px phone, against the platform with the fake payment providers and
a simulated charger (600 times real time). Also what goes wrong: a declined card, a cancelled
payment, 3-D Secure, and a charger that never starts."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import httpx
from playwright.async_api import Browser, Page, Route, expect

from cpo.context import Context
from cpo.payments import ad_hoc
from tests.browser.support import (
    LaterClock,
    Phone,
    Shop,
    kwh_in,
    phone_at,
    stop_with_confirmation,
    watch_it_charge,
)
from tests.support.ocpp_client import connect

EVSE = "DE*DEM*E0001*1"
SILENT_EVSE = "DE*DEM*E0002*1"
PAID = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
THREE_D_SECURE = "4000 0027 6000 3184"
# Stands in for https://js.stripe.com/v3, which this machine cannot reach: records what the
# app asks of Stripe.js, and lets the test pay at the fake when the driver confirms.
STRIPE_JS = """
window.stripeCalls = [];
window.Stripe = (key, options) => {
  stripeCalls.push(["Stripe", key, options.locale]);
  const element = (kind) => ({
    mount: (target) => stripeCalls.push(["mount", kind, target]),
    on: (event) => stripeCalls.push(["on", kind, event]),
  });
  return {
    elements: (config) => {
      stripeCalls.push(["elements", config.clientSecret]);
      return { create: (kind) => element(kind) };
    },
    confirmPayment: async ({ confirmParams, redirect }) => {
      stripeCalls.push(["confirmPayment", confirmParams.return_url, redirect]);
      await window.payAtTheFake();
      return { paymentIntent: { status: "requires_capture" } };
    },
  };
};
"""


async def pay_on_card_page(page: Page, card: str) -> None:
    """The fake's card page (the demo's stand-in for Stripe's Payment Element)."""
    await page.wait_for_url(re.compile(r"/pay/"))
    await page.get_by_label("Card number").fill(card)
    await page.get_by_role("button", name="Pay", exact=True).click()


async def see_the_price_then_choose(phone: Phone, method: str, evse: str = EVSE) -> None:
    page = phone.page
    await page.goto(f"/c/{evse}")
    # Everything a driver must know comes before any payment script.
    await expect(page.locator(".evse-id")).to_have_text(evse)
    await expect(page.locator(".price-list")).to_contain_text(
        "0,49" if phone.language == "de" else "0.49"
    )
    await expect(page.locator(".figure")).to_contain_text("50")
    await phone.look("charger")
    await page.locator(f"button[value={method}]").click()


async def test_the_card_journey_in_german(browser: Browser, shop: Shop) -> None:
    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await see_the_price_then_choose(phone, "stripe")
        await pay_on_card_page(page, PAID)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Ladevorgang läuft")
        await watch_it_charge(phone)
        await phone.look("charging")

        # The connection drops, the driver reloads: the session is still there, live.
        before = kwh_in(await page.locator('[data-live="energy"]').inner_text())
        await page.reload()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Ladevorgang läuft")
        assert kwh_in(await page.locator('[data-live="energy"]').inner_text()) >= before
        assert "?" not in page.url  # the return from paying is not replayed

        await stop_with_confirmation(phone, "Laden beenden", "Ja, Laden beenden")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Ladevorgang beendet")
        pdf = page.get_by_role("link", name="PDF herunterladen")
        await expect(pdf).to_be_visible()
        await expect(page.locator(".summary")).to_contain_text("Visa")
        await expect(page.locator(".summary")).not_to_contain_text("Wird abgerechnet")
        await phone.look("receipt")
        href = await pdf.get_attribute("href")
        assert href is not None
        response = await page.request.get(href)
        assert response.ok
        assert (await response.body()).startswith(b"%PDF")

        # The receipt stays on the phone.
        await page.get_by_role("link", name="Meine Ladevorgänge").first.click()
        await expect(page.locator(".sessions li")).to_have_count(1)
        await expect(page.locator(".sessions")).to_contain_text("Beendet")
        await phone.look("history")


async def test_paypal_in_english(browser: Browser, shop: Shop) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await see_the_price_then_choose(phone, "paypal")
        await page.wait_for_url(re.compile(r"/checkoutnow"))
        await page.get_by_role("button", name="Agree and continue").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            re.compile("Starting the charge point|Charging in progress")
        )
        await watch_it_charge(phone)
        await stop_with_confirmation(phone, "Stop charging", "Yes, stop charging")
        await expect(page.locator(".summary")).to_contain_text("PayPal")
        await expect(page.get_by_role("link", name="Download PDF")).to_be_visible()


async def test_a_declined_card_then_another_card(browser: Browser, shop: Shop) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await see_the_price_then_choose(phone, "stripe")
        await pay_on_card_page(page, DECLINED)
        await expect(page.get_by_role("alert")).to_contain_text("declined")
        # The driver goes back to the app: it says so in plain words and offers a way on.
        await page.get_by_role("link", name="Cancel and return").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Payment declined")
        await expect(page.get_by_role("alert")).to_contain_text("nothing was charged")
        await phone.look("payment-declined")
        await page.get_by_role("link", name="Try another card").click()
        await pay_on_card_page(page, PAID)
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            re.compile("Starting the charge point|Charging in progress")
        )
        await watch_it_charge(phone)


async def test_a_cancelled_payment_and_another_method(browser: Browser, shop: Shop) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await see_the_price_then_choose(phone, "paypal")
        await page.wait_for_url(re.compile(r"/checkoutnow"))
        await page.get_by_role("button", name="Cancel and return to merchant").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Payment cancelled")
        await expect(page.get_by_role("status").first).to_contain_text("Nothing was charged")
        await phone.look("payment-cancelled")
        await page.get_by_role("button", name="Choose another payment method").click()
        await expect(page.locator(".evse-id")).to_have_text(EVSE)
        await page.locator("button[value=stripe]").click()
        await pay_on_card_page(page, THREE_D_SECURE)
        await page.get_by_role("button", name="Complete authentication").click()
        await watch_it_charge(phone)


async def test_a_live_stripe_account_takes_the_card_in_stripes_elements(
    browser: Browser, shop: Shop
) -> None:
    # A live account sends no page to go to: the session's payment step has no redirect.
    card_page: list[str] = []

    async def without_redirect(route: Route) -> None:
        response = await route.fetch()
        view: dict[str, Any] = await response.json()
        if view.get("payment") and view["payment"]["redirect_url"]:
            card_page.append(view["payment"]["redirect_url"])
            view["payment"]["redirect_url"] = None
        await route.fulfill(response=response, body=json.dumps(view))

    async def pay_at_the_fake() -> None:
        async with httpx.AsyncClient() as client:
            await client.post(card_page[0], data={"card_number": PAID})

    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.route(
            re.compile(r"/api/(evses/[^/]+/sessions|sessions/[^/?]+)(\?.*)?$"), without_redirect
        )
        await page.route("https://js.stripe.com/v3", lambda route: route.fulfill(body=STRIPE_JS))
        await page.expose_function("payAtTheFake", pay_at_the_fake)
        await page.goto(f"/c/{EVSE}")
        assert await page.evaluate("typeof window.Stripe") == "undefined"  # not before paying
        await page.locator("button[value=stripe]").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Pay to start charging")
        await phone.look("payment")
        await page.get_by_role("button", name="Pay and start charging").click()
        await watch_it_charge(phone)
        calls = await page.evaluate("stripeCalls")
        token = page.url.rsplit("/", 1)[1]
        assert calls[0][0] == "Stripe"
        assert calls[0][1].startswith("pk_test_")
        assert calls[0][2] == "en"
        assert calls[1][0] == "elements"
        assert calls[1][1].startswith("pi_")
        assert ["mount", "expressCheckout", "#stripe-express"] in calls
        assert ["mount", "payment", "#stripe-payment"] in calls
        assert [
            "confirmPayment",
            f"{shop.base_url}/s/{token}?paid=1",
            "if_required",
        ] in calls


async def test_a_charger_that_never_starts_releases_the_hold(browser: Browser, shop: Shop) -> None:
    # DEMO-AC-2 accepts the remote start but never starts (no car plugged in, say).
    async with (
        connect(shop.platform.ocpp_url, "DEMO-AC-2", "demo-password-demo-ac-2") as charger,
        phone_at(browser, shop, "en") as phone,
    ):
        await charger.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        await charger.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        )
        charger.handlers["RemoteStartTransaction"] = lambda payload: {"status": "Accepted"}
        page = phone.page
        await see_the_price_then_choose(phone, "stripe", SILENT_EVSE)
        await pay_on_card_page(page, PAID)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Starting the charge point")
        await phone.look("starting")
        ctx = shop.platform.ctx
        later = LaterClock(ctx.clock, timedelta(minutes=5))
        await ad_hoc.sweep(Context(ctx.settings, ctx.bus, later, ctx.payments))
        # The page hears of it at once (server-sent events), without a reload.
        await expect(page.get_by_role("heading", level=1)).to_have_text("Charging did not start")
        await expect(page.get_by_role("alert")).to_contain_text("released the reserved amount")
        await phone.look("did-not-start")


async def test_the_driver_switches_the_language(browser: Browser, shop: Shop) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.goto(f"/c/{EVSE}")
        await expect(page.locator(".price-list")).to_contain_text("Energy")
        await page.get_by_label("Language").select_option("de")
        await expect(page.locator(".price-list")).to_contain_text("Energie")
        await expect(page.get_by_role("heading", name="Preis")).to_be_visible()
        assert await page.evaluate("document.documentElement.lang") == "de"
        await page.reload()  # the choice is kept on the device
        await expect(page.locator(".price-list")).to_contain_text("Energie")
        await page.goto("/scan")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Laden starten")
        await phone.look("scan")
        await page.get_by_label("Ladepunkt-ID").fill("de*dem*e0003*1")
        await page.get_by_role("button", name="Preis anzeigen").click()
        await expect(page.locator(".evse-id")).to_have_text("DE*DEM*E0003*1")

        # No simulator serves DEMO-AC-2: the price is there, paying is not offered.
        await page.goto(f"/c/{SILENT_EVSE}")
        await expect(page.locator(".status")).to_contain_text("Offline")
        await expect(page.locator("#pay")).to_have_count(0)
        await phone.look("charger-offline")
        await page.goto("/c/XX*NOT*HERE")
        await expect(page.get_by_role("alert")).to_contain_text("nicht finden")
        await phone.look("charger-not-found")


# Headless Chromium on Linux has neither a camera nor BarcodeDetector: a canvas stands in
# for the camera and a detector that "sees" the sticker's QR code for the real one.
CAMERA_AND_DETECTOR = """
window.BarcodeDetector = class {
  async detect() { return [{ rawValue: location.origin + "/c/DE*DEM*E0003*1" }]; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 8, height: 8 });
  canvas.getContext("2d").fillRect(0, 0, 8, 8);
  return canvas.captureStream();
};
"""


async def test_scanning_the_qr_code_with_the_camera(browser: Browser, shop: Shop) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.add_init_script(CAMERA_AND_DETECTOR)
        await page.goto("/")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Start charging")
        await phone.look("start")
        await page.get_by_role("button", name="Scan QR code").click()
        await expect(page.locator(".evse-id")).to_have_text("DE*DEM*E0003*1")
        assert page.url.endswith("/c/DE*DEM*E0003*1")

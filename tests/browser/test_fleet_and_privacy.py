"""Contract customers' own sections in Chromium on a 360 px phone: a driver blocks a lost
card (the charger refuses it) and unblocks it; the fleet manager of Musterbau GmbH sets a
card's cost centre, looks at October per cost centre and downloads it as CSV; Anna
downloads her data and asks to be erased, and the operator's admin erases her in admin
mode — after which her login is gone."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from cpo.demo import DEMO_FLEET_MANAGER_EMAIL, DEMO_OPERATOR_ADMIN_EMAIL
from cpo.tokens.tables import IdToken
from tests.browser.support import Shop, log_in_by_mail, phone_at
from tests.support.contract_sessions import Charger
from tests.support.shop import Inbox

BERLIN = ZoneInfo("Europe/Berlin")
CARLA = "carla@example.org"
CARLA_CARD = "04D1A2B3C4D5E6"
DAVID_CARD = "04D2A2B3C4D5E6"
ANNA = "anna@example.org"


async def test_a_driver_blocks_a_lost_card_and_the_charger_refuses_it(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    assert await shop.charger.present_card(1, CARLA_CARD) == "Accepted"
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, CARLA, "Send me a login link")
        await expect(page).to_have_url(re.compile(r"/account$"))
        await page.get_by_role("link", name="My cards").click()
        await expect(page).to_have_url(re.compile(r"/account/cards$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("My cards")
        card = page.locator(f'[data-card="{CARLA_CARD}"]')
        await expect(card).to_contain_text("Active")
        await expect(card).to_contain_text("Cost centre KST 100 Vertrieb")
        await phone.look("account-cards")

        await card.get_by_role("button", name="Block this card").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text("Every charge point refuses it from now on.")
        await phone.look("account-cards-block-dialog")
        await dialog.get_by_role("button", name="Yes, block it").click()
        await expect(page.locator("[data-status]")).to_have_text("The card is blocked.")
        await expect(card).to_contain_text("Blocked in the app on")
        await phone.look("account-cards-blocked")
        assert await shop.charger.present_card(2, CARLA_CARD) == "Blocked"

        await card.get_by_role("button", name="Unblock this card").click()
        await expect(page.locator("[data-status]")).to_have_text("The card works again.")
        await expect(card).to_contain_text("Active")


async def test_the_fleet_manager_sets_a_cost_centre_and_downloads_the_month(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    charger = Charger(shop.platform.ctx)
    await charger.charge(CARLA_CARD, datetime(2026, 10, 5, 8, tzinfo=BERLIN), 10_000)
    await charger.charge(DAVID_CARD, datetime(2026, 10, 6, 8, tzinfo=BERLIN), 2_500)
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, DEMO_FLEET_MANAGER_EMAIL, "Send me a login link")
        await page.get_by_role("link", name="Fleet").click()
        await expect(page).to_have_url(re.compile(r"/account/fleet$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Fleet")
        await expect(page.get_by_text("Musterbau GmbH")).to_be_visible()
        await phone.look("account-fleet")

        david = page.locator(f'[data-card="{DAVID_CARD}"]')
        await david.get_by_label("Cost centre").fill("KST 300 Projekte")
        await david.get_by_role("button", name="Save").click()
        await expect(page.locator(f'[data-card="{DAVID_CARD}"] [role="status"]')).to_have_text(
            "Saved."
        )
        await expect(page.locator(f'[data-card="{DAVID_CARD}"]')).to_contain_text(
            "Cost centre KST 300 Projekte"
        )
        stored = await IdToken.select(IdToken.cost_centre).where(IdToken.uid == DAVID_CARD).first()
        assert stored == {"cost_centre": "KST 300 Projekte"}

        # October as it was charged: David's session stays where his card was then.
        await page.get_by_label("Month").fill("2026-10")
        await page.get_by_role("button", name="Show").click()
        centres = page.locator("#centres > li")
        await expect(centres).to_have_count(2)
        await expect(page.locator('[data-centre="KST 100 Vertrieb"]')).to_contain_text(
            "Sessions: 1"
        )
        await expect(page.locator('[data-centre="KST 200 Service"]')).to_contain_text("David Klein")
        await expect(page.locator('[data-centre="KST 300 Projekte"]')).to_have_count(0)
        await phone.look("account-fleet-month")

        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Download the month as CSV (Excel)").click()
        download = await waiting.value
        assert download.suggested_filename == "sessions-2026-10-01-2026-11-01.csv"
        path = await download.path()
        text = path.read_bytes().decode("utf-8")
        assert text.startswith("\ufeffrecord_number;kind;started_at")
        assert f"Carla Weber;Musterbau: Carla Weber;{CARLA_CARD};KST 100 Vertrieb" in text
        assert ";10,000;EUR;" in text


async def test_a_user_downloads_their_data_and_is_erased_by_the_operator(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "de") as anna:
        page = anna.page
        await page.goto("/login")
        await log_in_by_mail(anna, inbox, ANNA, "Anmeldelink senden")
        await page.get_by_role("link", name="Meine Daten").click()
        await expect(page).to_have_url(re.compile(r"/account/privacy$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Meine Daten")
        await expect(page.get_by_text("§ 147 AO, § 14b UStG")).to_be_visible()
        await anna.look("account-privacy")

        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Meine Daten herunterladen").click()
        download = await waiting.value
        data = json.loads((await download.path()).read_text(encoding="utf-8"))
        assert data["profile"]["email"] == ANNA
        assert data["customer"]["name"] == "Anna Schmidt"

        await page.get_by_role("button", name="Löschung meines Kontos beantragen").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text("Rechnungen und Ladedatensätze bleiben 10 Jahre")
        await anna.look("account-privacy-dialog")
        await dialog.get_by_role("button", name="Ja, Löschung beantragen").click()
        await expect(page.locator("[data-status]")).to_have_text(
            "Ihr Antrag ist beim Betreiber angekommen. Eine Bestätigung ist per E-Mail unterwegs."
        )
        await expect(page.locator("[data-open]")).to_be_visible()
        await anna.look("account-privacy-requested")

        async with phone_at(browser, shop, "en") as operator:
            admin = operator.page
            await admin.goto("/admin/privacy")
            await expect(admin).to_have_url(re.compile(r"/login\?next="))
            await log_in_by_mail(operator, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Send me a login link")
            await expect(admin).to_have_url(re.compile(r"/admin/privacy$"))
            await expect(admin.get_by_role("heading", level=1)).to_have_text("Privacy requests")
            request = admin.locator("[data-request]", has_text=ANNA)
            await expect(request).to_contain_text("Erase the account")
            await operator.look("admin-privacy")
            await request.get_by_role("button", name="Erase now").click()
            await admin.get_by_role("dialog").get_by_role("button", name="Erase now").click()
            await expect(admin.locator("#privacy-status-line")).to_have_text(
                "Erased; the customer is told."
            )
            await expect(admin.locator("#privacy-list")).to_have_text("No requests.")
            await admin.get_by_label("Show").select_option("")
            await expect(admin.locator("[data-request]").first).to_contain_text("Done on")
            await operator.look("admin-privacy-done")

        # Her login is gone: the account asks for a login again.
        await page.goto("/account")
        await expect(page).to_have_url(re.compile(r"/login\?next="))

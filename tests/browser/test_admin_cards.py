"""The operator blocks a lost card in admin mode, in Chromium: finds it, blocks it after a
confirmation, sees each station take the change (local list update at one, cache cleared at
the other), and the simulated charger refuses the card at its next Authorize. Then the
import dry run and the lookups, in German."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from tests.browser.support import Shop, log_in_by_mail, phone_at
from tests.support.shop import Inbox, simulated_charger

ANNA_CARD = "04A2B3C4D5E6F7"


async def test_the_operator_blocks_a_card_and_the_charger_refuses_it(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    charger = shop.charger  # DEMO-AC-1 keeps a local authorization list
    assert await charger.present_card(1, ANNA_CARD) == "Accepted"
    async with (
        simulated_charger(shop.platform, "DEMO-AC-2", feature_profiles=("Core",)) as caching,
        phone_at(browser, shop, "en") as phone,
    ):
        page = phone.page
        await page.goto("/admin/cards")
        await expect(page).to_have_url(re.compile(r"/login\?next="))
        await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Send me a login link")
        await expect(page).to_have_url(re.compile(r"/admin/cards$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("RFID cards")
        await expect(page.locator("#cards-rows tr", has_text=ANNA_CARD)).to_be_visible()

        await page.get_by_label("Search by card number, label, customer or holder").fill("04a2b3")
        await page.get_by_role("button", name="Search", exact=True).click()
        await expect(page.locator("#cards-rows tr")).to_have_count(1)
        await expect(page.locator("#cards-status-line")).to_have_text("Cards 1–1 of 1")
        await phone.look("admin-cards")

        await page.get_by_role("link", name=ANNA_CARD).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Card {ANNA_CARD}")
        await expect(page.locator(".summary")).to_contain_text("Active")
        await phone.look("admin-card")

        await page.get_by_role("button", name="Block card").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("refused at its next authorization")
        await phone.look("admin-card-block-dialog")
        await dialog.get_by_role("button", name="Block card").click()

        await expect(page.locator(".summary")).to_contain_text("Blocked")
        ac1 = page.locator("#push-rows tr", has_text="DEMO-AC-1")
        ac2 = page.locator("#push-rows tr", has_text="DEMO-AC-2")
        await expect(ac1).to_contain_text("Accepted")
        await expect(ac1).to_contain_text("Local list update")
        await expect(ac1).to_contain_text("version 1")
        await expect(ac2).to_contain_text("Cache cleared")
        await expect(page.locator("#push-rows tr", has_text="DEMO-DC-1")).to_contain_text(
            "Station offline: sent when it reconnects"
        )
        await phone.look("admin-card-blocked")

        # The charger got the local-list update and refuses the card at the next Authorize.
        assert charger.local_list.get(ANNA_CARD) == "Blocked"
        assert await charger.present_card(2, ANNA_CARD) == "Blocked"
        assert await caching.present_card(1, ANNA_CARD) == "Blocked"

        await page.get_by_role("button", name="Unblock card").click()
        await page.get_by_role("dialog").get_by_role("button", name="Unblock card").click()
        await expect(page.locator(".summary")).to_contain_text("Active")
        await expect(ac1).to_contain_text("version 2")
        assert charger.local_list.get(ANNA_CARD) == "Accepted"

        await page.get_by_label("Label").fill("Anna Schmidt (new card)")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator("#card-saved")).to_have_text("Saved.")
        await expect(page.locator(".summary")).to_contain_text("Anna Schmidt (new card)")
        audit = await page.request.get("/api/admin/audit?action=card")
        actions = [entry["action"] for entry in (await audit.json())["entries"]]
        assert actions == ["card.update", "card.unblock", "card.block"]


async def test_the_import_dry_run_and_the_lookups_in_german(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    charger = shop.charger
    await charger.plug_in(1)
    assert await charger.present_card(1, ANNA_CARD) == "Accepted"
    await charger.wait_for(lambda: charger.queued() == 0)  # StartTransaction delivered
    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await page.goto("/login?next=/admin/cards/import")
        await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Anmeldelink senden")
        await expect(page).to_have_url(re.compile(r"/admin/cards/import$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Karten aus CSV importieren"
        )
        upload = (
            "uid;label;expires_at\n"
            f"{ANNA_CARD};Anna Schmidt;\n"
            "04NEWCARD01;Neue Karte;2027-12-31\n"
            "04NEWCARD02;Kaputt;31.12.2027\n"
        )
        await page.get_by_label("CSV-Datei").set_input_files(
            files=[{"name": "karten.csv", "mimeType": "text/csv", "buffer": upload.encode()}]
        )
        await page.get_by_role("button", name="Datei prüfen (Probelauf)").click()
        await expect(page.locator("#import-summary")).to_contain_text(
            "1 neu, 0 geändert, 1 unverändert, 1 ungültig"
        )
        await expect(page.locator("#import-rows tr.import-invalid")).to_contain_text("kein Datum")
        apply = page.get_by_role("button", name="Diese Änderungen importieren")
        await expect(apply).to_be_disabled()
        await phone.look("admin-card-import")

        fixed = "\n".join(upload.splitlines()[:3]) + "\n"
        await page.get_by_label("CSV-Datei").set_input_files(
            files=[{"name": "karten.csv", "mimeType": "text/csv", "buffer": fixed.encode()}]
        )
        await page.get_by_role("button", name="Datei prüfen (Probelauf)").click()
        await expect(apply).to_be_enabled()
        await apply.click()
        await expect(page.locator("#import-status")).to_have_text(
            "Importiert: 1 neue und 0 geänderte Karten."
        )

        await page.get_by_role("link", name="Alle Karten").click()
        await expect(page.locator("#cards-rows tr", has_text="04NEWCARD01")).to_contain_text(
            "Neue Karte"
        )
        export = page.get_by_role("link", name="Als CSV exportieren")
        assert await export.get_attribute("href") == "/api/admin/cards/export.csv"
        exported = await page.request.get("/api/admin/cards/export.csv")
        assert "04NEWCARD01" in await exported.text()
        await page.get_by_label("Stations-ID oder EVSE-ID").fill("DEMO-AC-1")
        await page.get_by_role("button", name="Nachschlagen").click()
        used = page.locator("#used-at-rows tr")
        await expect(used).to_have_count(1)
        await expect(used).to_contain_text(ANNA_CARD)
        await phone.look("admin-cards-lookup")
        await used.get_by_role("link", name=ANNA_CARD).click()
        await expect(page.locator("#card-sessions tr")).to_have_count(1)
        await expect(page.locator("#card-sessions tr")).to_contain_text("DE*DEM*E0001*1")
        await phone.look("admin-card-sessions")

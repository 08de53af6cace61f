"""A contract customer in Chromium on a 360 px phone: logs in with a link by e-mail, charges
at the scanned charger under the contract (no payment step), stops from the phone and sees
the session in the account; adds a passkey (Chromium's virtual authenticator, through the
DevTools protocol), logs in with it after logging out, and removes it again in the account's
passkeys section."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.browser.support import (
    Shop,
    log_in_by_mail,
    phone_at,
    stop_with_confirmation,
    watch_it_charge,
)
from tests.support.shop import Inbox

EVSE = "DE*DEM*E0001*1"
ANNA = "anna@example.org"


async def test_charging_under_the_contract_in_german(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "de") as phone:
        page = phone.page
        await page.goto(f"/c/{EVSE}")
        await page.get_by_role("link", name="Kunde mit Ladevertrag? Anmelden").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
        await phone.look("login")
        await log_in_by_mail(phone, inbox, ANNA, "Anmeldelink senden")

        # Back at the charger: the contract's price, and a start without paying.
        await expect(page).to_have_url(re.compile(r"/c/"))
        contract = page.locator(".contract")
        await expect(contract).to_contain_text("Mit Ihrem Vertrag laden")
        await expect(contract.locator(".price-list")).to_contain_text("0,49")
        await phone.look("charger-contract")
        await contract.get_by_role("button", name="Mit meinem Vertrag laden").click()

        await expect(page).to_have_url(re.compile(r"/account$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hallo Anna Schmidt")
        await expect(page.locator("#live-title")).to_have_text("Ladevorgang läuft")
        await watch_it_charge(phone)
        await phone.look("account-charging")

        # A reload keeps the live view: the login and the session are on the server.
        await page.reload()
        await expect(page.locator("#live-title")).to_have_text("Ladevorgang läuft")

        await stop_with_confirmation(phone, "Laden beenden", "Ja, Laden beenden")
        session = page.locator(".sessions li").first
        await expect(session).to_contain_text("Beendet")
        await expect(session).to_contain_text("In der App gestartet")
        await expect(session).to_contain_text("€")
        await expect(page.locator("#live-title")).to_have_count(0)
        await phone.look("account")

        # Logged out, the charger offers the login again, and the account wants one.
        await page.get_by_role("button", name="Abmelden").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
        await page.goto("/account")
        await expect(page).to_have_url(re.compile(r"/login\?next="))


async def test_a_passkey_added_then_used_to_log_in(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        devtools = await phone.context.new_cdp_session(page)
        await devtools.send("WebAuthn.enable")
        added = await devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        await page.goto("/login")
        await log_in_by_mail(phone, inbox, ANNA, "Send me a login link")
        await expect(page).to_have_url(re.compile(r"/account$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hello Anna Schmidt")

        await page.get_by_role("button", name="Add a passkey").click()
        await expect(page.locator("[data-passkey-status]")).to_have_text(
            "Your passkey is added. Next time, log in with it."
        )
        await expect(page.locator("#passkeys-title + p")).to_have_text(
            "Passkeys of this account: 1"
        )
        stored = await devtools.send(
            "WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]}
        )
        assert len(stored["credentials"]) == 1
        assert stored["credentials"][0]["isResidentCredential"]

        await page.get_by_role("button", name="Log out").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
        already = len(inbox.messages)
        await page.get_by_role("button", name="Log in with a passkey").click()
        await expect(page).to_have_url(re.compile(r"/account$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hello Anna Schmidt")
        assert len(inbox.messages) == already  # no e-mail this time
        stored = await devtools.send(
            "WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]}
        )
        assert stored["credentials"][0]["signCount"] >= 1

        # The passkeys section lists it; removed, it no longer logs in (the device keeps it).
        await page.get_by_role("link", name="Manage passkeys").click()
        await expect(page).to_have_url(re.compile(r"/account/passkeys$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Passkeys")
        listed = page.locator(".sessions li")
        await expect(listed).to_have_count(1)
        await expect(listed).to_contain_text("Last used")
        await phone.look("account-passkeys")
        await listed.get_by_role("button", name="Remove").click()
        await page.get_by_role("button", name="Yes, remove it").click()
        await expect(page.locator("[data-status]")).to_have_text("The passkey is removed.")
        await expect(page.get_by_text("This account has no passkey.")).to_be_visible()
        await page.get_by_role("link", name="Back to my account").click()
        await expect(page.locator("#passkeys-title + p")).to_have_text(
            "Log in faster next time: add a passkey of this device."
        )


async def test_a_used_login_link_says_so_and_offers_a_new_one(
    browser: Browser, shop: Shop, inbox: Inbox
) -> None:
    async with phone_at(browser, shop, "en") as phone:
        page = phone.page
        await page.goto("/login")
        used = await log_in_by_mail(phone, inbox, ANNA, "Send me a login link")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hello Anna Schmidt")
        assert "/login/" not in page.url  # the token left the address bar at once
        await page.goto(used)
        await expect(page.get_by_role("alert")).to_contain_text("not valid any more")
        await expect(page.get_by_role("link", name="Request a new link")).to_be_visible()
        await phone.look("login-link-used")

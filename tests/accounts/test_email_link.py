"""Logging in with a link by e-mail: the mail arrives, the link works once and only for 15
minutes, and nobody learns from the answer whether an address has an account."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from cpo.context import Context
from mail import SmtpMailer
from tests.support.accounts import AccountsPlatform, Browser, login_token
from tests.support.platform import start_platform
from tests.support.shop import smtp_inbox

WAIT_S = 15.0


async def test_the_link_arrives_by_mail_and_logs_in_once(demo: Context) -> None:
    with smtp_inbox() as inbox:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{inbox.port}", "Demo Stadtwerke <login@cpo.test>")
        platform = await start_platform(Context(demo.settings, demo.bus, demo.clock, mailer=mailer))
        browser, stranger = Browser(platform), Browser(platform)
        try:
            # Typed with capitals and a space: the address is found all the same.
            asked = await browser.ask_for_link(" Anna@Example.org", language="de")
            assert asked.status_code == 202
            assert asked.content == b""
            assert await asyncio.to_thread(inbox.arrived.wait, WAIT_S)
            [mail] = inbox.messages
            assert mail["To"] == "anna@example.org"
            assert mail["Subject"] == "Ihr Anmeldelink für Demo Stadtwerke Laden"
            assert mail["Reply-To"] == "support@example.org"
            plain = mail.get_body(preferencelist=("plain",))
            html = mail.get_body(preferencelist=("html",))
            assert plain is not None
            assert html is not None
            text = plain.get_content()
            assert text.startswith("Guten Tag Anna Schmidt,")
            assert "innerhalb von 15 Minuten" in text
            link = re.search(r"(\S+)/login/(\S+)", text)
            assert link is not None
            assert link.group(1) == demo.settings.base_url  # the web app's login route
            assert f"/login/{link.group(2)}" in html.get_content()

            redeemed = await browser.redeem(link.group(2))
            assert redeemed.status_code == 200, redeemed.text
            cookie = redeemed.headers["set-cookie"]
            assert cookie.startswith("cpo_session=")
            assert "HttpOnly" in cookie
            assert "SameSite=lax" in cookie
            assert "Path=/" in cookie
            assert "Secure" not in cookie  # plain http on localhost; https sets it
            me = redeemed.json()
            assert me["user"]["email"] == "anna@example.org"
            assert me["user"]["role"] == "driver"
            assert me["customer"]["name"] == "Anna Schmidt"
            assert me["operator"] == {"slug": "demo", "name": "Demo Stadtwerke Laden"}
            assert len(me["csrf_token"]) >= 32

            again = await browser.get("/api/me")
            assert again.status_code == 200
            assert again.json()["csrf_token"] == me["csrf_token"]

            # The same link a second time, from anywhere: refused.
            replay = await stranger.http.post(
                "/api/auth/email-link/redeem",
                json={"token": link.group(2)},
                headers={"Accept-Language": "de"},
            )
            assert replay.status_code == 401
            assert replay.headers["content-type"].startswith("application/problem+json")
            assert replay.json()["code"] == "login_link_invalid"
            assert replay.json()["title"].startswith("Dieser Anmeldelink ist nicht mehr gültig")
            assert "set-cookie" not in replay.headers
        finally:
            await browser.close()
            await stranger.close()
            await platform.stop()


async def test_an_expired_link_is_refused(site: AccountsPlatform) -> None:
    browser = site.browser()
    assert (await browser.ask_for_link("ben@example.org")).status_code == 202
    token = login_token(await site.mailer.next_mail())
    site.clock.advance(timedelta(minutes=15, seconds=1))
    refused = await browser.redeem(token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "login_link_invalid"
    assert (await browser.get("/api/me")).status_code == 401


async def test_a_link_just_in_time_works(site: AccountsPlatform) -> None:
    browser = site.browser()
    await browser.ask_for_link("ben@example.org")
    token = login_token(await site.mailer.next_mail())
    site.clock.advance(timedelta(minutes=14, seconds=50))
    assert (await browser.redeem(token)).status_code == 200


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(site: AccountsPlatform) -> None:
    browser = site.browser()
    unknown = await browser.ask_for_link("nobody@example.org", language="en")
    known = await browser.ask_for_link("ben@example.org", language="en")
    assert (unknown.status_code, unknown.content) == (known.status_code, known.content)
    assert unknown.headers.get("content-length") == known.headers.get("content-length")
    mail = await site.mailer.next_mail()  # the only one: Ben's
    assert mail.to == "ben@example.org"
    assert mail.subject == "Your login link for Demo Stadtwerke Laden"
    assert site.mailer.pending() == 0


async def test_the_operator_narrows_the_accounts(site: AccountsPlatform) -> None:
    browser = site.browser()
    assert (await browser.ask_for_link("ben@example.org", operator="other")).status_code == 202
    assert (await browser.ask_for_link("ben@example.org", operator="demo")).status_code == 202
    assert (await site.mailer.next_mail()).to == "ben@example.org"
    assert site.mailer.pending() == 0


async def test_too_many_links_for_one_address_send_nothing_more(site: AccountsPlatform) -> None:
    browser = site.browser()
    for _ in range(6):
        assert (await browser.ask_for_link("ben@example.org")).status_code == 202
    for _ in range(5):
        await site.mailer.next_mail()
    # The sixth was answered alike and sent nothing: wait for its background task's turn.
    assert (await browser.ask_for_link("nobody@example.org")).status_code == 202
    assert site.mailer.pending() == 0
    assert len(site.mailer.sent) == 5


async def test_too_many_requests_from_one_client_are_refused(site: AccountsPlatform) -> None:
    browser = site.browser()
    for number in range(20):
        asked = await browser.ask_for_link(f"someone-{number}@example.org")
        assert asked.status_code == 202
    refused = await browser.http.post(
        "/api/auth/email-link",
        json={"email": "ben@example.org"},
        headers={"Accept-Language": "de"},
    )
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert refused.json()["title"].startswith("Zu viele Versuche")
    # An hour later the client may ask again.
    site.clock.advance(timedelta(hours=1, minutes=1))
    assert (await browser.ask_for_link("ben@example.org")).status_code == 202


async def test_a_malformed_address_is_named_as_such(site: AccountsPlatform) -> None:
    answer = await site.browser().ask_for_link("not an address", language="de")
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_email"
    assert answer.json()["title"] == "Bitte geben Sie eine gültige E-Mail-Adresse ein."


async def test_login_requests_must_be_json(site: AccountsPlatform) -> None:
    """A cross-site form cannot send JSON: no one can log a browser into their account."""
    browser = site.browser()
    await browser.ask_for_link("ben@example.org")
    token = login_token(await site.mailer.next_mail())
    as_form = await browser.http.post(
        "/api/auth/email-link/redeem",
        content=f'{{"token": "{token}"}}',
        headers={"Content-Type": "text/plain"},
    )
    assert as_form.status_code == 403
    assert as_form.json()["code"] == "csrf_failed"
    assert (await browser.redeem(token)).status_code == 200  # the link still works

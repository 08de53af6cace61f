"""A user's data (GDPR): Anna downloads everything the platform holds about her — her
sessions and records, invoices, passkeys, logins, her report — and nothing of anyone
else's; she asks to be erased, the operator completes it once her session has ended, and
her login is gone (link and passkey refused) while invoices and records stay. Ben's request
is declined with a reason, then completed: a person without invoices loses the customer's
name and address too."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cpo.accounts import service as accounts
from cpo.accounts.tables import Customer, User
from cpo.billing import service as billing
from cpo.billing.rules import Period
from cpo.billing.tables import Invoice
from cpo.cdrs.tables import Cdr
from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from cpo.support.tables import SupportTicket
from cpo.tokens.tables import IdToken, TokenPush
from tests.accounts.test_my_cards import ANNA_CARD
from tests.support.accounts import AccountsPlatform, login_token
from tests.support.contract_sessions import Charger
from tests.support.webauthn import SoftwareAuthenticator

BERLIN = ZoneInfo("Europe/Berlin")
ANNA = "anna@example.org"
BEN = "ben@example.org"
BEN_CARD = "04B1C2D3E4F5A6"


async def customer_of(email: str) -> int:
    row = await User.select(User.customer).where(User.email == email).first()
    assert row is not None
    return int(row["customer"])


async def test_anna_downloads_her_data_and_nobody_elses(site: AccountsPlatform) -> None:
    charger = Charger(site.ctx)
    bens = await charger.charge(BEN_CARD, datetime(2026, 10, 3, 8, tzinfo=BERLIN), 4_000)
    annas = await charger.charge(ANNA_CARD, datetime(2026, 10, 4, 8, tzinfo=BERLIN), 6_000)
    charger.clock.at = datetime(2026, 11, 2, tzinfo=UTC)
    await billing.run_billing(charger.ctx, 1, Period(2026, 10))
    reporter = site.browser()
    report = await reporter.post(
        "/api/evses/DE*DEM*E0001*2/problems",
        {"kind": "damaged", "description": "Cable torn", "contact_email": "Anna@Example.org"},
    )
    assert report.status_code == 201, report.text

    anna = await site.logged_in(ANNA)
    assert (await anna.add_passkey(SoftwareAuthenticator(origin=anna.origin))).status_code == 201
    download = await anna.get("/api/me/data")
    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"].startswith('attachment; filename="my-data-')
    text = download.text
    data = json.loads(text)
    assert data["profile"]["email"] == ANNA
    assert data["customer"]["name"] == "Anna Schmidt"
    assert ANNA_CARD in {token["uid"] for token in data["cards_and_tokens"]}
    (session,) = data["sessions"]
    assert session["id"] == annas
    (record,) = session["records"]
    cdr = await Cdr.select().where(Cdr.session == annas).first()
    assert cdr is not None
    assert (record["number"], record["gross_minor"]) == (cdr["number"], cdr["gross_minor"])
    (invoice,) = data["invoices"]
    assert (invoice["period"], invoice["gross_minor"]) == ("2026-10", cdr["gross_minor"])
    (passkey,) = data["passkeys"]
    assert passkey["created_at"]
    assert "public_key" not in text
    assert "credential_id" not in text
    assert data["login_sessions"]
    assert all("token_hash" not in login for login in data["login_sessions"])
    (filed,) = data["drivers_reports"]
    assert (filed["description"], filed["contact_email"]) == ("Cable torn", "Anna@Example.org")
    assert [(r["kind"], r["status"]) for r in data["privacy_requests"]] == [("export", "done")]
    assert "§ 147 AO" in data["retention"]
    # Nothing of Ben's: not his session, card, name or address.
    assert str(bens) not in {str(s["id"]) for s in data["sessions"]}
    for his in (BEN, "Ben Müller", BEN_CARD):
        assert his not in text

    requests = (await anna.get("/api/me/privacy-requests")).json()
    assert [(r["kind"], r["status"]) for r in requests] == [("export", "done")]


async def test_an_erased_account_cannot_log_in_and_invoices_and_records_stay(
    site: AccountsPlatform,
) -> None:
    charger = Charger(site.ctx)
    await charger.charge(ANNA_CARD, datetime(2026, 10, 4, 8, tzinfo=BERLIN), 6_000)
    charger.clock.at = datetime(2026, 11, 2, tzinfo=UTC)
    await billing.run_billing(charger.ctx, 1, Period(2026, 10))
    customer = await customer_of(ANNA)
    invoices_before = await Invoice.count().where(Invoice.customer == customer)
    records_before = await Cdr.count()
    assert invoices_before == 1

    report = await site.browser().post(
        "/api/evses/DE*DEM*E0001*2/problems",
        {"kind": "other", "description": "Dark at night", "contact_email": "ANNA@example.org"},
    )
    assert report.status_code == 201, report.text
    anna = await site.logged_in(ANNA)
    authenticator = SoftwareAuthenticator(origin=anna.origin)
    assert (await anna.add_passkey(authenticator)).status_code == 201
    assert (await site.browser().ask_for_link(ANNA)).status_code == 202
    unused_link = login_token(await site.mailer.next_mail())
    running = await charger.start(ANNA_CARD, datetime.now(UTC))

    asked = await anna.post("/api/me/deletion-request")
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "open"
    mails = {
        mail.to: mail for mail in (await site.mailer.next_mail(), await site.mailer.next_mail())
    }
    assert set(mails) == {ANNA, "support@example.org"}
    assert mails[ANNA].subject == "Ihr Antrag auf Löschung Ihres Kontos bei Demo Stadtwerke Laden"
    assert "§ 147 AO" in mails[ANNA].text
    assert ANNA in mails["support@example.org"].subject
    assert "/admin/privacy" in mails["support@example.org"].text
    again = await anna.post("/api/me/deletion-request")
    assert again.json()["id"] == asked.json()["id"]

    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    (listed,) = (await admin.get("/api/admin/privacy-requests", params={"status": "open"})).json()
    assert (listed["id"], listed["kind"], listed["user_email"]) == (
        asked.json()["id"],
        "deletion",
        ANNA,
    )
    assert listed["customer_name"] == "Anna Schmidt"
    charging = await admin.post(f"/api/admin/privacy-requests/{listed['id']}/complete")
    assert (charging.status_code, charging.json()["code"]) == (409, "session_running")
    await charger.stop(running, datetime.now(UTC), 1_000)

    done = await admin.post(f"/api/admin/privacy-requests/{listed['id']}/complete")
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["decided_by"]) == ("done", DEMO_OPERATOR_ADMIN_EMAIL)
    outcome = await site.mailer.next_mail()
    assert outcome.to == ANNA
    assert outcome.subject == "Ihr Konto bei Demo Stadtwerke Laden ist gelöscht"
    assert "§ 147 AO" in outcome.text
    twice = await admin.post(f"/api/admin/privacy-requests/{listed['id']}/complete")
    assert (twice.status_code, twice.json()["code"]) == (409, "request_not_open")

    # The login is gone: session, link, passkey, and the address finds no account.
    assert (await anna.get("/api/me")).status_code == 401
    redeemed = await site.browser().redeem(unused_link)
    assert (redeemed.status_code, redeemed.json()["code"]) == (401, "login_link_invalid")
    stranger = site.browser()
    ceremony = await stranger.login_options()
    assert (
        await stranger.passkey_login(ceremony, authenticator.get(ceremony["options"]))
    ).status_code == 401
    mails_for_anna = await accounts.request_login_links(
        site.ctx, accounts.LoginLinkRequest(email=ANNA), "de", "192.0.2.1"
    )
    assert mails_for_anna == []
    user = await User.select().where(User.id == listed["user_id"]).first()
    assert user is not None
    assert (user["display_name"], user["disabled_at"] is not None) == ("", True)
    assert ANNA not in user["email"]

    # What the law keeps stays: the invoice (with whom it was for) and every record.
    assert await Invoice.count().where(Invoice.customer == customer) == invoices_before
    assert await Cdr.count() == records_before + 1  # the session that ran meanwhile
    kept = await Customer.select(Customer.name).where(Customer.id == customer).first()
    assert kept == {"name": "Anna Schmidt"}
    app_token = (
        await IdToken.select()
        .where((IdToken.customer == customer) & (IdToken.type == "APP_USER"))
        .first()
    )
    assert app_token is not None
    assert (app_token["status"], app_token["holder"]) == ("blocked", None)
    card = await IdToken.select(IdToken.holder).where(IdToken.uid == ANNA_CARD).first()
    assert card == {"holder": None}
    ticket = await SupportTicket.select(
        SupportTicket.contact_email, SupportTicket.description
    ).first()
    assert ticket == {"contact_email": "", "description": "Dark at night"}
    log = (await admin.get("/api/admin/audit", params={"action": "privacy"})).json()
    assert log["entries"][0]["action"] == "privacy.complete"


async def test_a_declined_request_says_why_and_a_person_without_invoices_is_erased_whole(
    site: AccountsPlatform,
) -> None:
    ben = await site.logged_in(BEN)
    first = (await ben.post("/api/me/deletion-request")).json()
    await site.mailer.next_mail()
    await site.mailer.next_mail()
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    empty = await admin.post(f"/api/admin/privacy-requests/{first['id']}/decline", {"reason": ""})
    assert empty.status_code == 400
    declined = await admin.post(
        f"/api/admin/privacy-requests/{first['id']}/decline",
        {"reason": "Your contract runs until the end of the year."},
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    answer = await site.mailer.next_mail()
    assert answer.to == BEN
    assert "Your contract runs until the end of the year." in answer.text
    mine = (await ben.get("/api/me/privacy-requests")).json()
    assert (mine[0]["status"], mine[0]["reason"]) == (
        "declined",
        "Your contract runs until the end of the year.",
    )

    second = (await ben.post("/api/me/deletion-request")).json()
    assert second["id"] != first["id"]
    customer = await customer_of(BEN)
    app_token = (
        await IdToken.select(IdToken.id)
        .where((IdToken.customer == customer) & (IdToken.type == "APP_USER"))
        .first()
    )
    assert app_token is not None
    done = await admin.post(f"/api/admin/privacy-requests/{second['id']}/complete")
    assert done.status_code == 200, done.text
    erased = (
        await Customer.select(Customer.name, Customer.email).where(Customer.id == customer).first()
    )
    assert erased == {"name": "–", "email": ""}
    pushes = await TokenPush.select(TokenPush.reason).where(TokenPush.token == app_token["id"])
    assert {push["reason"] for push in pushes} == {"block"}
    assert (await ben.get("/api/me")).status_code == 401

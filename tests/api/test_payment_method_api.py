"""A contract customer's payment method on file over HTTP (`/api/me/payment-method`),
against the platform with its Stripe account at the fake and the fake's webhooks pointed
at it: a person adds SEPA Direct Debit on the fake's setup page, replaces it with a card,
removes it; admin mode sees it; who may not is told so in plain words."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cpo.accounts import service as accounts
from cpo.accounts.enums import CustomerKind, Role
from cpo.context import Context
from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from cpo.payments.schemas import ProviderName
from cpo.payments.tables import PaymentAccount, SavedPaymentMethod
from payments.fake import FakeProviderServer
from tests.support.accounts import AccountsPlatform, Browser, MovableClock, RecordingMailer
from tests.support.shop import paying_platform

ANNA = "anna@example.org"
API = "/api/me/payment-method"


@dataclass
class Site:
    accounts: AccountsPlatform
    fake: FakeProviderServer
    page: httpx.AsyncClient  # the customer's browser on the fake's pages

    async def start(
        self, who: Browser, kind: str, *, csrf: bool = True, **extra: Any
    ) -> httpx.Response:
        body = {"kind": kind, "client_key": uuid.uuid4().hex, **extra}
        return await who.post(f"{API}/setups", body, csrf=csrf)

    async def enter(self, step: dict[str, Any], form: dict[str, str]) -> dict[str, list[str]]:
        """The customer fills in the fake's setup page and is sent back to the app."""
        answer = await self.page.post(step["redirect_url"], data=form)
        assert answer.status_code == 303, answer.text
        back = urlsplit(answer.headers["location"])
        assert back.path == "/account/payment"
        return parse_qs(back.query)


SEPA_FORM = {
    "method": "sepa_debit",
    "iban": "DE89 3704 0044 0532 0130 00",
    "name": "Anna Schmidt",
    "email": ANNA,
    "mandate": "accepted",
}
VISA_FORM = {"method": "card", "card_number": "4242 4242 4242 4242"}


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[Site]:
    mailer = RecordingMailer()
    clock = MovableClock()
    async with (
        paying_platform(demo, mailer=mailer, clock=clock) as paying,
        httpx.AsyncClient(timeout=10) as page,
    ):
        running = AccountsPlatform(paying.platform, mailer, clock)
        try:
            yield Site(running, paying.fake, page)
        finally:
            await running.close()


async def test_a_person_adds_sepa_debit_replaces_it_with_a_card_and_removes_it(site: Site) -> None:
    anna = await site.accounts.logged_in(ANNA)
    empty = await anna.get(API)
    assert empty.status_code == 200, empty.text
    assert empty.json() == {
        "offered": True,
        "method": None,
        "setup": None,
        "creditor": "Demo Stadtwerke Laden GmbH",
        "message": "",
    }

    unaccepted = await site.start(anna, "sepa_debit")
    assert (unaccepted.status_code, unaccepted.json()["code"]) == (422, "mandate_not_accepted")
    assert "Lastschriftmandat" in unaccepted.json()["title"]  # Anna reads German
    forged = await site.start(anna, "sepa_debit", mandate_accepted=True, csrf=False)
    assert (forged.status_code, forged.json()["code"]) == (403, "csrf_failed")

    key = uuid.uuid4().hex
    started = await site.start(anna, "sepa_debit", mandate_accepted=True, client_key=key)
    assert started.status_code == 201, started.text
    step = started.json()
    assert step["kind"] == "sepa_debit"
    assert step["state"] == "pending"
    assert step["publishable_key"].startswith("pk_test_")
    assert step["client_secret"].startswith("seti_")
    assert step["redirect_url"].startswith(f"{site.fake.url}/setup/seti_")
    assert step["return_url"] == (
        f"{site.accounts.ctx.settings.base_url}/account/payment?setup={step['setup_id']}"
    )
    again = await site.start(anna, "sepa_debit", mandate_accepted=True, client_key=key)
    assert again.json() == step  # a second tap resumes the same setup
    assert (await anna.get(API)).json()["setup"]["state"] == "pending"

    back = await site.enter(step, SEPA_FORM)
    assert back["setup"] == [str(step["setup_id"])]
    assert back["redirect_status"] == ["succeeded"]
    confirmed = await anna.post(f"{API}/setups/{step['setup_id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    sepa = confirmed.json()["method"]
    assert (sepa["id"], sepa["kind"], sepa["last4"], sepa["bank_code"], sepa["country"]) == (
        step["setup_id"],
        "sepa_debit",
        "3000",
        "37040044",
        "DE",
    )
    assert sepa["mandate_reference"]
    assert sepa["added_by"] == "Anna Schmidt"

    card_step = (await site.start(anna, "card")).json()
    await site.enter(card_step, VISA_FORM)
    replaced = (await anna.post(f"{API}/setups/{card_step['setup_id']}/confirm")).json()
    card = replaced["method"]
    assert (card["kind"], card["brand"], card["last4"], card["exp_month"], card["exp_year"]) == (
        "card",
        "visa",
        "4242",
        12,
        2034,
    )
    old = await SavedPaymentMethod.select().where(SavedPaymentMethod.id == sepa["id"]).first()
    assert old is not None
    assert (old["state"], old["detached_at"] is not None) == ("removed", True)

    admin = await site.accounts.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    customer_id = (await anna.get("/api/me/")).json()["customer"]["id"]
    detail = (await admin.get(f"/api/admin/customers/{customer_id}")).json()
    shown = detail["payment_method"]
    assert set(shown) == {"kind", "brand", "bank_code", "last4", "since"}  # never more
    assert (shown["kind"], shown["brand"], shown["last4"]) == ("card", "visa", "4242")

    removed = await anna.send("DELETE", f"{API}/{card['id']}")
    assert removed.status_code == 200, removed.text
    assert removed.json()["method"] is None
    gone = await anna.send("DELETE", f"{API}/{card['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "payment_method_not_found")
    detail = (await admin.get(f"/api/admin/customers/{customer_id}")).json()
    assert detail["payment_method"] is None


async def test_the_webhook_finishes_a_setup_the_browser_never_came_back_from(site: Site) -> None:
    anna = await site.accounts.logged_in(ANNA)
    step = (await site.start(anna, "card")).json()
    await site.enter(step, VISA_FORM)
    await site.fake.webhooks_idle()  # delivered to the platform and answered
    method = (await anna.get(API)).json()["method"]
    assert method is not None
    assert method["id"] == step["setup_id"]


async def test_a_declined_card_is_explained_and_the_method_stays_as_it_was(site: Site) -> None:
    anna = await site.accounts.logged_in(ANNA)
    step = (await site.start(anna, "card")).json()
    declined = await site.page.post(
        step["redirect_url"], data={"method": "card", "card_number": "4000 0000 0000 0002"}
    )
    assert declined.status_code == 400
    await site.fake.webhooks_idle()
    view = (await anna.post(f"{API}/setups/{step['setup_id']}/confirm?lang=en")).json()
    assert view["method"] is None
    assert view["setup"]["state"] == "failed"
    assert view["setup"]["message"] == (
        "Your bank declined this card, so it was not saved. Please try another card, or pay "
        "by direct debit."
    )


async def test_who_may_not_is_told_so_in_plain_words(site: Site) -> None:
    company = await accounts.create_customer(
        site.accounts.ctx,
        1,
        accounts.CustomerInput(kind=CustomerKind.COMPANY, name="Müller Logistik GmbH"),
    )
    for email, role in (
        ("fahrer@mueller.example", Role.DRIVER),
        ("chefin@mueller.example", Role.FLEET_MANAGER),
    ):
        await accounts.create_user(
            site.accounts.ctx,
            1,
            accounts.UserInput(email=email, role=role, customer_id=company.id, language="en"),
        )
    driver = await site.accounts.logged_in("fahrer@mueller.example")
    refused = await driver.get(f"{API}?lang=en")
    assert (refused.status_code, refused.json()["code"]) == (403, "payment_method_not_yours")
    assert refused.json()["title"] == (
        "Your company's payment method is chosen by its fleet manager. Please ask them, or "
        "contact us."
    )
    assert (await site.start(driver, "card")).status_code == 403
    manager = await site.accounts.logged_in("chefin@mueller.example")
    assert (await site.start(manager, "card")).status_code == 201

    stranger = site.accounts.browser()
    assert (await stranger.get(API)).status_code == 401
    anna = await site.accounts.logged_in(ANNA)
    theirs = (await site.start(manager, "card")).json()
    foreign = await anna.post(f"{API}/setups/{theirs['setup_id']}/confirm")
    assert (foreign.status_code, foreign.json()["code"]) == (404, "setup_not_found")
    for body in ({"kind": "paypal", "client_key": "a" * 16}, {"kind": "card", "client_key": "x"}):
        invalid = await anna.post(f"{API}/setups", body)
        assert (invalid.status_code, invalid.json()["code"]) == (400, "invalid_request")


async def test_without_a_stripe_account_invoices_are_paid_by_bank_transfer(site: Site) -> None:
    await PaymentAccount.update({PaymentAccount.active: False}).where(
        PaymentAccount.provider == ProviderName.STRIPE
    )
    anna = await site.accounts.logged_in(ANNA)
    view = (await anna.get(f"{API}?lang=en")).json()
    assert view["offered"] is False
    assert view["message"].startswith("Paying invoices by card or direct debit is not offered")
    refused = await site.start(anna, "card")
    assert (refused.status_code, refused.json()["code"]) == (409, "method_on_file_not_offered")
    assert "Überweisung" in refused.json()["title"]

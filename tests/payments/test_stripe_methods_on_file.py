"""Methods on file through `StripeProvider` (`cpo.ports.SavedPaymentMethods`) against the
fake Stripe, with the real SDK: a customer, a card or a SEPA Direct Debit bank account saved
on the fake's setup page (the demo's stand-in for the Payment Element in setup mode), and
charges to it while the customer is not there — with the webhooks they cause, and every
call repeated under its idempotency key."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from cpo.payments.schemas import (
    ChargeResult,
    ChargeState,
    CustomerRequest,
    EventKind,
    MandateAcceptance,
    MethodKind,
    MethodOnFileNotOffered,
    OffSessionCharge,
    ProviderError,
    ProviderName,
    SavedMethod,
    SetupRequest,
    SetupStarted,
    SetupState,
)
from payments.fake import FakeProviderServer, StripeTestAccount
from payments.gateway import ProviderGateway
from payments.stripe_provider import StripeProvider
from tests.payments.conftest import MakeProvider
from tests.support.stripe_webhooks import WebhookEndpoint

RETURN_URL = "https://cpo.example/account/payment?returned=1"
BROWSER = "Mozilla/5.0 (Linux; Android 14) Chrome/131 Mobile"
ACCEPTANCE = MandateAcceptance(
    ip_address="203.0.113.7",
    user_agent=BROWSER,
    accepted_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
)


async def customer_of(provider: StripeProvider, customer_id: int = 12) -> str:
    return await provider.ensure_customer(
        CustomerRequest(
            reference=f"customer:{customer_id}",
            name="Anna Schmidt",
            email="anna@example.org",
            idempotency_key=f"customer:{customer_id}:1",
        )
    )


async def start(
    provider: StripeProvider, customer_ref: str, kind: MethodKind, setup_id: int = 7
) -> SetupStarted:
    return await provider.start_setup(
        SetupRequest(
            customer_ref=customer_ref,
            kind=kind,
            reference=f"setup:{setup_id}",
            return_url=RETURN_URL,
            idempotency_key=f"setup:{setup_id}",
            mandate=ACCEPTANCE if kind is MethodKind.SEPA_DEBIT else None,
        )
    )


def back_at_the_merchant(answer: httpx.Response) -> dict[str, list[str]]:
    """Where the setup page sent the browser: our return URL with Stripe's parameters."""
    assert answer.status_code == 303, answer.text
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == RETURN_URL.split("?")[0]
    return parse_qs(target.query)


async def save_card(
    browser: httpx.AsyncClient, started: SetupStarted, number: str
) -> httpx.Response:
    assert started.redirect_url is not None
    return await browser.post(started.redirect_url, data={"method": "card", "card_number": number})


async def save_iban(
    browser: httpx.AsyncClient, started: SetupStarted, iban: str = "DE89 3704 0044 0532 0130 00"
) -> httpx.Response:
    assert started.redirect_url is not None
    return await browser.post(
        started.redirect_url,
        data={
            "method": "sepa_debit",
            "iban": iban,
            "name": "Anna Schmidt",
            "email": "anna@example.org",
            "mandate": "accepted",
        },
        headers={"User-Agent": BROWSER},
    )


async def saved(
    provider: StripeProvider, browser: httpx.AsyncClient, kind: MethodKind, what: str
) -> tuple[str, SavedMethod]:
    """A customer with a card (`what`: its number) or bank account (its IBAN) on file."""
    customer_ref = await customer_of(provider)
    started = await start(provider, customer_ref, kind)
    if kind is MethodKind.CARD:
        back_at_the_merchant(await save_card(browser, started, what))
    else:
        back_at_the_merchant(await save_iban(browser, started, what))
    status = await provider.setup_status(started.setup_ref)
    assert status.state is SetupState.SUCCEEDED, status
    assert status.method is not None
    return customer_ref, status.method


def charge(
    customer_ref: str, method: SavedMethod, number: int = 1, amount: int = 2345
) -> OffSessionCharge:
    return OffSessionCharge(
        customer_ref=customer_ref,
        method_ref=method.method_ref,
        kind=method.kind,
        amount_minor=amount,
        currency="EUR",
        description="Invoice DEM-R-000012",
        reference=f"charge:{number}",
        idempotency_key=f"charge:{number}",
    )


def intents_of(fake: FakeProviderServer, reference: str) -> list[str]:
    return [
        intent_id
        for intent_id, intent in fake.providers.stripe.payment_intents.items()
        if intent.data["metadata"].get("reference") == reference
    ]


async def event_of(
    provider: StripeProvider, endpoint: WebhookEndpoint, event_type: str, object_id: str
) -> tuple[EventKind, str | None, str | None]:
    delivery = await endpoint.event(event_type, object_id)
    event = await provider.parse_webhook(delivery.headers, delivery.body)
    return event.kind, event.provider_ref, event.reference


# -- customers and setups ----------------------------------------------------------------


async def test_the_customer_is_made_once_and_a_setup_carries_our_reference(
    fake: FakeProviderServer, provider: StripeProvider
) -> None:
    customer_ref = await customer_of(provider)
    assert await customer_of(provider) == customer_ref  # a retry: the same customer
    customer = fake.object(customer_ref)
    assert (customer["name"], customer["email"]) == ("Anna Schmidt", "anna@example.org")
    assert customer["metadata"] == {"reference": "customer:12"}

    started = await start(provider, customer_ref, MethodKind.CARD)
    assert started.client_secret is not None
    assert started.client_secret.startswith(f"{started.setup_ref}_secret_")
    assert started.redirect_url == f"{fake.url}/setup/{started.setup_ref}"
    assert (await start(provider, customer_ref, MethodKind.CARD)).setup_ref == started.setup_ref
    setup = fake.object(started.setup_ref)
    assert (setup["customer"], setup["usage"], setup["payment_method_types"]) == (
        customer_ref,
        "off_session",
        ["card"],
    )
    assert setup["metadata"] == {"reference": "setup:7", "return_url": RETURN_URL}
    assert (await provider.setup_status(started.setup_ref)).state is SetupState.PENDING


async def test_a_card_is_saved_on_the_setup_page_and_charged_off_session_once(
    fake: FakeProviderServer, provider: StripeProvider, browser: httpx.AsyncClient
) -> None:
    customer_ref = await customer_of(provider)
    started = await start(provider, customer_ref, MethodKind.CARD)
    assert started.redirect_url is not None
    page = await browser.get(started.redirect_url)
    assert page.status_code == 200
    assert "Save a payment method for Stadtwerke Demo" in page.text
    assert "IBAN" not in page.text  # a card setup offers cards only

    answer = back_at_the_merchant(await save_card(browser, started, "4242 4242 4242 4242"))
    assert answer["setup_intent"] == [started.setup_ref]
    assert answer["setup_intent_client_secret"] == [started.client_secret]
    assert answer["redirect_status"] == ["succeeded"]

    status = await provider.setup_status(started.setup_ref)
    assert status.state is SetupState.SUCCEEDED
    method = status.method
    assert method is not None
    assert (method.kind, method.brand, method.last4, method.exp_month, method.exp_year) == (
        MethodKind.CARD,
        "visa",
        "4242",
        12,
        2034,
    )
    assert fake.object(method.method_ref)["customer"] == customer_ref

    paid = await provider.charge_off_session(charge(customer_ref, method))
    assert paid == ChargeResult(
        charge_ref=paid.charge_ref, state=ChargeState.SUCCEEDED, amount_minor=2345, currency="EUR"
    )
    intent = fake.object(paid.charge_ref)
    assert (intent["customer"], intent["payment_method"], intent["capture_method"]) == (
        customer_ref,
        method.method_ref,
        "automatic_async",
    )
    assert (intent["description"], intent["metadata"]) == (
        "Invoice DEM-R-000012",
        {"reference": "charge:1"},
    )
    # Asked again (a lost answer, a second worker): the same payment, not a second one.
    assert await provider.charge_off_session(charge(customer_ref, method)) == paid
    assert intents_of(fake, "charge:1") == [paid.charge_ref]
    assert await provider.charge_status(paid.charge_ref) == paid


async def test_sepa_debit_is_saved_with_the_mandate_the_customer_accepted(
    fake: FakeProviderServer, provider: StripeProvider, browser: httpx.AsyncClient
) -> None:
    customer_ref = await customer_of(provider)
    started = await start(provider, customer_ref, MethodKind.SEPA_DEBIT)
    setup = fake.object(started.setup_ref)
    assert setup["payment_method_types"] == ["sepa_debit"]
    assert setup["metadata"]["mandate_accepted_ip"] == "203.0.113.7"
    assert setup["metadata"]["mandate_accepted_user_agent"] == BROWSER
    assert setup["metadata"]["mandate_accepted_at"] == "2026-11-02T09:30:00+00:00"

    assert started.redirect_url is not None
    page = await browser.get(started.redirect_url)
    assert "you authorise Stadtwerke Demo (the creditor)" in page.text
    assert 'value="anna@example.org"' in page.text  # the customer's e-mail, for the mandate
    assert "Accept the mandate and save" in page.text
    refused = await browser.post(
        started.redirect_url,
        data={"method": "sepa_debit", "iban": "DE89 3704 0044 0532 0130 01", "name": "Anna"},
    )
    assert refused.status_code == 400  # no mandate accepted, and a mistyped IBAN
    assert "accept the mandate" in refused.text

    back_at_the_merchant(await save_iban(browser, started))
    status = await provider.setup_status(started.setup_ref)
    method = status.method
    assert method is not None
    assert (method.kind, method.last4, method.bank_code, method.country) == (
        MethodKind.SEPA_DEBIT,
        "3000",
        "37040044",
        "DE",
    )
    mandate = fake.object(method.mandate_ref)
    assert mandate["payment_method"] == method.method_ref
    assert mandate["status"] == "active"
    assert method.mandate_reference == mandate["payment_method_details"]["sepa_debit"]["reference"]
    assert len(method.mandate_reference) == 16
    acceptance = mandate["customer_acceptance"]
    assert acceptance["type"] == "online"
    assert acceptance["online"]["user_agent"] == BROWSER  # Stripe's own record, from the page
    assert (
        await browser.get(mandate["payment_method_details"]["sepa_debit"]["url"])
    ).status_code == 200


async def test_saving_a_bank_account_the_stripe_js_way_needs_the_mandate(
    fake: FakeProviderServer, provider: StripeProvider, driver: stripe.StripeClient
) -> None:
    """Stripe.js confirms the SetupIntent with the IBAN and the mandate acceptance."""
    customer_ref = await customer_of(provider)
    started = await start(provider, customer_ref, MethodKind.SEPA_DEBIT)
    bank_account = {
        "type": "sepa_debit",
        "sepa_debit": {"iban": "DE89370400440532013000"},
        "billing_details": {"name": "Anna Schmidt", "email": "anna@example.org"},
    }
    with pytest.raises(stripe.InvalidRequestError) as no_mandate:
        await driver.v1.setup_intents.confirm_async(
            started.setup_ref,
            {"payment_method_data": bank_account},  # type: ignore[typeddict-item]
        )
    assert (no_mandate.value.code, no_mandate.value.param) == ("parameter_missing", "mandate_data")

    await driver.v1.setup_intents.confirm_async(
        started.setup_ref,
        {
            "payment_method_data": bank_account,  # type: ignore[typeddict-item]
            "mandate_data": {
                "customer_acceptance": {
                    "type": "online",
                    "online": {"ip_address": "203.0.113.7", "user_agent": BROWSER},
                }
            },
        },
    )
    status = await provider.setup_status(started.setup_ref)
    assert status.method is not None
    mandate = fake.object(status.method.mandate_ref)
    assert mandate["customer_acceptance"]["online"]["ip_address"] == "203.0.113.7"


async def test_a_declined_card_is_not_saved_and_another_one_may_be_tried(
    fake: FakeProviderServer,
    provider: StripeProvider,
    browser: httpx.AsyncClient,
    endpoint: WebhookEndpoint,
) -> None:
    customer_ref = await customer_of(provider)
    started = await start(provider, customer_ref, MethodKind.CARD)
    declined = await save_card(browser, started, "4000 0000 0000 0002")
    assert declined.status_code == 400
    assert "Your card was declined." in declined.text

    status = await provider.setup_status(started.setup_ref)
    assert (status.state, status.failure_code, status.failure_message) == (
        SetupState.FAILED,
        "generic_decline",
        "Your card was declined.",
    )
    assert await event_of(provider, endpoint, "setup_intent.setup_failed", started.setup_ref) == (
        EventKind.SETUP_FAILED,
        started.setup_ref,
        "setup:7",
    )

    back_at_the_merchant(await save_card(browser, started, "5555 5555 5555 4444"))
    status = await provider.setup_status(started.setup_ref)
    assert status.state is SetupState.SUCCEEDED
    assert status.method is not None
    assert (status.method.brand, status.method.last4) == ("mastercard", "4444")
    assert await event_of(provider, endpoint, "setup_intent.succeeded", started.setup_ref) == (
        EventKind.SETUP_SUCCEEDED,
        started.setup_ref,
        "setup:7",
    )


@pytest.mark.parametrize(
    ("answer", "state", "redirect_status"),
    [("complete", SetupState.SUCCEEDED, "succeeded"), ("fail", SetupState.FAILED, "failed")],
)
async def test_a_card_asks_for_3d_secure_when_it_is_saved(
    fake: FakeProviderServer,
    provider: StripeProvider,
    browser: httpx.AsyncClient,
    answer: str,
    state: SetupState,
    redirect_status: str,
) -> None:
    customer_ref = await customer_of(provider)
    started = await start(provider, customer_ref, MethodKind.CARD)
    challenge = await save_card(browser, started, "4000 0027 6000 3184")
    assert challenge.status_code == 303
    assert challenge.headers["location"] == f"/stripe/3ds/{started.setup_ref}"
    page = await browser.get(f"{fake.url}/stripe/3ds/{started.setup_ref}")
    assert "asks to save your card ending in 3184" in page.text
    assert (await provider.setup_status(started.setup_ref)).state is SetupState.PENDING

    returned = await browser.post(
        f"{fake.url}/stripe/3ds/{started.setup_ref}", data={"action": answer}
    )
    assert back_at_the_merchant(returned)["redirect_status"] == [redirect_status]
    status = await provider.setup_status(started.setup_ref)
    assert status.state is state
    if state is SetupState.FAILED:
        assert status.failure_code == "setup_intent_authentication_failure"


# -- charges without the customer ----------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "state", "failure_code"),
    [
        # Saved fine; its charges are declined.
        ("4000 0000 0000 0341", ChargeState.FAILED, "generic_decline"),
        # 3-D Secure every time: without the customer it cannot be done.
        ("4000 0027 6000 3184", ChargeState.REQUIRES_ACTION, "authentication_required"),
        # 3-D Secure once, when it was saved: later charges go through.
        ("4000 0025 0000 3155", ChargeState.SUCCEEDED, ""),
    ],
)
async def test_off_session_card_charges_as_stripe_documents_its_test_cards(
    fake: FakeProviderServer,
    provider: StripeProvider,
    browser: httpx.AsyncClient,
    endpoint: WebhookEndpoint,
    number: str,
    state: ChargeState,
    failure_code: str,
) -> None:
    customer_ref = await customer_of(provider)
    started = await start(provider, customer_ref, MethodKind.CARD)
    answer = await save_card(browser, started, number)
    if answer.headers["location"].startswith("/stripe/3ds/"):
        challenge = f"{fake.url}{answer.headers['location']}"
        back_at_the_merchant(await browser.post(challenge, data={"action": "complete"}))
    status = await provider.setup_status(started.setup_ref)
    assert status.method is not None

    result = await provider.charge_off_session(charge(customer_ref, status.method))
    assert (result.state, result.failure_code) == (state, failure_code)
    if state is not ChargeState.SUCCEEDED:
        assert result.failure_message
        assert result.charge_ref  # the intent exists; the customer may pay it on-session
    # The same request again: the saved answer, no second attempt at the bank.
    assert await provider.charge_off_session(charge(customer_ref, status.method)) == result
    assert intents_of(fake, "charge:1") == [result.charge_ref]
    assert await provider.charge_status(result.charge_ref) == result

    event_type, kind = {
        ChargeState.SUCCEEDED: ("payment_intent.succeeded", EventKind.CHARGE_SUCCEEDED),
        ChargeState.FAILED: ("payment_intent.payment_failed", EventKind.CHARGE_FAILED),
        ChargeState.REQUIRES_ACTION: ("payment_intent.payment_failed", EventKind.CHARGE_FAILED),
    }[state]
    assert await event_of(provider, endpoint, event_type, result.charge_ref) == (
        kind,
        result.charge_ref,
        "charge:1",
    )


@pytest.mark.parametrize(
    ("iban", "state", "failure_code"),
    [
        ("DE89 3704 0044 0532 0130 00", ChargeState.SUCCEEDED, ""),
        ("DE62 3704 0044 0532 0130 01", ChargeState.FAILED, "generic_could_not_process"),
    ],
)
async def test_a_sepa_debit_processes_then_succeeds_or_fails(
    fake: FakeProviderServer,
    provider: StripeProvider,
    browser: httpx.AsyncClient,
    endpoint: WebhookEndpoint,
    iban: str,
    state: ChargeState,
    failure_code: str,
) -> None:
    customer_ref, method = await saved(provider, browser, MethodKind.SEPA_DEBIT, iban)
    submitted = await provider.charge_off_session(charge(customer_ref, method, amount=4711))
    assert (submitted.state, submitted.amount_minor) == (ChargeState.PROCESSING, 4711)
    assert await provider.charge_off_session(charge(customer_ref, method, amount=4711)) == submitted
    assert await event_of(
        provider, endpoint, "payment_intent.processing", submitted.charge_ref
    ) == (
        EventKind.CHARGE_PROCESSING,
        submitted.charge_ref,
        "charge:1",
    )
    debit = fake.object(fake.object(submitted.charge_ref)["latest_charge"])
    assert debit["status"] == "pending"
    assert debit["payment_method_details"]["sepa_debit"]["mandate"] == method.mandate_ref

    fake.settle_payment_intent(submitted.charge_ref)  # days later, the bank answers
    settled = await provider.charge_status(submitted.charge_ref)
    assert (settled.state, settled.failure_code) == (state, failure_code)
    event_type = (
        "payment_intent.succeeded"
        if state is ChargeState.SUCCEEDED
        else "payment_intent.payment_failed"
    )
    kind = EventKind.CHARGE_SUCCEEDED if state is ChargeState.SUCCEEDED else EventKind.CHARGE_FAILED
    assert await event_of(provider, endpoint, event_type, submitted.charge_ref) == (
        kind,
        submitted.charge_ref,
        "charge:1",
    )
    # The replay still answers what Stripe said then; the status is what it is now.
    assert (await provider.charge_off_session(charge(customer_ref, method, amount=4711))).state is (
        ChargeState.PROCESSING
    )


async def test_a_lost_answer_to_a_charge_is_retried_with_the_same_key_and_charged_once(
    fake: FakeProviderServer,
    make_provider: MakeProvider,
    browser: httpx.AsyncClient,
) -> None:
    provider = await make_provider(max_network_retries=0)
    customer_ref, method = await saved(provider, browser, MethodKind.CARD, "4242424242424242")
    fake.fail_next("/v1/payment_intents", method="POST", after_processing=True)
    with pytest.raises(ProviderError) as lost:
        await provider.charge_off_session(charge(customer_ref, method))
    assert lost.value.retryable

    result = await provider.charge_off_session(charge(customer_ref, method))
    assert result.state is ChargeState.SUCCEEDED
    assert intents_of(fake, "charge:1") == [result.charge_ref]


async def test_a_detached_method_cannot_be_charged_and_detaching_twice_is_harmless(
    fake: FakeProviderServer, provider: StripeProvider, browser: httpx.AsyncClient
) -> None:
    customer_ref, method = await saved(
        provider, browser, MethodKind.SEPA_DEBIT, "DE89370400440532013000"
    )
    await provider.detach(method.method_ref, f"detach:{method.method_ref}")
    assert fake.object(method.method_ref)["customer"] is None
    assert fake.object(method.mandate_ref)["status"] == "inactive"
    await provider.detach(method.method_ref, f"detach:{method.method_ref}")
    await provider.detach(method.method_ref, "detach:again")
    await provider.detach("pm_gone_long_ago", "detach:gone")

    with pytest.raises(ProviderError) as refused:
        await provider.charge_off_session(charge(customer_ref, method))
    assert not refused.value.retryable


def test_paypal_keeps_no_method_on_file_and_says_so() -> None:
    gateway = ProviderGateway()
    with pytest.raises(MethodOnFileNotOffered) as refused:
        gateway.saved_methods(
            ProviderName.PAYPAL,
            {"client_id": "id", "client_secret": "secret", "webhook_id": "WH-1"},
        )
    assert refused.value.code == "method_on_file_not_offered"
    assert "PayPal" in refused.value.message


async def test_stripe_accounts_keep_methods_apart(
    fake: FakeProviderServer,
    provider: StripeProvider,
    make_provider: MakeProvider,
    keys: StripeTestAccount,
) -> None:
    customer_ref = await customer_of(provider)
    other_keys = fake.stripe_account(display_name="Hotel am See")
    other = await make_provider(
        {"secret_key": other_keys.secret_key, "webhook_secret": other_keys.webhook_secret}
    )
    with pytest.raises(ProviderError) as foreign:
        await start(other, customer_ref, MethodKind.CARD)
    assert foreign.value.code == "resource_missing"
    assert keys.secret_key != other_keys.secret_key

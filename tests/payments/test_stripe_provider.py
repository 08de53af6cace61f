"""`StripeProvider` against the fake Stripe (`payments.fake`): the real SDK on a real socket.

The driver's side is played as Stripe.js and the browser would play it: a confirmation with
one of Stripe's test payment methods, the fake's demo card page, its 3-D Secure page.
Webhooks are the fake's own deliveries to a small local endpoint (or events signed the way
the fake signs them). Everything waits on conditions with timeouts, never on sleeps.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from cpo.payments.schemas import (
    EventKind,
    HoldRequest,
    HoldState,
    InvalidWebhook,
    PaymentDeclined,
    PaymentMethod,
    ProviderError,
)
from payments.fake import FakeProviderServer, StripeTestAccount
from payments.fake.stripe_api import stripe_signature
from payments.stripe_provider import StripeProvider, provider_error
from tests.payments.conftest import MakeProvider
from tests.support.stripe_webhooks import WebhookEndpoint

RETURN_URL = "https://cpo.example/s/42.abc?paid=1"


def hold_request(payment_id: int = 42, amount_minor: int = 5000) -> HoldRequest:
    return HoldRequest(
        amount_minor=amount_minor,
        currency="EUR",
        idempotency_key=f"hold:{payment_id}",
        description="Charging DE*ABC*E0001*1",
        reference=str(payment_id),
        return_url=RETURN_URL,
        cancel_url="https://cpo.example/s/42.abc?cancelled=1",
    )


async def pay(
    driver: stripe.StripeClient, intent_id: str, payment_method: str = "pm_card_visa"
) -> stripe.PaymentIntent:
    return await driver.v1.payment_intents.confirm_async(
        intent_id, {"payment_method": payment_method, "return_url": RETURN_URL}
    )


async def authorized_hold(
    provider: StripeProvider, driver: stripe.StripeClient, payment_id: int = 42
) -> str:
    created = await provider.create_hold(hold_request(payment_id))
    await pay(driver, created.provider_ref)
    return created.provider_ref


def events_of(fake: FakeProviderServer, event_type: str, intent_id: str) -> list[dict[str, Any]]:
    return [
        event
        for event in fake.providers.stripe.events.values()
        if event["type"] == event_type and event["data"]["object"]["id"] == intent_id
    ]


# -- the hold ----------------------------------------------------------------------------


async def test_a_hold_is_a_manual_capture_intent_carrying_our_reference(
    fake: FakeProviderServer, provider: StripeProvider
) -> None:
    created = await provider.create_hold(hold_request())
    assert created.state is HoldState.REQUIRES_ACTION
    assert created.client_secret is not None
    assert created.client_secret.startswith(f"{created.provider_ref}_secret_")
    assert created.redirect_url == f"{fake.url}/pay/{created.provider_ref}"

    intent = fake.object(created.provider_ref)
    assert intent["capture_method"] == "manual"
    assert intent["automatic_payment_methods"]["enabled"] is True
    assert (intent["amount"], intent["currency"]) == (5000, "eur")
    assert intent["description"] == "Charging DE*ABC*E0001*1"
    assert intent["metadata"] == {"reference": "42", "return_url": RETURN_URL}

    # A repeated request (lost answer, double tap) gets the same hold, not a second one.
    again = await provider.create_hold(hold_request())
    assert again.provider_ref == created.provider_ref
    assert list(fake.providers.stripe.payment_intents) == [created.provider_ref]

    status = await provider.hold_status(created.provider_ref)
    assert (status.state, status.method, status.amount_authorized_minor) == (
        HoldState.REQUIRES_ACTION,
        None,
        0,
    )


async def test_the_demo_card_page_is_offered_only_where_it_exists(
    make_provider: MakeProvider,
) -> None:
    off = await make_provider({"demo_card_page": "0"})
    assert (await off.create_hold(hold_request(1))).redirect_url is None

    elsewhere = await make_provider({"demo_card_page": "https://pay.cpo.example/"})
    created = await elsewhere.create_hold(hold_request(2))
    assert created.redirect_url == f"https://pay.cpo.example/pay/{created.provider_ref}"

    with pytest.raises(ValueError, match="webhook_secret"):
        StripeProvider.from_config({"secret_key": "sk_test_x", "publishable_key": "pk_test_x"})


async def test_the_driver_pays_on_the_demo_card_page_and_the_hold_is_authorized(
    provider: StripeProvider, browser: httpx.AsyncClient
) -> None:
    created = await provider.create_hold(hold_request())
    assert created.redirect_url is not None
    page = await browser.get(created.redirect_url)
    assert page.status_code == 200
    assert "50.00 EUR" in page.text

    paid = await browser.post(created.redirect_url, data={"card_number": "5555 5555 5555 4444"})
    assert paid.status_code == 303
    back = urlsplit(paid.headers["location"])
    assert back.netloc == "cpo.example"
    assert parse_qs(back.query)["redirect_status"] == ["succeeded"]

    status = await provider.hold_status(created.provider_ref)
    assert status.state is HoldState.AUTHORIZED
    assert status.method == PaymentMethod(kind="card", brand="mastercard", last4="4444")


async def test_a_card_hold_is_partially_captured_the_rest_released_and_refunded(
    fake: FakeProviderServer, provider: StripeProvider, driver: stripe.StripeClient
) -> None:
    intent_id = await authorized_hold(provider, driver)

    status = await provider.hold_status(intent_id)
    assert status.state is HoldState.AUTHORIZED
    assert status.amount_authorized_minor == 5000
    assert status.method == PaymentMethod(kind="card", brand="visa", last4="4242")

    captured = await provider.capture(intent_id, 1234, "EUR", "capture:42:1234")
    intent = fake.object(intent_id)
    assert captured.capture_ref == intent["latest_charge"]
    assert captured.amount_minor == 1234
    assert (intent["status"], intent["amount_received"], intent["amount_capturable"]) == (
        "succeeded",
        1234,
        0,
    )

    status = await provider.hold_status(intent_id)
    assert (status.state, status.amount_captured_minor) == (HoldState.CAPTURED, 1234)
    assert status.method == PaymentMethod(kind="card", brand="visa", last4="4242")

    refunded = await provider.refund(intent_id, 234, "EUR", "refund:42:1")
    assert refunded.amount_minor == 234
    assert fake.object(refunded.refund_ref)["payment_intent"] == intent_id
    assert fake.object(captured.capture_ref)["amount_refunded"] == 234

    with pytest.raises(ProviderError) as too_much:
        await provider.refund(intent_id, 1001, "EUR", "refund:42:2")
    assert (too_much.value.code, too_much.value.retryable) == ("amount_too_large", False)
    with pytest.raises(ValueError, match="cancel"):
        await provider.capture(intent_id, 0, "EUR", "capture:42:0")


@pytest.mark.parametrize(
    ("payment_method", "decline_code", "message"),
    [
        ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
    ],
)
async def test_a_declined_card_fails_the_hold_with_the_decline_code(
    provider: StripeProvider,
    driver: stripe.StripeClient,
    payment_method: str,
    decline_code: str,
    message: str,
) -> None:
    created = await provider.create_hold(hold_request())
    with pytest.raises(stripe.CardError) as declined:
        await pay(driver, created.provider_ref, payment_method)

    status = await provider.hold_status(created.provider_ref)
    assert status.state is HoldState.FAILED
    assert (status.failure_code, status.failure_message) == (decline_code, message)
    # The same decline, had the adapter made that call, is a PaymentDeclined with that code.
    mapped = provider_error(declined.value, "confirm")
    assert isinstance(mapped, PaymentDeclined)
    assert (mapped.code, mapped.retryable) == (decline_code, False)


@pytest.mark.parametrize(
    ("action", "state", "failure_code"),
    [
        ("complete", HoldState.AUTHORIZED, ""),
        ("fail", HoldState.FAILED, "payment_intent_authentication_failure"),
    ],
)
async def test_three_d_secure_keeps_the_hold_waiting_until_the_driver_answers(
    provider: StripeProvider,
    driver: stripe.StripeClient,
    browser: httpx.AsyncClient,
    action: str,
    state: HoldState,
    failure_code: str,
) -> None:
    created = await provider.create_hold(hold_request())
    intent = await pay(driver, created.provider_ref, "pm_card_authenticationRequired")
    assert intent.next_action is not None
    assert intent.next_action.redirect_to_url is not None
    challenge = intent.next_action.redirect_to_url.url or ""
    assert (await provider.hold_status(created.provider_ref)).state is HoldState.REQUIRES_ACTION

    assert (await browser.get(challenge)).status_code == 200
    answer = await browser.post(challenge, data={"action": action})
    assert answer.status_code == 303

    status = await provider.hold_status(created.provider_ref)
    assert (status.state, status.failure_code) == (state, failure_code)
    if state is HoldState.AUTHORIZED:
        assert status.method == PaymentMethod(kind="card", brand="visa", last4="3184")


async def test_cancel_releases_the_hold_and_a_second_cancel_is_harmless(
    fake: FakeProviderServer, provider: StripeProvider, driver: stripe.StripeClient
) -> None:
    intent_id = await authorized_hold(provider, driver)
    released = await provider.cancel(intent_id, "cancel:42")
    assert released.state is HoldState.CANCELLED
    assert released.method == PaymentMethod(kind="card", brand="visa", last4="4242")
    intent = fake.object(intent_id)
    assert (intent["status"], intent["cancellation_reason"]) == ("canceled", "abandoned")

    assert (await provider.cancel(intent_id, "cancel:42")).state is HoldState.CANCELLED
    assert (await provider.cancel(intent_id, "cancel:42:again")).state is HoldState.CANCELLED
    assert len(events_of(fake, "payment_intent.canceled", intent_id)) == 1

    unpaid = await provider.create_hold(hold_request(43))
    assert (await provider.cancel(unpaid.provider_ref, "cancel:43")).state is HoldState.CANCELLED


async def test_a_captured_hold_cannot_be_cancelled(
    provider: StripeProvider, driver: stripe.StripeClient
) -> None:
    intent_id = await authorized_hold(provider, driver)
    await provider.capture(intent_id, 5000, "EUR", "capture:42:5000")
    with pytest.raises(ProviderError) as refused:
        await provider.cancel(intent_id, "cancel:42")
    assert (refused.value.code, refused.value.retryable) == (
        "payment_intent_unexpected_state",
        False,
    )
    assert "succeeded" in str(refused.value)


# -- captures that must happen exactly once ------------------------------------------------


async def test_a_capture_whose_answer_was_lost_is_retried_with_the_same_key_and_taken_once(
    fake: FakeProviderServer, make_provider: MakeProvider, driver: stripe.StripeClient
) -> None:
    provider = await make_provider(max_network_retries=0)  # the core's retry, not the SDK's
    intent_id = await authorized_hold(provider, driver)
    fake.fail_next("/v1/payment_intents/*/capture", after_processing=True)
    with pytest.raises(ProviderError) as lost:
        await provider.capture(intent_id, 1234, "EUR", "capture:42:1234")
    assert lost.value.retryable

    captured = await provider.capture(intent_id, 1234, "EUR", "capture:42:1234")
    assert captured.amount_minor == 1234
    assert fake.object(captured.capture_ref)["amount_captured"] == 1234
    assert len(events_of(fake, "payment_intent.succeeded", intent_id)) == 1


async def test_the_sdk_retries_a_timed_out_capture_with_the_same_key(
    fake: FakeProviderServer, make_provider: MakeProvider, driver: stripe.StripeClient
) -> None:
    provider = await make_provider(timeout_s=0.5, max_network_retries=1)
    intent_id = await authorized_hold(provider, driver)
    # Stripe does the capture, but its answer comes too late: the SDK gives up and retries.
    fake.hang_next("/v1/payment_intents/*/capture", seconds=3, after_processing=True)

    captured = await provider.capture(intent_id, 2000, "EUR", "capture:42:2000")
    assert captured.amount_minor == 2000
    assert len(events_of(fake, "payment_intent.succeeded", intent_id)) == 1


async def test_a_capture_already_made_is_recognised_under_another_key(
    fake: FakeProviderServer, provider: StripeProvider, driver: stripe.StripeClient
) -> None:
    intent_id = await authorized_hold(provider, driver)
    first = await provider.capture(intent_id, 1234, "EUR", "capture:42:1234")
    again = await provider.capture(intent_id, 1234, "EUR", "capture:42:1234:retry")
    assert again == first
    assert len(events_of(fake, "payment_intent.succeeded", intent_id)) == 1

    with pytest.raises(ProviderError) as other_amount:
        await provider.capture(intent_id, 1500, "EUR", "capture:42:1500")
    assert (other_amount.value.code, other_amount.value.retryable) == (
        "payment_intent_unexpected_state",
        False,
    )


async def test_an_expired_authorisation_is_reported_and_cannot_be_captured(
    fake: FakeProviderServer, provider: StripeProvider, driver: stripe.StripeClient
) -> None:
    intent_id = await authorized_hold(provider, driver)
    fake.expire_payment_intent(intent_id)

    assert (await provider.hold_status(intent_id)).state is HoldState.EXPIRED
    with pytest.raises(ProviderError) as expired:
        await provider.capture(intent_id, 1234, "EUR", "capture:42:1234")
    assert (expired.value.code, expired.value.retryable) == (
        "payment_intent_unexpected_state",
        False,
    )
    assert (await provider.cancel(intent_id, "cancel:42")).state is HoldState.EXPIRED


# -- errors ------------------------------------------------------------------------------


async def test_server_errors_and_timeouts_are_retryable(
    fake: FakeProviderServer, make_provider: MakeProvider, driver: stripe.StripeClient
) -> None:
    provider = await make_provider(timeout_s=0.3, max_network_retries=1)
    intent_id = await authorized_hold(provider, driver)

    fake.fail_next("/v1/payment_intents/*/capture", times=2, status=503)  # the SDK's retry too
    with pytest.raises(ProviderError) as unavailable:
        await provider.capture(intent_id, 1234, "EUR", "capture:42:1234")
    assert (unavailable.value.code, unavailable.value.retryable) == ("http_503", True)
    assert fake.object(intent_id)["status"] == "requires_capture"

    fake.hang_next(f"/v1/payment_intents/{intent_id}", times=2, seconds=3, method="GET")
    with pytest.raises(ProviderError) as silent:
        await provider.hold_status(intent_id)
    assert (silent.value.code, silent.value.retryable) == ("provider_unreachable", True)

    # And afterwards the same calls go through.
    assert (await provider.capture(intent_id, 1234, "EUR", "capture:42:1234")).amount_minor == 1234


async def test_invalid_requests_are_not_retryable_and_carry_stripes_code(
    fake: FakeProviderServer, make_provider: MakeProvider, provider: StripeProvider
) -> None:
    with pytest.raises(ProviderError) as too_small:
        await provider.create_hold(hold_request(amount_minor=10))
    assert (too_small.value.code, too_small.value.retryable) == ("amount_too_small", False)

    await provider.create_hold(hold_request(7))
    with pytest.raises(ProviderError) as reused:  # same key, different request
        await provider.create_hold(hold_request(7, amount_minor=6000))
    assert (reused.value.code, reused.value.retryable) == ("idempotency_error", False)

    with pytest.raises(ProviderError) as missing:
        await provider.hold_status("pi_doesnotexist")
    assert (missing.value.code, missing.value.retryable) == ("resource_missing", False)

    # White label: another operator's account does not see this one's holds.
    other_keys = fake.stripe_account(display_name="Hotel am See")
    other = await make_provider(
        {"secret_key": other_keys.secret_key, "webhook_secret": other_keys.webhook_secret}
    )
    mine = await provider.create_hold(hold_request(8))
    with pytest.raises(ProviderError) as foreign:
        await other.hold_status(mine.provider_ref)
    assert foreign.value.code == "resource_missing"

    stranger = await make_provider({"secret_key": "sk_test_not_an_account"})
    with pytest.raises(ProviderError) as unauthenticated:
        await stranger.create_hold(hold_request(9))
    assert (unauthenticated.value.code, unauthenticated.value.retryable) == (
        "authentication_failed",
        False,
    )


def test_every_sdk_exception_has_its_provider_error() -> None:
    """The exceptions the fake cannot provoke (it injects 5xx only), built as the SDK
    builds them from an answer."""

    def card_error(decline_code: str | None) -> stripe.CardError:
        body = {"error": {"type": "card_error", "code": "card_declined"}}
        if decline_code:
            body["error"]["decline_code"] = decline_code
        return stripe.CardError("declined", None, "card_declined", json.dumps(body), 402, body)

    lost_card = provider_error(card_error("lost_card"), "confirm")
    assert isinstance(lost_card, PaymentDeclined)
    assert lost_card.code == "lost_card"
    assert provider_error(card_error(None), "confirm").code == "card_declined"

    cases: list[tuple[stripe.StripeError, str, bool]] = [
        (stripe.APIError("in use", http_status=409), "http_409", True),
        (stripe.APIError("unreadable answer"), "provider_error", True),
        (stripe.APIError("teapot", http_status=418), "http_418", False),
        (stripe.APIConnectionError("reset", should_retry=True), "provider_unreachable", True),
        (stripe.RateLimitError("slow down", http_status=429), "rate_limited", True),
        (stripe.PermissionError("restricted key", http_status=403), "permission_denied", False),
        (stripe.StripeError("something new"), "stripe_error", False),
    ]
    for error, code, retryable in cases:
        mapped = provider_error(error, "do it")
        assert (type(mapped), mapped.code, mapped.retryable) == (ProviderError, code, retryable)


# -- webhooks ----------------------------------------------------------------------------


async def test_genuine_webhooks_become_the_core_events(
    fake: FakeProviderServer,
    provider: StripeProvider,
    driver: stripe.StripeClient,
    endpoint: WebhookEndpoint,
) -> None:
    intent_id = await authorized_hold(provider, driver)
    await provider.capture(intent_id, 2000, "EUR", "capture:42:2000")
    await provider.refund(intent_id, 500, "EUR", "refund:42:1")
    declined = await provider.create_hold(hold_request(43))
    with pytest.raises(stripe.CardError):
        await pay(driver, declined.provider_ref, "pm_card_chargeDeclined")
    released = await provider.create_hold(hold_request(44))
    await provider.cancel(released.provider_ref, "cancel:44")

    expected = [
        ("payment_intent.amount_capturable_updated", intent_id, EventKind.HOLD_AUTHORIZED, 5000),
        ("payment_intent.succeeded", intent_id, EventKind.CAPTURED, 2000),
        ("charge.refunded", intent_id, EventKind.REFUNDED, 500),
        ("payment_intent.payment_failed", declined.provider_ref, EventKind.HOLD_FAILED, 5000),
        ("payment_intent.canceled", released.provider_ref, EventKind.HOLD_CANCELLED, 5000),
    ]
    for event_type, ref, kind, amount in expected:
        delivery = await endpoint.event(event_type, ref)
        assert "Stripe-Signature" in delivery.headers
        event = await provider.parse_webhook(delivery.headers, delivery.body)
        assert (event.kind, event.provider_ref, event.amount_minor) == (kind, ref, amount)
        assert event.event_id == delivery.event["id"]
        assert event.reference == fake.object(ref)["metadata"]["reference"]
        assert event.occurred_at is not None
        assert abs(event.occurred_at.timestamp() - time.time()) < 60
        # Web frameworks hand headers over in their own spelling.
        lowered = {name.lower(): value for name, value in delivery.headers.items()}
        assert await provider.parse_webhook(lowered, delivery.body) == event


async def test_forged_stale_or_unsigned_webhooks_are_refused(
    provider: StripeProvider,
    make_provider: MakeProvider,
    driver: stripe.StripeClient,
    endpoint: WebhookEndpoint,
) -> None:
    intent_id = await authorized_hold(provider, driver)
    delivery = await endpoint.event("payment_intent.amount_capturable_updated", intent_id)
    genuine = await provider.parse_webhook(delivery.headers, delivery.body)
    assert genuine.kind is EventKind.HOLD_AUTHORIZED

    tampered = delivery.body.replace(b'"amount_capturable": 5000', b'"amount_capturable": 9000')
    assert tampered != delivery.body
    with pytest.raises(InvalidWebhook):
        await provider.parse_webhook(delivery.headers, tampered)
    without = {k: v for k, v in delivery.headers.items() if k.lower() != "stripe-signature"}
    with pytest.raises(InvalidWebhook):
        await provider.parse_webhook(without, delivery.body)
    with pytest.raises(InvalidWebhook):
        await provider.parse_webhook({"Stripe-Signature": "garbage"}, delivery.body)
    someone_else = await make_provider({"webhook_secret": "whsec_someone_else"})
    with pytest.raises(InvalidWebhook):
        await someone_else.parse_webhook(delivery.headers, delivery.body)


async def test_signed_events_that_are_old_not_json_or_unknown(
    keys: StripeTestAccount, provider: StripeProvider
) -> None:
    def signed(body: bytes, age_s: int = 0) -> dict[str, str]:
        timestamp = int(time.time()) - age_s
        signature = stripe_signature(body, keys.webhook_secret, timestamp)
        return {"stripe-signature": f"t={timestamp},v1={signature}"}

    event = {
        "id": "evt_test_customer",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "type": "customer.created",
        "data": {"object": {"id": "cus_123", "object": "customer", "metadata": {}}},
        "livemode": False,
    }
    body = json.dumps(event).encode()
    ignored = await provider.parse_webhook(signed(body), body)
    assert (ignored.event_id, ignored.kind, ignored.provider_ref) == (
        "evt_test_customer",
        EventKind.IGNORED,
        None,
    )

    with pytest.raises(InvalidWebhook):  # replayed long after it was signed
        await provider.parse_webhook(signed(body, age_s=3600), body)
    for nonsense in (b"not json", b"[]", b'{"object": "event", "id": "evt_1"}'):
        with pytest.raises(InvalidWebhook):
            await provider.parse_webhook(signed(nonsense), nonsense)

"""The fake Stripe + PayPal server, driven by the real SDKs (`stripe`, `paypalserversdk`).

Stripe's async client talks to the fake through `base_addresses`; PayPal's SDK has no
base-URL option, so a `Configuration` subclass answers the fake's URL from
`get_base_uri()`. PayPal's SDK is synchronous: its calls run in a thread while the fake
serves from this test's event loop. Webhooks land in a small local HTTP receiver and are
awaited with timeouts, never sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import stripe
from paypalserversdk.configuration import Configuration, Server
from paypalserversdk.exceptions.error_exception import ErrorException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.capture_request import CaptureRequest
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.money import Money
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.paypal_wallet_experience_context import (
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from payments.fake import FakeProviderServer, PayPalTestAccount, StripeTestAccount

# stripe-python 16's HTTPXClient hands its form body to httpx as `data=<str>`, which
# httpx 0.28 deprecates ("Use 'content=<...>'"). Nothing to fix on our side of the wire.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=:DeprecationWarning")

RETURN_URL = "https://cpo.example/pay/return?session=42"
WAIT_S = 5.0


# -- a webhook receiver ------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A bare HTTP/1.1 endpoint on loopback that records every POST it answers with 2xx.
    `fail_next` makes it answer that many requests with a 500 first."""

    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    refused: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: asyncio.Server | None = None
    _connections: set[asyncio.StreamWriter] = field(default_factory=set)
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/webhooks"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._connections):
            writer.close()
        await asyncio.gather(*self._handlers)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            while request_line := await reader.readline():
                if not request_line.strip():
                    continue
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if self.fail_next > 0:
                    self.fail_next -= 1
                    self.refused += 1
                    status = b"500 Internal Server Error"
                else:
                    status = b"200 OK"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                async with self._changed:
                    if status.startswith(b"200"):
                        self.received.append(Received(headers, body))
                    self._changed.notify_all()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._connections.discard(writer)
            self._handlers.discard(handler)

    async def wait_for(
        self, predicate: Callable[[Received], bool], count: int = 1
    ) -> list[Received]:
        """The first `count` deliveries matching `predicate`, waiting up to WAIT_S."""

        def matching() -> list[Received]:
            return [r for r in self.received if predicate(r)]

        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(matching()) >= count), timeout=WAIT_S
            )
            return matching()[:count]


def stripe_event(event_type: str, intent_id: str | None = None) -> Callable[[Received], bool]:
    def predicate(received: Received) -> bool:
        event = received.json()
        if event.get("type") != event_type:
            return False
        return intent_id is None or event["data"]["object"].get("id") == intent_id

    return predicate


def paypal_event(event_type: str) -> Callable[[Received], bool]:
    return lambda received: received.json().get("event_type") == event_type


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeProviderServer]:
    async with FakeProviderServer(webhook_retry_delays_s=(0.05, 0.1, 0.2)) as server:
        yield server


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    webhook_receiver = WebhookReceiver()
    await webhook_receiver.start()
    yield webhook_receiver
    await webhook_receiver.stop()


@pytest.fixture
def stripe_keys(fake: FakeProviderServer) -> StripeTestAccount:
    return fake.stripe_account(display_name="Stadtwerke <Demo> & Co")


@pytest.fixture
async def stripe_client(
    fake: FakeProviderServer, stripe_keys: StripeTestAccount
) -> AsyncIterator[stripe.StripeClient]:
    http_client = stripe.HTTPXClient(timeout=5)
    yield stripe.StripeClient(
        stripe_keys.secret_key,
        base_addresses={"api": fake.stripe_url},
        http_client=http_client,
        max_network_retries=0,
    )
    await http_client.close_async()


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    """What the driver's phone does with the pages: plain GETs and form POSTs."""
    async with httpx.AsyncClient(timeout=5, follow_redirects=False) as client:
        yield client


class FakePayPalConfiguration(Configuration):
    """PayPal's SDK asks `get_base_uri()` for the host of every call, OAuth included."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        self._base_url = base_url
        super().__init__(**kwargs)

    def get_base_uri(self, server: Server = Server.DEFAULT) -> str:
        return self._base_url


@pytest.fixture
def paypal_keys(fake: FakeProviderServer) -> PayPalTestAccount:
    return fake.paypal_account(display_name="Demo CPO")


@pytest.fixture
def paypal(fake: FakeProviderServer, paypal_keys: PayPalTestAccount) -> PaypalServersdkClient:
    return PaypalServersdkClient(
        config=FakePayPalConfiguration(
            fake.paypal_url,
            timeout=5,
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=paypal_keys.client_id,
                o_auth_client_secret=paypal_keys.client_secret,
            ),
        )
    )


async def create_hold(client: stripe.StripeClient, **extra: Any) -> stripe.PaymentIntent:
    params: dict[str, Any] = {
        "amount": 5000,
        "currency": "eur",
        "capture_method": "manual",
        "payment_method_types": ["card"],
        "description": "Charging DE*ABC*E0001*1",
        "metadata": {"reference": "pay_123"},
        **extra,
    }
    return await client.v1.payment_intents.create_async(params)  # type: ignore[arg-type]


# -- Stripe: the hold, its capture, cancel and refund -----------------------------------------


async def test_a_card_hold_is_partially_captured_the_rest_released_and_refunded(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = await create_hold(stripe_client)
    assert intent.status == "requires_payment_method"
    assert intent.capture_method == "manual"
    assert intent.metadata["reference"] == "pay_123"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")

    intent = await stripe_client.v1.payment_intents.confirm_async(
        intent.id, {"payment_method": "pm_card_visa"}
    )
    assert intent.status == "requires_capture"
    assert intent.amount_capturable == 5000

    intent = await stripe_client.v1.payment_intents.retrieve_async(
        intent.id, {"expand": ["latest_charge"]}
    )
    charge = intent.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.payment_method_details is not None
    card = charge.payment_method_details.card
    assert card is not None
    assert (card.brand, card.last4) == ("visa", "4242")

    intent = await stripe_client.v1.payment_intents.capture_async(
        intent.id, {"amount_to_capture": 1234}
    )
    assert intent.status == "succeeded"
    assert intent.amount_received == 1234
    assert intent.amount_capturable == 0

    refund = await stripe_client.v1.refunds.create_async(
        {"payment_intent": intent.id, "amount": 234}
    )
    assert (refund.status, refund.amount, refund.payment_intent) == ("succeeded", 234, intent.id)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        await stripe_client.v1.refunds.create_async({"payment_intent": intent.id, "amount": 1001})
    assert too_much.value.code == "amount_too_large"
    assert too_much.value.param == "amount"


async def test_capturing_more_than_the_hold_or_a_cancelled_hold_is_refused(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = await create_hold(stripe_client, payment_method="pm_card_visa", confirm=True)
    assert intent.status == "requires_capture"
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        await stripe_client.v1.payment_intents.capture_async(intent.id, {"amount_to_capture": 5001})
    assert too_much.value.code == "amount_too_large"

    intent = await stripe_client.v1.payment_intents.cancel_async(
        intent.id, {"cancellation_reason": "abandoned"}
    )
    assert (intent.status, intent.cancellation_reason) == ("canceled", "abandoned")
    assert intent.amount_capturable == 0
    with pytest.raises(stripe.InvalidRequestError) as canceled:
        await stripe_client.v1.payment_intents.capture_async(intent.id)
    assert canceled.value.code == "payment_intent_unexpected_state"
    assert canceled.value.http_status == 400


async def test_a_declined_card_raises_card_error_and_the_intent_asks_for_another_card(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = await create_hold(stripe_client)
    with pytest.raises(stripe.CardError) as declined:
        await stripe_client.v1.payment_intents.confirm_async(
            intent.id, {"payment_method": "pm_card_chargeDeclined"}
        )
    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    assert declined.value.error is not None
    assert declined.value.error.decline_code == "generic_decline"

    intent = await stripe_client.v1.payment_intents.retrieve_async(intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.code == "card_declined"

    # The driver tries another card: the same intent succeeds.
    intent = await stripe_client.v1.payment_intents.confirm_async(
        intent.id, {"payment_method": "pm_card_visa"}
    )
    assert intent.status == "requires_capture"


@pytest.mark.parametrize(
    ("action", "redirect_status", "status"),
    [("complete", "succeeded", "requires_capture"), ("fail", "failed", "requires_payment_method")],
)
async def test_three_d_secure_is_completed_or_failed_on_the_fake_challenge_page(
    stripe_client: stripe.StripeClient,
    browser: httpx.AsyncClient,
    action: str,
    redirect_status: str,
    status: str,
) -> None:
    intent = await create_hold(stripe_client)
    intent = await stripe_client.v1.payment_intents.confirm_async(
        intent.id, {"payment_method": "pm_card_authenticationRequired", "return_url": RETURN_URL}
    )
    assert intent.status == "requires_action"
    assert intent.next_action is not None
    assert intent.next_action.type == "redirect_to_url"
    redirect = intent.next_action.redirect_to_url
    assert redirect is not None
    assert redirect.return_url == RETURN_URL

    page = await browser.get(redirect.url or "")
    assert page.status_code == 200
    assert "3184" in page.text
    answer = await browser.post(
        urljoin(str(page.url), form_action(page.text)), data={"action": action}
    )
    assert answer.status_code == 303
    back = urlsplit(answer.headers["location"])
    assert back.netloc == "cpo.example"
    query = parse_qs(back.query)
    assert query["session"] == ["42"]
    assert query["payment_intent"] == [intent.id]
    assert query["redirect_status"] == [redirect_status]

    intent = await stripe_client.v1.payment_intents.retrieve_async(intent.id)
    assert intent.status == status
    if action == "fail":
        assert intent.last_payment_error is not None
        assert intent.last_payment_error.code == "payment_intent_authentication_failure"


# -- Stripe: idempotency and errors --------------------------------------------------------------


async def test_an_idempotency_key_replays_the_same_intent_and_refuses_other_parameters(
    stripe_client: stripe.StripeClient,
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "hold:pay_123"}
    params: dict[str, Any] = {"amount": 5000, "currency": "eur", "capture_method": "manual"}
    first = await stripe_client.v1.payment_intents.create_async(params, options)  # type: ignore[arg-type]
    again = await stripe_client.v1.payment_intents.create_async(params, options)  # type: ignore[arg-type]
    assert again.id == first.id
    assert again.last_response.headers["idempotent-replayed"] == "true"

    with pytest.raises(stripe.IdempotencyError) as conflict:
        await stripe_client.v1.payment_intents.create_async(
            {**params, "amount": 6000},  # type: ignore[typeddict-item]
            options,
        )
    assert conflict.value.http_status == 400


async def test_declines_are_replayed_too_and_validation_errors_are_not_saved(
    stripe_client: stripe.StripeClient,
) -> None:
    intent = await create_hold(stripe_client)
    options: stripe.RequestOptions = {"idempotency_key": "confirm:1"}
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            await stripe_client.v1.payment_intents.confirm_async(
                intent.id, {"payment_method": "pm_card_chargeDeclined"}, options
            )
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await stripe_client.v1.payment_intents.create_async(
            {"currency": "eur"},  # type: ignore[typeddict-item]
            {"idempotency_key": "create:1"},
        )
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "amount")
    created = await create_hold(stripe_client)  # the same key may now carry a valid request
    assert created.status == "requires_payment_method"


async def test_unknown_objects_and_bad_keys_raise_the_sdk_exceptions(
    fake: FakeProviderServer, stripe_client: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await stripe_client.v1.payment_intents.retrieve_async("pi_doesnotexist")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await create_hold(stripe_client, surprise="yes")
    assert unknown.value.code == "parameter_unknown"

    # Stripe's own gotchas: a return_url only with confirm=true, and automatic payment
    # methods (which may redirect) need one when confirming.
    with pytest.raises(stripe.InvalidRequestError) as early:
        await create_hold(stripe_client, return_url=RETURN_URL)
    assert early.value.param == "return_url"
    automatic = await stripe_client.v1.payment_intents.create_async(
        {"amount": 5000, "currency": "eur", "automatic_payment_methods": {"enabled": True}}
    )
    with pytest.raises(stripe.InvalidRequestError, match="return_url"):
        await stripe_client.v1.payment_intents.confirm_async(
            automatic.id, {"payment_method": "pm_card_visa"}
        )

    http_client = stripe.HTTPXClient(timeout=5)
    stranger = stripe.StripeClient(
        "sk_test_not_an_account",
        base_addresses={"api": fake.stripe_url},
        http_client=http_client,
        max_network_retries=0,
    )
    with pytest.raises(stripe.AuthenticationError):
        await create_hold(stranger)
    await http_client.close_async()


async def test_injected_server_errors_and_timeouts_surface_as_sdk_errors(
    fake: FakeProviderServer, stripe_keys: StripeTestAccount, stripe_client: stripe.StripeClient
) -> None:
    fake.fail_next("/v1/payment_intents", status=503)
    with pytest.raises(stripe.APIError) as unavailable:
        await create_hold(stripe_client)
    assert unavailable.value.http_status == 503
    assert fake.providers.stripe.payment_intents == {}

    impatient_http = stripe.HTTPXClient(timeout=0.3)
    impatient = stripe.StripeClient(
        stripe_keys.secret_key,
        base_addresses={"api": fake.stripe_url},
        http_client=impatient_http,
        max_network_retries=0,
    )
    fake.hang_next("/v1/payment_intents/*", seconds=10)
    intent = await create_hold(stripe_client)
    with pytest.raises(stripe.APIConnectionError):
        await impatient.v1.payment_intents.retrieve_async(intent.id)
    await impatient_http.close_async()


async def test_a_lost_answer_is_recovered_by_the_sdk_retry_with_the_same_key(
    fake: FakeProviderServer, stripe_keys: StripeTestAccount
) -> None:
    http_client = stripe.HTTPXClient(timeout=5)
    retrying = stripe.StripeClient(
        stripe_keys.secret_key,
        base_addresses={"api": fake.stripe_url},
        http_client=http_client,
        max_network_retries=1,
    )
    fake.fail_next("/v1/payment_intents", method="POST", after_processing=True)
    intent = await create_hold(retrying)
    assert list(fake.providers.stripe.payment_intents) == [intent.id]
    assert intent.last_response.headers["idempotent-replayed"] == "true"
    await http_client.close_async()


# -- Stripe: webhooks --------------------------------------------------------------------


async def test_webhooks_arrive_signed_and_construct_event_rejects_a_tampered_body(
    fake: FakeProviderServer,
    receiver: WebhookReceiver,
    stripe_keys: StripeTestAccount,
    stripe_client: stripe.StripeClient,
) -> None:
    fake.register_stripe_webhook(stripe_keys.secret_key, receiver.url)
    intent = await create_hold(stripe_client, payment_method="pm_card_visa", confirm=True)
    await stripe_client.v1.payment_intents.capture_async(intent.id, {"amount_to_capture": 2000})
    await stripe_client.v1.refunds.create_async({"payment_intent": intent.id, "amount": 500})

    [authorized] = await receiver.wait_for(
        stripe_event("payment_intent.amount_capturable_updated", intent.id)
    )
    [succeeded] = await receiver.wait_for(stripe_event("payment_intent.succeeded", intent.id))
    [refunded] = await receiver.wait_for(stripe_event("charge.refunded"))

    for delivery in (authorized, succeeded, refunded):
        event = stripe.Webhook.construct_event(
            delivery.body, delivery.headers["stripe-signature"], stripe_keys.webhook_secret
        )
        assert event.id.startswith("evt_")
        assert event.api_version
    event = stripe.Webhook.construct_event(
        succeeded.body, succeeded.headers["stripe-signature"], stripe_keys.webhook_secret
    )
    assert event.type == "payment_intent.succeeded"
    assert event.data.object["amount_received"] == 2000
    assert event.data.object["metadata"]["reference"] == "pay_123"
    assert refunded.json()["data"]["object"]["amount_refunded"] == 500

    tampered = succeeded.body.replace(b'"amount_received": 2000', b'"amount_received": 9000')
    assert tampered != succeeded.body
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            tampered, succeeded.headers["stripe-signature"], stripe_keys.webhook_secret
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            succeeded.body, succeeded.headers["stripe-signature"], "whsec_someone_else"
        )


async def test_a_failing_endpoint_gets_the_event_again(
    fake: FakeProviderServer,
    receiver: WebhookReceiver,
    stripe_keys: StripeTestAccount,
    stripe_client: stripe.StripeClient,
) -> None:
    fake.register_stripe_webhook(stripe_keys.secret_key, receiver.url)
    receiver.fail_next = 2
    intent = await create_hold(stripe_client, payment_method="pm_card_visa", confirm=True)
    [delivery] = await receiver.wait_for(
        stripe_event("payment_intent.amount_capturable_updated", intent.id)
    )
    assert receiver.refused == 2
    await fake.webhooks_idle()
    attempts = [a for a in fake.webhook_deliveries if a.event_id == delivery.json()["id"]]
    assert [a.status_code for a in attempts] == [500, 500, 200]


async def test_events_can_be_held_back_duplicated_and_redelivered(
    fake: FakeProviderServer,
    receiver: WebhookReceiver,
    stripe_keys: StripeTestAccount,
    stripe_client: stripe.StripeClient,
) -> None:
    fake.register_stripe_webhook(stripe_keys.secret_key, receiver.url)
    fake.hold_webhooks("payment_intent.amount_capturable_updated")
    fake.duplicate_webhooks("payment_intent.succeeded")
    intent = await create_hold(stripe_client, payment_method="pm_card_visa", confirm=True)
    await stripe_client.v1.payment_intents.capture_async(intent.id)

    twice = await receiver.wait_for(stripe_event("payment_intent.succeeded", intent.id), count=2)
    assert twice[0].json()["id"] == twice[1].json()["id"]
    assert fake.release_webhooks() == 1
    [late] = await receiver.wait_for(
        stripe_event("payment_intent.amount_capturable_updated", intent.id)
    )
    types = [r.json()["type"] for r in receiver.received]
    assert types.index("payment_intent.amount_capturable_updated") > types.index(
        "payment_intent.succeeded"
    )

    event_id = fake.redeliver_webhook()
    assert event_id == late.json()["id"]
    await receiver.wait_for(lambda r: r.json()["id"] == event_id, count=2)


async def test_an_expired_authorisation_is_cancelled_automatically(
    fake: FakeProviderServer,
    receiver: WebhookReceiver,
    stripe_keys: StripeTestAccount,
    stripe_client: stripe.StripeClient,
) -> None:
    fake.register_stripe_webhook(stripe_keys.secret_key, receiver.url)
    intent = await create_hold(stripe_client, payment_method="pm_card_visa", confirm=True)
    fake.expire_payment_intent(intent.id)
    [canceled] = await receiver.wait_for(stripe_event("payment_intent.canceled", intent.id))
    assert canceled.json()["data"]["object"]["cancellation_reason"] == "automatic"
    assert fake.object(intent.id)["status"] == "canceled"


# -- Stripe: the demo card page ------------------------------------------------------------


async def test_the_demo_card_page_shows_the_hold_escaped_and_pays_with_a_test_card(
    fake: FakeProviderServer, stripe_client: stripe.StripeClient, browser: httpx.AsyncClient
) -> None:
    intent = await create_hold(
        stripe_client,
        description="<script>alert(1)</script>",
        metadata={"reference": "pay_9", "return_url": RETURN_URL},
    )
    page = await browser.get(f"{fake.url}/pay/{intent.id}")
    assert page.status_code == 200
    assert "50.00 EUR" in page.text
    assert "Stadtwerke &lt;Demo&gt; &amp; Co" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text
    assert "4242 4242 4242 4242" in page.text
    assert "4000 0000 0000 0002" in page.text
    assert "4000 0027 6000 3184" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    declined = await browser.post(
        f"{fake.url}/pay/{intent.id}", data={"card_number": "4000 0000 0000 0002"}
    )
    assert "Your card was declined." in declined.text

    paid = await browser.post(
        f"{fake.url}/pay/{intent.id}", data={"card_number": "4242 4242 4242 4242"}
    )
    assert paid.status_code == 303
    assert parse_qs(urlsplit(paid.headers["location"]).query)["redirect_status"] == ["succeeded"]
    intent = await stripe_client.v1.payment_intents.retrieve_async(intent.id)
    assert intent.status == "requires_capture"


# -- Stripe: customers, saved methods, off-session charges -----------------------------------


MANDATE_ONLINE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "198.51.100.4", "user_agent": "Mozilla/5.0"},
    }
}


async def saved_bank_account(
    client: stripe.StripeClient, test_method: str = "pm_success_de"
) -> tuple[str, str]:
    """A customer with a SEPA Direct Debit method saved (Stripe's test token for an IBAN)."""
    customer = await client.v1.customers.create_async({"email": "anna@example.org"})
    setup = await client.v1.setup_intents.create_async(
        {"customer": customer.id, "payment_method_types": ["sepa_debit"]}  # type: ignore[typeddict-unknown-key]
    )
    setup = await client.v1.setup_intents.confirm_async(
        setup.id,
        {"payment_method": test_method, "mandate_data": MANDATE_ONLINE},  # type: ignore[typeddict-item]
    )
    assert setup.status == "succeeded"
    assert isinstance(setup.payment_method, str)
    return customer.id, setup.payment_method


async def debit(client: stripe.StripeClient, customer: str, method: str, **extra: Any) -> Any:
    params: dict[str, Any] = {
        "amount": 1999,
        "currency": "eur",
        "customer": customer,
        "payment_method": method,
        "payment_method_types": ["sepa_debit"],
        "off_session": True,
        "confirm": True,
        **extra,
    }
    return await client.v1.payment_intents.create_async(params)  # type: ignore[arg-type]


async def test_customers_are_made_changed_and_read_and_unknown_parameters_refused(
    fake: FakeProviderServer, stripe_client: stripe.StripeClient
) -> None:
    customer = await stripe_client.v1.customers.create_async(
        {"name": "Anna", "email": "anna@example.org", "metadata": {"reference": "customer:1"}}
    )
    assert customer.id.startswith("cus_")
    changed = await stripe_client.v1.customers.update_async(
        customer.id, {"name": "Anna Schmidt", "metadata": {"reference": "", "tier": "b2c"}}
    )
    assert (changed.name, changed.email, changed.metadata.to_dict()) == (
        "Anna Schmidt",
        "anna@example.org",
        {"tier": "b2c"},  # an empty value removes the key, as Stripe merges metadata
    )
    assert (await stripe_client.v1.customers.retrieve_async(customer.id)).name == "Anna Schmidt"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await stripe_client.v1.customers.create_async({"nickname": "A"})  # type: ignore[typeddict-unknown-key]
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "nickname")
    with pytest.raises(stripe.InvalidRequestError) as unattached:
        await stripe_client.v1.customers.update_async(
            customer.id, {"invoice_settings": {"default_payment_method": "pm_card_visa"}}
        )
    assert unattached.value.param == "invoice_settings[default_payment_method]"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await stripe_client.v1.setup_intents.create_async({"customer": "cus_nobody"})
    assert (missing.value.code, missing.value.http_status) == ("resource_missing", 404)
    with pytest.raises(stripe.InvalidRequestError) as odd:
        await stripe_client.v1.setup_intents.create_async(
            {"customer": customer.id, "usage": "sometimes"}
        )
    assert odd.value.param == "usage"


async def test_a_setup_is_cancelled_with_its_event_and_cannot_be_confirmed_afterwards(
    fake: FakeProviderServer,
    receiver: WebhookReceiver,
    stripe_keys: StripeTestAccount,
    stripe_client: stripe.StripeClient,
) -> None:
    fake.register_stripe_webhook(stripe_keys.secret_key, receiver.url)
    setup = await stripe_client.v1.setup_intents.create_async({"usage": "off_session"})
    assert setup.payment_method_types == ["card", "sepa_debit"]
    cancelled = await stripe_client.v1.setup_intents.cancel_async(
        setup.id, {"cancellation_reason": "abandoned"}
    )
    assert (cancelled.status, cancelled.cancellation_reason) == ("canceled", "abandoned")
    await receiver.wait_for(stripe_event("setup_intent.canceled", setup.id))
    with pytest.raises(stripe.InvalidRequestError) as late:
        await stripe_client.v1.setup_intents.confirm_async(
            setup.id, {"payment_method": "pm_card_visa"}
        )
    assert late.value.code == "setup_intent_unexpected_state"


async def test_a_sepa_debit_settles_through_the_http_control_and_needs_euros_and_a_mandate(
    fake: FakeProviderServer, stripe_client: stripe.StripeClient
) -> None:
    customer, method = await saved_bank_account(stripe_client)
    mandate_id = fake.providers.stripe.setups.mandate_of(method)
    assert mandate_id is not None
    mandate = await stripe_client.v1.mandates.retrieve_async(mandate_id)
    assert (mandate.status, mandate.type) == ("active", "multi_use")
    assert mandate.customer_acceptance.online is not None
    assert mandate.customer_acceptance.online.ip_address == "198.51.100.4"

    with pytest.raises(stripe.InvalidRequestError) as dollars:
        await debit(stripe_client, customer, method, currency="usd")
    assert dollars.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as held:
        await debit(stripe_client, customer, method, capture_method="manual")
    assert held.value.param == "capture_method"
    with pytest.raises(stripe.InvalidRequestError) as later:
        await debit(stripe_client, customer, method, confirm=False)
    assert later.value.param == "off_session"
    with pytest.raises(stripe.InvalidRequestError) as no_mandate:
        await debit(stripe_client, "cus_nobody", "pm_success_de")
    assert no_mandate.value.code == "resource_missing"
    stranger, _ = await saved_bank_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as not_theirs:
        await debit(stripe_client, stranger, method)
    assert not_theirs.value.param == "payment_method"

    intent = await debit(stripe_client, customer, method)
    assert intent.status == "processing"
    async with httpx.AsyncClient(base_url=fake.url, timeout=5) as api:
        settled = await api.post(
            f"/_fake/stripe/payment_intents/{intent.id}/settle", json={"succeed": False}
        )
        assert settled.status_code == 200
        failed = settled.json()
        assert failed["status"] == "requires_payment_method"
        assert failed["last_payment_error"]["code"] == "generic_could_not_process"
        assert failed["last_payment_error"]["payment_method"]["sepa_debit"]["last4"] == "3000"
        again = await api.post(f"/_fake/stripe/payment_intents/{intent.id}/settle", json={})
        assert again.status_code == 409
    charge = fake.object(failed["latest_charge"])
    assert (charge["status"], charge["failure_code"]) == ("failed", "generic_could_not_process")


async def test_debits_settle_by_themselves_after_the_configured_delay(
    receiver: WebhookReceiver,
) -> None:
    async with FakeProviderServer(debits_settle_after_s=0.05) as fake:
        keys = fake.stripe_account()
        fake.register_stripe_webhook(keys.secret_key, receiver.url)
        http_client = stripe.HTTPXClient(timeout=5)
        client = stripe.StripeClient(
            keys.secret_key,
            base_addresses={"api": fake.stripe_url},
            http_client=http_client,
            max_network_retries=0,
        )
        customer, method = await saved_bank_account(client, "pm_failed_de")
        intent = await debit(client, customer, method)
        [processing] = await receiver.wait_for(stripe_event("payment_intent.processing", intent.id))
        [failed] = await receiver.wait_for(stripe_event("payment_intent.payment_failed", intent.id))
        assert failed.json()["data"]["object"]["status"] == "requires_payment_method"
        assert processing.json()["data"]["object"]["status"] == "processing"
        await http_client.close_async()


async def test_the_setup_page_escapes_the_merchant_and_lists_the_test_instruments(
    stripe_client: stripe.StripeClient, browser: httpx.AsyncClient, fake: FakeProviderServer
) -> None:
    setup = await stripe_client.v1.setup_intents.create_async({})
    page = await browser.get(f"{fake.url}/setup/{setup.id}")
    assert page.status_code == 200
    assert "Stadtwerke &lt;Demo&gt; &amp; Co" in page.text
    assert "Stadtwerke <Demo>" not in page.text
    assert "DE89 3704 0044 0532 0130 00" in page.text
    assert "4000 0000 0000 0341" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert (await browser.get(f"{fake.url}/setup/seti_nothing")).status_code == 404


# -- PayPal --------------------------------------------------------------------------------


def paypal_order_request(amount: str = "50.00") -> OrderRequest:
    return OrderRequest(
        intent=CheckoutPaymentIntent.AUTHORIZE,
        purchase_units=[
            PurchaseUnitRequest(
                amount=AmountWithBreakdown(currency_code="EUR", value=amount),
                custom_id="pay_123",
                invoice_id="pay_123-hold",
                description="Charging DE*ABC*E0001*1",
            )
        ],
        payment_source=PaymentSource(
            paypal=PaypalWallet(
                experience_context=PaypalWalletExperienceContext(
                    return_url=RETURN_URL, cancel_url="https://cpo.example/pay/cancelled"
                )
            )
        ),
    )


async def paypal_call(method: Callable[[dict[str, Any]], Any], **options: Any) -> Any:
    """The PayPal SDK is synchronous: run it off the loop the fake serves from."""
    return await asyncio.to_thread(method, options)


def form_action(page: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', page)
    assert match is not None, page
    return match.group(1)


async def approve(
    browser: httpx.AsyncClient, order: Any, choice: str = "approve"
) -> httpx.Response:
    """The driver follows the payer-action link and presses a button of the approve form."""
    [link] = [link.href for link in order.links if link.rel == "payer-action"]
    page = await browser.get(link)
    assert page.status_code == 200
    assert f'name="action" value="{choice}"' in page.text
    return await browser.post(
        urljoin(str(page.url), form_action(page.text)), data={"action": choice}
    )


async def authorized_order(
    paypal: PaypalServersdkClient, browser: httpx.AsyncClient, amount: str = "50.00"
) -> Any:
    created = await paypal_call(paypal.orders.create_order, body=paypal_order_request(amount))
    await approve(browser, created.body)
    authorized = await paypal_call(paypal.orders.authorize_order, id=created.body.id)
    return authorized.body.purchase_units[0].payments.authorizations[0]


async def test_paypal_order_is_approved_authorized_partially_captured_and_refunded(
    paypal: PaypalServersdkClient, browser: httpx.AsyncClient
) -> None:
    created = await paypal_call(paypal.orders.create_order, body=paypal_order_request())
    assert created.status_code == 201
    order = created.body
    assert order.status == "PAYER_ACTION_REQUIRED"

    with pytest.raises(ErrorException) as not_approved:
        await paypal_call(paypal.orders.authorize_order, id=order.id)
    assert not_approved.value.response_code == 422
    assert not_approved.value.name == "UNPROCESSABLE_ENTITY"
    assert not_approved.value.details[0].issue == "ORDER_NOT_APPROVED"

    back = await approve(browser, order)
    assert back.status_code == 303
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert query["token"] == [order.id]
    assert query["session"] == ["42"]
    approved = await paypal_call(paypal.orders.get_order, id=order.id)
    assert approved.body.status == "APPROVED"

    authorized = await paypal_call(paypal.orders.authorize_order, id=order.id)
    assert authorized.body.status == "COMPLETED"
    authorization = authorized.body.purchase_units[0].payments.authorizations[0]
    assert authorization.status == "CREATED"
    assert (authorization.amount.currency_code, authorization.amount.value) == ("EUR", "50.00")
    assert authorization.expiration_time

    captured = await paypal_call(
        paypal.payments.capture_authorized_payment,
        authorization_id=authorization.id,
        body=CaptureRequest(
            amount=Money(currency_code="EUR", value="12.34"),
            final_capture=True,
            invoice_id="pay_123",
        ),
        prefer="return=representation",
    )
    assert captured.status_code == 201
    assert (captured.body.status, captured.body.amount.value) == ("COMPLETED", "12.34")
    assert captured.body.final_capture is True
    released = await paypal_call(
        paypal.payments.get_authorized_payment, authorization_id=authorization.id
    )
    assert released.body.status == "CAPTURED"

    refund = await paypal_call(
        paypal.payments.refund_captured_payment,
        capture_id=captured.body.id,
        body=RefundRequest(amount=Money(currency_code="EUR", value="2.34")),
    )
    assert refund.status_code == 201
    assert refund.body.status == "COMPLETED"
    capture = await paypal_call(paypal.payments.get_captured_payment, capture_id=captured.body.id)
    assert capture.body.status == "PARTIALLY_REFUNDED"


async def test_paypal_void_releases_the_authorization(
    fake: FakeProviderServer, paypal: PaypalServersdkClient, browser: httpx.AsyncClient
) -> None:
    authorization = await authorized_order(paypal, browser)
    voided = await paypal_call(paypal.payments.void_payment, authorization_id=authorization.id)
    assert voided.status_code == 204
    assert fake.object(authorization.id)["status"] == "VOIDED"
    with pytest.raises(ErrorException) as capture_after_void:
        await paypal_call(
            paypal.payments.capture_authorized_payment,
            authorization_id=authorization.id,
            body=CaptureRequest(final_capture=True),
        )
    assert capture_after_void.value.details[0].issue == "AUTHORIZATION_VOIDED"

    expiring = await authorized_order(paypal, browser)
    fake.expire_paypal_authorization(expiring.id)
    with pytest.raises(ErrorException) as capture_after_expiry:
        await paypal_call(
            paypal.payments.capture_authorized_payment,
            authorization_id=expiring.id,
            body=CaptureRequest(final_capture=True),
        )
    assert capture_after_expiry.value.details[0].issue == "AUTHORIZATION_EXPIRED"


async def test_paypal_decline_payer_and_unknown_orders(
    paypal: PaypalServersdkClient, browser: httpx.AsyncClient
) -> None:
    created = await paypal_call(paypal.orders.create_order, body=paypal_order_request())
    await approve(browser, created.body, "approve_instrument_declined")
    with pytest.raises(ErrorException) as declined:
        await paypal_call(paypal.orders.authorize_order, id=created.body.id)
    assert declined.value.response_code == 422
    assert declined.value.details[0].issue == "INSTRUMENT_DECLINED"

    with pytest.raises(ErrorException) as missing:
        await paypal_call(paypal.orders.get_order, id="5O190127TN364715T")
    assert missing.value.response_code == 404
    assert missing.value.name == "RESOURCE_NOT_FOUND"


async def test_paypal_request_id_replays_the_first_result(
    fake: FakeProviderServer, paypal: PaypalServersdkClient, browser: httpx.AsyncClient
) -> None:
    first = await paypal_call(
        paypal.orders.create_order, body=paypal_order_request(), paypal_request_id="hold:pay_123"
    )
    again = await paypal_call(
        paypal.orders.create_order, body=paypal_order_request(), paypal_request_id="hold:pay_123"
    )
    assert again.body.id == first.body.id
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(fake.providers.paypal.orders) == 1

    authorization = await authorized_order(paypal, browser)
    capture = CaptureRequest(amount=Money(currency_code="EUR", value="10.00"), final_capture=True)
    one = await paypal_call(
        paypal.payments.capture_authorized_payment,
        authorization_id=authorization.id,
        body=capture,
        paypal_request_id="capture:pay_123",
    )
    two = await paypal_call(
        paypal.payments.capture_authorized_payment,
        authorization_id=authorization.id,
        body=capture,
        paypal_request_id="capture:pay_123",
    )
    assert one.body.id == two.body.id
    assert fake.object(authorization.id)["status"] == "CAPTURED"
    assert len(fake.providers.paypal.captures) == 1


async def test_paypal_webhooks_are_verified_only_when_genuine(
    fake: FakeProviderServer,
    receiver: WebhookReceiver,
    paypal_keys: PayPalTestAccount,
    paypal: PaypalServersdkClient,
    browser: httpx.AsyncClient,
) -> None:
    fake.register_paypal_webhook(paypal_keys.client_id, receiver.url)
    authorization = await authorized_order(paypal, browser)
    await paypal_call(
        paypal.payments.capture_authorized_payment,
        authorization_id=authorization.id,
        body=CaptureRequest(amount=Money(currency_code="EUR", value="20.00"), final_capture=True),
    )
    await receiver.wait_for(paypal_event("CHECKOUT.ORDER.APPROVED"))
    await receiver.wait_for(paypal_event("PAYMENT.AUTHORIZATION.CREATED"))
    [completed] = await receiver.wait_for(paypal_event("PAYMENT.CAPTURE.COMPLETED"))
    event = completed.json()
    assert event["id"].startswith("WH-")
    assert event["resource_type"] == "capture"
    assert event["resource"]["amount"] == {"currency_code": "EUR", "value": "20.00"}
    assert event["resource"]["supplementary_data"]["related_ids"]["authorization_id"] == (
        authorization.id
    )

    credentials = f"{paypal_keys.client_id}:{paypal_keys.client_secret}".encode()
    async with httpx.AsyncClient(base_url=fake.paypal_url, timeout=5) as api:
        token = await api.post(
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {base64.b64encode(credentials).decode()}"},
        )
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}

        async def verify(webhook_event: Any, webhook_id: str = paypal_keys.webhook_id) -> str:
            answer = await api.post(
                "/v1/notifications/verify-webhook-signature",
                headers=bearer,
                json={
                    "auth_algo": completed.headers["paypal-auth-algo"],
                    "cert_url": completed.headers["paypal-cert-url"],
                    "transmission_id": completed.headers["paypal-transmission-id"],
                    "transmission_sig": completed.headers["paypal-transmission-sig"],
                    "transmission_time": completed.headers["paypal-transmission-time"],
                    "webhook_id": webhook_id,
                    "webhook_event": webhook_event,
                },
            )
            assert answer.status_code == 200
            status: str = answer.json()["verification_status"]
            return status

        assert await verify(event) == "SUCCESS"
        altered = json.loads(completed.body)
        altered["resource"]["amount"]["value"] = "2000.00"
        assert await verify(altered) == "FAILURE"
        assert await verify(event, webhook_id="WEBHOOK-OF-SOMEONE-ELSE") == "FAILURE"


# -- the controls over HTTP (what the demo and other processes use) ---------------------------


async def test_the_controls_and_the_raw_wire_format_over_http(
    fake: FakeProviderServer, receiver: WebhookReceiver
) -> None:
    async with httpx.AsyncClient(base_url=fake.url, timeout=5) as api:
        index = await api.get("/_fake")
        assert "POST /_fake/faults" in index.json()

        account = await api.post("/_fake/stripe/accounts", json={"secret_key": "sk_test_demo_cpo"})
        assert account.status_code == 201
        assert account.json()["webhook_secret"].startswith("whsec_")
        registered = await api.post(
            "/_fake/stripe/webhooks", json={"secret_key": "sk_test_demo_cpo", "url": receiver.url}
        )
        assert registered.status_code == 200

        stripe_auth = {"Authorization": "Bearer sk_test_demo_cpo"}
        created = await api.post(
            "/v1/payment_intents",
            headers=stripe_auth,
            content=(
                "amount=5000&currency=EUR&capture_method=manual&payment_method_types[]=card"
                "&metadata[reference]=pay_7&payment_method=pm_card_visa&confirm=true"
            ),
        )
        intent = created.json()
        assert (intent["status"], intent["currency"]) == ("requires_capture", "eur")
        assert intent["payment_method_types"] == ["card"]
        assert intent["metadata"] == {"reference": "pay_7"}

        fault = await api.post("/_fake/faults", json={"path": "/v1/refunds", "status": 502})
        assert fault.status_code == 201
        refused = await api.post(
            "/v1/refunds", headers=stripe_auth, content=f"payment_intent={intent['id']}"
        )
        assert refused.status_code == 502
        assert refused.json()["error"]["type"] == "api_error"

        state = await api.get(f"/_fake/objects/{intent['id']}")
        assert state.json()["amount_capturable"] == 5000
        expired = await api.post(f"/_fake/stripe/payment_intents/{intent['id']}/expire")
        assert expired.json()["cancellation_reason"] == "automatic"
        again = await api.post(f"/_fake/stripe/payment_intents/{intent['id']}/expire")
        assert again.status_code == 409

        await receiver.wait_for(stripe_event("payment_intent.canceled", intent["id"]))
        await fake.webhooks_idle()
        deliveries = await api.get("/_fake/webhooks/deliveries")
        assert {d["event_type"] for d in deliveries.json()} == {
            "payment_intent.amount_capturable_updated",
            "payment_intent.canceled",
        }

        unknown = await api.post("/v1/subscriptions", headers=stripe_auth, content="customer=x")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["message"].startswith("Unrecognized request URL")
        missing = await api.get("/_fake/objects/pi_nothing")
        assert missing.status_code == 404

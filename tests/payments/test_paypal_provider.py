"""The PayPal adapter against the local fake PayPal, driven as the platform drives it.

The driver's browser is httpx following the approval link and pressing the fake page's
buttons; webhooks are delivered by the fake to a small local receiver and handed to
`parse_webhook` exactly as they arrived. No mocks: the official SDK speaks HTTP to the fake.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import msgspec
import pytest

from cpo.payments.schemas import (
    EventKind,
    HoldRequest,
    HoldState,
    InvalidWebhook,
    PaymentDeclined,
    ProviderError,
)
from cpo.ports import PaymentProvider
from payments.fake import FakeProviderServer, PayPalTestAccount
from payments.paypal_provider import PayPalProvider

WAIT_S = 5.0
REFERENCE = "4711"  # our payment id


def hold_request(reference: str = REFERENCE, amount_minor: int = 5000) -> HoldRequest:
    return HoldRequest(
        amount_minor=amount_minor,
        currency="EUR",
        idempotency_key=f"hold:{reference}",
        description="Charging DE*ABC*E0001*1",
        reference=reference,
        return_url="https://cpo.example/s/token?paid=1",
        cancel_url="https://cpo.example/s/token?cancelled=1",
    )


# -- a webhook receiver ------------------------------------------------------------------


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, object]:
        event: dict[str, object] = json.loads(self.body)
        return event


@dataclass
class Receiver:
    """A bare HTTP/1.1 endpoint on loopback that answers 200 and keeps what it got."""

    deliveries: list[Delivery] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/webhooks/paypal"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            while (await reader.readline()).strip():
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip()] = value.strip()
                length = int({k.lower(): v for k, v in headers.items()}["content-length"])
                body = await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                async with self._changed:
                    self.deliveries.append(Delivery(headers, body))
                    self._changed.notify_all()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._handlers.discard(handler)

    async def event(self, event_type: str, resource_id: str | None = None) -> Delivery:
        """The first delivery of that event type (about that resource), waiting up to WAIT_S."""

        def matching() -> list[Delivery]:
            return [
                d
                for d in self.deliveries
                if d.event["event_type"] == event_type
                and (resource_id is None or d.event["resource"]["id"] == resource_id)  # type: ignore[index]
            ]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(matching())), WAIT_S)
            return matching()[0]


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeProviderServer]:
    async with FakeProviderServer(webhook_retry_delays_s=(0.05, 0.1)) as server:
        yield server


@pytest.fixture
def account(fake: FakeProviderServer) -> PayPalTestAccount:
    return fake.paypal_account(display_name="Stadtwerke Demo")


def config_of(
    fake: FakeProviderServer, account: PayPalTestAccount, **changes: str
) -> dict[str, str]:
    return {
        "client_id": account.client_id,
        "client_secret": account.client_secret,
        "webhook_id": account.webhook_id,
        "api_base": fake.paypal_url,
        **changes,
    }


@pytest.fixture
async def paypal(
    fake: FakeProviderServer, account: PayPalTestAccount
) -> AsyncIterator[PayPalProvider]:
    provider = PayPalProvider.from_config(config_of(fake, account), timeout_s=5)
    yield provider
    await provider.close()


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    """The driver's phone: plain GETs and form POSTs, redirects not followed."""
    async with httpx.AsyncClient(timeout=5, follow_redirects=False) as client:
        yield client


@pytest.fixture
async def receiver(fake: FakeProviderServer, account: PayPalTestAccount) -> AsyncIterator[Receiver]:
    webhook_receiver = Receiver()
    await webhook_receiver.start()
    fake.register_paypal_webhook(account.client_id, webhook_receiver.url)
    yield webhook_receiver
    await webhook_receiver.stop()


async def approve(
    browser: httpx.AsyncClient, redirect_url: str | None, choice: str = "approve"
) -> str:
    """The driver opens PayPal's page and presses a button; where PayPal sends them back."""
    assert redirect_url is not None
    page = await browser.get(redirect_url)
    assert page.status_code == 200
    match = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert match is not None, page.text
    answer = await browser.post(urljoin(str(page.url), match.group(1)), data={"action": choice})
    assert answer.status_code == 303
    location: str = answer.headers["location"]
    return location


async def authorized_hold(
    paypal: PayPalProvider, browser: httpx.AsyncClient, reference: str = REFERENCE
) -> tuple[str, str]:
    """An order the driver approved and the platform confirmed: (order id, authorization id)."""
    created = await paypal.create_hold(hold_request(reference))
    await approve(browser, created.redirect_url)
    status = await paypal.hold_status(created.provider_ref)
    assert status.state is HoldState.AUTHORIZED
    assert status.authorization_ref is not None
    return created.provider_ref, status.authorization_ref


# -- the hold from approval to refund -------------------------------------------------------


async def test_a_hold_is_approved_authorized_partially_captured_and_refunded(
    fake: FakeProviderServer, paypal: PayPalProvider, browser: httpx.AsyncClient
) -> None:
    provider: PaymentProvider = paypal  # the adapter is what the core asks for
    created = await provider.create_hold(hold_request())
    assert created.state is HoldState.REQUIRES_ACTION
    assert created.redirect_url == f"{fake.url}/checkoutnow?token={created.provider_ref}"
    order = fake.object(created.provider_ref)
    assert order["intent"] == "AUTHORIZE"
    unit = order["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "EUR", "value": "50.00"}
    assert (unit["custom_id"], unit["invoice_id"]) == (REFERENCE, f"hold-{REFERENCE}")
    assert unit["description"] == "Charging DE*ABC*E0001*1"

    waiting = await provider.hold_status(created.provider_ref)
    assert (waiting.state, waiting.method, waiting.authorization_ref) == (
        HoldState.REQUIRES_ACTION,
        None,
        None,
    )

    back = urlsplit(await approve(browser, created.redirect_url))
    assert (back.netloc, parse_qs(back.query)["token"]) == ("cpo.example", [created.provider_ref])

    status = await provider.hold_status(created.provider_ref)
    assert status.state is HoldState.AUTHORIZED
    assert status.amount_authorized_minor == 5000
    assert status.authorization_ref is not None
    payer_email = fake.object(created.provider_ref)["payer"]["email_address"]
    assert status.method is not None
    assert (status.method.kind, status.method.payer_email) == ("paypal", payer_email)
    again = await provider.hold_status(created.provider_ref)  # e.g. webhook and driver at once
    assert again.authorization_ref == status.authorization_ref
    assert len(fake.providers.paypal.authorizations) == 1

    captured = await provider.capture(
        created.provider_ref, 1234, "EUR", f"capture:{REFERENCE}:1234"
    )
    assert captured.amount_minor == 1234
    authorization = fake.object(status.authorization_ref)
    assert authorization["status"] == "CAPTURED"  # final capture: the rest is released
    assert list(fake.providers.paypal.captures) == [captured.capture_ref]
    assert fake.object(captured.capture_ref)["amount"]["value"] == "12.34"
    after = await provider.hold_status(created.provider_ref)
    assert (after.state, after.amount_captured_minor) == (HoldState.CAPTURED, 1234)

    refunded = await provider.refund(created.provider_ref, 234, "EUR", f"refund:{REFERENCE}")
    assert refunded.amount_minor == 234
    assert fake.object(refunded.refund_ref)["status"] == "COMPLETED"
    assert fake.object(captured.capture_ref)["status"] == "PARTIALLY_REFUNDED"
    again_refunded = await provider.refund(created.provider_ref, 234, "EUR", f"refund:{REFERENCE}")
    assert again_refunded.refund_ref == refunded.refund_ref
    assert len(fake.providers.paypal.refunds) == 1


async def test_a_repeated_create_hold_returns_the_same_order(
    fake: FakeProviderServer, paypal: PayPalProvider
) -> None:
    first = await paypal.create_hold(hold_request())
    second = await paypal.create_hold(hold_request())
    assert second.provider_ref == first.provider_ref
    assert second.redirect_url == first.redirect_url
    assert len(fake.providers.paypal.orders) == 1


# -- cancel ----------------------------------------------------------------------------------


async def test_cancel_before_approval_has_nothing_to_release_and_may_be_repeated(
    fake: FakeProviderServer, paypal: PayPalProvider
) -> None:
    created = await paypal.create_hold(hold_request())
    for _ in range(2):
        cancelled = await paypal.cancel(created.provider_ref, f"cancel:{REFERENCE}")
        assert (cancelled.provider_ref, cancelled.state) == (
            created.provider_ref,
            HoldState.CANCELLED,
        )
    assert fake.providers.paypal.authorizations == {}


async def test_cancel_after_authorization_voids_it_once_and_may_be_repeated(
    fake: FakeProviderServer, paypal: PayPalProvider, browser: httpx.AsyncClient
) -> None:
    order_id, authorization_id = await authorized_hold(paypal, browser)
    for _ in range(2):
        cancelled = await paypal.cancel(order_id, f"cancel:{REFERENCE}")
        assert (cancelled.state, cancelled.authorization_ref) == (
            HoldState.CANCELLED,
            authorization_id,
        )
    assert fake.object(authorization_id)["status"] == "VOIDED"
    assert (await paypal.hold_status(order_id)).state is HoldState.CANCELLED

    with pytest.raises(ProviderError) as late:
        await paypal.capture(order_id, 1000, "EUR", f"capture:{REFERENCE}:1000")
    assert (late.value.code, late.value.retryable) == ("AUTHORIZATION_VOIDED", False)


async def test_a_captured_hold_is_not_cancelled_silently(
    paypal: PayPalProvider, browser: httpx.AsyncClient
) -> None:
    order_id, _ = await authorized_hold(paypal, browser)
    await paypal.capture(order_id, 1000, "EUR", f"capture:{REFERENCE}:1000")
    with pytest.raises(ProviderError) as refused:
        await paypal.cancel(order_id, f"cancel:{REFERENCE}")
    assert (refused.value.code, refused.value.retryable) == ("PREVIOUSLY_CAPTURED", False)


# -- declines ----------------------------------------------------------------------------------


async def test_a_payer_whose_funding_is_declined_gets_no_hold(
    fake: FakeProviderServer, paypal: PayPalProvider, browser: httpx.AsyncClient
) -> None:
    created = await paypal.create_hold(hold_request())
    await approve(browser, created.redirect_url, "approve_instrument_declined")
    with pytest.raises(PaymentDeclined) as declined:
        await paypal.hold_status(created.provider_ref)
    assert (declined.value.code, declined.value.retryable) == ("INSTRUMENT_DECLINED", False)
    assert fake.providers.paypal.authorizations == {}
    # PayPal hands the order back to the payer to choose another way to pay.
    assert (await paypal.hold_status(created.provider_ref)).state is HoldState.REQUIRES_ACTION


async def test_a_denied_capture_is_a_decline_and_the_hold_stays(
    paypal: PayPalProvider, browser: httpx.AsyncClient
) -> None:
    created = await paypal.create_hold(hold_request())
    await approve(browser, created.redirect_url, "approve_capture_denied")
    assert (await paypal.hold_status(created.provider_ref)).state is HoldState.AUTHORIZED
    with pytest.raises(PaymentDeclined) as denied:
        await paypal.capture(created.provider_ref, 1500, "EUR", f"capture:{REFERENCE}:1500")
    assert denied.value.code == "CAPTURE_DECLINED"
    assert (await paypal.hold_status(created.provider_ref)).state is HoldState.AUTHORIZED


# -- failures: lost answers, 5xx, timeouts, expiry -----------------------------------------------


async def test_a_capture_retried_after_a_lost_answer_captures_once(
    fake: FakeProviderServer, paypal: PayPalProvider, browser: httpx.AsyncClient
) -> None:
    order_id, authorization_id = await authorized_hold(paypal, browser)
    key = f"capture:{REFERENCE}:1234"
    fake.fail_next("/v2/payments/authorizations/*/capture", after_processing=True)
    with pytest.raises(ProviderError) as lost:
        await paypal.capture(order_id, 1234, "EUR", key)
    assert lost.value.retryable
    assert fake.object(authorization_id)["status"] == "CAPTURED"  # PayPal did it

    retried = await paypal.capture(order_id, 1234, "EUR", key)
    assert retried.amount_minor == 1234
    assert list(fake.providers.paypal.captures) == [retried.capture_ref]


async def test_an_authorize_retried_after_a_lost_answer_authorizes_once(
    fake: FakeProviderServer, paypal: PayPalProvider, browser: httpx.AsyncClient
) -> None:
    created = await paypal.create_hold(hold_request())
    await approve(browser, created.redirect_url)
    fake.fail_next("/v2/checkout/orders/*/authorize", status=502, after_processing=True)
    with pytest.raises(ProviderError) as lost:
        await paypal.hold_status(created.provider_ref)
    assert (lost.value.code, lost.value.retryable) == ("INTERNAL_SERVER_ERROR", True)
    status = await paypal.hold_status(created.provider_ref)
    assert status.state is HoldState.AUTHORIZED
    assert list(fake.providers.paypal.authorizations) == [status.authorization_ref]


async def test_server_errors_and_timeouts_are_retryable_and_the_retry_creates_one_order(
    fake: FakeProviderServer, account: PayPalTestAccount, paypal: PayPalProvider
) -> None:
    fake.fail_next("/v2/checkout/orders", status=503, method="POST")
    with pytest.raises(ProviderError) as unavailable:
        await paypal.create_hold(hold_request())
    assert unavailable.value.retryable
    assert not isinstance(unavailable.value, PaymentDeclined)
    created = await paypal.create_hold(hold_request())
    assert list(fake.providers.paypal.orders) == [created.provider_ref]

    impatient = PayPalProvider.from_config(config_of(fake, account), timeout_s=0.3)
    try:
        fake.hang_next("/v2/checkout/orders/*", seconds=3, method="GET")
        with pytest.raises(ProviderError) as timed_out:
            await impatient.hold_status(created.provider_ref)
        assert (timed_out.value.code, timed_out.value.retryable) == ("unreachable", True)
    finally:
        fake.clear_faults()
        await impatient.close()


async def test_oauth_failures_unknown_orders_and_wrong_credentials(
    fake: FakeProviderServer, account: PayPalTestAccount
) -> None:
    fresh = PayPalProvider.from_config(config_of(fake, account), timeout_s=5)
    stranger = PayPalProvider.from_config(
        config_of(fake, account, client_secret="not-the-secret"), timeout_s=5
    )
    try:
        fake.fail_next("/v1/oauth2/token", status=500)
        with pytest.raises(ProviderError) as token_down:
            await fresh.create_hold(hold_request())
        assert token_down.value.retryable
        with pytest.raises(ProviderError) as unknown:
            await fresh.hold_status("5O190127TN364715T")
        assert (unknown.value.code, unknown.value.retryable) == ("INVALID_RESOURCE_ID", False)
        with pytest.raises(ProviderError) as refused:
            await stranger.create_hold(hold_request())
        assert (refused.value.code, refused.value.retryable) == ("invalid_client", False)
    finally:
        await fresh.close()
        await stranger.close()


async def test_an_expired_authorization_reports_expired_and_cannot_be_captured(
    fake: FakeProviderServer, paypal: PayPalProvider, browser: httpx.AsyncClient
) -> None:
    order_id, authorization_id = await authorized_hold(paypal, browser)
    fake.expire_paypal_authorization(authorization_id)
    status = await paypal.hold_status(order_id)
    assert (status.state, status.failure_code) == (HoldState.EXPIRED, "AUTHORIZATION_EXPIRED")
    with pytest.raises(ProviderError) as expired:
        await paypal.capture(order_id, 1000, "EUR", f"capture:{REFERENCE}:1000")
    assert (expired.value.code, expired.value.retryable) == ("AUTHORIZATION_EXPIRED", False)
    assert (await paypal.cancel(order_id, f"cancel:{REFERENCE}")).state is HoldState.EXPIRED


@pytest.mark.parametrize(
    ("currency", "amount_minor", "expected"),
    [("EUR", 5000, "50.00"), ("EUR", 5, "0.05"), ("JPY", 700, "700"), ("HUF", 500000, "5000")],
)
async def test_amounts_use_the_currency_digits_and_paypal_whole_unit_currencies(
    fake: FakeProviderServer,
    paypal: PayPalProvider,
    currency: str,
    amount_minor: int,
    expected: str,
) -> None:
    created = await paypal.create_hold(
        msgspec.structs.replace(
            hold_request(), currency=currency, amount_minor=amount_minor, idempotency_key=currency
        )
    )
    amount = fake.object(created.provider_ref)["purchase_units"][0]["amount"]
    assert amount == {"currency_code": currency, "value": expected}


async def test_amounts_paypal_cannot_take_are_refused_before_calling(
    fake: FakeProviderServer, paypal: PayPalProvider
) -> None:
    refusals = [("HUF", 500050, "amount_not_supported"), ("XYZ", 100, "unsupported_currency")]
    for currency, amount_minor, code in refusals:
        request = msgspec.structs.replace(
            hold_request(), currency=currency, amount_minor=amount_minor
        )
        with pytest.raises(ProviderError) as refused:
            await paypal.create_hold(request)
        assert (refused.value.code, refused.value.retryable) == (code, False)
    assert fake.providers.paypal.orders == {}


# -- webhooks ------------------------------------------------------------------------------------


async def test_genuine_webhooks_are_verified_and_translated(
    fake: FakeProviderServer,
    paypal: PayPalProvider,
    browser: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    order_id, authorization_id = await authorized_hold(paypal, browser)
    captured = await paypal.capture(order_id, 1234, "EUR", f"capture:{REFERENCE}:1234")
    refunded = await paypal.refund(order_id, 234, "EUR", f"refund:{REFERENCE}")
    voided_order, voided_authorization = await authorized_hold(paypal, browser, reference="4712")
    await paypal.cancel(voided_order, "cancel:4712")

    expected: list[tuple[str, str, EventKind, str, str, int]] = [
        ("CHECKOUT.ORDER.APPROVED", order_id, EventKind.HOLD_AUTHORIZED, order_id, REFERENCE, 5000),
        (
            "PAYMENT.AUTHORIZATION.CREATED",
            authorization_id,
            EventKind.HOLD_AUTHORIZED,
            order_id,
            REFERENCE,
            5000,
        ),
        (
            "PAYMENT.CAPTURE.COMPLETED",
            captured.capture_ref,
            EventKind.CAPTURED,
            order_id,
            REFERENCE,
            1234,
        ),
        (
            "PAYMENT.CAPTURE.REFUNDED",
            refunded.refund_ref,
            EventKind.REFUNDED,
            refunded.refund_ref,
            REFERENCE,
            234,
        ),
        (
            "PAYMENT.AUTHORIZATION.VOIDED",
            voided_authorization,
            EventKind.HOLD_CANCELLED,
            voided_order,
            "4712",
            5000,
        ),
    ]
    for event_type, resource_id, kind, provider_ref, reference, amount_minor in expected:
        delivery = await receiver.event(event_type, resource_id)
        event = await paypal.parse_webhook(delivery.headers, delivery.body)
        assert event.event_id == delivery.event["id"]
        assert (event.kind, event.provider_ref, event.reference, event.amount_minor) == (
            kind,
            provider_ref,
            reference,
            amount_minor,
        ), event_type
        assert event.occurred_at is not None
        assert event.occurred_at.tzinfo is not None

    # Header names in any case, as proxies and frameworks pass them on.
    delivery = await receiver.event("PAYMENT.CAPTURE.COMPLETED")
    upper = {name.upper(): value for name, value in delivery.headers.items()}
    assert (await paypal.parse_webhook(upper, delivery.body)).kind is EventKind.CAPTURED


async def test_a_denied_capture_webhook_is_a_failed_hold(
    paypal: PayPalProvider, browser: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await paypal.create_hold(hold_request())
    await approve(browser, created.redirect_url, "approve_capture_denied")
    await paypal.hold_status(created.provider_ref)
    with pytest.raises(PaymentDeclined):
        await paypal.capture(created.provider_ref, 1500, "EUR", f"capture:{REFERENCE}:1500")
    delivery = await receiver.event("PAYMENT.CAPTURE.DENIED")
    event = await paypal.parse_webhook(delivery.headers, delivery.body)
    assert (event.kind, event.provider_ref, event.reference) == (
        EventKind.HOLD_FAILED,
        created.provider_ref,
        REFERENCE,
    )


async def test_altered_foreign_or_malformed_webhooks_are_refused(
    fake: FakeProviderServer,
    account: PayPalTestAccount,
    paypal: PayPalProvider,
    browser: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    order_id, _ = await authorized_hold(paypal, browser)
    await paypal.capture(order_id, 2000, "EUR", f"capture:{REFERENCE}:2000")
    delivery = await receiver.event("PAYMENT.CAPTURE.COMPLETED")
    assert (await paypal.parse_webhook(delivery.headers, delivery.body)).kind is EventKind.CAPTURED

    altered = delivery.body.replace(b'"value":"20.00"', b'"value":"0.01"')
    assert altered != delivery.body
    with pytest.raises(InvalidWebhook):
        await paypal.parse_webhook(delivery.headers, altered)

    elsewhere = PayPalProvider.from_config(config_of(fake, account, webhook_id="WH0THERWEBH00K"))
    try:
        with pytest.raises(InvalidWebhook):
            await elsewhere.parse_webhook(delivery.headers, delivery.body)
    finally:
        await elsewhere.close()

    without_signature = {
        k: v for k, v in delivery.headers.items() if k.lower() != "paypal-transmission-sig"
    }
    with pytest.raises(InvalidWebhook, match="paypal-transmission-sig"):
        await paypal.parse_webhook(without_signature, delivery.body)
    for body in (b"<html>not json</html>", b"[1, 2]", b'{"id": "WH-1"}'):
        with pytest.raises(InvalidWebhook):
            await paypal.parse_webhook(delivery.headers, body)


async def test_an_unreachable_verification_is_retryable_not_invalid(
    fake: FakeProviderServer,
    paypal: PayPalProvider,
    browser: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    await authorized_hold(paypal, browser)
    delivery = await receiver.event("PAYMENT.AUTHORIZATION.CREATED")
    fake.fail_next("/v1/notifications/verify-webhook-signature", status=503)
    with pytest.raises(ProviderError) as down:
        await paypal.parse_webhook(delivery.headers, delivery.body)
    assert down.value.retryable
    # PayPal delivers again; then it verifies.
    event = await paypal.parse_webhook(delivery.headers, delivery.body)
    assert event.kind is EventKind.HOLD_AUTHORIZED


async def test_an_account_without_its_keys_is_refused(
    fake: FakeProviderServer, account: PayPalTestAccount
) -> None:
    with pytest.raises(ValueError, match="webhook_id"):
        PayPalProvider.from_config(config_of(fake, account, webhook_id=""))

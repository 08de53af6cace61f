"""An anonymous driver pays and charges, through the HTTP API, with the real Stripe and PayPal
SDKs against the local fake of both and a simulated charger: price, hold, start, live
events, stop, capture of the exact amount, receipt — and everything that can go wrong."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.payments import ad_hoc
from cpo.payments.enums import PaymentState
from cpo.payments.tables import AdHocSession, Payment, PaymentEvent
from cpo.tariffs import service as tariffs
from cpo.tariffs.enums import AssignmentScope
from cpo.tariffs.schemas import ComponentType, PriceComponent, TariffDefinition, TariffElement
from ocpp_bridge.simulator import SimulatedStation
from payments.fake import FakeProviderServer
from tests.support.ocpp_client import connect
from tests.support.platform import RunningPlatform
from tests.support.shop import Inbox, paying_platform, simulated_charger, smtp_inbox

EVSE = "DE*DEM*E0001*1"
WAIT_S = 15.0


class Shop:
    """The platform with its payment accounts at the fake, and a simulated charger."""

    def __init__(
        self, platform: RunningPlatform, fake: FakeProviderServer, charger: SimulatedStation
    ) -> None:
        self.platform = platform
        self.fake = fake
        self.charger = charger
        self.http = httpx.AsyncClient(base_url=platform.base_url, timeout=WAIT_S)
        self.browser = httpx.AsyncClient(timeout=WAIT_S)

    async def close(self) -> None:
        await self.http.aclose()
        await self.browser.aclose()

    async def start(self, provider: str = "stripe", **extra: Any) -> dict[str, Any]:
        response = await self.http.post(
            f"/api/evses/{EVSE}/sessions",
            json={"provider": provider, "language": "en", "client_key": uuid.uuid4().hex, **extra},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def view(self, token: str) -> dict[str, Any]:
        body: dict[str, Any] = (await self.http.get(f"/api/sessions/{token}")).json()
        return body

    async def pay_by_card(
        self, session: dict[str, Any], card: str = "4242 4242 4242 4242"
    ) -> httpx.Response:
        """The driver fills in the card page (the demo's stand-in for Stripe's Payment Element)."""
        page = session["payment"]["redirect_url"]
        return await self.browser.post(page, data={"card_number": card})

    async def approve_paypal(self, session: dict[str, Any], choice: str = "approve") -> None:
        page = await self.browser.get(session["payment"]["redirect_url"])
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None, page.text
        await self.browser.post(urljoin(str(page.url), action.group(1)), data={"action": choice})

    async def until(self, token: str, predicate: Any, within: float = WAIT_S) -> dict[str, Any]:
        """Follow the session's server-sent events until `predicate` holds."""
        async with (
            asyncio.timeout(within),
            self.http.stream("GET", f"/api/sessions/{token}/events") as stream,
        ):
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    view: dict[str, Any] = json.loads(line[5:])
                    if predicate(view):
                        return view
        raise AssertionError("the stream ended before the condition held")


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_inbox() as inbox:
        yield inbox


@pytest.fixture
async def shop(demo: Context, inbox: Inbox) -> AsyncIterator[Shop]:
    async with (
        paying_platform(demo, inbox) as paying,
        simulated_charger(paying.platform) as charger,
    ):
        shop = Shop(paying.platform, paying.fake, charger)
        try:
            yield shop
        finally:
            await shop.close()
            if shop.platform is not paying.platform:  # a test restarted it
                await shop.platform.stop()


async def charge_a_while(shop: Shop, token: str, energy_wh: int = 3_000) -> dict[str, Any]:
    view = await shop.until(
        token,
        lambda v: v["state"] == "charging" and v["live"] and v["live"]["energy_wh"] >= energy_wh,
    )
    return view


async def payment_of(token: str, shop: Shop) -> dict[str, Any]:
    session_id = ad_hoc.session_id_of(shop.platform.ctx, token)
    row = await Payment.select().where(Payment.ad_hoc_session == session_id).first()
    assert row is not None
    return row


# --- the whole flow ------------------------------------------------------------------------------


async def test_pay_by_card_charge_stop_and_pay_exactly_the_price(shop: Shop) -> None:
    price = (await shop.http.get(f"/api/evses/{EVSE}?lang=en")).json()
    assert price["hold"]["amount_minor"] == 5000

    session = await shop.start("stripe")
    token = session["token"]
    assert session["state"] == "awaiting_payment"
    assert session["payment"]["client_secret"].startswith("pi_")
    assert session["payment"]["publishable_key"].startswith("pk_test_")
    assert session["hold"] == "€50.00"

    paid = await shop.pay_by_card(session)
    assert paid.status_code == 303
    # The Stripe webhook tells the platform; it starts the charger; the car charges.
    charging = await charge_a_while(shop, token)
    assert charging["payment_method"] == "Visa · card ending in 4242"
    assert charging["live"]["cost"]["gross_minor"] > 0

    stopped = await shop.http.post(f"/api/sessions/{token}/stop")
    assert stopped.status_code == 200
    done = await shop.until(token, lambda v: v["amount_paid_minor"] is not None)
    cdr = await Cdr.select().where(Cdr.receipt_token == done["receipt_token"]).first()
    assert cdr is not None
    assert done["amount_paid_minor"] == cdr["gross_minor"] > 0
    payment = await payment_of(token, shop)
    intent = shop.fake.object(payment["provider_ref"])
    assert intent["status"] == "succeeded"
    assert intent["amount_received"] == cdr["gross_minor"]  # the rest of the 50 € released

    receipt = await shop.http.get(
        f"/r/{done['receipt_token']}?lang=en", headers={"Accept": "text/html"}
    )
    assert "Visa" in receipt.text
    assert "4242" in receipt.text
    amount = f"€{cdr['gross_minor'] // 100}.{cdr['gross_minor'] % 100:02d}"
    assert amount in receipt.text


async def test_pay_with_paypal(shop: Shop) -> None:
    session = await shop.start("paypal")
    token = session["token"]
    assert "checkoutnow" in session["payment"]["redirect_url"]
    await shop.approve_paypal(session)
    # Back from PayPal: the web app tells the platform, which authorizes and starts.
    confirmed = await shop.http.post(f"/api/sessions/{token}/payment-confirmed")
    assert confirmed.json()["state"] in {"starting", "charging"}
    await charge_a_while(shop, token, 1_000)
    await shop.charger.unplug(1)  # stopped at the charger this time
    done = await shop.until(token, lambda v: v["amount_paid_minor"] is not None)
    assert done["payment_method"] == "PayPal"
    payment = await payment_of(token, shop)
    authorization = shop.fake.object(payment["authorization_ref"])
    assert authorization["status"] == "CAPTURED"


async def test_the_receipt_comes_by_mail_when_the_driver_asked(shop: Shop, inbox: Inbox) -> None:
    session = await shop.start("stripe", email="driver@example.org", language="de")
    token = session["token"]
    await shop.pay_by_card(session)
    await charge_a_while(shop, token, 1_000)
    await shop.http.post(f"/api/sessions/{token}/stop")
    done = await shop.until(token, lambda v: v["amount_paid_minor"] is not None)
    assert await asyncio.to_thread(inbox.arrived.wait, WAIT_S)
    [mail] = inbox.messages
    assert mail["To"] == "driver@example.org"
    assert mail["Subject"] == "Ihr Beleg von Demo Stadtwerke Laden"
    html = mail.get_body(preferencelist=("html",))
    assert html is not None
    paid = done["amount_paid_minor"]
    assert f"{paid // 100},{paid % 100:02d}\xa0€" in html.get_content()
    [pdf] = [
        part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"
    ]
    assert pdf.get_content().startswith(b"%PDF")
    session_id = ad_hoc.session_id_of(shop.platform.ctx, token)
    async with asyncio.timeout(WAIT_S):  # the platform records the sending right after it
        while not await AdHocSession.exists().where(  # noqa: ASYNC110 (a row, not an event)
            (AdHocSession.id == session_id) & AdHocSession.receipt_mailed_at.is_not_null()
        ):
            await asyncio.sleep(0.02)
    await ad_hoc.sweep(shop.platform.ctx)
    assert len(inbox.messages) == 1  # sent once, not again by the sweeper


async def test_a_second_tap_never_makes_a_second_hold(shop: Shop) -> None:
    key = uuid.uuid4().hex
    first = await shop.start("stripe", client_key=key)
    again = await shop.start("stripe", client_key=key)
    assert again["token"] == first["token"]
    assert again["payment"]["client_secret"] == first["payment"]["client_secret"]
    assert await Payment.count() == 1


# --- what can go wrong ---------------------------------------------------------------------------


async def test_a_declined_card_is_said_in_plain_words_and_nothing_starts(shop: Shop) -> None:
    session = await shop.start("stripe")
    declined = await shop.pay_by_card(session, "4000 0000 0000 0002")
    assert "declined" in declined.text.lower()
    # The driver gives up on this attempt (e.g. leaves the page): nothing is held.
    stopped = (await shop.http.post(f"/api/sessions/{session['token']}/stop")).json()
    assert stopped["state"] == "failed"
    assert shop.charger.connector(1).transaction is None


async def test_after_a_decline_the_driver_may_try_another_card(shop: Shop) -> None:
    session = await shop.start("stripe")
    token = session["token"]
    await shop.pay_by_card(session, "4000 0000 0000 0002")
    declined = await shop.until(token, lambda v: v["message"] != "")
    assert declined["state"] == "awaiting_payment"
    assert declined["message"].startswith("Your payment was declined")
    await shop.pay_by_card(session, "4242 4242 4242 4242")
    charging = await charge_a_while(shop, token, 500)
    assert charging["message"] == ""


async def test_three_d_secure_then_charging(shop: Shop) -> None:
    session = await shop.start("stripe")
    challenged = await shop.pay_by_card(session, "4000 0027 6000 3184")
    assert challenged.status_code == 303
    challenge = await shop.browser.get(
        urljoin(session["payment"]["redirect_url"], challenged.headers["location"])
    )
    action = re.search(r'<form method="post" action="([^"]+)"', challenge.text)
    assert action is not None
    await shop.browser.post(
        urljoin(str(challenge.url), action.group(1)), data={"action": "complete"}
    )
    await charge_a_while(shop, session["token"], 500)


async def test_a_charger_that_is_offline_releases_the_hold_at_once(shop: Shop) -> None:
    session = await shop.start("stripe")
    await shop.charger.disconnect(stay_offline=True)
    await shop.pay_by_card(session)
    failed = await shop.until(session["token"], lambda v: v["state"] == "failed")
    assert failed["failure_reason"] == "charger_offline"
    assert "released the reserved amount" in failed["message"]
    payment = await payment_of(session["token"], shop)
    assert payment["state"] == PaymentState.CANCELLED
    assert shop.fake.object(payment["provider_ref"])["status"] == "canceled"


async def test_a_charger_that_never_reports_the_start_releases_the_hold(shop: Shop) -> None:
    # DEMO-AC-2 accepts the remote start but never starts (no car plugged in, say).
    async with connect(shop.platform.ocpp_url, "DEMO-AC-2", "demo-password-demo-ac-2") as charger:
        await charger.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        await charger.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        )
        charger.handlers["RemoteStartTransaction"] = lambda payload: {"status": "Accepted"}
        response = await shop.http.post(
            "/api/evses/DE*DEM*E0002*1/sessions", json={"provider": "stripe", "language": "en"}
        )
        session = response.json()
        token = session["token"]
        await shop.pay_by_card(session)
        await shop.until(token, lambda v: v["state"] == "starting")
        # "starting" is committed just before the command goes out: wait for it to arrive.
        async with asyncio.timeout(15):
            while not charger.received_calls:  # noqa: ASYNC110 (a list the client fills)
                await asyncio.sleep(0.01)
        assert [action for action, _ in charger.received_calls] == ["RemoteStartTransaction"]
        ctx = shop.platform.ctx
        later = _Later(ctx.clock, timedelta(minutes=5))
        await ad_hoc.sweep(Context(ctx.settings, ctx.bus, later, ctx.payments))
    view = await shop.view(token)
    assert (view["state"], view["failure_reason"]) == ("failed", "did_not_start")
    assert "released the reserved amount" in view["message"]
    payment = await payment_of(token, shop)
    assert payment["state"] == PaymentState.CANCELLED
    assert shop.fake.object(payment["provider_ref"])["status"] == "canceled"


class _Later:
    def __init__(self, clock: Any, by: timedelta) -> None:
        self._clock = clock
        self._by = by

    def now(self) -> Any:
        return self._clock.now() + self._by


async def test_a_failed_capture_is_retried_with_the_same_key_and_taken_once(shop: Shop) -> None:
    session = await shop.start("stripe")
    token = session["token"]
    await shop.pay_by_card(session)
    await charge_a_while(shop, token, 1_000)
    # More failures than the SDK's own retries: the platform's retry has to take over.
    shop.fake.fail_next("/v1/payment_intents/*/capture", times=3, status=503)
    await shop.http.post(f"/api/sessions/{token}/stop")
    await shop.until(token, lambda v: v["state"] == "finished")
    operator = {"Authorization": "Bearer cpo_demo-admin-token-for-trying-the-api"}
    async with asyncio.timeout(WAIT_S):  # the operator's list shows the failed capture
        problems = []
        while not problems:
            await asyncio.sleep(0.02)
            problems = (await shop.http.get("/api/admin/payment-problems", headers=operator)).json()
    payment = await payment_of(token, shop)
    assert [problem["payment_id"] for problem in problems] == [payment["id"]]
    assert payment["state"] == PaymentState.CAPTURE_PENDING
    assert payment["attempts"] == 1
    assert "503" in problems[0]["last_error"] or "unknown error" in problems[0]["last_error"]
    ctx = shop.platform.ctx
    await ad_hoc.sweep(
        Context(ctx.settings, ctx.bus, _Later(ctx.clock, timedelta(minutes=1)), ctx.payments)
    )
    payment = await payment_of(token, shop)
    assert payment["state"] == PaymentState.CAPTURED
    assert (
        shop.fake.object(payment["provider_ref"])["amount_received"] == payment["amount_due_minor"]
    )


async def test_duplicate_and_out_of_order_webhooks_change_nothing_twice(shop: Shop) -> None:
    shop.fake.hold_webhooks("payment_intent.amount_capturable_updated", provider="stripe")
    shop.fake.duplicate_webhooks("payment_intent.*", provider="stripe")
    session = await shop.start("stripe")
    token = session["token"]
    await shop.pay_by_card(session)
    # The authorisation's webhook is late: the driver's return to the page starts it.
    await shop.http.post(f"/api/sessions/{token}/payment-confirmed")
    await charge_a_while(shop, token, 1_000)
    await shop.http.post(f"/api/sessions/{token}/stop")
    await shop.until(token, lambda v: v["amount_paid_minor"] is not None)
    shop.fake.release_webhooks()
    await shop.fake.webhooks_idle()
    payment = await payment_of(token, shop)
    assert payment["state"] == PaymentState.CAPTURED
    events = await PaymentEvent.select(PaymentEvent.event_id)
    assert len(events) == len({event["event_id"] for event in events})


async def test_the_session_is_stopped_before_its_cost_reaches_the_hold(shop: Shop) -> None:
    expensive = await tariffs.create_tariff(
        shop.platform.ctx,
        1,
        tariffs.TariffInput(
            name="Expensive",
            definition=TariffDefinition(
                currency="EUR",
                vat_rate_bp=1900,
                elements=(
                    TariffElement(
                        components=(
                            PriceComponent(type=ComponentType.ENERGY, price_micro=9_900_000),
                        )
                    ),
                ),
            ),
        ),
    )
    await tariffs.assign_tariff(
        shop.platform.ctx,
        1,
        tariffs.Assignment(scope=AssignmentScope.EVSE, target=EVSE, tariff_id=expensive.id),
    )
    session = await shop.start("stripe")
    token = session["token"]
    await shop.pay_by_card(session)
    done = await shop.until(token, lambda v: v["amount_paid_minor"] is not None, within=30)
    assert done["amount_paid_minor"] <= session["hold_minor"]
    stop_reason = (
        await AdHocSession.select(AdHocSession.stop_reason)
        .where(AdHocSession.id == ad_hoc.session_id_of(shop.platform.ctx, token))
        .first()
    )
    assert stop_reason == {"stop_reason": "hold_reached"}


async def test_nothing_owed_releases_the_hold(shop: Shop) -> None:
    free = await tariffs.create_tariff(
        shop.platform.ctx,
        1,
        tariffs.TariffInput(
            name="Free today",
            definition=TariffDefinition(
                currency="EUR",
                vat_rate_bp=1900,
                elements=(
                    TariffElement(
                        components=(PriceComponent(type=ComponentType.ENERGY, price_micro=0),)
                    ),
                ),
            ),
        ),
    )
    await tariffs.assign_tariff(
        shop.platform.ctx,
        1,
        tariffs.Assignment(scope=AssignmentScope.EVSE, target=EVSE, tariff_id=free.id),
    )
    session = await shop.start("stripe")
    token = session["token"]
    await shop.pay_by_card(session)
    await charge_a_while(shop, token, 500)
    await shop.http.post(f"/api/sessions/{token}/stop")
    done = await shop.until(token, lambda v: v["amount_paid_minor"] is not None)
    assert done["amount_paid_minor"] == 0
    payment = await payment_of(token, shop)
    assert payment["state"] == PaymentState.CANCELLED
    assert shop.fake.object(payment["provider_ref"])["status"] == "canceled"


async def test_busy_charge_points_and_eager_clients_are_refused_clearly(shop: Shop) -> None:
    async def start(evse: str) -> httpx.Response:
        return await shop.http.post(
            f"/api/evses/{evse}/sessions",
            json={"provider": "stripe", "client_key": uuid.uuid4().hex},
        )

    # At most three unpaid holds wait at one charge point...
    assert [(await start(EVSE)).status_code for _ in range(4)] == [201, 201, 201, 429]
    # ... and one client asks for at most five holds in ten minutes.
    assert (await start("DE*DEM*E0001*2")).status_code == 201
    assert (await start("DE*DEM*E0001*2")).status_code == 201
    refused = await start("DE*DEM*E0001*2")
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert refused.json()["title"] == "Too many attempts. Please wait a moment and try again."
    offline = await start("DE*DEM*E0002*1")
    assert offline.status_code == 409
    assert offline.json()["code"] == "evse_offline"
    unknown = await shop.http.post(f"/api/evses/{EVSE}/sessions", json={"provider": "bitcoin"})
    assert unknown.status_code == 400


async def test_a_restart_between_start_and_stop_still_takes_the_right_amount(shop: Shop) -> None:
    session = await shop.start("stripe")
    token = session["token"]
    await shop.pay_by_card(session)
    await charge_a_while(shop, token, 1_000)
    shop.platform = await shop.platform.restart()
    await shop.charger.wait_for(lambda: shop.charger.connected, WAIT_S)
    await shop.http.aclose()
    shop.http = httpx.AsyncClient(base_url=shop.platform.base_url, timeout=WAIT_S)
    await shop.charger.unplug(1)
    done = await shop.until(token, lambda v: v["amount_paid_minor"] is not None)
    cdr = (
        await Cdr.select(Cdr.gross_minor).where(Cdr.receipt_token == done["receipt_token"]).first()
    )
    assert cdr is not None
    assert done["amount_paid_minor"] == cdr["gross_minor"]


async def test_a_charger_reporting_its_stop_much_later_is_still_settled_exactly(shop: Shop) -> None:
    session = await shop.start("stripe")
    token = session["token"]
    await shop.pay_by_card(session)
    await charge_a_while(shop, token, 1_000)
    # The charger loses its connection; the driver unplugs meanwhile (simulated hours pass).
    await shop.charger.disconnect(stay_offline=True)
    await shop.charger.unplug(1)
    still = await shop.view(token)
    assert still["state"] == "charging"
    assert still["amount_paid_minor"] is None
    await shop.charger.reconnect()  # the queued meter values and stop arrive now
    done = await shop.until(token, lambda v: v["amount_paid_minor"] is not None)
    transaction = shop.charger.transactions[-1]
    cdr = (
        await Cdr.select(Cdr.gross_minor, Cdr.energy_wh)
        .where(Cdr.receipt_token == done["receipt_token"])
        .first()
    )
    assert cdr is not None
    assert cdr["energy_wh"] == transaction.energy_wh
    assert done["amount_paid_minor"] == cdr["gross_minor"]


async def test_forged_webhooks_are_refused(shop: Shop) -> None:
    forged = await shop.http.post(
        "/api/webhooks/stripe/1",
        content=b'{"id": "evt_forged", "type": "payment_intent.succeeded"}',
        headers={"Stripe-Signature": "t=1,v1=deadbeef"},
    )
    assert forged.status_code in {400, 422}
    assert forged.json()["code"] == "invalid_webhook"
    with contextlib.suppress(Exception):
        assert await PaymentEvent.count() == 0

"""The platform ready to take money: payment accounts at the local fake of Stripe and PayPal,
webhooks pointed back at it, a real SMTP server for receipts, a simulated charger."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from cpo.clock import Clock
from cpo.context import Context
from cpo.demo import DEMO_STATIONS
from cpo.payments.accounts import AccountInput, add_account
from cpo.payments.schemas import ProviderName
from cpo.ports import Mailer
from mail import SmtpMailer
from ocpp_bridge.simulator import SimulatedStation, demo_connectors
from payments.fake import FakeProviderServer
from payments.gateway import ProviderGateway
from tests.support.platform import RunningPlatform, start_platform

WAIT_S = 15.0


class Inbox:
    """A real SMTP server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Event()
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = BytesParser(policy=default_policy).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.arrived.set()
        return "250 OK"


@contextlib.contextmanager
def smtp_inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        inbox.port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class PayingPlatform:
    platform: RunningPlatform
    fake: FakeProviderServer
    inbox: Inbox | None


@contextlib.asynccontextmanager
async def paying_platform(
    demo: Context,
    inbox: Inbox | None = None,
    *,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[PayingPlatform]:
    """The demo operator's platform with Stripe and PayPal accounts at a fresh fake; mails
    go to `inbox` (a real SMTP server) or to `mailer`."""
    gateway = ProviderGateway()
    if mailer is None:
        assert inbox is not None, "mails go to an inbox or a mailer"
        mailer = SmtpMailer(f"smtp://127.0.0.1:{inbox.port}", "Demo Stadtwerke <receipts@cpo.test>")
    async with FakeProviderServer() as fake:
        ctx = Context(demo.settings, demo.bus, clock or demo.clock, payments=gateway, mailer=mailer)
        # The merchant the fake's pages name (a SEPA mandate's creditor): the demo operator.
        stripe_keys = fake.stripe_account(display_name="Demo Stadtwerke Laden GmbH")
        paypal_keys = fake.paypal_account(display_name="Demo Stadtwerke Laden GmbH")
        stripe_account = await add_account(
            ctx,
            1,
            AccountInput(
                provider=ProviderName.STRIPE,
                config={
                    "publishable_key": stripe_keys.publishable_key,
                    "secret_key": stripe_keys.secret_key,
                    "webhook_secret": stripe_keys.webhook_secret,
                    "api_base": fake.url,
                },
            ),
        )
        paypal_account = await add_account(
            ctx,
            1,
            AccountInput(
                provider=ProviderName.PAYPAL,
                config={
                    "client_id": paypal_keys.client_id,
                    "client_secret": paypal_keys.client_secret,
                    "webhook_id": paypal_keys.webhook_id,
                    "api_base": fake.url,
                },
            ),
        )
        platform = await start_platform(ctx)
        fake.register_stripe_webhook(
            stripe_keys.secret_key, f"{platform.base_url}/api/webhooks/stripe/{stripe_account.id}"
        )
        fake.register_paypal_webhook(
            paypal_keys.client_id, f"{platform.base_url}/api/webhooks/paypal/{paypal_account.id}"
        )
        running = PayingPlatform(platform, fake, inbox)
        try:
            yield running
        finally:
            await running.platform.stop()
            await gateway.close()


@contextlib.asynccontextmanager
async def simulated_charger(
    platform: RunningPlatform,
    identity: str = "DEMO-AC-1",
    *,
    speed: float = 600.0,
    **options: Any,
) -> AsyncIterator[SimulatedStation]:
    """A demo station, charging `speed` times faster than the wall clock (`options` go to
    SimulatedStation, e.g. its feature_profiles)."""
    demo_station = next(station for station in DEMO_STATIONS if station.identity == identity)
    charger = SimulatedStation(
        demo_station.identity,
        demo_station.password,
        platform.ocpp_url,
        demo_connectors(demo_station),
        meter_interval_s=0.05,
        speed=speed,
        response_timeout_s=WAIT_S,
        reconnect_initial_s=0.05,
        reconnect_max_s=0.3,
        **options,
    )
    run = asyncio.create_task(charger.run())
    try:
        await charger.wait_booted(WAIT_S)
        await charger.wait_for(lambda: charger.queued() == 0, WAIT_S)
        yield charger
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)

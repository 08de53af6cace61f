"""The one place where the platform is assembled: settings in, Litestar application out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from api.account import (
    AuthController,
    ContractChargingController,
    FleetController,
    MeController,
    MyCardsController,
    MyDataController,
    OperatorCustomersController,
)
from api.admin.audit import AuditController
from api.admin.billing import BillingController
from api.admin.cards import CardController
from api.admin.cdrs import CdrController
from api.admin.customers import CustomerController
from api.admin.exports import SessionExportController
from api.admin.network import NETWORK_CONTROLLERS
from api.admin.operators import OperatorProfileController, PlatformOperatorController
from api.admin.payments import PaymentController
from api.admin.privacy import PrivacyRequestController
from api.admin.reports import ReportController
from api.admin.roaming import RoamingController
from api.admin.stickers import StickerController
from api.admin.support import SupportController
from api.admin.tariffs import AssignmentController, TariffController
from api.auth import provide_operator, provide_user
from api.driver.evses import EvseController
from api.driver.sessions import AdHocController
from api.driver.support import DriverTicketController, ProblemController
from api.errors import domain_error_handler, http_error_handler, validation_error_handler
from api.health import health
from api.ocpi.router import ocpi_router
from api.outgoing_webhooks import HttpWebhookSender
from api.payment_methods import PaymentMethodController
from api.pwa import COMPRESSION, PWA_HANDLERS
from api.receipts import receipt_page, receipt_signed_data
from api.webhooks import provider_webhook
from cpo import database
from cpo.billing.tasks import bill_months_forever
from cpo.bus import InProcessBus, MessageBus
from cpo.cdrs.tasks import sweep_cdrs_forever
from cpo.clock import Clock, SystemClock
from cpo.context import Context
from cpo.errors import DomainError
from cpo.notifications.tasks import deliver_notifications_forever
from cpo.payments.tasks import guard_holds_forever, sweep_payments_forever
from cpo.ports import Mailer, PaymentGateway, WebhookSender
from cpo.redis_bus import RedisBus
from cpo.reports.tasks import make_monthly_reports_forever
from cpo.settings import Settings
from cpo.support.tasks import mail_replies_forever
from cpo.tokens.tasks import push_cards_forever
from mail import FolderMailer, SmtpMailer
from ocpp_bridge.bridge import Bridge, ocpp_endpoint, quiet_refused_upgrades
from payments.gateway import ProviderGateway
from roaming.authorization import PartnerAuthorizer
from roaming.client import PartnerClient
from roaming.commands import CommandRunner
from roaming.tasks import RoamingWorker


def create_app(
    settings: Settings,
    *,
    bus: MessageBus | None = None,
    clock: Clock | None = None,
    payments: PaymentGateway | None = None,
    mailer: Mailer | None = None,
    webhooks: WebhookSender | None = None,
    roaming_client: PartnerClient | None = None,
    manage_database: bool = True,
) -> Litestar:
    """Build the application. Tests pass their own bus and clock here instead of patching.

    Without a bus, the app makes its own: Redis when `CPO_REDIS_URL` is set (several nodes
    act as one system), in-process otherwise. Without a mailer: SMTP when `CPO_SMTP_URL` is
    set, else mails are written as files to `CPO_OUTBOX_DIR`.

    With `manage_database` the app opens and closes the database itself; a caller that has
    bound one already (tests, the command line) passes False.
    """
    quiet_refused_upgrades()
    own_bus = None
    if bus is None:
        own_bus = bus = (
            RedisBus(settings.redis_url, settings.node_id) if settings.redis_url else InProcessBus()
        )
    own_gateway = None
    if payments is None:
        own_gateway = payments = ProviderGateway()
    if mailer is None:
        mailer = (
            SmtpMailer(settings.smtp_url, settings.mail_from)
            if settings.smtp_url
            else FolderMailer(Path(settings.outbox_dir), sender=settings.mail_from)
        )
    own_webhooks = None
    if webhooks is None:
        own_webhooks = webhooks = HttpWebhookSender()
    own_roaming_client = None
    if roaming_client is None:
        own_roaming_client = roaming_client = PartnerClient(
            timeout_s=settings.ocpi_request_timeout_s
        )
    clock = clock or SystemClock()
    ctx = Context(
        settings=settings,
        bus=bus,
        clock=clock,
        payments=payments,
        mailer=mailer,
        webhooks=webhooks,
        roaming=PartnerAuthorizer(settings, clock, roaming_client),
    )
    bridge = Bridge(ctx)
    roaming_commands = CommandRunner(ctx)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = await database.open_database(settings.database_url) if manage_database else None
        if isinstance(own_bus, RedisBus):
            await own_bus.start()
        await bridge.start()
        workers = [
            asyncio.create_task(sweep_cdrs_forever(ctx), name="cdr-sweeper"),
            asyncio.create_task(sweep_payments_forever(ctx), name="payment-sweeper"),
            asyncio.create_task(guard_holds_forever(ctx), name="hold-guard"),
            asyncio.create_task(push_cards_forever(ctx), name="card-pusher"),
            asyncio.create_task(make_monthly_reports_forever(ctx), name="monthly-reports"),
            asyncio.create_task(deliver_notifications_forever(ctx), name="notifications"),
            *(
                asyncio.create_task(work, name=f"roaming-{number}")
                for number, work in enumerate(RoamingWorker(ctx, roaming_client).tasks())
            ),
            asyncio.create_task(mail_replies_forever(ctx), name="support-mail"),
            asyncio.create_task(bill_months_forever(ctx), name="monthly-billing"),
        ]
        try:
            yield
        finally:
            for worker in workers:
                worker.cancel()
            for worker in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await roaming_commands.close()
            await bridge.stop()
            if own_gateway is not None:
                await own_gateway.close()
            if own_webhooks is not None:
                await own_webhooks.close()
            if own_roaming_client is not None:
                await own_roaming_client.close()
            if own_bus is not None:
                await own_bus.close()
            if engine is not None:
                await database.close_database(engine)

    admin = Router(
        path="/",
        route_handlers=[
            TariffController,
            AssignmentController,
            CdrController,
            PaymentController,
            RoamingController,
            AuditController,
            CardController,
            StickerController,
            ReportController,
            SessionExportController,
            *NETWORK_CONTROLLERS,
            SupportController,
            OperatorProfileController,
            PlatformOperatorController,
            BillingController,
            CustomerController,
            PrivacyRequestController,
        ],
        dependencies={"operator": Provide(provide_operator)},
    )
    return Litestar(
        route_handlers=[
            health,
            ocpp_endpoint,
            admin,
            EvseController,
            AdHocController,
            provider_webhook,
            receipt_page,
            receipt_signed_data,
            *PWA_HANDLERS,
            AuthController,
            MeController,
            MyCardsController,
            FleetController,
            MyDataController,
            PaymentMethodController,
            ContractChargingController,
            OperatorCustomersController,
            ocpi_router(),
            ProblemController,
            DriverTicketController,
        ],
        # The drivers' web app and the JSON API travel gzipped (api/pwa.py says what not).
        compression_config=COMPRESSION,
        state=State(
            {
                "ctx": ctx,
                "bridge": bridge,
                "roaming_client": roaming_client,
                "roaming_commands": roaming_commands,
            }
        ),
        # Routes of logged-in users declare `user: CurrentUser` (api/auth.py).
        dependencies={"user": Provide(provide_user)},
        lifespan=[lifespan],
        exception_handlers={
            DomainError: domain_error_handler,
            ValidationException: validation_error_handler,
            HTTPException: http_error_handler,
        },
        # Logging is configured once for the process (cpo.logs), not by the framework.
        logging_config=None,
        openapi_config=OpenAPIConfig(
            title="Charge point operator platform",
            version="0.1.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
    )

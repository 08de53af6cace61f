"""`FakeProviderServer`: the fake on a loopback port, inside the caller's event loop.

async with FakeProviderServer() as fake:
    stripe_keys = fake.stripe_account()
    client = stripe.StripeClient(
        stripe_keys.secret_key,
        base_addresses={"api": fake.stripe_url},
        http_client=stripe.HTTPXClient(),
    )
    ...
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from types import TracebackType

import uvicorn

from payments.fake.app import build_app
from payments.fake.common import JSON
from payments.fake.faults import FaultRule
from payments.fake.state import FakeProviders
from payments.fake.webhooks import DeliveryAttempt, WebhookDispatcher


@dataclass(frozen=True)
class StripeTestAccount:
    account_id: str
    secret_key: str
    publishable_key: str
    webhook_secret: str  # the `whsec_…` signing secret webhooks are signed with


@dataclass(frozen=True)
class PayPalTestAccount:
    client_id: str
    client_secret: str
    webhook_id: str  # what `verify-webhook-signature` must be given
    merchant_id: str


class FakeProviderServer:
    """Stripe and PayPal, faked, on `http://127.0.0.1:<free port>`. State lives in memory,
    per instance. Every test control is also reachable over HTTP under `/_fake/`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        open_accounts: bool = False,
        webhook_retry_delays_s: tuple[float, ...] = (0.05, 0.2, 0.5, 1.0),
        webhook_timeout_s: float = 5.0,
        debits_settle_after_s: float | None = None,
    ) -> None:
        """`public_url`: the base the browser-facing links use (3-D Secure, pay, setup and
        PayPal approval pages, API links); default the bound address. `open_accounts`:
        accept any `sk_test_…` key / any PayPal client credentials and create the account
        on first use (the demo); otherwise unknown keys get the providers' 401.
        `debits_settle_after_s`: SEPA debits settle by themselves this long after they
        start processing (the demo); None: only through `settle_payment_intent`."""
        self._host = host
        self._port = port
        self._public_url = public_url
        self.providers = FakeProviders(
            dispatcher=WebhookDispatcher(
                retry_delays_s=webhook_retry_delays_s, attempt_timeout_s=webhook_timeout_s
            ),
            open_accounts=open_accounts,
            debits_settle_after_s=debits_settle_after_s,
        )
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._bound_port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the fake provider server is already running")
        self.providers.faults.stopping.clear()
        await self.providers.dispatcher.start()
        loop = asyncio.get_running_loop()
        self.providers.stripe.schedule = loop.call_later
        self._server = uvicorn.Server(
            uvicorn.Config(
                build_app(self.providers),
                host=self._host,
                port=self._port,
                log_config=None,
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=2,
            )
        )
        self._task = asyncio.get_running_loop().create_task(self._server.serve())
        async with asyncio.timeout(10):
            while not self._server.started:
                if self._task.done():
                    self._task.result()
                    raise RuntimeError("the fake provider server stopped while starting")
                await asyncio.sleep(0.01)
        self._bound_port = self._server.servers[0].sockets[0].getsockname()[1]
        self.providers.public_url = self._public_url or f"http://{self._host}:{self._bound_port}"

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self.providers.faults.stopping.set()  # release hanging requests
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._task, timeout=10)
        await self.providers.dispatcher.stop()
        self._server = None
        self._task = None

    async def serve_forever(self) -> None:
        """Until the process is interrupted (the standalone runner)."""
        if self._task is None:
            await self.start()
        assert self._task is not None
        try:
            await self._task
        finally:
            await self.providers.dispatcher.stop()

    async def __aenter__(self) -> FakeProviderServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._bound_port

    @property
    def url(self) -> str:
        """The public base URL (what links and pages use)."""
        return self.providers.public_url

    @property
    def stripe_url(self) -> str:
        """For `StripeClient(base_addresses={"api": fake.stripe_url})`."""
        return self.url

    @property
    def paypal_url(self) -> str:
        """What `Configuration.get_base_uri()` must answer for the PayPal SDK."""
        return self.url

    # -- accounts and webhooks ---------------------------------------------------------------

    def stripe_account(
        self,
        *,
        secret_key: str | None = None,
        publishable_key: str | None = None,
        webhook_secret: str | None = None,
        display_name: str = "Fake CPO",
    ) -> StripeTestAccount:
        account = self.providers.stripe_account(
            secret_key=secret_key,
            publishable_key=publishable_key,
            webhook_secret=webhook_secret,
            display_name=display_name,
        )
        return StripeTestAccount(
            account.account_id, account.secret_key, account.publishable_key, account.webhook_secret
        )

    def paypal_account(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        webhook_id: str | None = None,
        display_name: str = "Fake CPO",
    ) -> PayPalTestAccount:
        account = self.providers.paypal_account(
            client_id=client_id,
            client_secret=client_secret,
            webhook_id=webhook_id,
            display_name=display_name,
        )
        return PayPalTestAccount(
            account.client_id, account.client_secret, account.webhook_id, account.merchant_id
        )

    def register_stripe_webhook(
        self, secret_key: str, url: str, signing_secret: str | None = None
    ) -> None:
        """Events of that account are POSTed to `url`, signed with `signing_secret`
        (default: the account's `webhook_secret`)."""
        self.providers.register_stripe_webhook(secret_key, url, signing_secret)

    def register_paypal_webhook(
        self, client_id: str, url: str, webhook_id: str | None = None
    ) -> None:
        self.providers.register_paypal_webhook(client_id, url, webhook_id)

    # -- failures and time -------------------------------------------------------------------

    def fail_next(
        self,
        path: str,
        *,
        times: int = 1,
        status: int = 500,
        method: str | None = None,
        after_processing: bool = False,
    ) -> FaultRule:
        """The next `times` requests whose path matches the glob (`*` spans `/`) answer
        with HTTP `status` in the provider's error shape. `after_processing`: the request
        is carried out first, only its answer is lost."""
        return self.providers.fail_next(
            path, times=times, status=status, method=method, after_processing=after_processing
        )

    def hang_next(
        self,
        path: str,
        *,
        times: int = 1,
        seconds: float = 30.0,
        method: str | None = None,
        after_processing: bool = False,
    ) -> FaultRule:
        """The next `times` matching requests get no answer for `seconds` — set it above
        the client's timeout to provoke one. Then 504, or (`after_processing`) the real
        answer, late."""
        return self.providers.hang_next(
            path, times=times, seconds=seconds, method=method, after_processing=after_processing
        )

    def clear_faults(self) -> None:
        self.providers.clear_faults()

    def expire_payment_intent(self, intent_id: str) -> JSON:
        """Stripe let the authorisation lapse: canceled, `cancellation_reason=automatic`,
        `payment_intent.canceled` webhook."""
        return self.providers.expire_payment_intent(intent_id)

    def settle_payment_intent(self, intent_id: str, *, succeed: bool | None = None) -> JSON:
        """A processing SEPA debit settles: `succeed` None as its test IBAN says
        (`payment_intent.succeeded`, or `requires_payment_method` with `last_payment_error`
        and `payment_intent.payment_failed`), True or False that outcome."""
        return self.providers.settle_payment_intent(intent_id, succeed=succeed)

    def expire_paypal_authorization(self, authorization_id: str) -> JSON:
        """The PayPal authorization is EXPIRED; captures then fail AUTHORIZATION_EXPIRED."""
        return self.providers.expire_paypal_authorization(authorization_id)

    def object(self, object_id: str) -> JSON:
        """The current state of any object of either provider, by id."""
        return self.providers.object(object_id)

    # -- webhook delivery --------------------------------------------------------------------

    @property
    def webhook_deliveries(self) -> list[DeliveryAttempt]:
        return self.providers.webhook_deliveries

    def hold_webhooks(self, pattern: str, provider: str | None = None) -> None:
        """Keep events whose type matches the glob back until `release_webhooks`: what
        happens after is delivered first (out of order)."""
        self.providers.hold_webhooks(pattern, provider)

    def release_webhooks(self, pattern: str | None = None, provider: str | None = None) -> int:
        return self.providers.release_webhooks(pattern, provider)

    def duplicate_webhooks(
        self, pattern: str = "*", times: int = 1, provider: str | None = None
    ) -> None:
        """Deliver each of the next `times` matching events twice."""
        self.providers.duplicate_webhooks(pattern, times, provider)

    def redeliver_webhook(self, event_id: str | None = None, provider: str | None = None) -> str:
        """Deliver an event again (default: the last one published); returns its id."""
        return self.providers.redeliver_webhook(event_id, provider)

    async def webhooks_idle(self, within_s: float = 10.0) -> None:
        """Wait until no webhook is queued, in flight or waiting for a retry."""
        await self.providers.dispatcher.wait_idle(within_s)

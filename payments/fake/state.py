"""Everything one fake server holds in memory, and the test controls over it.

`FakeProviderServer` (Python) and the `/_fake/…` routes (HTTP) both call the control
methods here, so the two ways of steering the fake cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from payments.fake.common import JSON
from payments.fake.faults import FaultKind, FaultPlan, FaultRule
from payments.fake.paypal_api import PayPalAccount, PayPalState
from payments.fake.stripe_api import StripeAccount, StripeState
from payments.fake.webhooks import DeliveryAttempt, WebhookDispatcher


@dataclass(frozen=True)
class SavedStripeResponse:
    """A Stripe response kept for its idempotency key."""

    route: str  # "POST /v1/payment_intents"
    fingerprint: str  # the canonical form of the parameters
    status: int
    body: bytes
    request_id: str


@dataclass
class FakeProviders:
    public_url: str = "http://127.0.0.1"
    dispatcher: WebhookDispatcher = field(default_factory=WebhookDispatcher)
    faults: FaultPlan = field(default_factory=FaultPlan)
    stripe_idempotency: dict[tuple[str, str], SavedStripeResponse] = field(default_factory=dict)
    open_accounts: bool = False
    debits_settle_after_s: float | None = None

    def __post_init__(self) -> None:
        self.stripe = StripeState(
            public_url=lambda: self.public_url,
            publish=self.dispatcher.publish,
            open_accounts=self.open_accounts,
            debits_settle_after_s=self.debits_settle_after_s,
        )
        self.paypal = PayPalState(
            public_url=lambda: self.public_url,
            publish=self.dispatcher.publish,
            open_accounts=self.open_accounts,
        )

    # -- accounts and webhook endpoints ------------------------------------------------------

    def stripe_account(
        self,
        *,
        secret_key: str | None = None,
        publishable_key: str | None = None,
        webhook_secret: str | None = None,
        display_name: str = "Fake CPO",
    ) -> StripeAccount:
        return self.stripe.create_account(
            secret_key=secret_key,
            publishable_key=publishable_key,
            webhook_secret=webhook_secret,
            display_name=display_name,
        )

    def paypal_account(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        webhook_id: str | None = None,
        display_name: str = "Fake CPO",
    ) -> PayPalAccount:
        return self.paypal.create_account(
            client_id=client_id,
            client_secret=client_secret,
            webhook_id=webhook_id,
            display_name=display_name,
        )

    def register_stripe_webhook(
        self, secret_key: str, url: str, signing_secret: str | None = None
    ) -> StripeAccount:
        return self.stripe.register_webhook(secret_key, url, signing_secret)

    def register_paypal_webhook(
        self, client_id: str, url: str, webhook_id: str | None = None
    ) -> PayPalAccount:
        return self.paypal.register_webhook(client_id, url, webhook_id)

    # -- failures ----------------------------------------------------------------------------

    def fail_next(
        self,
        path: str,
        *,
        times: int = 1,
        status: int = 500,
        method: str | None = None,
        after_processing: bool = False,
    ) -> FaultRule:
        """The next `times` requests whose path matches the glob get an HTTP `status`."""
        if not 500 <= status <= 599:
            raise ValueError("injected failures are 5xx")
        return self.faults.add(
            FaultRule(
                path=path,
                kind=FaultKind.ERROR,
                times=times,
                method=method,
                status=status,
                after_processing=after_processing,
            )
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
        """The next `times` matching requests get no answer for `seconds` (then a 504, or
        with `after_processing` the real, late answer)."""
        return self.faults.add(
            FaultRule(
                path=path,
                kind=FaultKind.HANG,
                times=times,
                method=method,
                seconds=seconds,
                after_processing=after_processing,
            )
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- time ----------------------------------------------------------------------------------

    def expire_payment_intent(self, intent_id: str) -> JSON:
        return self.stripe.expire_intent(intent_id)

    def settle_payment_intent(self, intent_id: str, *, succeed: bool | None = None) -> JSON:
        return self.stripe.settle_intent(intent_id, succeed=succeed)

    def expire_paypal_authorization(self, authorization_id: str) -> JSON:
        return self.paypal.expire_authorization(authorization_id)

    # -- state -----------------------------------------------------------------------------

    def object(self, object_id: str) -> JSON:
        """Any object of either fake by id (PaymentIntent, charge, refund, event, order,
        authorization, capture, PayPal refund or event)."""
        found = self.stripe.object_by_id(object_id) or self.paypal.object_by_id(object_id)
        if found is None:
            raise LookupError(f"no object {object_id}")
        return found

    # -- webhooks ----------------------------------------------------------------------------

    @property
    def webhook_deliveries(self) -> list[DeliveryAttempt]:
        return list(self.dispatcher.attempts)

    def hold_webhooks(self, pattern: str, provider: str | None = None) -> None:
        self.dispatcher.hold(pattern, provider)

    def release_webhooks(self, pattern: str | None = None, provider: str | None = None) -> int:
        return self.dispatcher.release(pattern, provider)

    def duplicate_webhooks(
        self, pattern: str = "*", times: int = 1, provider: str | None = None
    ) -> None:
        self.dispatcher.duplicate(pattern, times, provider)

    def redeliver_webhook(self, event_id: str | None = None, provider: str | None = None) -> str:
        return self.dispatcher.redeliver(event_id, provider).event_id

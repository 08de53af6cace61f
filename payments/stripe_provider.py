"""Stripe as a `cpo.ports.PaymentProvider`, through the official SDK's async client.

One `StripeProvider` per merchant account (white label: every operator is its own Stripe
merchant), each with its own `stripe.StripeClient` and HTTP connection pool; nothing global
in the `stripe` module is set or read.

The hold is a PaymentIntent with `capture_method=manual` and automatic payment methods (card,
Apple Pay and Google Pay through the Payment Element / Express Checkout Element). Our payment
id travels in `metadata[reference]`, so webhooks find the payment, and the driver's return URL
in `metadata[return_url]` (the fake's demo card page sends the browser there; Stripe ignores
it). Every call that moves money carries the core's idempotency key; the SDK retries network
errors, 409s and 5xx itself (`max_network_retries`) with that same key, so a lost answer is
replayed rather than repeated.

The demo card page: when the account's `api_base` points somewhere other than Stripe, that
somewhere is the local fake (`payments.fake`, the only non-Stripe API base we support; real
accounts leave `api_base` out), and `create_hold` also returns `{api_base}/pay/{intent id}`
as the `redirect_url` the web app may send the driver to instead of Stripe Elements. An
optional `demo_card_page` setting overrides that guess: `0` switches the page off, a URL
names the base the browser must use when it differs from the server's `api_base` (e.g. in
containers).

Methods on file (`cpo.ports.SavedPaymentMethods`): a Stripe Customer per contract customer
and account; a SetupIntent with `usage=off_session` for one card or one SEPA Direct Debit
bank account (the browser confirms it with the Payment Element in setup mode, or on the
fake's setup page `{api_base}/setup/{id}`); off-session charges are PaymentIntents with
`customer`, `payment_method`, `off_session=true`, `confirm=true` and automatic capture —
SEPA debits answer `processing` and settle days later. Our reference travels in
`metadata[reference]` here too. A declined or unauthenticated off-session charge is an
answer (`FAILED`, `REQUIRES_ACTION`), not an exception: the collection step decides.

Errors: SDK exceptions never leave this module. Card declines become `PaymentDeclined` (code:
Stripe's `decline_code`, else its error code); rate limits, connection errors, timeouts, 409s
and 5xx become retryable `ProviderError`s; invalid requests, authentication, permission and
idempotency errors non-retryable ones, with Stripe's error code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import msgspec
import stripe

from cpo.payments.schemas import (
    CaptureResult,
    ChargeResult,
    ChargeState,
    CustomerRequest,
    EventKind,
    HoldCreated,
    HoldRequest,
    HoldState,
    HoldStatus,
    InvalidWebhook,
    MethodKind,
    OffSessionCharge,
    PaymentDeclined,
    PaymentMethod,
    ProviderError,
    ProviderEvent,
    ProviderName,
    RefundResult,
    SavedMethod,
    SetupRequest,
    SetupStarted,
    SetupState,
    SetupStatus,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S: Final = 15.0
DEFAULT_MAX_NETWORK_RETRIES: Final = 2
# Why we release a hold: the core cancels when the driver gave up, the charger did not start
# or nothing was owed — for Stripe all of these are "the payment was not completed".
CANCELLATION_REASON: Final = "abandoned"
UNEXPECTED_STATE: Final = "payment_intent_unexpected_state"

_WAITING_FOR_DRIVER = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "processing"}
)
_WALLETS = frozenset({"apple_pay", "google_pay"})
_OFF = frozenset({"0", "false", "no", "off"})
_EVENT_KINDS: Final = {
    "payment_intent.amount_capturable_updated": EventKind.HOLD_AUTHORIZED,
    "payment_intent.payment_failed": EventKind.HOLD_FAILED,
    "payment_intent.canceled": EventKind.HOLD_CANCELLED,
    "payment_intent.succeeded": EventKind.CAPTURED,
    "charge.refunded": EventKind.REFUNDED,
    "setup_intent.succeeded": EventKind.SETUP_SUCCEEDED,
    "setup_intent.setup_failed": EventKind.SETUP_FAILED,
    "setup_intent.canceled": EventKind.SETUP_FAILED,
}
# A PaymentIntent captured at once is a charge (of a method on file), not a hold: its
# events say so.
_CHARGE_EVENT_KINDS: Final = {
    "payment_intent.processing": EventKind.CHARGE_PROCESSING,
    "payment_intent.succeeded": EventKind.CHARGE_SUCCEEDED,
    "payment_intent.payment_failed": EventKind.CHARGE_FAILED,
}
# Which amount of the event's object the event is about.
_EVENT_AMOUNTS: Final = {
    "payment_intent.amount_capturable_updated": "amount_capturable",
    "payment_intent.processing": "amount",
    "payment_intent.payment_failed": "amount",
    "payment_intent.canceled": "amount",
    "payment_intent.succeeded": "amount_received",
    "charge.refunded": "amount_refunded",
}
# An off-session payment that needed 3-D Secure: the customer must come back and pay.
AUTHENTICATION_REQUIRED: Final = "authentication_required"


class StripeProvider:
    """One Stripe merchant account. Build it with `from_config`; `await close()` when done."""

    name: ProviderName = ProviderName.STRIPE

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        card_page_base: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_network_retries: int = DEFAULT_MAX_NETWORK_RETRIES,
    ) -> None:
        """`api_base`: where the API is (the local fake; default Stripe). `card_page_base`:
        where the fake's demo card page is, for the browser (None: no such page)."""
        self._webhook_secret = webhook_secret
        # The fake's pages for the browser (paying, saving a method); None for real Stripe.
        self._card_page_base = card_page_base.rstrip("/") if card_page_base else None
        self._http = stripe.HTTPXClient(timeout=timeout_s)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            http_client=self._http,
            max_network_retries=max_network_retries,
        )

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, str],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_network_retries: int = DEFAULT_MAX_NETWORK_RETRIES,
    ) -> StripeProvider:
        """From an account's settings (`cpo.payments.accounts`): `secret_key`,
        `webhook_secret`, optional `api_base` and `demo_card_page` (see the module doc);
        `publishable_key` is the browser's business."""
        missing = [key for key in ("secret_key", "webhook_secret") if not config.get(key)]
        if missing:
            raise ValueError(f"a Stripe account needs {', '.join(missing)}")
        api_base = config.get("api_base") or None
        card_page = (config.get("demo_card_page") or "").strip()
        if card_page.lower() in _OFF:
            card_page_base = None
        elif card_page.startswith(("http://", "https://")):
            card_page_base = card_page
        else:  # unset (or "1"): the page exists wherever a non-Stripe API base points
            card_page_base = api_base
        return cls(
            secret_key=config["secret_key"],
            webhook_secret=config["webhook_secret"],
            api_base=api_base,
            card_page_base=card_page_base,
            timeout_s=timeout_s,
            max_network_retries=max_network_retries,
        )

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]  # untyped in the SDK

    # -- the hold ----------------------------------------------------------------------------

    async def create_hold(self, request: HoldRequest) -> HoldCreated:
        try:
            intent = await self._client.v1.payment_intents.create_async(
                {
                    "amount": request.amount_minor,
                    "currency": request.currency.lower(),
                    "capture_method": "manual",
                    "automatic_payment_methods": {"enabled": True},
                    "description": request.description,
                    "metadata": {
                        "reference": request.reference,
                        "return_url": request.return_url,
                    },
                },
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as error:
            raise provider_error(error, "create the hold") from error
        redirect_url = None
        if self._card_page_base is not None:
            redirect_url = f"{self._card_page_base}/pay/{intent.id}"
        return HoldCreated(
            provider_ref=intent.id,
            state=_hold_state(intent),
            client_secret=intent.client_secret,
            redirect_url=redirect_url,
        )

    async def hold_status(self, provider_ref: str) -> HoldStatus:
        return _hold_status(await self._retrieve(provider_ref))

    async def capture(
        self, provider_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> CaptureResult:
        """Take `amount_minor` and release the rest. Stripe captures in the intent's own
        currency; `currency` is only checked when a lost answer is recovered."""
        if amount_minor <= 0:
            raise ValueError("nothing to capture: release the hold with cancel() instead")
        try:
            intent = await self._client.v1.payment_intents.capture_async(
                provider_ref,
                {"amount_to_capture": amount_minor},
                {"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as error:
            if error.code != UNEXPECTED_STATE:
                raise provider_error(error, "capture the hold") from error
            # Captured already (a lost answer retried under another key)? Then it is done.
            intent = await self._retrieve(provider_ref)
            if not (
                intent.status == "succeeded"
                and intent.amount_received == amount_minor
                and intent.currency == currency.lower()
            ):
                raise provider_error(error, f"capture the hold ({intent.status})") from error
            log.info("hold %s was captured already (%s)", provider_ref, amount_minor)
        except stripe.StripeError as error:
            raise provider_error(error, "capture the hold") from error
        return CaptureResult(capture_ref=_charge_id(intent), amount_minor=intent.amount_received)

    async def cancel(self, provider_ref: str, idempotency_key: str) -> HoldStatus:
        """Release the hold; one released before (or expired) is simply reported."""
        try:
            intent = await self._client.v1.payment_intents.cancel_async(
                provider_ref,
                {"cancellation_reason": CANCELLATION_REASON, "expand": ["latest_charge"]},
                {"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as error:
            if error.code != UNEXPECTED_STATE:
                raise provider_error(error, "release the hold") from error
            intent = await self._retrieve(provider_ref)
            if intent.status != "canceled":  # succeeded: money was taken, refund instead
                raise provider_error(error, f"release the hold ({intent.status})") from error
        except stripe.StripeError as error:
            raise provider_error(error, "release the hold") from error
        return _hold_status(intent)

    async def refund(
        self, provider_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        """Give back `amount_minor` of what was captured (in the intent's currency)."""
        if amount_minor <= 0:
            raise ValueError("a refund needs a positive amount")
        try:
            refund = await self._client.v1.refunds.create_async(
                {"payment_intent": provider_ref, "amount": amount_minor},
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise provider_error(error, "refund") from error
        if refund.status in {"failed", "canceled"}:
            raise ProviderError(
                f"Stripe refund {refund.id} {refund.status}",
                code=_field(refund, "failure_reason") or "refund_failed",
                retryable=False,
            )
        return RefundResult(refund_ref=refund.id, amount_minor=refund.amount)

    async def _retrieve(self, provider_ref: str) -> stripe.PaymentIntent:
        try:
            return await self._client.v1.payment_intents.retrieve_async(
                provider_ref, {"expand": ["latest_charge"]}
            )
        except stripe.StripeError as error:
            raise provider_error(error, "read the hold") from error

    # -- methods on file (cpo.ports.SavedPaymentMethods) -------------------------------------

    async def ensure_customer(self, request: CustomerRequest) -> str:
        try:
            customer = await self._client.v1.customers.create_async(
                {
                    "name": request.name,
                    "metadata": {"reference": request.reference},
                    **({"email": request.email} if request.email else {}),
                },
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as error:
            raise provider_error(error, "create the customer") from error
        return customer.id

    async def start_setup(self, request: SetupRequest) -> SetupStarted:
        metadata: dict[str, str] = {
            "reference": request.reference,
            "return_url": request.return_url,
        }
        if request.mandate is not None:
            # The acceptance given in our app before the bank account was entered, kept
            # beside the one Stripe records on the mandate itself.
            metadata["mandate_accepted_at"] = request.mandate.accepted_at.isoformat()
            metadata["mandate_accepted_ip"] = request.mandate.ip_address[:100]
            metadata["mandate_accepted_user_agent"] = request.mandate.user_agent[:500]
        try:
            setup = await self._client.v1.setup_intents.create_async(
                {
                    "customer": request.customer_ref,
                    "allowed_payment_method_types": [request.kind.value],
                    "usage": "off_session",
                    "metadata": metadata,
                },
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as error:
            raise provider_error(error, "start saving the payment method") from error
        redirect_url = None
        if self._card_page_base is not None:
            redirect_url = f"{self._card_page_base}/setup/{setup.id}"
        return SetupStarted(
            setup_ref=setup.id, client_secret=setup.client_secret, redirect_url=redirect_url
        )

    async def setup_status(self, setup_ref: str) -> SetupStatus:
        try:
            setup = await self._client.v1.setup_intents.retrieve_async(
                setup_ref, {"expand": ["payment_method", "mandate"]}
            )
        except stripe.StripeError as error:
            raise provider_error(error, "read the setup") from error
        status = setup.status
        if status == "succeeded":
            method = _saved_method(_field(setup, "payment_method"), _field(setup, "mandate"))
            if method is None:  # not expanded: cannot happen with the expand above
                raise ProviderError(
                    f"SetupIntent {setup.id} succeeded without a payment method",
                    code="setup_without_method",
                    retryable=True,
                )
            return SetupStatus(setup_ref=setup.id, state=SetupState.SUCCEEDED, method=method)
        if status == "canceled":
            return SetupStatus(setup_ref=setup.id, state=SetupState.CANCELLED)
        last_error = _field(setup, "last_setup_error")
        if status == "requires_payment_method" and last_error is not None:
            code = _field(last_error, "decline_code") or _field(last_error, "code")
            return SetupStatus(
                setup_ref=setup.id,
                state=SetupState.FAILED,
                failure_code=str(code or "setup_failed"),
                failure_message=str(_field(last_error, "message") or ""),
            )
        return SetupStatus(setup_ref=setup.id, state=SetupState.PENDING)

    async def charge_off_session(self, request: OffSessionCharge) -> ChargeResult:
        if request.amount_minor <= 0:
            raise ValueError("an off-session charge needs a positive amount")
        try:
            intent = await self._client.v1.payment_intents.create_async(
                {
                    "amount": request.amount_minor,
                    "currency": request.currency.lower(),
                    "customer": request.customer_ref,
                    "payment_method": request.method_ref,
                    "allowed_payment_method_types": [request.kind.value],
                    "off_session": True,
                    "confirm": True,
                    "description": request.description,
                    "metadata": {"reference": request.reference},
                },
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.CardError as error:
            # Declined, or 3-D Secure wanted: Stripe answers 402 with the intent inside.
            return _refused_charge(error, request)
        except stripe.StripeError as error:
            raise provider_error(error, "charge the saved payment method") from error
        return _charge_result(intent)

    async def charge_status(self, charge_ref: str) -> ChargeResult:
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(charge_ref)
        except stripe.StripeError as error:
            raise provider_error(error, "read the charge") from error
        return _charge_result(intent)

    async def detach(self, method_ref: str, idempotency_key: str) -> None:
        try:
            await self._client.v1.payment_methods.detach_async(
                method_ref, options={"idempotency_key": idempotency_key}
            )
        except stripe.InvalidRequestError as error:
            if error.code == "resource_missing":
                return  # gone at Stripe: nothing left to charge
            try:
                method = await self._client.v1.payment_methods.retrieve_async(method_ref)
            except stripe.StripeError as reading:
                raise provider_error(reading, "read the payment method") from reading
            if _field(method, "customer") is not None:
                raise provider_error(error, "detach the payment method") from error
        except stripe.StripeError as error:
            raise provider_error(error, "detach the payment method") from error

    # -- webhooks ----------------------------------------------------------------------------

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        signature = next(
            (value for name, value in headers.items() if name.lower() == "stripe-signature"),
            None,
        )
        if not signature:
            raise InvalidWebhook("no Stripe-Signature header")
        try:
            verified = self._client.construct_event(body, signature, self._webhook_secret)
            # Read through our own types: the SDK's objects raise for absent fields.
            event = msgspec.convert(verified.to_dict(), type=_Event)
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(f"the Stripe signature does not verify: {error}") from error
        except (ValueError, TypeError, AttributeError, msgspec.ValidationError) as error:
            # Signed, but not UTF-8 JSON, or JSON that is no event.
            raise InvalidWebhook(f"not a Stripe event: {error}") from error
        obj = event.data.object
        metadata = obj.get("metadata")
        reference = metadata.get("reference") if isinstance(metadata, dict) else None
        own_id = obj.get("object") in {"payment_intent", "setup_intent"}
        provider_ref = obj.get("id" if own_id else "payment_intent")
        amount = obj.get(_EVENT_AMOUNTS.get(event.type, ""))
        kind = _EVENT_KINDS.get(event.type, EventKind.IGNORED)
        if obj.get("object") == "payment_intent" and obj.get("capture_method") != "manual":
            kind = _CHARGE_EVENT_KINDS.get(event.type, kind)
        return ProviderEvent(
            event_id=event.id,
            kind=kind,
            provider_ref=provider_ref if isinstance(provider_ref, str) else None,
            reference=reference if isinstance(reference, str) and reference else None,
            amount_minor=amount if isinstance(amount, int) and amount >= 0 else None,
            occurred_at=datetime.fromtimestamp(event.created, UTC),
        )


class _EventData(msgspec.Struct):
    object: dict[str, Any]


class _Event(msgspec.Struct):
    """The part of a Stripe event (webhook body) we read."""

    id: str
    type: str
    created: int
    data: _EventData


# -- translation --------------------------------------------------------------------------


def provider_error(error: stripe.StripeError, doing: str) -> ProviderError:
    """The core's error for an SDK exception: `retryable` when the same call with the same
    idempotency key may succeed later."""
    message = f"Stripe: could not {doing}: {error}"
    if isinstance(error, stripe.CardError):
        decline = error.error.decline_code if error.error is not None else None
        return PaymentDeclined(message, code=decline or error.code or "card_declined")
    if isinstance(error, stripe.RateLimitError):
        return ProviderError(message, code=error.code or "rate_limited", retryable=True)
    if isinstance(error, stripe.APIConnectionError):  # no answer: refused, reset, timed out
        return ProviderError(message, code="provider_unreachable", retryable=True)
    if isinstance(error, stripe.APIError):
        status = error.http_status
        # 409: the same key is still in flight, or a lock timed out; no status: unreadable.
        retryable = status is None or status >= 500 or status == 409
        code = error.code or (f"http_{status}" if status else "provider_error")
        return ProviderError(message, code=code, retryable=retryable)
    if isinstance(error, stripe.IdempotencyError):
        return ProviderError(message, code=error.code or "idempotency_error", retryable=False)
    if isinstance(error, stripe.InvalidRequestError):
        return ProviderError(message, code=error.code or "invalid_request", retryable=False)
    if isinstance(error, stripe.AuthenticationError):
        return ProviderError(message, code=error.code or "authentication_failed", retryable=False)
    if isinstance(error, stripe.PermissionError):
        return ProviderError(message, code=error.code or "permission_denied", retryable=False)
    return ProviderError(message, code=error.code or "stripe_error", retryable=False)


def _hold_state(intent: stripe.PaymentIntent) -> HoldState:
    status = intent.status
    if status == "requires_capture":
        return HoldState.AUTHORIZED
    if status == "succeeded":
        return HoldState.CAPTURED
    if status == "canceled":
        if _field(intent, "cancellation_reason") == "automatic":  # the authorisation ran out
            return HoldState.EXPIRED
        return HoldState.CANCELLED
    if status == "requires_payment_method" and _field(intent, "last_payment_error"):
        return HoldState.FAILED  # declined, or 3-D Secure failed
    if status not in _WAITING_FOR_DRIVER:
        log.warning("PaymentIntent %s has an unknown status %r", intent.id, status)
    return HoldState.REQUIRES_ACTION


def _hold_status(intent: stripe.PaymentIntent) -> HoldStatus:
    state = _hold_state(intent)
    authorized = 0
    if state is HoldState.AUTHORIZED:
        authorized = intent.amount_capturable
    elif state is HoldState.CAPTURED:
        authorized = intent.amount
    failure_code = failure_message = ""
    if state is HoldState.FAILED:
        error = _field(intent, "last_payment_error")
        failure_code = _field(error, "decline_code") or _field(error, "code") or "payment_failed"
        failure_message = _field(error, "message") or ""
    return HoldStatus(
        provider_ref=intent.id,
        state=state,
        amount_authorized_minor=authorized,
        amount_captured_minor=intent.amount_received if state is HoldState.CAPTURED else 0,
        method=_payment_method(intent),
        failure_code=str(failure_code),
        failure_message=str(failure_message),
    )


def _payment_method(intent: stripe.PaymentIntent) -> PaymentMethod | None:
    """Brand and last four digits (or the wallet) of the charge, when it was expanded."""
    charge = _field(intent, "latest_charge")
    details = (
        _field(charge, "payment_method_details") if isinstance(charge, stripe.Charge) else None
    )
    kind = _field(details, "type")
    if not kind:
        return None
    card = _field(details, "card")
    if kind != "card" or card is None:
        return PaymentMethod(kind=str(kind))
    wallet = _field(_field(card, "wallet"), "type")
    return PaymentMethod(
        kind=wallet if wallet in _WALLETS else "card",
        brand=str(_field(card, "brand") or ""),
        last4=str(_field(card, "last4") or ""),
    )


def _saved_method(method: object, mandate: object) -> SavedMethod | None:
    """What may be shown of a saved PaymentMethod (expanded), with its SEPA mandate."""
    if not isinstance(method, stripe.PaymentMethod):
        return None
    if method.type == "sepa_debit":
        details = _field(method, "sepa_debit")
        mandate_details = _field(_field(mandate, "payment_method_details"), "sepa_debit")
        return SavedMethod(
            method_ref=method.id,
            kind=MethodKind.SEPA_DEBIT,
            last4=str(_field(details, "last4") or ""),
            bank_code=str(_field(details, "bank_code") or ""),
            country=str(_field(details, "country") or ""),
            mandate_ref=str(_field(mandate, "id") or ""),
            mandate_reference=str(_field(mandate_details, "reference") or ""),
        )
    card = _field(method, "card")
    return SavedMethod(
        method_ref=method.id,
        kind=MethodKind.CARD,
        brand=str(_field(card, "brand") or ""),
        last4=str(_field(card, "last4") or ""),
        exp_month=_field(card, "exp_month"),
        exp_year=_field(card, "exp_year"),
    )


def _charge_result(intent: stripe.PaymentIntent) -> ChargeResult:
    status = intent.status
    code = message = ""
    error = _field(intent, "last_payment_error")
    if status == "succeeded":
        state = ChargeState.SUCCEEDED
    elif status == "processing":
        state = ChargeState.PROCESSING
    elif status == "requires_action":
        state = ChargeState.REQUIRES_ACTION
        code = AUTHENTICATION_REQUIRED
    elif status == "canceled":
        state, code = ChargeState.FAILED, "canceled"
    elif error is not None:
        code = str(_field(error, "decline_code") or _field(error, "code") or "payment_failed")
        message = str(_field(error, "message") or "")
        authentication = code == AUTHENTICATION_REQUIRED
        state = ChargeState.REQUIRES_ACTION if authentication else ChargeState.FAILED
    else:
        log.warning("charge %s has the unexpected status %r", intent.id, status)
        state = ChargeState.FAILED
        code = f"unexpected_{status}"
    return ChargeResult(
        charge_ref=intent.id,
        state=state,
        amount_minor=intent.amount,
        currency=intent.currency.upper(),
        failure_code=code,
        failure_message=message,
    )


def _refused_charge(error: stripe.CardError, request: OffSessionCharge) -> ChargeResult:
    """A 402 for an off-session charge: the intent it carries says what became of it."""
    intent = _field(error.error, "payment_intent")
    if isinstance(intent, stripe.PaymentIntent):
        return _charge_result(intent)
    code = str(_field(error.error, "decline_code") or error.code or "card_declined")
    authentication = code == AUTHENTICATION_REQUIRED
    return ChargeResult(
        charge_ref="",
        state=ChargeState.REQUIRES_ACTION if authentication else ChargeState.FAILED,
        amount_minor=request.amount_minor,
        currency=request.currency.upper(),
        failure_code=code,
        failure_message=str(error.user_message or error),
    )


def _charge_id(intent: stripe.PaymentIntent) -> str:
    charge = _field(intent, "latest_charge")
    if isinstance(charge, stripe.Charge):
        return charge.id
    return charge if isinstance(charge, str) else intent.id


def _field(obj: object, name: str) -> Any:
    """A field Stripe may leave out. The SDK's objects raise AttributeError for fields absent
    from the JSON (a decline without `decline_code`, a refund without `failure_reason`),
    although its types call them Optional; `None` stands for both."""
    return getattr(obj, name, None) if obj is not None else None

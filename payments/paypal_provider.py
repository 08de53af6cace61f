"""PayPal as a `PaymentProvider`: Orders v2 (intent AUTHORIZE) and Payments v2 through PayPal's
official server SDK (`paypal-server-sdk`), one SDK client per merchant account.

How a hold maps onto PayPal:

    create_hold    POST /v2/checkout/orders (AUTHORIZE); the driver approves on PayPal's page
    hold_status    GET the order; once APPROVED, authorize it (PayPal-Request-Id
                   `authorize:<order id>`, so a retry or a second node never authorizes twice)
    capture        capture the order's authorization, final_capture=true (the rest is released)
    cancel         void the authorization (before approval nothing is reserved: nothing to do)
    refund         refund the order's capture
    parse_webhook  PayPal's verification API, then the event in the core's words

The adapter keeps nothing in memory: the core keeps the ORDER id, and the authorization and
capture are found through the order every time, so a restart or another node loses nothing.

The SDK is synchronous (`requests`): every call runs in a worker thread (`asyncio.to_thread`).
Its answers are read from their JSON text into the small Structs below, so the untyped SDK
stays at the edge of this module. The SDK has no controller for webhook verification:
`parse_webhook` takes the SDK's OAuth token and posts to `/v1/notifications/verify-webhook-
signature` itself (httpx), with the received body spliced in byte for byte — PayPal checks the
signature against the exact bytes it sent, and re-serialising the event can change them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

import httpx
import msgspec
import requests
from apimatic_core.exceptions.auth_validation_exception import (  # type: ignore[import-untyped]
    AuthValidationException,
)
from paypalserversdk.configuration import (  # type: ignore[import-untyped]
    Configuration,
    Environment,
    Server,
)
from paypalserversdk.exceptions.api_exception import ApiException  # type: ignore[import-untyped]
from paypalserversdk.http.auth.o_auth_2 import (  # type: ignore[import-untyped]
    ClientCredentialsAuthCredentials,
)
from paypalserversdk.models.amount_with_breakdown import (  # type: ignore[import-untyped]
    AmountWithBreakdown,
)
from paypalserversdk.models.capture_request import CaptureRequest  # type: ignore[import-untyped]
from paypalserversdk.models.checkout_payment_intent import (  # type: ignore[import-untyped]
    CheckoutPaymentIntent,
)
from paypalserversdk.models.money import Money  # type: ignore[import-untyped]
from paypalserversdk.models.order_request import OrderRequest  # type: ignore[import-untyped]
from paypalserversdk.models.payment_source import PaymentSource  # type: ignore[import-untyped]
from paypalserversdk.models.paypal_experience_user_action import (  # type: ignore[import-untyped]
    PaypalExperienceUserAction,
)
from paypalserversdk.models.paypal_wallet import PaypalWallet  # type: ignore[import-untyped]
from paypalserversdk.models.paypal_wallet_context_shipping_preference import (  # type: ignore[import-untyped]
    PaypalWalletContextShippingPreference,
)
from paypalserversdk.models.paypal_wallet_experience_context import (  # type: ignore[import-untyped]
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.purchase_unit_request import (  # type: ignore[import-untyped]
    PurchaseUnitRequest,
)
from paypalserversdk.models.refund_request import RefundRequest  # type: ignore[import-untyped]
from paypalserversdk.paypal_serversdk_client import (  # type: ignore[import-untyped]
    PaypalServersdkClient,
)

from cpo.money import UnknownCurrency, minor_digits
from cpo.payments.schemas import (
    CaptureResult,
    EventKind,
    HoldCreated,
    HoldRequest,
    HoldState,
    HoldStatus,
    InvalidWebhook,
    PaymentDeclined,
    PaymentMethod,
    ProviderError,
    ProviderEvent,
    ProviderName,
    RefundResult,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT_S: Final = 15.0
VERIFY_PATH: Final = "/v1/notifications/verify-webhook-signature"
TEXT_LIMIT: Final = 127  # description, custom_id, invoice_id
INVOICE_PREFIX: Final = "hold-"
REPRESENTATION: Final = "return=representation"

# PayPal accepts no decimals for these, whatever ISO 4217 says (HUF has two minor digits
# there, and in `cpo.money`). Amounts in them must be whole units.
PAYPAL_WHOLE_UNIT_CURRENCIES: Final = frozenset({"HUF", "JPY", "TWD"})

# Issues that mean "the payer's money is not available", not "our request is wrong".
DECLINE_ISSUES: Final = frozenset(
    {
        "INSTRUMENT_DECLINED",
        "CARD_EXPIRED",
        "TRANSACTION_REFUSED",
        "PAYER_CANNOT_PAY",
        "PAYER_ACCOUNT_RESTRICTED",
        "PAYER_ACCOUNT_LOCKED_OR_CLOSED",
        "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING",
        "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED",
        "COMPLIANCE_VIOLATION",
        "DECLINED_DUE_TO_RELATED_TXN",
        "TRANSACTION_BLOCKED_BY_PAYEE",
    }
)
RETRYABLE_STATUSES: Final = frozenset({408, 425, 429})

# Order statuses before an authorization exists: the payer has not (fully) approved yet.
AWAITING_PAYER: Final = frozenset({"CREATED", "SAVED", "PAYER_ACTION_REQUIRED", "APPROVED"})
AUTHORIZATION_STATES: Final = {
    "CREATED": HoldState.AUTHORIZED,
    # Held for review at PayPal; capturable once cleared. Reported as authorised, as agreed
    # with the core (it has no "pending" hold state).
    "PENDING": HoldState.AUTHORIZED,
    "PARTIALLY_CAPTURED": HoldState.CAPTURED,
    "CAPTURED": HoldState.CAPTURED,
    "VOIDED": HoldState.CANCELLED,
    "EXPIRED": HoldState.EXPIRED,
    "DENIED": HoldState.FAILED,
}
# Capture statuses in which the money was taken (refunds do not undo "captured").
TAKEN_CAPTURES: Final = frozenset({"COMPLETED", "PENDING", "PARTIALLY_REFUNDED", "REFUNDED"})
REFUNDABLE_CAPTURES: Final = frozenset({"COMPLETED", "PARTIALLY_REFUNDED"})

EVENT_KINDS: Final = {
    "CHECKOUT.ORDER.APPROVED": EventKind.HOLD_AUTHORIZED,  # the core asks: hold_status authorizes
    "PAYMENT.AUTHORIZATION.CREATED": EventKind.HOLD_AUTHORIZED,
    # PayPal also sends this when an authorization lapses after its validity period.
    "PAYMENT.AUTHORIZATION.VOIDED": EventKind.HOLD_CANCELLED,
    "PAYMENT.CAPTURE.COMPLETED": EventKind.CAPTURED,
    # The capture failed: no money is taken (the capture call itself says so, too).
    "PAYMENT.CAPTURE.DENIED": EventKind.HOLD_FAILED,
    "PAYMENT.CAPTURE.DECLINED": EventKind.HOLD_FAILED,
    "CHECKOUT.PAYMENT-APPROVAL.REVERSED": EventKind.HOLD_FAILED,
    "PAYMENT.CAPTURE.REFUNDED": EventKind.REFUNDED,
}
TRANSMISSION_HEADERS: Final = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}


# -- what PayPal answers (only the fields we read; everything else is ignored) ----------------


class _Money(msgspec.Struct, frozen=True):
    currency_code: str
    value: str


class _Link(msgspec.Struct, frozen=True):
    href: str
    rel: str


class _RelatedIds(msgspec.Struct, frozen=True):
    order_id: str | None = None


class _SupplementaryData(msgspec.Struct, frozen=True):
    related_ids: _RelatedIds | None = None


class _StatusDetails(msgspec.Struct, frozen=True):
    reason: str | None = None


class _Authorization(msgspec.Struct, frozen=True):
    id: str
    status: str
    amount: _Money | None = None
    status_details: _StatusDetails | None = None


class _Capture(msgspec.Struct, frozen=True):
    id: str
    status: str
    amount: _Money | None = None
    status_details: _StatusDetails | None = None


class _Refund(msgspec.Struct, frozen=True):
    id: str
    status: str
    amount: _Money | None = None


class _Payments(msgspec.Struct, frozen=True):
    authorizations: list[_Authorization] = msgspec.field(default_factory=list)
    captures: list[_Capture] = msgspec.field(default_factory=list)


class _PurchaseUnit(msgspec.Struct, frozen=True):
    amount: _Money | None = None
    custom_id: str | None = None
    invoice_id: str | None = None
    payments: _Payments | None = None


class _Payer(msgspec.Struct, frozen=True):
    email_address: str | None = None


class _PayPalWallet(msgspec.Struct, frozen=True):
    email_address: str | None = None


class _PaymentSource(msgspec.Struct, frozen=True):
    paypal: _PayPalWallet | None = None


class _Order(msgspec.Struct, frozen=True):
    id: str
    status: str
    purchase_units: list[_PurchaseUnit] = msgspec.field(default_factory=list)
    payer: _Payer | None = None
    payment_source: _PaymentSource | None = None
    links: list[_Link] = msgspec.field(default_factory=list)

    @property
    def unit(self) -> _PurchaseUnit:
        return self.purchase_units[0] if self.purchase_units else _PurchaseUnit()

    @property
    def payments(self) -> _Payments:
        return self.unit.payments or _Payments()

    @property
    def authorization(self) -> _Authorization | None:
        authorizations = self.payments.authorizations
        return authorizations[0] if authorizations else None

    def link(self, *rels: str) -> str | None:
        for rel in rels:
            for link in self.links:
                if link.rel == rel:
                    return link.href
        return None

    @property
    def payer_email(self) -> str:
        wallet = self.payment_source.paypal if self.payment_source else None
        if wallet is not None and wallet.email_address:
            return wallet.email_address
        return (self.payer.email_address or "") if self.payer else ""


class _ErrorDetail(msgspec.Struct, frozen=True):
    issue: str | None = None
    description: str | None = None


class _ErrorBody(msgspec.Struct, frozen=True):
    name: str | None = None
    message: str | None = None
    details: list[_ErrorDetail] = msgspec.field(default_factory=list)
    error: str | None = None  # the OAuth endpoint's shape
    error_description: str | None = None


class _Verification(msgspec.Struct, frozen=True):
    verification_status: str


class _Envelope(msgspec.Struct, frozen=True):
    id: str
    event_type: str
    create_time: str | None = None


class _Resource(msgspec.Struct, frozen=True):
    id: str | None = None
    order_id: str | None = None  # CHECKOUT.PAYMENT-APPROVAL.REVERSED
    custom_id: str | None = None
    invoice_id: str | None = None
    amount: _Money | None = None
    supplementary_data: _SupplementaryData | None = None
    purchase_units: list[_PurchaseUnit] = msgspec.field(default_factory=list)


class _Event(msgspec.Struct, frozen=True):
    resource: _Resource = msgspec.field(default_factory=_Resource)


@dataclass(frozen=True, slots=True)
class _Reply:
    """What the adapter keeps of an SDK response (its models carry no types)."""

    status_code: int
    text: str


# -- the SDK's configuration ------------------------------------------------------------------


class _Configuration(Configuration):  # type: ignore[misc]
    """The SDK has no base-URL setting; every request (OAuth included) asks `get_base_uri`.
    `api_base` points it at the local fake or the sandbox; without it, PayPal live."""

    def __init__(self, api_base: str | None, **kwargs: Any) -> None:
        self._api_base = api_base.rstrip("/") if api_base else None
        super().__init__(**kwargs)

    def get_base_uri(self, server: Any = Server.DEFAULT) -> str:
        if self._api_base is not None:
            return self._api_base
        base: str = super().get_base_uri(server)
        return base


def _invoke(method: Callable[[dict[str, Any]], Any], options: dict[str, Any]) -> _Reply:
    """Runs in a worker thread: one SDK call, reduced to status and body text."""
    response = method(options)
    return _Reply(int(response.status_code), str(response.text or ""))


class PayPalProvider:
    """One PayPal REST app (one operator's merchant account): its own SDK client, its own
    OAuth token, its own webhook id."""

    name: ProviderName = ProviderName.PAYPAL

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        webhook_id: str,
        api_base: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._webhook_id = webhook_id
        self._timeout_s = timeout_s
        self._access_token: str | None = None
        # Our own session, so that `close` can release its connections.
        self._session = requests.Session()
        self._config = _Configuration(
            api_base,
            http_client_instance=self._session,
            timeout=timeout_s,
            max_retries=0,  # the core retries, with the same idempotency keys
            environment=Environment.PRODUCTION,
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=client_id,
                o_auth_client_secret=client_secret,
                o_auth_token_provider=self._fetch_token,
            ),
        )
        self._client = PaypalServersdkClient(config=self._config)
        self._http: httpx.AsyncClient | None = None

    @classmethod
    def from_config(
        cls, config: Mapping[str, str], *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> PayPalProvider:
        """From an account's settings: `client_id`, `client_secret`, `webhook_id`, and
        `api_base` for the local fake (or `https://api-m.sandbox.paypal.com`)."""
        missing = [
            key for key in ("client_id", "client_secret", "webhook_id") if not config.get(key)
        ]
        if missing:
            raise ValueError(f"a PayPal account needs {', '.join(missing)}")
        return cls(
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            webhook_id=config["webhook_id"],
            api_base=config.get("api_base") or None,
            timeout_s=timeout_s,
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        self._session.close()

    # -- the hold -----------------------------------------------------------------------------

    async def create_hold(self, request: HoldRequest) -> HoldCreated:
        currency = request.currency.upper()
        order_request = OrderRequest(
            intent=CheckoutPaymentIntent.AUTHORIZE,
            purchase_units=[
                PurchaseUnitRequest(
                    amount=AmountWithBreakdown(
                        currency_code=currency,
                        value=_paypal_value(request.amount_minor, currency),
                    ),
                    custom_id=request.reference[:TEXT_LIMIT],
                    invoice_id=f"{INVOICE_PREFIX}{request.reference}"[:TEXT_LIMIT],
                    description=request.description[:TEXT_LIMIT],
                )
            ],
            payment_source=PaymentSource(
                paypal=PaypalWallet(
                    experience_context=PaypalWalletExperienceContext(
                        return_url=request.return_url,
                        cancel_url=request.cancel_url,
                        user_action=PaypalExperienceUserAction.PAY_NOW,
                        shipping_preference=PaypalWalletContextShippingPreference.NO_SHIPPING,
                    )
                )
            ),
        )
        reply = await self._call(
            "create the order",
            self._client.orders.create_order,
            body=order_request,
            paypal_request_id=request.idempotency_key,
        )
        order = _decode(reply, _Order, "create the order")
        # A replayed request id answers with the order as it is now; it may be further along.
        state = HoldState.REQUIRES_ACTION
        if order.status not in AWAITING_PAYER:
            state = _hold_status(order, order.authorization).state
        return HoldCreated(
            provider_ref=order.id,
            state=state,
            redirect_url=order.link("payer-action", "approve"),
        )

    async def hold_status(self, provider_ref: str) -> HoldStatus:
        order = await self._order(provider_ref)
        if order.status == "APPROVED":
            order = await self._authorize(provider_ref)
        return _hold_status(order, order.authorization)

    async def capture(
        self, provider_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> CaptureResult:
        currency = currency.upper()
        value = _paypal_value(amount_minor, currency)
        order = await self._order(provider_ref)
        if order.status == "APPROVED":
            order = await self._authorize(provider_ref)
        authorization = _authorization_of(order)
        # A retry after a lost answer (even after PayPal forgot the request id): the
        # capture is there already.
        for existing in order.payments.captures:
            if existing.status in TAKEN_CAPTURES and _minor_of(existing.amount) == amount_minor:
                return CaptureResult(capture_ref=existing.id, amount_minor=amount_minor)
        reply = await self._call(
            "capture the authorization",
            self._client.payments.capture_authorized_payment,
            authorization_id=authorization.id,
            body=CaptureRequest(
                amount=Money(currency_code=currency, value=value), final_capture=True
            ),
            paypal_request_id=idempotency_key,
            prefer=REPRESENTATION,
        )
        capture = _decode(reply, _Capture, "capture the authorization")
        if capture.status not in TAKEN_CAPTURES:
            reason = capture.status_details.reason if capture.status_details else None
            raise PaymentDeclined(
                f"PayPal declined the capture {capture.id} ({capture.status}"
                f"{', ' + reason if reason else ''})",
                code=f"CAPTURE_{capture.status}",
            )
        return CaptureResult(
            capture_ref=capture.id, amount_minor=_minor_of(capture.amount) or amount_minor
        )

    async def cancel(self, provider_ref: str, idempotency_key: str) -> HoldStatus:
        order = await self._order(provider_ref)
        authorization = order.authorization
        if order.status in AWAITING_PAYER or order.status == "VOIDED" or authorization is None:
            # Nothing is reserved before the authorization: nothing to release. (An approved
            # order is deliberately not authorized just to void it.)
            return HoldStatus(
                provider_ref=order.id,
                state=HoldState.CANCELLED,
                method=_payment_method(order),
            )
        if authorization.status in ("CAPTURED", "PARTIALLY_CAPTURED"):
            raise ProviderError(
                f"PayPal authorization {authorization.id} was captured; it cannot be released",
                code="PREVIOUSLY_CAPTURED",
                retryable=False,
            )
        if authorization.status in ("CREATED", "PENDING"):
            try:
                reply = await self._call(
                    "void the authorization",
                    self._client.payments.void_payment,
                    authorization_id=authorization.id,
                    paypal_request_id=idempotency_key,
                    prefer=REPRESENTATION,
                )
            except ProviderError as error:
                if error.code != "PREVIOUSLY_VOIDED":
                    raise
                authorization = msgspec.structs.replace(authorization, status="VOIDED")
            else:
                if reply.text.strip():
                    authorization = _decode(reply, _Authorization, "void the authorization")
                else:
                    authorization = msgspec.structs.replace(authorization, status="VOIDED")
        # VOIDED, EXPIRED, DENIED: released already.
        return _hold_status(order, authorization)

    async def refund(
        self, provider_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        currency = currency.upper()
        value = _paypal_value(amount_minor, currency)
        order = await self._order(provider_ref)
        captures = [c for c in order.payments.captures if c.status in TAKEN_CAPTURES]
        refundable = [c for c in captures if c.status in REFUNDABLE_CAPTURES]
        # A fully refunded capture is still asked: a retried refund gets its saved answer.
        candidates = refundable or captures
        if not candidates:
            raise ProviderError(
                f"PayPal order {order.id} has no capture to refund",
                code="NOT_CAPTURED",
                retryable=False,
            )
        options: dict[str, Any] = {"amount": Money(currency_code=currency, value=value)}
        if order.unit.custom_id:
            options["custom_id"] = order.unit.custom_id
        reply = await self._call(
            "refund the capture",
            self._client.payments.refund_captured_payment,
            capture_id=candidates[-1].id,
            body=RefundRequest(**options),
            paypal_request_id=idempotency_key,
            prefer=REPRESENTATION,
        )
        refund = _decode(reply, _Refund, "refund the capture")
        if refund.status not in ("COMPLETED", "PENDING"):
            raise ProviderError(
                f"PayPal refund {refund.id} ended {refund.status}",
                code=f"REFUND_{refund.status}",
                retryable=False,
            )
        return RefundResult(
            refund_ref=refund.id, amount_minor=_minor_of(refund.amount) or amount_minor
        )

    # -- webhooks -----------------------------------------------------------------------------

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        lowered = {name.lower(): value for name, value in headers.items()}
        transmission = {
            field: lowered.get(header, "") for field, header in TRANSMISSION_HEADERS.items()
        }
        missing = [
            TRANSMISSION_HEADERS[field] for field, value in transmission.items() if not value
        ]
        if missing:
            raise InvalidWebhook(f"not a PayPal webhook: no {', '.join(missing)}")
        try:
            envelope = msgspec.json.decode(body, type=_Envelope)
        except msgspec.DecodeError as error:  # ValidationError included
            raise InvalidWebhook(f"not a PayPal event: {error}") from error
        await self._verify(transmission, body)
        kind = EVENT_KINDS.get(envelope.event_type, EventKind.IGNORED)
        occurred_at = _timestamp(envelope.create_time)
        if kind is EventKind.IGNORED:
            return ProviderEvent(event_id=envelope.id, kind=kind, occurred_at=occurred_at)
        try:
            resource = msgspec.json.decode(body, type=_Event).resource
        except msgspec.DecodeError as error:
            raise InvalidWebhook(
                f"PayPal event {envelope.id} ({envelope.event_type}) has an unexpected shape: "
                f"{error}"
            ) from error
        unit = resource.purchase_units[0] if resource.purchase_units else None
        related = resource.supplementary_data.related_ids if resource.supplementary_data else None
        reference = resource.custom_id or (unit.custom_id if unit else None)
        invoice_id = resource.invoice_id or (unit.invoice_id if unit else None) or ""
        if not reference and invoice_id.startswith(INVOICE_PREFIX):
            # Refunds carry no custom_id of their own at every PayPal version: the invoice
            # id of the hold names our payment too.
            reference = invoice_id.removeprefix(INVOICE_PREFIX)
        amount = resource.amount or (unit.amount if unit else None)
        return ProviderEvent(
            event_id=envelope.id,
            kind=kind,
            provider_ref=(related.order_id if related else None)
            or resource.order_id
            or resource.id,
            reference=reference or None,
            amount_minor=_minor_or_none(amount),
            occurred_at=occurred_at,
        )

    async def _verify(self, transmission: dict[str, str], body: bytes) -> None:
        """PayPal's verification API: SUCCESS or the webhook is refused."""
        token = await self._token()
        fields = msgspec.json.encode({**transmission, "webhook_id": self._webhook_id})
        # {"auth_algo": …, "webhook_id": …, "webhook_event": <the body, byte for byte>}
        payload = fields[:-1] + b',"webhook_event":' + body + b"}"
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False)
        try:
            response = await self._http.post(
                self._config.get_base_uri() + VERIFY_PATH,
                content=payload,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        except httpx.HTTPError as error:
            raise ProviderError(
                f"PayPal did not answer the webhook verification: {error!r}",
                code="unreachable",
                retryable=True,
            ) from error
        if response.status_code in (400, 404, 422):
            # The transmission cannot be checked (e.g. a field PayPal refuses): not genuine.
            problem = _api_error("verify the webhook", response.status_code, response.text)
            raise InvalidWebhook(str(problem))
        if not response.is_success:
            raise _api_error("verify the webhook", response.status_code, response.text)
        try:
            verification = msgspec.json.decode(response.content, type=_Verification)
        except msgspec.DecodeError as error:
            raise ProviderError(
                f"PayPal's webhook verification answer could not be read: {error}",
                code="invalid_response",
                retryable=True,
            ) from error
        if verification.verification_status != "SUCCESS":
            raise InvalidWebhook(
                f"PayPal did not verify the webhook ({verification.verification_status})"
            )

    # -- PayPal calls -------------------------------------------------------------------------

    async def _order(self, order_id: str) -> _Order:
        reply = await self._call("read the order", self._client.orders.get_order, id=order_id)
        return _decode(reply, _Order, "read the order")

    async def _authorize(self, order_id: str) -> _Order:
        """Authorize an approved order: the money is reserved from now on."""
        try:
            reply = await self._call(
                "authorize the order",
                self._client.orders.authorize_order,
                id=order_id,
                paypal_request_id=f"authorize:{order_id}",
                prefer=REPRESENTATION,
            )
        except ProviderError as error:
            if error.code != "ORDER_ALREADY_AUTHORIZED":
                raise
            return await self._order(order_id)  # someone else was first
        return _decode(reply, _Order, "authorize the order")

    async def _call(
        self, operation: str, method: Callable[[dict[str, Any]], Any], **options: Any
    ) -> _Reply:
        return await self._sdk(operation, lambda: _invoke(method, options))

    async def _sdk(self, operation: str, work: Callable[[], T]) -> T:
        """SDK work in a worker thread; whatever goes wrong comes out as ProviderError."""
        try:
            return await asyncio.to_thread(work)
        except ApiException as error:  # ErrorException and OAuthProviderException included
            raise _api_error(operation, int(error.response_code), _text_of(error)) from error
        except requests.RequestException as error:  # timeouts, refused connections, TLS
            raise ProviderError(
                f"PayPal did not answer ({operation}): {error!r}",
                code="unreachable",
                retryable=True,
            ) from error
        except AuthValidationException as error:
            raise ProviderError(
                f"no PayPal access token ({operation}): {error}",
                code="authentication_unavailable",
                retryable=True,
            ) from error
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            # The SDK could not read PayPal's answer (e.g. an HTML page from a proxy).
            log.exception("PayPal's answer could not be read (%s)", operation)
            raise ProviderError(
                f"PayPal's answer could not be read ({operation}): {error!r}",
                code="invalid_response",
                retryable=True,
            ) from error

    def _fetch_token(self, _last_token: Any, auth_manager: Any) -> Any:
        """The SDK's OAuth token provider (called when there is no valid token): fetch one and
        let its errors through, where the SDK's default would swallow them."""
        token = auth_manager.fetch_token()
        self._access_token = str(token.access_token)
        return token

    async def _token(self) -> str:
        """The SDK's current OAuth token (fetched by the SDK when missing or expired)."""
        valid = await self._sdk("authenticate", lambda: bool(self._client.oauth_2.is_valid()))
        token = self._access_token
        if not valid or token is None:
            raise ProviderError(
                "no PayPal access token", code="authentication_unavailable", retryable=True
            )
        return token


# -- reading PayPal's answers -------------------------------------------------------------------


def _decode(reply: _Reply, kind: type[T], operation: str) -> T:
    try:
        return msgspec.json.decode(reply.text, type=kind)
    except msgspec.DecodeError as error:
        raise ProviderError(
            f"PayPal's answer could not be read ({operation}): {error}",
            code="invalid_response",
            retryable=True,
        ) from error


def _text_of(error: Any) -> str:
    response = getattr(error, "response", None)
    text = getattr(response, "text", None)
    return text if isinstance(text, str) else ""


def _api_error(operation: str, status: int, text: str) -> ProviderError:
    """PayPal's error answer as a ProviderError: its issue code, retryable for 5xx."""
    body = _ErrorBody()
    if text.strip():
        try:
            body = msgspec.json.decode(text, type=_ErrorBody)
        except msgspec.DecodeError:
            body = _ErrorBody(message=text[:200])
    detail = body.details[0] if body.details else _ErrorDetail()
    code = detail.issue or body.name or body.error or f"http_{status}"
    description = detail.description or body.message or body.error_description or ""
    message = f"PayPal could not {operation} (HTTP {status} {code}): {description}".rstrip(": ")
    if status >= 500 or status in RETRYABLE_STATUSES:
        return ProviderError(message, code=code, retryable=True)
    if code in DECLINE_ISSUES:
        return PaymentDeclined(message, code=code)
    return ProviderError(message, code=code, retryable=False)


def _authorization_of(order: _Order) -> _Authorization:
    authorization = order.authorization
    if authorization is None:
        code = "ORDER_NOT_APPROVED" if order.status in AWAITING_PAYER else "NO_AUTHORIZATION"
        raise ProviderError(
            f"PayPal order {order.id} ({order.status}) has no authorization",
            code=code,
            retryable=False,
        )
    return authorization


def _payment_method(order: _Order) -> PaymentMethod | None:
    email = order.payer_email
    if not email and order.status in ("CREATED", "SAVED", "PAYER_ACTION_REQUIRED"):
        return None
    return PaymentMethod(kind="paypal", payer_email=email)


def _hold_status(order: _Order, authorization: _Authorization | None) -> HoldStatus:
    method = _payment_method(order)
    if order.status in AWAITING_PAYER:
        return HoldStatus(provider_ref=order.id, state=HoldState.REQUIRES_ACTION, method=method)
    if order.status == "VOIDED":
        return HoldStatus(provider_ref=order.id, state=HoldState.CANCELLED, method=method)
    if order.status != "COMPLETED" or authorization is None:
        raise ProviderError(
            f"PayPal order {order.id} is {order.status} without an authorization",
            code="unexpected_status",
            retryable=False,
        )
    state = AUTHORIZATION_STATES.get(authorization.status)
    if state is None:
        raise ProviderError(
            f"PayPal authorization {authorization.id} is {authorization.status}",
            code="unexpected_status",
            retryable=False,
        )
    failure_code = ""
    failure_message = ""
    if state in (HoldState.FAILED, HoldState.EXPIRED):
        reason = authorization.status_details.reason if authorization.status_details else None
        failure_code = reason or f"AUTHORIZATION_{authorization.status}"
        failure_message = f"PayPal authorization {authorization.status.lower()}"
    captured = sum(
        _minor_of(capture.amount)
        for capture in order.payments.captures
        if capture.status in TAKEN_CAPTURES
    )
    return HoldStatus(
        provider_ref=order.id,
        state=state,
        amount_authorized_minor=_minor_of(authorization.amount or order.unit.amount),
        amount_captured_minor=captured,
        method=method,
        failure_code=failure_code,
        failure_message=failure_message,
        authorization_ref=authorization.id,
    )


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- money --------------------------------------------------------------------------------------


def _digits(currency: str) -> int:
    try:
        return minor_digits(currency)
    except UnknownCurrency as error:
        raise ProviderError(str(error), code="unsupported_currency", retryable=False) from error


def _paypal_value(amount_minor: int, currency: str) -> str:
    """Minor units as PayPal's decimal string: 1234 EUR → "12.34"."""
    digits = _digits(currency)
    places = 0 if currency in PAYPAL_WHOLE_UNIT_CURRENCIES else digits
    major = Decimal(amount_minor).scaleb(-digits)
    if major != major.quantize(Decimal(1).scaleb(-places)):
        raise ProviderError(
            f"PayPal takes {currency} in whole units only, not {major}",
            code="amount_not_supported",
            retryable=False,
        )
    return f"{major:.{places}f}"


def _minor_of(money: _Money | None) -> int:
    """PayPal's decimal string in minor units (the core's digits): "12.34" EUR → 1234."""
    if money is None:
        return 0
    digits = _digits(money.currency_code.upper())
    try:
        amount = Decimal(money.value).scaleb(digits)
    except InvalidOperation as error:
        raise ProviderError(
            f"PayPal sent an amount that is not one: {money.value!r}",
            code="invalid_response",
            retryable=True,
        ) from error
    if amount != amount.to_integral_value() or amount < 0:
        raise ProviderError(
            f"PayPal sent an amount finer than {money.currency_code} allows: {money.value}",
            code="invalid_response",
            retryable=True,
        )
    return int(amount)


def _minor_or_none(money: _Money | None) -> int | None:
    if money is None:
        return None
    try:
        return _minor_of(money)
    except ProviderError:
        return None

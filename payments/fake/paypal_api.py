"""The PayPal subset: OAuth2 client credentials, Orders v2 (intent AUTHORIZE), Payments v2
(authorizations, captures, refunds), webhooks and the webhook verification API.

Plain state and rules, no HTTP: `payments.fake.app` decodes requests into calls here and
turns `PayPalError` into PayPal's error shape. Operations answer with a `Result` naming
the resource; the HTTP layer renders it as `Prefer` asks (minimal or representation),
and a replayed `PayPal-Request-Id` renders the *current* state of the same resource, as
PayPal documents ("returns the latest status of the previous request").
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from payments.fake.common import (
    JSON,
    decimal_to_minor,
    dump_json,
    iso,
    minor_to_decimal,
    now_iso,
    paypal_id,
    random_token,
)
from payments.fake.webhooks import OutgoingEvent

PAYPAL_EVENT_TYPES = (
    "CHECKOUT.ORDER.APPROVED",
    "PAYMENT.AUTHORIZATION.CREATED",
    "PAYMENT.AUTHORIZATION.VOIDED",
    "PAYMENT.CAPTURE.COMPLETED",
    "PAYMENT.CAPTURE.DENIED",
    "PAYMENT.CAPTURE.REFUNDED",
)
AUTH_ALGO = "SHA256withRSA"
AUTHORIZATION_VALID_DAYS = 29
TOKEN_LIFETIME_S = 32400
ERRORS_DOC = "https://developer.paypal.com/docs/api/orders/v2/#error-"
PAYMENTS_ERRORS_DOC = "https://developer.paypal.com/docs/api/payments/v2/#error-"


class PayPalError(Exception):
    def __init__(
        self,
        status: int,
        name: str,
        message: str,
        details: list[JSON] | None = None,
        links: list[JSON] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.message = message
        self.details = details
        self.links = links

    @property
    def body(self) -> JSON:
        body: JSON = {
            "name": self.name,
            "message": self.message,
            "debug_id": paypal_id(13).lower(),
        }
        if self.details is not None:
            body["details"] = self.details
        if self.links is not None:
            body["links"] = self.links
        return body


def unprocessable(
    issue: str, description: str, *, doc: str = ERRORS_DOC, links: list[JSON] | None = None
) -> PayPalError:
    return PayPalError(
        422,
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed "
        "business validation.",
        [{"issue": issue, "description": description}],
        [*(links or []), {"href": f"{doc}{issue}", "rel": "information_link", "method": "GET"}],
    )


def not_found() -> PayPalError:
    return PayPalError(
        404,
        "RESOURCE_NOT_FOUND",
        "The specified resource does not exist.",
        [
            {
                "issue": "INVALID_RESOURCE_ID",
                "description": "Specified resource ID does not exist. Please check the "
                "resource ID and try again.",
            }
        ],
        [
            {
                "href": f"{ERRORS_DOC}INVALID_RESOURCE_ID",
                "rel": "information_link",
                "method": "GET",
            }
        ],
    )


def invalid_request(
    field_path: str, issue: str, description: str, value: Any = None
) -> PayPalError:
    detail: JSON = {
        "field": field_path,
        "location": "body",
        "issue": issue,
        "description": description,
    }
    if value is not None:
        detail["value"] = str(value)
    return PayPalError(
        400,
        "INVALID_REQUEST",
        "Request is not well-formed, syntactically incorrect, or violates schema.",
        [detail],
        [{"href": f"{ERRORS_DOC}{issue}", "rel": "information_link", "method": "GET"}],
    )


def authentication_failure() -> PayPalError:
    return PayPalError(
        401,
        "AUTHENTICATION_FAILURE",
        "Authentication failed due to invalid authentication credentials or a missing "
        "Authorization header.",
        links=[
            {
                "href": "https://developer.paypal.com/docs/api/overview/#error",
                "rel": "information_link",
            }
        ],
    )


class PayerChoice(StrEnum):
    """What the test payer does on the fake approval page."""

    APPROVE = "approve"
    APPROVE_INSTRUMENT_DECLINED = "approve_instrument_declined"  # authorize fails
    APPROVE_CAPTURE_DENIED = "approve_capture_denied"  # captures come back DECLINED
    CANCEL = "cancel"


@dataclass
class PayPalAccount:
    client_id: str
    client_secret: str
    webhook_id: str
    merchant_id: str
    email: str
    display_name: str
    webhook_url: str | None = None


@dataclass
class Order:
    id: str
    account: PayPalAccount
    intent: str
    status: str
    purchase_unit: JSON
    amount_minor: int
    currency: str
    payment_source: JSON | None
    return_url: str | None
    cancel_url: str | None
    create_time: str
    update_time: str
    payer: JSON | None = None
    payer_choice: PayerChoice | None = None
    authorization_id: str | None = None


@dataclass
class Authorization:
    id: str
    order: Order
    amount_minor: int
    currency: str
    status: str
    create_time: str
    update_time: str
    expiration_time: str
    captured_minor: int = 0
    capture_ids: list[str] = field(default_factory=list)


@dataclass
class Capture:
    id: str
    authorization: Authorization
    amount_minor: int
    currency: str
    status: str
    final_capture: bool
    invoice_id: str | None
    create_time: str
    update_time: str
    refunded_minor: int = 0
    refund_ids: list[str] = field(default_factory=list)


@dataclass
class Refund:
    id: str
    capture: Capture
    amount_minor: int
    currency: str
    invoice_id: str | None
    note_to_payer: str | None
    create_time: str


@dataclass(frozen=True)
class Result:
    """What an operation did: `kind` and `resource_id` name what to render."""

    status: int
    kind: str  # "order", "authorized_order", "authorization", "capture", "refund", "void"
    resource_id: str


@dataclass(frozen=True)
class Transmission:
    transmission_id: str
    transmission_time: str
    webhook_id: str
    event_id: str


@dataclass
class PayPalState:
    public_url: Callable[[], str]
    publish: Callable[[OutgoingEvent], None]
    accounts: dict[str, PayPalAccount] = field(default_factory=dict)  # by client id
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> client, expiry
    orders: dict[str, Order] = field(default_factory=dict)
    authorizations: dict[str, Authorization] = field(default_factory=dict)
    captures: dict[str, Capture] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    events: dict[str, JSON] = field(default_factory=dict)
    transmissions: dict[str, Transmission] = field(default_factory=dict)
    replays: dict[tuple[str, str, str], Result] = field(default_factory=dict)
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    open_accounts: bool = False

    # -- accounts, tokens, webhooks -------------------------------------------------------

    def create_account(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        webhook_id: str | None = None,
        display_name: str = "Fake CPO",
    ) -> PayPalAccount:
        client_id = client_id or f"A{random_token(79)}"
        if client_id in self.accounts:
            return self.accounts[client_id]
        merchant_id = paypal_id(13)
        account = PayPalAccount(
            client_id=client_id,
            client_secret=client_secret or f"E{random_token(79)}",
            webhook_id=webhook_id or paypal_id(17),
            merchant_id=merchant_id,
            email=f"merchant-{merchant_id.lower()}@business.example.com",
            display_name=display_name,
        )
        self.accounts[client_id] = account
        return account

    def register_webhook(
        self, client_id: str, url: str, webhook_id: str | None = None
    ) -> PayPalAccount:
        account = self.accounts.get(client_id)
        if account is None:
            raise LookupError(f"no fake PayPal account with client id {client_id[:12]}…")
        account.webhook_url = url
        if webhook_id:
            account.webhook_id = webhook_id
        return account

    def issue_token(self, authorization: str | None, grant_type: str | None) -> JSON:
        """`POST /v1/oauth2/token` with Basic client credentials."""
        client_id, client_secret = _basic_credentials(authorization)
        account = self.accounts.get(client_id)
        if account is None and self.open_accounts and client_id and client_secret:
            account = self.create_account(client_id=client_id, client_secret=client_secret)
        if account is None or not hmac.compare_digest(account.client_secret, client_secret):
            raise OAuthError(401, "invalid_client", "Client Authentication failed")
        if grant_type != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Grant Type is NULL or unsupported")
        token = f"A21AA{random_token(90)}"
        self.tokens[token] = (client_id, time.time() + TOKEN_LIFETIME_S)
        return {
            "scope": "https://uri.paypal.com/services/payments/payment/authcapture "
            "https://uri.paypal.com/services/payments/refund "
            "https://uri.paypal.com/services/applications/webhooks",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": f"APP-{paypal_id(17)}",
            "expires_in": TOKEN_LIFETIME_S,
            "nonce": f"{iso(datetime.now(UTC))}{random_token(20)}",
        }

    def authenticate(self, authorization: str | None) -> PayPalAccount:
        scheme, _, token = (authorization or "").partition(" ")
        entry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if entry is None or entry[1] < time.time():
            raise authentication_failure()
        return self.accounts[entry[0]]

    # -- idempotency ----------------------------------------------------------------------

    def replayed(self, account: PayPalAccount, route: str, request_id: str | None) -> Result | None:
        if not request_id:
            return None
        return self.replays.get((account.client_id, route, request_id))

    def remember(
        self, account: PayPalAccount, route: str, request_id: str | None, result: Result
    ) -> None:
        if request_id:
            self.replays[(account.client_id, route, request_id)] = result

    # -- orders ---------------------------------------------------------------------------

    def create_order(self, account: PayPalAccount, body: Any) -> Result:
        if not isinstance(body, dict):
            raise invalid_request(
                "/", "INVALID_PARAMETER_SYNTAX", "The request body is not an object."
            )
        intent = body.get("intent")
        if intent is None:
            raise invalid_request(
                "/intent", "MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing."
            )
        if intent not in ("CAPTURE", "AUTHORIZE"):
            raise invalid_request(
                "/intent",
                "INVALID_PARAMETER_VALUE",
                "The value of a field is invalid.",
                intent,
            )
        units = body.get("purchase_units")
        if not isinstance(units, list) or not units:
            raise invalid_request(
                "/purchase_units",
                "MISSING_REQUIRED_PARAMETER",
                "A required field / parameter is missing.",
            )
        if len(units) > 1:
            raise invalid_request(
                "/purchase_units",
                "INVALID_ARRAY_MAX_ITEMS",
                "The fake PayPal supports one purchase unit per order.",
            )
        unit = units[0]
        if not isinstance(unit, dict):
            raise invalid_request(
                "/purchase_units/0", "INVALID_PARAMETER_SYNTAX", "A purchase unit is an object."
            )
        currency, amount_minor = _amount(unit.get("amount"), "/purchase_units/0/amount")
        if amount_minor <= 0:
            raise invalid_request(
                "/purchase_units/0/amount/value",
                "INVALID_PARAMETER_VALUE",
                "The amount must be greater than zero.",
                unit["amount"].get("value"),
            )
        for name in ("custom_id", "invoice_id", "description", "reference_id", "soft_descriptor"):
            value = unit.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > 127):
                raise invalid_request(
                    f"/purchase_units/0/{name}",
                    "INVALID_STRING_MAX_LENGTH",
                    "The value of a field is too long.",
                )
        stored_unit: JSON = {"reference_id": unit.get("reference_id") or "default"}
        stored_unit["amount"] = copy.deepcopy(unit["amount"])
        stored_unit["payee"] = {"email_address": account.email, "merchant_id": account.merchant_id}
        for name in ("description", "custom_id", "invoice_id", "soft_descriptor", "items"):
            if unit.get(name) is not None:
                stored_unit[name] = copy.deepcopy(unit[name])
        return_url: str | None = None
        cancel_url: str | None = None
        payment_source: JSON | None = None
        source = body.get("payment_source")
        if isinstance(source, dict) and isinstance(source.get("paypal"), dict):
            context = source["paypal"].get("experience_context") or {}
            return_url = context.get("return_url")
            cancel_url = context.get("cancel_url")
            payment_source = {"paypal": {}}
        elif source is not None:
            raise unprocessable(
                "PAYMENT_SOURCE_NOT_SUPPORTED",
                "The fake PayPal supports payment_source.paypal only.",
            )
        legacy = body.get("application_context")
        if isinstance(legacy, dict):
            return_url = return_url or legacy.get("return_url")
            cancel_url = cancel_url or legacy.get("cancel_url")
        for field_path, url in (("return_url", return_url), ("cancel_url", cancel_url)):
            if url is not None and not _is_http_url(url):
                raise invalid_request(
                    f"/payment_source/paypal/experience_context/{field_path}",
                    "INVALID_PARAMETER_SYNTAX",
                    "The value of a field does not conform to the expected format.",
                    url,
                )
        now = now_iso()
        order = Order(
            id=paypal_id(17),
            account=account,
            intent=intent,
            status="PAYER_ACTION_REQUIRED" if payment_source is not None else "CREATED",
            purchase_unit=stored_unit,
            amount_minor=amount_minor,
            currency=currency,
            payment_source=payment_source,
            return_url=return_url,
            cancel_url=cancel_url,
            create_time=now,
            update_time=now,
        )
        self.orders[order.id] = order
        return Result(201, "order", order.id)

    def order(self, account: PayPalAccount, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None or order.account is not account:
            raise not_found()
        return order

    def approval_url(self, order: Order) -> str:
        return f"{self.public_url()}/checkoutnow?{urlencode({'token': order.id})}"

    def payer_acts(self, order_id: str, choice: PayerChoice) -> str | None:
        """The test payer's click on the approval page; the URL to send the browser to."""
        order = self.orders.get(order_id)
        if order is None:
            raise LookupError(order_id)
        if choice is PayerChoice.CANCEL:
            return _with_query(order.cancel_url, token=order.id) if order.cancel_url else None
        if order.status in ("CREATED", "PAYER_ACTION_REQUIRED"):
            payer_id = paypal_id(13)
            order.payer = {
                "name": {"given_name": "Test", "surname": "Payer"},
                "email_address": f"payer-{payer_id.lower()}@personal.example.com",
                "payer_id": payer_id,
                "address": {"country_code": "DE"},
            }
            if order.payment_source is not None:
                order.payment_source = {
                    "paypal": {
                        "email_address": order.payer["email_address"],
                        "account_id": payer_id,
                        "account_status": "VERIFIED",
                        "name": copy.deepcopy(order.payer["name"]),
                        "address": {"country_code": "DE"},
                    }
                }
            order.payer_choice = choice
            order.status = "APPROVED"
            order.update_time = now_iso()
            self.emit(
                order.account,
                "CHECKOUT.ORDER.APPROVED",
                "checkout-order",
                self.render_order(order, full=True),
            )
        payer_id_value = (order.payer or {}).get("payer_id", "")
        if order.return_url:
            return _with_query(order.return_url, token=order.id, PayerID=payer_id_value)
        return None

    def authorize_order(self, account: PayPalAccount, order_id: str) -> Result:
        order = self.order(account, order_id)
        if order.intent != "AUTHORIZE":
            raise unprocessable(
                "ACTION_DOES_NOT_MATCH_INTENT",
                "Order was created with an intent to 'CAPTURE'. Please use "
                "v2/checkout/orders/order_id/capture to complete the transaction or "
                "alternately Create an order with an intent of 'AUTHORIZE'.",
            )
        if order.status == "COMPLETED":
            raise unprocessable(
                "ORDER_ALREADY_AUTHORIZED",
                "Order already authorized. If 'intent=AUTHORIZE' only one authorization per "
                "order is allowed.",
            )
        if order.status != "APPROVED":
            raise unprocessable(
                "ORDER_NOT_APPROVED",
                "Payer has not yet approved the Order for payment. Please redirect the payer "
                "to the 'rel':'approve' url returned as part of the HATEOAS links within the "
                "Create Order call or provide a valid payment_source in the request.",
            )
        if order.payer_choice is PayerChoice.APPROVE_INSTRUMENT_DECLINED:
            order.status = "PAYER_ACTION_REQUIRED" if order.payment_source else "CREATED"
            order.update_time = now_iso()
            raise unprocessable(
                "INSTRUMENT_DECLINED",
                "The instrument presented was either declined by the processor or bank, or it "
                "can't be used for this payment.",
                links=[{"href": self.approval_url(order), "rel": "redirect", "method": "GET"}],
            )
        now = datetime.now(UTC)
        authorization = Authorization(
            id=paypal_id(17),
            order=order,
            amount_minor=order.amount_minor,
            currency=order.currency,
            status="CREATED",
            create_time=iso(now),
            update_time=iso(now),
            expiration_time=iso(now + timedelta(days=AUTHORIZATION_VALID_DAYS)),
        )
        self.authorizations[authorization.id] = authorization
        order.authorization_id = authorization.id
        order.status = "COMPLETED"
        order.update_time = iso(now)
        self.emit(
            account,
            "PAYMENT.AUTHORIZATION.CREATED",
            "authorization",
            self.render_authorization(authorization),
        )
        return Result(201, "authorized_order", order.id)

    # -- authorizations, captures, refunds --------------------------------------------------

    def authorization(self, account: PayPalAccount, authorization_id: str) -> Authorization:
        authorization = self.authorizations.get(authorization_id)
        if authorization is None or authorization.order.account is not account:
            raise not_found()
        return authorization

    def capture_authorization(
        self, account: PayPalAccount, authorization_id: str, body: Any
    ) -> Result:
        authorization = self.authorization(account, authorization_id)
        body = body if isinstance(body, dict) else {}
        self._check_capturable(authorization)
        remaining = authorization.amount_minor - authorization.captured_minor
        amount = remaining
        if body.get("amount") is not None:
            currency, amount = _amount(body["amount"], "/amount")
            if currency != authorization.currency:
                raise unprocessable(
                    "AUTH_CAPTURE_CURRENCY_MISMATCH",
                    "Currency of capture must be the same as currency of authorization.",
                    doc=PAYMENTS_ERRORS_DOC,
                )
            if amount <= 0:
                raise invalid_request(
                    "/amount/value", "INVALID_PARAMETER_VALUE", "The amount must be positive."
                )
        if amount > remaining:
            raise unprocessable(
                "MAX_CAPTURE_AMOUNT_EXCEEDED",
                "Capture amount exceeds allowable limit. (The fake allows captures up to the "
                "authorized amount.)",
                doc=PAYMENTS_ERRORS_DOC,
            )
        final_capture = body.get("final_capture") is True
        now = now_iso()
        denied = authorization.order.payer_choice is PayerChoice.APPROVE_CAPTURE_DENIED
        capture = Capture(
            id=paypal_id(17),
            authorization=authorization,
            amount_minor=amount,
            currency=authorization.currency,
            status="DECLINED" if denied else "COMPLETED",
            final_capture=final_capture,
            invoice_id=body.get("invoice_id")
            or authorization.order.purchase_unit.get("invoice_id"),
            create_time=now,
            update_time=now,
        )
        self.captures[capture.id] = capture
        authorization.capture_ids.append(capture.id)
        authorization.update_time = now
        if denied:
            self.emit(account, "PAYMENT.CAPTURE.DENIED", "capture", self.render_capture(capture))
            return Result(201, "capture", capture.id)
        authorization.captured_minor += amount
        if final_capture or authorization.captured_minor >= authorization.amount_minor:
            authorization.status = "CAPTURED"
        else:
            authorization.status = "PARTIALLY_CAPTURED"
        self.emit(account, "PAYMENT.CAPTURE.COMPLETED", "capture", self.render_capture(capture))
        return Result(201, "capture", capture.id)

    def _check_capturable(self, authorization: Authorization) -> None:
        if authorization.status == "VOIDED":
            raise unprocessable(
                "AUTHORIZATION_VOIDED",
                "A voided authorization cannot be captured or reauthorized.",
                doc=PAYMENTS_ERRORS_DOC,
            )
        if authorization.status == "EXPIRED":
            raise unprocessable(
                "AUTHORIZATION_EXPIRED",
                "An expired authorization cannot be captured.",
                doc=PAYMENTS_ERRORS_DOC,
            )
        if authorization.status == "CAPTURED":
            raise unprocessable(
                "AUTHORIZATION_ALREADY_CAPTURED",
                "Authorization has been previously captured and hence cannot be captured again.",
                doc=PAYMENTS_ERRORS_DOC,
            )

    def void_authorization(self, account: PayPalAccount, authorization_id: str) -> Result:
        authorization = self.authorization(account, authorization_id)
        if authorization.status == "CAPTURED":
            raise unprocessable(
                "PREVIOUSLY_CAPTURED",
                "Authorization has been previously captured and hence cannot be voided.",
                doc=PAYMENTS_ERRORS_DOC,
            )
        if authorization.status == "VOIDED":
            raise unprocessable(
                "PREVIOUSLY_VOIDED",
                "Authorization has been previously voided and hence cannot be voided again.",
                doc=PAYMENTS_ERRORS_DOC,
            )
        if authorization.status == "EXPIRED":
            raise unprocessable(
                "AUTHORIZATION_EXPIRED",
                "An expired authorization cannot be voided.",
                doc=PAYMENTS_ERRORS_DOC,
            )
        authorization.status = "VOIDED"
        authorization.update_time = now_iso()
        self.emit(
            account,
            "PAYMENT.AUTHORIZATION.VOIDED",
            "authorization",
            self.render_authorization(authorization),
        )
        return Result(204, "void", authorization.id)

    def expire_authorization(self, authorization_id: str) -> JSON:
        """Test control: the authorisation's 29 days are over."""
        authorization = self.authorizations.get(authorization_id)
        if authorization is None:
            raise LookupError(f"no authorization {authorization_id}")
        if authorization.status not in ("CREATED", "PARTIALLY_CAPTURED", "PENDING"):
            raise ValueError(f"an authorization in status {authorization.status} cannot expire")
        authorization.status = "EXPIRED"
        authorization.expiration_time = authorization.update_time = now_iso()
        return self.render_authorization(authorization)

    def capture(self, account: PayPalAccount, capture_id: str) -> Capture:
        capture = self.captures.get(capture_id)
        if capture is None or capture.authorization.order.account is not account:
            raise not_found()
        return capture

    def refund_capture(self, account: PayPalAccount, capture_id: str, body: Any) -> Result:
        capture = self.capture(account, capture_id)
        body = body if isinstance(body, dict) else {}
        if capture.status not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            if capture.status == "REFUNDED":
                raise unprocessable(
                    "CAPTURE_FULLY_REFUNDED",
                    "The capture has already been fully refunded.",
                    doc=PAYMENTS_ERRORS_DOC,
                )
            raise unprocessable(
                "REFUND_NOT_ALLOWED",
                "Full refund refused - partial refund has already been done on this payment. "
                "You cannot refund this capture.",
                doc=PAYMENTS_ERRORS_DOC,
            )
        remaining = capture.amount_minor - capture.refunded_minor
        amount = remaining
        if body.get("amount") is not None:
            currency, amount = _amount(body["amount"], "/amount")
            if currency != capture.currency:
                raise unprocessable(
                    "REFUND_CAPTURE_CURRENCY_MISMATCH",
                    "Refund must be in the same currency as the capture.",
                    doc=PAYMENTS_ERRORS_DOC,
                )
            if amount <= 0:
                raise invalid_request(
                    "/amount/value", "INVALID_PARAMETER_VALUE", "The amount must be positive."
                )
        if amount > remaining:
            raise unprocessable(
                "REFUND_AMOUNT_EXCEEDED",
                "The refund amount must be less than or equal to the capture amount that has "
                "not yet been refunded.",
                doc=PAYMENTS_ERRORS_DOC,
            )
        refund = Refund(
            id=paypal_id(17),
            capture=capture,
            amount_minor=amount,
            currency=capture.currency,
            invoice_id=body.get("invoice_id") or capture.invoice_id,
            note_to_payer=body.get("note_to_payer"),
            create_time=now_iso(),
        )
        self.refunds[refund.id] = refund
        capture.refund_ids.append(refund.id)
        capture.refunded_minor += amount
        capture.status = (
            "REFUNDED" if capture.refunded_minor >= capture.amount_minor else "PARTIALLY_REFUNDED"
        )
        capture.update_time = refund.create_time
        self.emit(account, "PAYMENT.CAPTURE.REFUNDED", "refund", self.render_refund(refund))
        return Result(201, "refund", refund.id)

    def refund(self, account: PayPalAccount, refund_id: str) -> Refund:
        refund = self.refunds.get(refund_id)
        if refund is None or refund.capture.authorization.order.account is not account:
            raise not_found()
        return refund

    # -- rendering ------------------------------------------------------------------------

    def render(self, result: Result, *, full: bool) -> JSON | None:
        """The response body for `result` (None: no content)."""
        if result.kind in ("order", "authorized_order"):
            order = self.orders[result.resource_id]
            if full:
                return self.render_order(order, full=True)
            if result.kind == "authorized_order":
                return self.render_order(order, full=False, with_payments=True)
            return self.render_order(order, full=False)
        if result.kind == "void":
            if not full:
                return None
            return self.render_authorization(self.authorizations[result.resource_id])
        renderers: dict[str, Callable[[str], JSON]] = {
            "authorization": lambda i: self.render_authorization(self.authorizations[i]),
            "capture": lambda i: self.render_capture(self.captures[i]),
            "refund": lambda i: self.render_refund(self.refunds[i]),
        }
        body = renderers[result.kind](result.resource_id)
        if full:
            return body
        return {"id": body["id"], "status": body["status"], "links": body["links"]}

    def render_order(self, order: Order, *, full: bool, with_payments: bool = False) -> JSON:
        base = self.public_url()
        links: list[JSON] = [
            {"href": f"{base}/v2/checkout/orders/{order.id}", "rel": "self", "method": "GET"}
        ]
        if order.status == "PAYER_ACTION_REQUIRED":
            links.append({"href": self.approval_url(order), "rel": "payer-action", "method": "GET"})
        elif order.status == "CREATED":
            links.extend(
                [
                    {"href": self.approval_url(order), "rel": "approve", "method": "GET"},
                    {
                        "href": f"{base}/v2/checkout/orders/{order.id}",
                        "rel": "update",
                        "method": "PATCH",
                    },
                    {
                        "href": f"{base}/v2/checkout/orders/{order.id}/{order.intent.lower()}",
                        "rel": order.intent.lower(),
                        "method": "POST",
                    },
                ]
            )
        elif order.status == "APPROVED":
            links.extend(
                [
                    {
                        "href": f"{base}/v2/checkout/orders/{order.id}",
                        "rel": "update",
                        "method": "PATCH",
                    },
                    {
                        "href": f"{base}/v2/checkout/orders/{order.id}/{order.intent.lower()}",
                        "rel": order.intent.lower(),
                        "method": "POST",
                    },
                ]
            )
        unit = copy.deepcopy(order.purchase_unit)
        payments = self._order_payments(order)
        if payments:
            unit["payments"] = payments
        if not full:
            body: JSON = {"id": order.id, "status": order.status}
            if order.payment_source is not None:
                body["payment_source"] = copy.deepcopy(order.payment_source)
            if with_payments:
                body["purchase_units"] = [
                    {"reference_id": unit["reference_id"], "payments": payments}
                ]
                if order.payer is not None:
                    body["payer"] = copy.deepcopy(order.payer)
            body["links"] = links
            return body
        body = {
            "id": order.id,
            "intent": order.intent,
            "status": order.status,
        }
        if order.payment_source is not None:
            body["payment_source"] = copy.deepcopy(order.payment_source)
        body["purchase_units"] = [unit]
        if order.payer is not None:
            body["payer"] = copy.deepcopy(order.payer)
        body.update(create_time=order.create_time, update_time=order.update_time, links=links)
        return body

    def _order_payments(self, order: Order) -> JSON:
        if order.authorization_id is None:
            return {}
        authorization = self.authorizations[order.authorization_id]
        payments: JSON = {"authorizations": [self.render_authorization(authorization)]}
        if authorization.capture_ids:
            payments["captures"] = [
                self.render_capture(self.captures[c]) for c in authorization.capture_ids
            ]
        return payments

    def render_authorization(self, authorization: Authorization) -> JSON:
        base = self.public_url()
        order = authorization.order
        path = f"{base}/v2/payments/authorizations/{authorization.id}"
        body: JSON = {
            "id": authorization.id,
            "status": authorization.status,
            "amount": _money(authorization.amount_minor, authorization.currency),
        }
        for name in ("invoice_id", "custom_id"):
            if order.purchase_unit.get(name) is not None:
                body[name] = order.purchase_unit[name]
        body.update(
            seller_protection={
                "status": "ELIGIBLE",
                "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
            },
            expiration_time=authorization.expiration_time,
            payee={"email_address": order.account.email, "merchant_id": order.account.merchant_id},
            supplementary_data={"related_ids": {"order_id": order.id}},
            create_time=authorization.create_time,
            update_time=authorization.update_time,
            links=[
                {"href": path, "rel": "self", "method": "GET"},
                {"href": f"{path}/capture", "rel": "capture", "method": "POST"},
                {"href": f"{path}/void", "rel": "void", "method": "POST"},
                {"href": f"{path}/reauthorize", "rel": "reauthorize", "method": "POST"},
                {"href": f"{base}/v2/checkout/orders/{order.id}", "rel": "up", "method": "GET"},
            ],
        )
        return body

    def render_capture(self, capture: Capture) -> JSON:
        base = self.public_url()
        authorization = capture.authorization
        order = authorization.order
        fee = _fee(capture.amount_minor)
        body: JSON = {
            "id": capture.id,
            "amount": _money(capture.amount_minor, capture.currency),
            "final_capture": capture.final_capture,
            "seller_protection": {
                "status": "ELIGIBLE",
                "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
            },
            "seller_receivable_breakdown": {
                "gross_amount": _money(capture.amount_minor, capture.currency),
                "paypal_fee": _money(fee, capture.currency),
                "net_amount": _money(capture.amount_minor - fee, capture.currency),
            },
            "status": capture.status,
        }
        if capture.status == "DECLINED":
            body.pop("seller_receivable_breakdown")
        if capture.invoice_id is not None:
            body["invoice_id"] = capture.invoice_id
        if order.purchase_unit.get("custom_id") is not None:
            body["custom_id"] = order.purchase_unit["custom_id"]
        body.update(
            payee={"email_address": order.account.email, "merchant_id": order.account.merchant_id},
            supplementary_data={
                "related_ids": {"order_id": order.id, "authorization_id": authorization.id}
            },
            create_time=capture.create_time,
            update_time=capture.update_time,
            links=[
                {
                    "href": f"{base}/v2/payments/captures/{capture.id}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"{base}/v2/payments/captures/{capture.id}/refund",
                    "rel": "refund",
                    "method": "POST",
                },
                {
                    "href": f"{base}/v2/payments/authorizations/{authorization.id}",
                    "rel": "up",
                    "method": "GET",
                },
            ],
        )
        return body

    def render_refund(self, refund: Refund) -> JSON:
        base = self.public_url()
        capture = refund.capture
        fee = 0  # the fake returns no part of the fee on refunds
        body: JSON = {
            "id": refund.id,
            "amount": _money(refund.amount_minor, refund.currency),
            "seller_payable_breakdown": {
                "gross_amount": _money(refund.amount_minor, refund.currency),
                "paypal_fee": _money(fee, refund.currency),
                "net_amount": _money(refund.amount_minor - fee, refund.currency),
                "total_refunded_amount": _money(capture.refunded_minor, refund.currency),
            },
            "status": "COMPLETED",
        }
        if refund.invoice_id is not None:
            body["invoice_id"] = refund.invoice_id
        if refund.note_to_payer is not None:
            body["note_to_payer"] = refund.note_to_payer
        body.update(
            create_time=refund.create_time,
            update_time=refund.create_time,
            links=[
                {"href": f"{base}/v2/payments/refunds/{refund.id}", "rel": "self", "method": "GET"},
                {"href": f"{base}/v2/payments/captures/{capture.id}", "rel": "up", "method": "GET"},
            ],
        )
        return body

    def object_by_id(self, object_id: str) -> JSON | None:
        if object_id in self.orders:
            return self.render_order(self.orders[object_id], full=True)
        if object_id in self.authorizations:
            return self.render_authorization(self.authorizations[object_id])
        if object_id in self.captures:
            return self.render_capture(self.captures[object_id])
        if object_id in self.refunds:
            return self.render_refund(self.refunds[object_id])
        if object_id in self.events:
            return copy.deepcopy(self.events[object_id])
        return None

    # -- webhooks ---------------------------------------------------------------------------

    def emit(
        self, account: PayPalAccount, event_type: str, resource_type: str, resource: JSON
    ) -> JSON:
        event_id = f"WH-{paypal_id(17)}-{paypal_id(17)}"
        base = self.public_url()
        event: JSON = {
            "id": event_id,
            "event_version": "1.0",
            "create_time": now_iso(),
            "resource_type": resource_type,
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": _summary(event_type, resource),
            "resource": resource,
            "links": [
                {
                    "href": f"{base}/v1/notifications/webhooks-events/{event_id}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"{base}/v1/notifications/webhooks-events/{event_id}/resend",
                    "rel": "resend",
                    "method": "POST",
                },
            ],
        }
        self.events[event_id] = event
        if account.webhook_url:
            webhook_id = account.webhook_id
            self.publish(
                OutgoingEvent(
                    provider="paypal",
                    account=account.client_id,
                    event_id=event_id,
                    event_type=event_type,
                    body=dump_json(event),
                    url=account.webhook_url,
                    sign=lambda body: self.transmit(body, webhook_id, event_id),
                )
            )
        return event

    def cert_url(self) -> str:
        fingerprint = hashlib.sha256(self.signing_key).hexdigest()[:16]
        return f"{self.public_url()}/v1/notifications/certs/CERT-fake-{fingerprint}"

    def transmission_signature(
        self, transmission_id: str, transmission_time: str, webhook_id: str, body: bytes
    ) -> str:
        """PayPal signs `<transmission id>|<time>|<webhook id>|<CRC32 of the body>` with
        SHA256withRSA; the fake uses HMAC-SHA256 with a key only it knows, so the only
        way to check a signature is the verification API — as PayPal recommends."""
        crc = binascii.crc32(body) & 0xFFFFFFFF
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()
        return base64.b64encode(
            hmac.new(self.signing_key, message, hashlib.sha256).digest()
        ).decode()

    def transmit(self, body: bytes, webhook_id: str, event_id: str) -> dict[str, str]:
        transmission_id = str(uuid.uuid4())
        transmission_time = now_iso()
        self.transmissions[transmission_id] = Transmission(
            transmission_id, transmission_time, webhook_id, event_id
        )
        return {
            "Content-Type": "application/json",
            "User-Agent": "PayPal/AUHD-214.0-58960001",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
            "PAYPAL-TRANSMISSION-SIG": self.transmission_signature(
                transmission_id, transmission_time, webhook_id, body
            ),
            "PAYPAL-CERT-URL": self.cert_url(),
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
        }

    def verify_webhook_signature(self, account: PayPalAccount, body: Any) -> JSON:
        """`POST /v1/notifications/verify-webhook-signature`."""
        if not isinstance(body, dict):
            raise invalid_request(
                "/", "INVALID_PARAMETER_SYNTAX", "The request body is not an object."
            )
        for name in (
            "auth_algo",
            "cert_url",
            "transmission_id",
            "transmission_sig",
            "transmission_time",
            "webhook_id",
            "webhook_event",
        ):
            if body.get(name) in (None, ""):
                raise PayPalError(
                    400,
                    "VALIDATION_ERROR",
                    "Invalid request - see details",
                    [
                        {
                            "field": name,
                            "location": "body",
                            "issue": "Required field cannot be blank",
                        }
                    ],
                )
        transmission = self.transmissions.get(str(body["transmission_id"]))
        event = body["webhook_event"]
        expected = self.transmission_signature(
            str(body["transmission_id"]),
            str(body["transmission_time"]),
            str(body["webhook_id"]),
            dump_json(event),
        )
        genuine = (
            transmission is not None
            and body["webhook_id"] == account.webhook_id
            and transmission.webhook_id == account.webhook_id
            and body["auth_algo"] == AUTH_ALGO
            and body["cert_url"] == self.cert_url()
            and hmac.compare_digest(expected, str(body["transmission_sig"]))
        )
        return {"verification_status": "SUCCESS" if genuine else "FAILURE"}


class OAuthError(Exception):
    """OAuth2 token endpoint errors have their own shape: `error` + `error_description`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body: JSON = {"error": error, "error_description": description}


# -- helpers ------------------------------------------------------------------------------


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _amount(raw: Any, path: str) -> tuple[str, int]:
    if not isinstance(raw, dict):
        raise invalid_request(
            path, "MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing."
        )
    currency = raw.get("currency_code")
    value = raw.get("value")
    if currency is None or value is None:
        missing = "currency_code" if currency is None else "value"
        raise invalid_request(
            f"{path}/{missing}",
            "MISSING_REQUIRED_PARAMETER",
            "A required field / parameter is missing.",
        )
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
        raise invalid_request(
            f"{path}/currency_code",
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
            currency,
        )
    if not isinstance(value, str):
        raise invalid_request(
            f"{path}/value",
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
            value,
        )
    amount = decimal_to_minor(value, currency)
    if amount is None:
        raise unprocessable(
            "DECIMAL_PRECISION",
            "If the currency supports decimals, only two decimal place precision is supported.",
        )
    return currency, amount


def _money(amount_minor: int, currency: str) -> JSON:
    return {"currency_code": currency, "value": minor_to_decimal(amount_minor, currency)}


def _fee(amount_minor: int) -> int:
    """A made-up PayPal fee (2.99 % + 0.35), never more than the amount."""
    return min(amount_minor, amount_minor * 299 // 10000 + 35)


def _summary(event_type: str, resource: JSON) -> str:
    amount = resource.get("amount") or {}
    money = f"{amount.get('value', '')} {amount.get('currency_code', '')}".strip()
    return {
        "CHECKOUT.ORDER.APPROVED": "An order has been approved by buyer",
        "PAYMENT.AUTHORIZATION.CREATED": f"Payment authorization is created for {money}",
        "PAYMENT.AUTHORIZATION.VOIDED": f"A payment authorization was voided for {money}",
        "PAYMENT.CAPTURE.COMPLETED": f"Payment completed for {money}",
        "PAYMENT.CAPTURE.DENIED": f"Payment denied for {money}",
        "PAYMENT.CAPTURE.REFUNDED": f"A {money} capture payment was refunded",
    }.get(event_type, event_type)


def _is_http_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

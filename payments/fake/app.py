"""HTTP for the fake: Stripe's and PayPal's API paths, the driver-facing pages and the
`/_fake/…` test controls. Handlers only translate HTTP to calls on `FakeProviders`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec
from litestar import Litestar, Request, Response, delete, get, post, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect

from payments.fake.common import (
    JSON,
    FormError,
    canonical,
    decode_stripe_form,
    dump_json,
    paypal_id,
    stripe_id,
)
from payments.fake.faults import ASGIApp, FaultMiddleware
from payments.fake.pages import (
    SECURITY_HEADERS,
    card_page,
    mandate_page,
    message_page,
    paypal_approval_page,
    setup_page,
    three_d_secure_page,
)
from payments.fake.paypal_api import OAuthError, PayerChoice, PayPalAccount, PayPalError, Result
from payments.fake.state import FakeProviders, SavedStripeResponse
from payments.fake.stripe_api import (
    DEFAULT_API_VERSION,
    PaymentIntent,
    RequestContext,
    StripeAccount,
    StripeError,
    StripeState,
    invalid_request,
)
from payments.fake.stripe_setup import SetupIntent

AnyRequest = Request[Any, Any, State]
StripeOperation = Callable[[StripeAccount, JSON, RequestContext], JSON]
PayPalOperation = Callable[[PayPalAccount, Any], Result]


def _fake(request: AnyRequest) -> FakeProviders:
    fake: FakeProviders = request.app.state["fake"]
    return fake


# -- Stripe ---------------------------------------------------------------------------------


def _stripe_response(
    status: int, payload: bytes, request_id: str, extra: dict[str, str] | None = None
) -> Response[bytes]:
    headers = {"Request-Id": request_id, "Cache-Control": "no-cache, no-store"}
    headers.update(extra or {})
    return Response(payload, status_code=status, media_type="application/json", headers=headers)


async def _stripe_call(request: AnyRequest, operation: StripeOperation) -> Response[bytes]:
    """Authenticate, decode the form, apply Idempotency-Key semantics, run, answer."""
    fake = _fake(request)
    request_id = stripe_id("req")
    try:
        account = fake.stripe.authenticate(request.headers.get("authorization"))
    except StripeError as error:
        return _stripe_response(error.status, dump_json(error.body, pretty=True), request_id)
    version = request.headers.get("stripe-version")
    if version and account.api_version is None:
        account.api_version = version
    extra = {"Stripe-Version": account.api_version or DEFAULT_API_VERSION}
    is_post = request.method == HttpMethod.POST
    if is_post:
        raw = (await request.body()).decode("utf-8", errors="replace")
    else:
        raw = request.scope["query_string"].decode("utf-8", errors="replace")
    try:
        params = decode_stripe_form(raw)
    except FormError as error:
        failure = invalid_request(str(error), saved=False)
        return _stripe_response(400, dump_json(failure.body, pretty=True), request_id, extra)
    key = request.headers.get("idempotency-key") if is_post else None
    route_name = f"{request.method} {request.url.path}"
    fingerprint = canonical(params)
    if key:
        extra["Idempotency-Key"] = key
        saved = fake.stripe_idempotency.get((account.secret_key, key))
        if saved is not None:
            conflict = _idempotency_conflict(saved, route_name, fingerprint, key)
            if conflict is not None:
                return _stripe_response(400, conflict, request_id, extra)
            replay_headers = {
                **extra,
                "Idempotent-Replayed": "true",
                "Original-Request": saved.request_id,
            }
            return _stripe_response(saved.status, saved.body, request_id, replay_headers)
    context = RequestContext(request_id=request_id, idempotency_key=key)
    keep = True
    try:
        status, body = 200, operation(account, params, context)
    except StripeError as error:
        status, body, keep = error.status, error.body, error.saved
    payload = dump_json(body, pretty=True)
    if key and keep:
        fake.stripe_idempotency[(account.secret_key, key)] = SavedStripeResponse(
            route=route_name,
            fingerprint=fingerprint,
            status=status,
            body=payload,
            request_id=request_id,
        )
    return _stripe_response(status, payload, request_id, extra)


def _idempotency_conflict(
    saved: SavedStripeResponse, route_name: str, fingerprint: str, key: str
) -> bytes | None:
    if saved.route != route_name:
        message = (
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{saved.route}' vs '{route_name}'). Try using a key other than "
            f"'{key}' if you meant to execute a different request."
        )
    elif saved.fingerprint != fingerprint:
        message = (
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request."
        )
    else:
        return None
    return dump_json({"error": {"type": "idempotency_error", "message": message}}, pretty=True)


@post("/v1/payment_intents", status_code=200)
async def stripe_create_intent(request: AnyRequest) -> Response[bytes]:
    return await _stripe_call(request, _fake(request).stripe.create_intent)


@get("/v1/payment_intents/{intent_id:str}")
async def stripe_get_intent(request: AnyRequest, intent_id: FromPath[str]) -> Response[bytes]:
    stripe = _fake(request).stripe

    def retrieve(account: StripeAccount, params: JSON, _: RequestContext) -> JSON:
        intent = stripe.intent(account, intent_id)
        expand = params.get("expand")
        paths = [expand] if isinstance(expand, str) else list(expand or [])
        return stripe.render_intent(intent, [str(p) for p in paths])

    return await _stripe_call(request, retrieve)


@post("/v1/payment_intents/{intent_id:str}/confirm", status_code=200)
async def stripe_confirm_intent(request: AnyRequest, intent_id: FromPath[str]) -> Response[bytes]:
    stripe = _fake(request).stripe
    return await _stripe_call(
        request, lambda account, params, ctx: stripe.confirm_intent(account, intent_id, params, ctx)
    )


@post("/v1/payment_intents/{intent_id:str}/capture", status_code=200)
async def stripe_capture_intent(request: AnyRequest, intent_id: FromPath[str]) -> Response[bytes]:
    stripe = _fake(request).stripe
    return await _stripe_call(
        request, lambda account, params, ctx: stripe.capture_intent(account, intent_id, params, ctx)
    )


@post("/v1/payment_intents/{intent_id:str}/cancel", status_code=200)
async def stripe_cancel_intent(request: AnyRequest, intent_id: FromPath[str]) -> Response[bytes]:
    stripe = _fake(request).stripe
    return await _stripe_call(
        request, lambda account, params, ctx: stripe.cancel_intent(account, intent_id, params, ctx)
    )


@post("/v1/refunds", status_code=200)
async def stripe_create_refund(request: AnyRequest) -> Response[bytes]:
    return await _stripe_call(request, _fake(request).stripe.create_refund)


@post("/v1/customers", status_code=200)
async def stripe_create_customer(request: AnyRequest) -> Response[bytes]:
    return await _stripe_call(request, _fake(request).stripe.setups.create_customer)


@post("/v1/customers/{customer_id:str}", status_code=200)
async def stripe_update_customer(
    request: AnyRequest, customer_id: FromPath[str]
) -> Response[bytes]:
    setups = _fake(request).stripe.setups
    return await _stripe_call(
        request,
        lambda account, params, ctx: setups.update_customer(account, customer_id, params, ctx),
    )


@post("/v1/setup_intents", status_code=200)
async def stripe_create_setup_intent(request: AnyRequest) -> Response[bytes]:
    return await _stripe_call(request, _fake(request).stripe.setups.create_setup_intent)


@get("/v1/setup_intents/{setup_id:str}")
async def stripe_get_setup_intent(request: AnyRequest, setup_id: FromPath[str]) -> Response[bytes]:
    setups = _fake(request).stripe.setups
    return await _stripe_call(
        request, lambda account, params, _: setups.retrieve_setup_intent(account, setup_id, params)
    )


@post("/v1/setup_intents/{setup_id:str}/confirm", status_code=200)
async def stripe_confirm_setup_intent(
    request: AnyRequest, setup_id: FromPath[str]
) -> Response[bytes]:
    setups = _fake(request).stripe.setups
    return await _stripe_call(
        request,
        lambda account, params, ctx: setups.confirm_setup_intent(account, setup_id, params, ctx),
    )


@post("/v1/setup_intents/{setup_id:str}/cancel", status_code=200)
async def stripe_cancel_setup_intent(
    request: AnyRequest, setup_id: FromPath[str]
) -> Response[bytes]:
    setups = _fake(request).stripe.setups
    return await _stripe_call(
        request,
        lambda account, params, ctx: setups.cancel_setup_intent(account, setup_id, params, ctx),
    )


@post("/v1/payment_methods/{pm_id:str}/attach", status_code=200)
async def stripe_attach_method(request: AnyRequest, pm_id: FromPath[str]) -> Response[bytes]:
    setups = _fake(request).stripe.setups
    return await _stripe_call(
        request, lambda account, params, ctx: setups.attach(account, pm_id, params, ctx)
    )


@post("/v1/payment_methods/{pm_id:str}/detach", status_code=200)
async def stripe_detach_method(request: AnyRequest, pm_id: FromPath[str]) -> Response[bytes]:
    setups = _fake(request).stripe.setups
    return await _stripe_call(
        request, lambda account, params, ctx: setups.detach(account, pm_id, params, ctx)
    )


# Kinds read by id alone, each under its own path: a parameter in the kind's place would
# lose against the catch-all `/v1/{rest:path}` below.
_READABLE_KINDS = ("charges", "refunds", "payment_methods", "events", "customers", "mandates")


@get([f"/v1/{kind}/{{object_id:str}}" for kind in _READABLE_KINDS])
async def stripe_get_object(request: AnyRequest, object_id: FromPath[str]) -> Response[bytes]:
    """Charges, refunds, payment methods, events, customers and mandates by id."""
    stripe = _fake(request).stripe
    kind = request.url.path.split("/")[2]
    tables = {
        "charges": (stripe.charges, "charge"),
        "refunds": (stripe.refunds, "refund"),
        "payment_methods": (stripe.payment_methods, "payment_method"),
        "events": (stripe.events, "event"),
        "customers": (stripe.setups.customers, "customer"),
        "mandates": (stripe.setups.mandates, "mandate"),
    }

    def retrieve(account: StripeAccount, _params: JSON, _ctx: RequestContext) -> JSON:
        table, name = tables[kind]
        return stripe.get_owned(account, table, name, object_id)

    return await _stripe_call(request, retrieve)


def _unrecognized_url(method: str, path: str) -> StripeError:
    return invalid_request(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or "
        "we can help at https://support.stripe.com/.",
        status=404,
        saved=False,
    )


# -- PayPal ---------------------------------------------------------------------------------


def _paypal_json(status: int, body: JSON | None) -> Response[bytes]:
    headers = {"Paypal-Debug-Id": paypal_id(13).lower()}
    if body is None:
        return Response(b"", status_code=status, headers=headers)
    return Response(
        dump_json(body), status_code=status, media_type="application/json", headers=headers
    )


async def _paypal_body(request: AnyRequest) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise PayPalError(
            400,
            "INVALID_REQUEST",
            "Request is not well-formed, syntactically incorrect, or violates schema.",
            [
                {
                    "issue": "MALFORMED_REQUEST_JSON",
                    "description": "The request JSON is not well formed.",
                }
            ],
        ) from None


async def _paypal_call(
    request: AnyRequest, operation: PayPalOperation, *, writes: bool = True
) -> Response[bytes]:
    """Bearer auth, JSON body, PayPal-Request-Id replay, Prefer, error shape."""
    paypal = _fake(request).paypal
    try:
        account = paypal.authenticate(request.headers.get("authorization"))
        body = await _paypal_body(request)
        route_name = f"{request.method} {request.url.path}"
        request_id = request.headers.get("paypal-request-id") if writes else None
        replayed = paypal.replayed(account, route_name, request_id)
        if replayed is not None:
            result = Result(
                200 if replayed.status == 201 else replayed.status,
                replayed.kind,
                replayed.resource_id,
            )
        else:
            result = operation(account, body)
            paypal.remember(account, route_name, request_id, result)
    except PayPalError as error:
        return _paypal_json(error.status, error.body)
    full = not writes or "return=representation" in request.headers.get("prefer", "").lower()
    rendered = paypal.render(result, full=full)
    if rendered is None:
        return _paypal_json(204, None)
    return _paypal_json(200 if result.status == 204 else result.status, rendered)


@post("/v1/oauth2/token", status_code=200)
async def paypal_token(request: AnyRequest) -> Response[bytes]:
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    try:
        token = _fake(request).paypal.issue_token(
            request.headers.get("authorization"), form.get("grant_type")
        )
    except OAuthError as error:
        return _paypal_json(error.status, error.body)
    return _paypal_json(200, token)


@post("/v2/checkout/orders", status_code=201)
async def paypal_create_order(request: AnyRequest) -> Response[bytes]:
    return await _paypal_call(request, _fake(request).paypal.create_order)


@get("/v2/checkout/orders/{order_id:str}")
async def paypal_get_order(request: AnyRequest, order_id: FromPath[str]) -> Response[bytes]:
    paypal = _fake(request).paypal
    return await _paypal_call(
        request,
        lambda account, _body: Result(200, "order", paypal.order(account, order_id).id),
        writes=False,
    )


@post("/v2/checkout/orders/{order_id:str}/authorize", status_code=201)
async def paypal_authorize_order(request: AnyRequest, order_id: FromPath[str]) -> Response[bytes]:
    paypal = _fake(request).paypal
    return await _paypal_call(
        request, lambda account, _body: paypal.authorize_order(account, order_id)
    )


@get("/v2/payments/authorizations/{authorization_id:str}")
async def paypal_get_authorization(
    request: AnyRequest, authorization_id: FromPath[str]
) -> Response[bytes]:
    paypal = _fake(request).paypal
    return await _paypal_call(
        request,
        lambda account, _body: Result(
            200, "authorization", paypal.authorization(account, authorization_id).id
        ),
        writes=False,
    )


@post("/v2/payments/authorizations/{authorization_id:str}/capture", status_code=201)
async def paypal_capture_authorization(
    request: AnyRequest, authorization_id: FromPath[str]
) -> Response[bytes]:
    paypal = _fake(request).paypal
    return await _paypal_call(
        request,
        lambda account, body: paypal.capture_authorization(account, authorization_id, body),
    )


@post("/v2/payments/authorizations/{authorization_id:str}/void", status_code=200)
async def paypal_void_authorization(
    request: AnyRequest, authorization_id: FromPath[str]
) -> Response[bytes]:
    paypal = _fake(request).paypal
    return await _paypal_call(
        request, lambda account, _body: paypal.void_authorization(account, authorization_id)
    )


@get("/v2/payments/captures/{capture_id:str}")
async def paypal_get_capture(request: AnyRequest, capture_id: FromPath[str]) -> Response[bytes]:
    paypal = _fake(request).paypal
    return await _paypal_call(
        request,
        lambda account, _body: Result(200, "capture", paypal.capture(account, capture_id).id),
        writes=False,
    )


@post("/v2/payments/captures/{capture_id:str}/refund", status_code=201)
async def paypal_refund_capture(request: AnyRequest, capture_id: FromPath[str]) -> Response[bytes]:
    paypal = _fake(request).paypal
    return await _paypal_call(
        request, lambda account, body: paypal.refund_capture(account, capture_id, body)
    )


@get("/v2/payments/refunds/{refund_id:str}")
async def paypal_get_refund(request: AnyRequest, refund_id: FromPath[str]) -> Response[bytes]:
    paypal = _fake(request).paypal
    return await _paypal_call(
        request,
        lambda account, _body: Result(200, "refund", paypal.refund(account, refund_id).id),
        writes=False,
    )


@post("/v1/notifications/verify-webhook-signature", status_code=200)
async def paypal_verify_webhook(request: AnyRequest) -> Response[bytes]:
    paypal = _fake(request).paypal
    try:
        account = paypal.authenticate(request.headers.get("authorization"))
        verdict = paypal.verify_webhook_signature(account, await _paypal_body(request))
    except PayPalError as error:
        return _paypal_json(error.status, error.body)
    return _paypal_json(200, verdict)


# -- pages the driver's browser sees ------------------------------------------------------------


def _html(content: str, status: int = 200) -> Response[str]:
    return Response(
        content, status_code=status, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS
    )


def _stripe_return_url(intent: PaymentIntent | SetupIntent, redirect_status: str) -> str | None:
    """Where Stripe sends the browser after a redirect-based step, with its parameters
    (`payment_intent…` or `setup_intent…`, and `redirect_status`)."""
    if not intent.return_url:
        return None
    kind = "setup_intent" if isinstance(intent, SetupIntent) else "payment_intent"
    parts = urlsplit(intent.return_url)
    query = urlencode(
        {
            kind: intent.id,
            f"{kind}_client_secret": intent.data["client_secret"],
            "redirect_status": redirect_status,
        }
    )
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))


def _card_page(intent: PaymentIntent, error: str | None = None) -> Response[str]:
    data = intent.data
    return _html(
        card_page(
            intent_id=intent.id,
            merchant=intent.account.display_name,
            amount_minor=data["amount"],
            currency=data["currency"],
            description=data["description"],
            status=intent.status,
            error=error,
            back_url=_stripe_return_url(intent, "failed"),
        )
    )


@get("/pay/{intent_id:str}")
async def pay_page(request: AnyRequest, intent_id: FromPath[str]) -> Response[str]:
    intent = _fake(request).stripe.payment_intents.get(intent_id)
    if intent is None:
        return _html(message_page("Not found", "There is no such payment."), 404)
    return _card_page(intent)


@post("/pay/{intent_id:str}", status_code=200)
async def pay_submit(request: AnyRequest, intent_id: FromPath[str]) -> Response[Any]:
    stripe = _fake(request).stripe
    intent = stripe.payment_intents.get(intent_id)
    if intent is None:
        return _html(message_page("Not found", "There is no such payment."), 404)
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    try:
        stripe.pay_with_card_number(intent_id, form.get("card_number", ""))
    except StripeError as error:
        return _card_page(intent, str(error.error.get("message", "The payment failed.")))
    if intent.status == "requires_action":
        return _redirect(f"/stripe/3ds/{intent.id}")
    target = _stripe_return_url(intent, "succeeded")
    if target is None:
        return _html(message_page("Payment authorised", "You can close this page."))
    return _redirect(target)


@get("/stripe/3ds/{intent_id:str}")
async def three_d_secure(request: AnyRequest, intent_id: FromPath[str]) -> Response[str]:
    stripe = _fake(request).stripe
    intent = stripe.payment_intents.get(intent_id)
    setup = stripe.setups.setup_intents.get(intent_id)
    if setup is not None:
        return _setup_three_d_secure(setup)
    if intent is None:
        return _html(message_page("Not found", "There is no such payment."), 404)
    if intent.status != "requires_action" or intent.pending_card is None:
        return _html(
            message_page(
                "Nothing to confirm",
                f"This payment is {intent.status.replace('_', ' ')}.",
                _stripe_return_url(
                    intent, "succeeded" if intent.status != "canceled" else "failed"
                ),
            )
        )
    return _html(
        three_d_secure_page(
            intent_id=intent.id,
            merchant=intent.account.display_name,
            amount_minor=intent.data["amount"],
            currency=intent.data["currency"],
            card_last4=intent.pending_card.last4,
        )
    )


def _setup_three_d_secure(setup: SetupIntent) -> Response[str]:
    if setup.status != "requires_action" or setup.pending_card is None:
        done = "succeeded" if setup.status == "succeeded" else "failed"
        return _html(
            message_page(
                "Nothing to confirm",
                f"This setup is {setup.status.replace('_', ' ')}.",
                _stripe_return_url(setup, done),
            )
        )
    return _html(
        three_d_secure_page(
            intent_id=setup.id,
            merchant=setup.account.display_name,
            amount_minor=None,
            currency="",
            card_last4=setup.pending_card.last4,
        )
    )


@post("/stripe/3ds/{intent_id:str}", status_code=200)
async def three_d_secure_submit(request: AnyRequest, intent_id: FromPath[str]) -> Response[Any]:
    stripe = _fake(request).stripe
    if intent_id not in stripe.payment_intents and intent_id not in stripe.setups.setup_intents:
        return _html(message_page("Not found", "There is no such payment."), 404)
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    approve = form.get("action") == "complete"
    intent: PaymentIntent | SetupIntent
    if intent_id in stripe.setups.setup_intents:
        intent = stripe.setups.complete_three_d_secure(intent_id, approve=approve)
    else:
        intent = stripe.complete_three_d_secure(intent_id, approve=approve)
    succeeded = intent.status in ("requires_capture", "succeeded")
    target = _stripe_return_url(intent, "succeeded" if succeeded else "failed")
    if target is None:
        title = "Authentication complete" if succeeded else "Authentication failed"
        return _html(message_page(title, "You can close this page."))
    return _redirect(target)


def _setup_page(setup: SetupIntent, stripe: StripeState, error: str | None = None) -> Response[str]:
    customer = stripe.setups.customers.get(setup.data["customer"] or "")
    return _html(
        setup_page(
            setup_id=setup.id,
            merchant=setup.account.display_name,
            payment_method_types=setup.data["payment_method_types"],
            status=setup.status,
            email=customer["email"] if customer else None,
            error=error,
            back_url=_stripe_return_url(setup, "failed"),
        ),
        400 if error else 200,
    )


@get("/setup/{setup_id:str}")
async def setup_form(request: AnyRequest, setup_id: FromPath[str]) -> Response[str]:
    stripe = _fake(request).stripe
    setup = stripe.setups.setup_intents.get(setup_id)
    if setup is None:
        return _html(message_page("Not found", "There is no such setup."), 404)
    return _setup_page(setup, stripe)


@post("/setup/{setup_id:str}", status_code=200)
async def setup_submit(request: AnyRequest, setup_id: FromPath[str]) -> Response[Any]:
    stripe = _fake(request).stripe
    setup = stripe.setups.setup_intents.get(setup_id)
    if setup is None:
        return _html(message_page("Not found", "There is no such setup."), 404)
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    client_ip = request.client.host if request.client else "127.0.0.1"
    user_agent = request.headers.get("user-agent", "")
    try:
        stripe.setups.save_from_page(setup_id, form, client_ip, user_agent)
    except StripeError as error:
        # Declined or mistyped: said on the page, where the customer may try again (as in
        # Stripe's Payment Element), or cancel and return.
        return _setup_page(setup, stripe, str(error.error.get("message", "That did not work.")))
    if setup.status == "requires_action":
        return _redirect(f"/stripe/3ds/{setup.id}")
    target = _stripe_return_url(setup, "succeeded")
    if target is None:
        return _html(message_page("Payment method saved", "You can close this page."))
    return _redirect(target)


@get("/mandates/{mandate_id:str}")
async def mandate_document(request: AnyRequest, mandate_id: FromPath[str]) -> Response[str]:
    stripe = _fake(request).stripe
    mandate = stripe.setups.mandates.get(mandate_id)
    if mandate is None:
        return _html(message_page("Not found", "There is no such mandate."), 404)
    pm = stripe.payment_methods[mandate["payment_method"]]
    account = stripe.accounts[stripe.owners[mandate_id]]
    accepted = mandate["customer_acceptance"]["accepted_at"]
    return _html(
        mandate_page(
            reference=mandate["payment_method_details"]["sepa_debit"]["reference"],
            merchant=account.display_name,
            last4=pm["sepa_debit"]["last4"],
            accepted_at=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(accepted)),
            status=mandate["status"],
        )
    )


@get("/checkoutnow")
async def paypal_checkout(request: AnyRequest, token: FromQuery[str]) -> Response[str]:
    order = _fake(request).paypal.orders.get(token)
    if order is None:
        return _html(message_page("Not found", "There is no such PayPal order."), 404)
    return _html(
        paypal_approval_page(
            order_id=order.id,
            merchant=order.account.display_name,
            amount_minor=order.amount_minor,
            currency=order.currency,
            description=order.purchase_unit.get("description"),
            status=order.status,
        )
    )


@post("/checkoutnow/{order_id:str}", status_code=200)
async def paypal_checkout_submit(request: AnyRequest, order_id: FromPath[str]) -> Response[Any]:
    paypal = _fake(request).paypal
    if order_id not in paypal.orders:
        return _html(message_page("Not found", "There is no such PayPal order."), 404)
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    try:
        choice = PayerChoice(form.get("action", ""))
    except ValueError:
        return _html(message_page("Unknown choice", "Please use one of the buttons."), 400)
    target = paypal.payer_acts(order_id, choice)
    if target is None:
        return _html(message_page("Done", "You can close this page."))
    return _redirect(target)


def _redirect(url: str) -> Response[Any]:
    return Redirect(path=url, status_code=303, headers=SECURITY_HEADERS)


# -- test controls --------------------------------------------------------------------------------


class StripeAccountRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    secret_key: str | None = None
    publishable_key: str | None = None
    webhook_secret: str | None = None
    display_name: str = "Fake CPO"


class PayPalAccountRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: str | None = None
    client_secret: str | None = None
    webhook_id: str | None = None
    display_name: str = "Fake CPO"


class StripeWebhookRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    secret_key: str
    url: str
    signing_secret: str | None = None


class PayPalWebhookRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: str
    url: str
    webhook_id: str | None = None


class FaultRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    path: str
    kind: str = "error"  # "error" | "hang"
    times: int = 1
    method: str | None = None
    status: int = 500
    seconds: float = 30.0
    after_processing: bool = False


class WebhookPatternRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pattern: str | None = None
    provider: str | None = None
    times: int = 1


class SettleRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    succeed: bool | None = None  # None: as the test IBAN says


class RedeliverRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    event_id: str | None = None
    provider: str | None = None


CONTROLS = {
    "POST /_fake/stripe/accounts": "create a Stripe test account (optionally with chosen keys)",
    "POST /_fake/paypal/accounts": "create a PayPal test app (optionally with chosen credentials)",
    "POST /_fake/stripe/webhooks": "register {secret_key, url, signing_secret?}",
    "POST /_fake/paypal/webhooks": "register {client_id, url, webhook_id?}",
    "POST /_fake/faults": "next N requests matching {path glob, method?} fail (kind=error, "
    "status) or hang (kind=hang, seconds); after_processing=true: the work happens first",
    "DELETE /_fake/faults": "remove all injected faults",
    "POST /_fake/stripe/payment_intents/{id}/expire": "the authorisation ran out (canceled, "
    "reason automatic, webhook payment_intent.canceled)",
    "POST /_fake/stripe/payment_intents/{id}/settle": "a processing bank debit settles: "
    "{succeed: true|false|null} (null: as the test IBAN says); payment_intent.succeeded or "
    ".payment_failed",
    "POST /_fake/paypal/authorizations/{id}/expire": "the authorization is EXPIRED",
    "GET /_fake/objects/{id}": "current state of any object of either provider",
    "GET /_fake/webhooks/deliveries": "every delivery attempt so far",
    "POST /_fake/webhooks/hold": "hold back events whose type matches {pattern} until released",
    "POST /_fake/webhooks/release": "deliver held events ({pattern?}: only that hold)",
    "POST /_fake/webhooks/duplicate": "deliver each of the next {times} events matching "
    "{pattern} twice",
    "POST /_fake/webhooks/redeliver": "deliver {event_id} (default: the last event) again",
}


@get("/_fake")
async def controls_index() -> dict[str, str]:
    return CONTROLS


@post("/_fake/stripe/accounts", status_code=201)
async def control_stripe_account(
    request: AnyRequest, data: JSONBody[StripeAccountRequest]
) -> dict[str, str]:
    try:
        account = _fake(request).stripe_account(
            secret_key=data.secret_key,
            publishable_key=data.publishable_key,
            webhook_secret=data.webhook_secret,
            display_name=data.display_name,
        )
    except ValueError as error:
        raise _bad_request(str(error)) from error
    return {
        "account_id": account.account_id,
        "secret_key": account.secret_key,
        "publishable_key": account.publishable_key,
        "webhook_secret": account.webhook_secret,
    }


@post("/_fake/paypal/accounts", status_code=201)
async def control_paypal_account(
    request: AnyRequest, data: JSONBody[PayPalAccountRequest]
) -> dict[str, str]:
    account = _fake(request).paypal_account(
        client_id=data.client_id,
        client_secret=data.client_secret,
        webhook_id=data.webhook_id,
        display_name=data.display_name,
    )
    return {
        "client_id": account.client_id,
        "client_secret": account.client_secret,
        "webhook_id": account.webhook_id,
        "merchant_id": account.merchant_id,
    }


@post("/_fake/stripe/webhooks", status_code=200)
async def control_stripe_webhook(
    request: AnyRequest, data: JSONBody[StripeWebhookRequest]
) -> dict[str, str]:
    try:
        account = _fake(request).register_stripe_webhook(
            data.secret_key, data.url, data.signing_secret
        )
    except LookupError as error:
        raise _not_found(str(error)) from error
    return {"url": data.url, "signing_secret": account.webhook_signing_secret or ""}


@post("/_fake/paypal/webhooks", status_code=200)
async def control_paypal_webhook(
    request: AnyRequest, data: JSONBody[PayPalWebhookRequest]
) -> dict[str, str]:
    try:
        account = _fake(request).register_paypal_webhook(data.client_id, data.url, data.webhook_id)
    except LookupError as error:
        raise _not_found(str(error)) from error
    return {"url": data.url, "webhook_id": account.webhook_id}


@post("/_fake/faults", status_code=201)
async def control_add_fault(request: AnyRequest, data: JSONBody[FaultRequest]) -> dict[str, Any]:
    fake = _fake(request)
    try:
        if data.kind == "hang":
            fake.hang_next(
                data.path,
                times=data.times,
                seconds=data.seconds,
                method=data.method,
                after_processing=data.after_processing,
            )
        elif data.kind == "error":
            fake.fail_next(
                data.path,
                times=data.times,
                status=data.status,
                method=data.method,
                after_processing=data.after_processing,
            )
        else:
            raise ValueError("kind is 'error' or 'hang'")
    except ValueError as error:
        raise _bad_request(str(error)) from error
    return {"faults": len(fake.faults.rules)}


@delete("/_fake/faults", status_code=204)
async def control_clear_faults(request: AnyRequest) -> None:
    _fake(request).clear_faults()


@post("/_fake/stripe/payment_intents/{intent_id:str}/expire", status_code=200)
async def control_expire_intent(request: AnyRequest, intent_id: FromPath[str]) -> JSON:
    return _control(lambda: _fake(request).expire_payment_intent(intent_id))


@post("/_fake/stripe/payment_intents/{intent_id:str}/settle", status_code=200)
async def control_settle_intent(
    request: AnyRequest, intent_id: FromPath[str], data: JSONBody[SettleRequest]
) -> JSON:
    return _control(lambda: _fake(request).settle_payment_intent(intent_id, succeed=data.succeed))


@post("/_fake/paypal/authorizations/{authorization_id:str}/expire", status_code=200)
async def control_expire_authorization(
    request: AnyRequest, authorization_id: FromPath[str]
) -> JSON:
    return _control(lambda: _fake(request).expire_paypal_authorization(authorization_id))


@get("/_fake/objects/{object_id:str}")
async def control_object(request: AnyRequest, object_id: FromPath[str]) -> JSON:
    return _control(lambda: _fake(request).object(object_id))


@get("/_fake/webhooks/deliveries")
async def control_deliveries(request: AnyRequest) -> list[dict[str, Any]]:
    return [
        {
            "provider": a.provider,
            "event_id": a.event_id,
            "event_type": a.event_type,
            "url": a.url,
            "attempt": a.attempt,
            "status_code": a.status_code,
            "error": a.error,
            "at": a.at,
        }
        for a in _fake(request).webhook_deliveries
    ]


@post("/_fake/webhooks/hold", status_code=200)
async def control_hold(request: AnyRequest, data: JSONBody[WebhookPatternRequest]) -> JSON:
    if not data.pattern:
        raise _bad_request("pattern is required")
    _fake(request).hold_webhooks(data.pattern, data.provider)
    return {"held_pattern": data.pattern}


@post("/_fake/webhooks/release", status_code=200)
async def control_release(request: AnyRequest, data: JSONBody[WebhookPatternRequest]) -> JSON:
    return {"released": _fake(request).release_webhooks(data.pattern, data.provider)}


@post("/_fake/webhooks/duplicate", status_code=200)
async def control_duplicate(request: AnyRequest, data: JSONBody[WebhookPatternRequest]) -> JSON:
    _fake(request).duplicate_webhooks(data.pattern or "*", data.times, data.provider)
    return {"pattern": data.pattern or "*", "times": data.times}


@post("/_fake/webhooks/redeliver", status_code=200)
async def control_redeliver(request: AnyRequest, data: JSONBody[RedeliverRequest]) -> JSON:
    return _control(
        lambda: {"event_id": _fake(request).redeliver_webhook(data.event_id, data.provider)}
    )


def _control(action: Callable[[], JSON]) -> JSON:
    try:
        return action()
    except LookupError as error:
        raise _not_found(str(error)) from error
    except ValueError as error:
        raise _conflict(str(error)) from error


def _bad_request(detail: str) -> Exception:
    return ValidationException(detail=detail)


def _not_found(detail: str) -> Exception:
    return NotFoundException(detail=detail)


def _conflict(detail: str) -> Exception:
    return ClientException(detail=detail, status_code=409)


@route("/v1/{rest:path}", http_method=[HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE])
async def stripe_unknown(request: AnyRequest, rest: FromPath[str]) -> Response[bytes]:
    error = _unrecognized_url(request.method, request.url.path)
    return _stripe_response(error.status, dump_json(error.body, pretty=True), stripe_id("req"))


ROUTES = [
    stripe_create_intent,
    stripe_get_intent,
    stripe_confirm_intent,
    stripe_capture_intent,
    stripe_cancel_intent,
    stripe_create_refund,
    stripe_create_customer,
    stripe_update_customer,
    stripe_create_setup_intent,
    stripe_get_setup_intent,
    stripe_confirm_setup_intent,
    stripe_cancel_setup_intent,
    stripe_attach_method,
    stripe_detach_method,
    stripe_get_object,
    paypal_token,
    paypal_create_order,
    paypal_get_order,
    paypal_authorize_order,
    paypal_get_authorization,
    paypal_capture_authorization,
    paypal_void_authorization,
    paypal_get_capture,
    paypal_refund_capture,
    paypal_get_refund,
    paypal_verify_webhook,
    pay_page,
    pay_submit,
    three_d_secure,
    three_d_secure_submit,
    setup_form,
    setup_submit,
    mandate_document,
    paypal_checkout,
    paypal_checkout_submit,
    controls_index,
    control_stripe_account,
    control_paypal_account,
    control_stripe_webhook,
    control_paypal_webhook,
    control_add_fault,
    control_clear_faults,
    control_expire_intent,
    control_settle_intent,
    control_expire_authorization,
    control_object,
    control_deliveries,
    control_hold,
    control_release,
    control_duplicate,
    control_redeliver,
    stripe_unknown,
]


def build_app(fake: FakeProviders) -> ASGIApp:
    """The fake's ASGI app: Litestar routes behind the fault-injection wrapper."""
    app = Litestar(
        route_handlers=ROUTES,
        state=State({"fake": fake}),
        openapi_config=None,
        logging_config=None,
    )
    return FaultMiddleware(cast(ASGIApp, app), fake.faults)

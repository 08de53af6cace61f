"""The Stripe subset: accounts, PaymentIntents (manual and automatic capture, cards and
SEPA Direct Debit, on- and off-session), charges, payment methods from Stripe's test
tokens, refunds, events and their webhooks. Customers, SetupIntents and mandates are in
`payments.fake.stripe_setup`, the test cards and IBANs in `payments.fake.instruments`.

Plain state and rules, no HTTP: `payments.fake.app` decodes requests into calls here and
turns `StripeError` into Stripe's error envelope. Object shapes follow Stripe's API
reference (the fields a client reads are all there; rarely used ones are `null`).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from payments.fake.common import (
    JSON,
    as_str_mapping,
    dump_json,
    format_money,
    now_unix,
    random_token,
    stripe_id,
)
from payments.fake.instruments import (
    CARDS_BY_NUMBER,
    CARDS_BY_TOKEN,
    DECLINE_MESSAGES,
    IBANS_BY_TOKEN,
    TestCard,
    TestIban,
)
from payments.fake.webhooks import OutgoingEvent

if TYPE_CHECKING:
    from payments.fake.stripe_setup import StripeSetups

# The version events carry until an account's first request names one (as Stripe pins an
# account's version at its first request).
DEFAULT_API_VERSION = "2026-10-28.endive"

STRIPE_EVENT_TYPES = (
    "payment_intent.amount_capturable_updated",
    "payment_intent.processing",
    "payment_intent.succeeded",
    "payment_intent.canceled",
    "payment_intent.payment_failed",
    "charge.refunded",
    "setup_intent.succeeded",
    "setup_intent.setup_failed",
    "setup_intent.canceled",
    "payment_method.attached",
    "payment_method.detached",
)

# Minimum charge amounts for common currencies, in minor units (Stripe's table, abridged).
MINIMUM_AMOUNTS = {"eur": 50, "usd": 50, "gbp": 30, "chf": 50, "dkk": 250, "sek": 300, "nok": 300}

CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
# `off_session` as Stripe takes it: a boolean, or the kind of off-session payment.
OFF_SESSION_VALUES = ("true", "false", "one_off", "recurring")
# Bank debits take days: confirmed, they are `processing` until they settle.
DEBIT_METHODS = frozenset({"sepa_debit"})

Instrument = TestCard | TestIban


class StripeError(Exception):
    """An API error in Stripe's envelope. `saved` says whether the idempotency layer keeps
    it: Stripe saves results once an endpoint started executing, not failed validation."""

    def __init__(self, status: int, error: JSON, *, saved: bool = True) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error
        self.saved = saved

    @property
    def body(self) -> JSON:
        return {"error": self.error}


def _doc_url(code: str) -> str:
    return f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}"


def invalid_request(
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    status: int = 400,
    saved: bool = True,
    **extra: Any,
) -> StripeError:
    error: JSON = {"type": "invalid_request_error", "message": message}
    if code is not None:
        error["code"] = code
        error["doc_url"] = _doc_url(code)
    if param is not None:
        error["param"] = param
    error.update(extra)
    return StripeError(status, error, saved=saved)


def unexpected_state(message: str, payment_intent: JSON) -> StripeError:
    return invalid_request(
        message, code="payment_intent_unexpected_state", payment_intent=payment_intent
    )


def resource_missing(kind: str, object_id: str, param: str) -> StripeError:
    return invalid_request(
        f"No such {kind}: '{object_id}'", code="resource_missing", param=param, status=404
    )


@dataclass
class StripeAccount:
    account_id: str
    secret_key: str
    publishable_key: str
    webhook_secret: str
    display_name: str
    api_version: str | None = None
    webhook_url: str | None = None
    webhook_signing_secret: str | None = None


@dataclass
class RequestContext:
    request_id: str
    idempotency_key: str | None = None


@dataclass
class Intent:
    """What PaymentIntents and SetupIntents share: the account, the object as the API shows
    it, where the browser returns to, and the card waiting for its 3-D Secure step."""

    account: StripeAccount
    data: JSON
    return_url: str | None = None
    pending_card: TestCard | None = None

    @property
    def id(self) -> str:
        result: str = self.data["id"]
        return result

    @property
    def status(self) -> str:
        result: str = self.data["status"]
        return result


@dataclass
class PaymentIntent(Intent):
    pending_iban: TestIban | None = None  # the bank account of a debit until it settles
    refunded: int = 0
    off_session: bool = False  # charged without the customer: nobody to do 3-D Secure


@dataclass
class StripeState:
    """All Stripe objects of one fake server."""

    public_url: Callable[[], str]
    publish: Callable[[OutgoingEvent], None]
    accounts: dict[str, StripeAccount] = field(default_factory=dict)  # by secret key
    payment_intents: dict[str, PaymentIntent] = field(default_factory=dict)
    charges: dict[str, JSON] = field(default_factory=dict)
    payment_methods: dict[str, JSON] = field(default_factory=dict)
    payment_method_cards: dict[str, TestCard] = field(default_factory=dict)
    payment_method_ibans: dict[str, TestIban] = field(default_factory=dict)
    refunds: dict[str, JSON] = field(default_factory=dict)
    events: dict[str, JSON] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # object id -> secret key
    open_accounts: bool = False
    # Bank debits settle on their own this long after they start processing (None: only
    # through `settle_intent`); `schedule(delay_s, action)` runs an action later.
    debits_settle_after_s: float | None = None
    schedule: Callable[[float, Callable[[], None]], object] | None = None
    setups: StripeSetups = field(init=False)

    def __post_init__(self) -> None:
        # Customers, SetupIntents and mandates: saving a payment method for later.
        from payments.fake.stripe_setup import StripeSetups

        self.setups = StripeSetups(self)

    # -- accounts and webhooks -----------------------------------------------------------

    def create_account(
        self,
        *,
        secret_key: str | None = None,
        publishable_key: str | None = None,
        webhook_secret: str | None = None,
        display_name: str = "Fake CPO",
    ) -> StripeAccount:
        token = random_token(24)
        secret_key = secret_key or f"sk_test_{token}"
        if not secret_key.startswith("sk_test_"):
            raise ValueError("a fake Stripe secret key starts with sk_test_")
        if secret_key in self.accounts:
            return self.accounts[secret_key]
        account = StripeAccount(
            account_id=stripe_id("acct")[:21],
            secret_key=secret_key,
            publishable_key=publishable_key or f"pk_test_{token}",
            webhook_secret=webhook_secret or f"whsec_{random_token(32)}",
            display_name=display_name,
        )
        self.accounts[secret_key] = account
        return account

    def register_webhook(
        self, secret_key: str, url: str, signing_secret: str | None = None
    ) -> StripeAccount:
        account = self.accounts.get(secret_key)
        if account is None:
            raise LookupError(f"no fake Stripe account with secret key {secret_key[:12]}…")
        account.webhook_url = url
        account.webhook_signing_secret = signing_secret or account.webhook_secret
        return account

    def authenticate(self, authorization: str | None) -> StripeAccount:
        if not authorization:
            raise invalid_request(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
                status=401,
                saved=False,
            )
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() == "basic":  # `curl -u sk_test_…:` sends the key as the user
            try:
                key = base64.b64decode(key, validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
            scheme = "bearer"
        if scheme.lower() != "bearer" or not key:
            raise invalid_request(
                "Invalid API Key provided: use Bearer auth with a secret key.",
                status=401,
                saved=False,
            )
        if key.startswith("pk_"):
            raise invalid_request(
                "This API call cannot be made with a publishable API key. Please use a "
                "secret API key.",
                status=401,
                saved=False,
            )
        account = self.accounts.get(key)
        if account is None and self.open_accounts and key.startswith("sk_test_"):
            account = self.create_account(secret_key=key)
        if account is None:
            raise invalid_request(
                f"Invalid API Key provided: {_redact(key)}", status=401, saved=False
            )
        return account

    # -- lookups -------------------------------------------------------------------------

    def intent(
        self, account: StripeAccount, intent_id: str, param: str = "intent"
    ) -> PaymentIntent:
        intent = self.payment_intents.get(intent_id)
        if intent is None or intent.account is not account:
            raise resource_missing("payment_intent", intent_id, param)
        return intent

    def object_by_id(self, object_id: str) -> JSON | None:
        """Any Stripe object of this fake, for assertions."""
        intent = self.payment_intents.get(object_id)
        if intent is not None:
            return copy.deepcopy(intent.data)
        for table in (self.charges, self.payment_methods, self.refunds, self.events):
            if object_id in table:
                return copy.deepcopy(table[object_id])
        return self.setups.object_by_id(object_id)

    def render_intent(self, intent: PaymentIntent, expand: list[str] | None = None) -> JSON:
        data = copy.deepcopy(intent.data)
        for path in expand or []:
            if path == "latest_charge" and data["latest_charge"]:
                data["latest_charge"] = copy.deepcopy(self.charges[data["latest_charge"]])
            elif path == "payment_method" and data["payment_method"]:
                data["payment_method"] = copy.deepcopy(self.payment_methods[data["payment_method"]])
        return data

    # -- PaymentIntents ------------------------------------------------------------------

    def create_intent(self, account: StripeAccount, params: JSON, ctx: RequestContext) -> JSON:
        _only(
            params,
            "amount",
            "currency",
            "capture_method",
            "payment_method_types",
            "allowed_payment_method_types",
            "automatic_payment_methods",
            "description",
            "metadata",
            "payment_method",
            "confirm",
            "return_url",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "receipt_email",
            "payment_method_options",
            "confirmation_method",
            "setup_future_usage",
            "expand",
            "use_stripe_sdk",
            "error_on_requires_action",
            "off_session",
            "customer",
            "shipping",
            "mandate",
            "mandate_data",
        )
        amount = _integer(params, "amount", required=True)
        currency = _currency(params)
        minimum = MINIMUM_AMOUNTS.get(currency, 1)
        if amount < minimum:
            raise invalid_request(
                f"Amount must be at least {format_money(minimum, currency)}",
                code="amount_too_small",
                param="amount",
                saved=False,
            )
        capture_method = _choice(
            params, "capture_method", ("automatic", "automatic_async", "manual"), "automatic_async"
        )
        allowed = allowed_types(params)
        automatic_param = params.get("automatic_payment_methods")
        automatic: JSON | None = None
        if allowed is not None:
            types = allowed
            _check_method_types(types, currency, capture_method)
        else:
            enabled, allow_redirects = True, "always"
            if isinstance(automatic_param, dict):
                enabled = _boolean(automatic_param, "enabled", "automatic_payment_methods[enabled]")
                allow_redirects = _choice(
                    automatic_param, "allow_redirects", ("always", "never"), "always"
                )
            automatic = {"allow_redirects": allow_redirects, "enabled": True} if enabled else None
            types = ["card"]
        metadata = _metadata(params)
        intent_id = stripe_id("pi")
        data: JSON = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": automatic,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{intent_id}_secret_{random_token(25)}",
            "confirmation_method": "automatic",
            "created": now_unix(),
            "currency": currency,
            "customer": None,
            "description": _optional_str(params, "description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_configuration_details": None,
            "payment_method_options": {
                "card": {
                    "installments": None,
                    "mandate_options": None,
                    "network": None,
                    "request_three_d_secure": "automatic",
                }
            },
            "payment_method_types": types,
            "processing": None,
            "receipt_email": _optional_str(params, "receipt_email"),
            "review": None,
            "setup_future_usage": None,
            "shipping": None,
            "source": None,
            "statement_descriptor": _optional_str(params, "statement_descriptor"),
            "statement_descriptor_suffix": _optional_str(params, "statement_descriptor_suffix"),
            "status": "requires_payment_method",
            "transfer_data": None,
            "transfer_group": None,
        }
        intent = PaymentIntent(account=account, data=data)
        confirm = _boolean(params, "confirm", "confirm") if "confirm" in params else False
        return_url = _optional_str(params, "return_url")
        if return_url is not None and not confirm:
            raise invalid_request(
                "You can only pass in a return_url if you are confirming the PaymentIntent "
                "(confirm=true).",
                param="return_url",
                saved=False,
            )
        intent.return_url = return_url or metadata.get("return_url")
        off_session = _off_session(params)
        if off_session and not confirm:
            raise invalid_request(
                "You can only pass in off_session if you are confirming the PaymentIntent "
                "(confirm=true).",
                param="off_session",
                saved=False,
            )
        intent.off_session = off_session
        customer = _optional_str(params, "customer")
        if customer is not None:
            self.setups.customer(account, customer, param="customer")
            data["customer"] = customer
        self.payment_intents[intent_id] = intent
        self.owners[intent_id] = account.secret_key
        payment_method = _optional_str(params, "payment_method")
        if payment_method is not None and not confirm:
            self._choose_method(intent, payment_method)
            data["status"] = "requires_confirmation"
        elif confirm:
            self._confirm(intent, payment_method, ctx, params)
        return self.render_intent(intent, _expand(params))

    def confirm_intent(
        self, account: StripeAccount, intent_id: str, params: JSON, ctx: RequestContext
    ) -> JSON:
        intent = self.intent(account, intent_id)
        _only(
            params,
            "payment_method",
            "return_url",
            "expand",
            "capture_method",
            "payment_method_types",
            "payment_method_options",
            "receipt_email",
            "setup_future_usage",
            "use_stripe_sdk",
            "error_on_requires_action",
            "off_session",
            "mandate_data",
            "mandate",
            "shipping",
            "client_secret",
        )
        if "capture_method" in params:
            intent.data["capture_method"] = _choice(
                params, "capture_method", ("automatic", "automatic_async", "manual"), "automatic"
            )
        return_url = _optional_str(params, "return_url")
        if return_url:
            intent.return_url = return_url
        if "off_session" in params:
            intent.off_session = _off_session(params)
        self._confirm(intent, _optional_str(params, "payment_method"), ctx, params)
        return self.render_intent(intent, _expand(params))

    def _choose_method(self, intent: PaymentIntent, payment_method: str) -> None:
        """The PaymentMethod the intent will be confirmed with, if it may be used here."""
        chosen, pm = self.instrument(
            intent.account, payment_method, customer=intent.data["customer"]
        )
        data = intent.data
        allowed = list(data["payment_method_types"])
        if data["automatic_payment_methods"]:
            allowed.append("sepa_debit")
        if pm["type"] not in allowed:
            raise invalid_request(
                f"The PaymentMethod provided ({pm['type']}) is not allowed for this "
                "PaymentIntent. Please attach a PaymentMethod of one of the following types: "
                f"{', '.join(data['payment_method_types'])}.",
                param="payment_method",
            )
        if pm["type"] in DEBIT_METHODS:
            _check_method_types([pm["type"]], data["currency"], data["capture_method"])
        data["payment_method"] = pm["id"]
        intent.pending_card = chosen if isinstance(chosen, TestCard) else None
        intent.pending_iban = chosen if isinstance(chosen, TestIban) else None

    def _confirm(
        self,
        intent: PaymentIntent,
        payment_method: str | None,
        ctx: RequestContext,
        params: JSON | None = None,
    ) -> None:
        if intent.status not in CONFIRMABLE:
            if intent.status in ("requires_capture", "succeeded"):
                message = (
                    "You cannot confirm this PaymentIntent because it has already succeeded "
                    "after being previously confirmed."
                )
            else:
                message = (
                    f"You cannot confirm this PaymentIntent because it has a status of "
                    f"{intent.status}."
                )
            raise unexpected_state(message, self.render_intent(intent))
        if payment_method is not None:
            self._choose_method(intent, payment_method)
        card, iban = intent.pending_card, intent.pending_iban
        if (card is None and iban is None) or intent.data["payment_method"] is None:
            raise unexpected_state(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "You can either update the PaymentIntent with a payment method and then "
                "confirm it again, or confirm it again directly with a payment method.",
                self.render_intent(intent),
            )
        automatic = intent.data["automatic_payment_methods"]
        if automatic and automatic["allow_redirects"] == "always" and not intent.return_url:
            raise invalid_request(
                "This PaymentIntent is configured to accept payment methods enabled in your "
                "Dashboard. Because some of these payment methods might redirect your customer "
                "off of your page, you must provide a `return_url`. If you don't want to accept "
                "redirect-based payment methods, set `automatic_payment_methods[enabled]` to "
                "`true` and `automatic_payment_methods[allow_redirects]` to `never` when "
                "creating Setup Intents and Payment Intents.",
                saved=False,
            )
        intent.data["last_payment_error"] = None
        if iban is not None:
            self.setups.mandate_for_debit(intent, (params or {}).get("mandate_data"), ctx)
            self._debit(intent, iban, ctx)
            return
        assert card is not None
        if intent.off_session:
            if self._needs_authentication_off_session(intent, card):
                self._refuse_without_authentication(intent, ctx)
            self._authorize(intent, card, ctx, three_d_secure=False)
            return
        if card.outcome == "three_d_secure":
            intent.data["status"] = "requires_action"
            intent.data["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "return_url": intent.return_url,
                    "url": f"{self.public_url()}/stripe/3ds/{intent.id}",
                },
            }
            return
        self._authorize(intent, card, ctx, three_d_secure=False)

    def _authorize(
        self,
        intent: PaymentIntent,
        card: TestCard,
        ctx: RequestContext | None,
        *,
        three_d_secure: bool,
    ) -> None:
        """The card network's answer to an authorisation request."""
        data = intent.data
        pm_id: str = data["payment_method"]
        charge = self._new_charge(intent, card, pm_id, three_d_secure=three_d_secure)
        data["latest_charge"] = charge["id"]
        data["next_action"] = None
        if card.outcome == "decline":
            decline_code = card.decline_code or "generic_decline"
            message = DECLINE_MESSAGES.get(decline_code, "Your card was declined.")
            charge.update(
                status="failed",
                paid=False,
                failure_code="card_declined",
                failure_message=message,
                outcome={
                    "network_advice_code": None,
                    "network_decline_code": None,
                    "network_status": "declined_by_network",
                    "reason": decline_code,
                    "risk_level": "normal",
                    "risk_score": 20,
                    "seller_message": (
                        "The bank did not return any further details with this decline."
                    ),
                    "type": "issuer_declined",
                },
            )
            error: JSON = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": decline_code,
                "message": message,
                "charge": charge["id"],
                "doc_url": _doc_url("card_declined"),
                "payment_method": copy.deepcopy(self.payment_methods[pm_id]),
            }
            data.update(
                status="requires_payment_method",
                payment_method=None,
                last_payment_error=copy.deepcopy(error),
            )
            intent.pending_card = None
            self.emit(
                intent.account, "payment_intent.payment_failed", self.render_intent(intent), ctx
            )
            raise StripeError(402, {**error, "payment_intent": self.render_intent(intent)})
        if data["capture_method"] == "manual":
            data.update(status="requires_capture", amount_capturable=data["amount"])
            self.emit(
                intent.account,
                "payment_intent.amount_capturable_updated",
                self.render_intent(intent),
                ctx,
            )
        else:
            charge.update(captured=True, amount_captured=data["amount"])
            data.update(status="succeeded", amount_received=data["amount"])
            self.emit(intent.account, "payment_intent.succeeded", self.render_intent(intent), ctx)

    def _needs_authentication_off_session(self, intent: PaymentIntent, card: TestCard) -> bool:
        """A card that wants 3-D Secure for every payment fails without the customer; one
        that wants it only once is charged when it was saved (set up) for this customer."""
        outcome = card.when_charged_off_session
        if outcome == "authentication_required":
            return True
        if card.outcome != "three_d_secure":
            return False
        pm = self.payment_methods[intent.data["payment_method"]]
        return pm["customer"] is None or pm["customer"] != intent.data["customer"]

    def _refuse_without_authentication(self, intent: PaymentIntent, ctx: RequestContext) -> None:
        """Off-session, nobody can do 3-D Secure: the payment fails with
        `authentication_required` (the customer must come back and pay on-session)."""
        data = intent.data
        error: JSON = {
            "type": "card_error",
            "code": "authentication_required",
            "decline_code": "authentication_required",
            "message": "Your card was declined. This transaction requires authentication.",
            "doc_url": _doc_url("authentication_required"),
            "payment_method": copy.deepcopy(self.payment_methods[data["payment_method"]]),
        }
        data.update(
            status="requires_payment_method",
            payment_method=None,
            next_action=None,
            last_payment_error=copy.deepcopy(error),
        )
        intent.pending_card = None
        self.emit(intent.account, "payment_intent.payment_failed", self.render_intent(intent), ctx)
        raise StripeError(402, {**error, "payment_intent": self.render_intent(intent)})

    def _debit(self, intent: PaymentIntent, iban: TestIban, ctx: RequestContext | None) -> None:
        """A bank debit is submitted: `processing` until it settles (days at a real bank;
        here `settle_intent`, or by itself after `debits_settle_after_s`)."""
        data = intent.data
        charge = self._new_charge(intent, iban, data["payment_method"], three_d_secure=False)
        charge.update(status="pending", paid=False, outcome=None)
        data.update(status="processing", latest_charge=charge["id"], next_action=None)
        self.emit(intent.account, "payment_intent.processing", self.render_intent(intent), ctx)
        if self.debits_settle_after_s is not None and self.schedule is not None:
            self.schedule(self.debits_settle_after_s, lambda: self._settle_later(intent.id))

    def _settle_later(self, intent_id: str) -> None:
        intent = self.payment_intents.get(intent_id)
        if intent is not None and intent.status == "processing":
            self.settle_intent(intent_id)

    def settle_intent(self, intent_id: str, *, succeed: bool | None = None) -> JSON:
        """Test control: the bank's answer to a processing debit. `succeed` None: as the
        IBAN says (Stripe's test IBANs); True or False: that outcome, whatever the IBAN."""
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise LookupError(f"no PaymentIntent {intent_id}")
        iban = intent.pending_iban
        if intent.status != "processing" or iban is None:
            raise ValueError(f"a PaymentIntent in status {intent.status} has nothing to settle")
        data = intent.data
        charge = self.charges[data["latest_charge"]]
        intent.pending_iban = None
        if iban.succeeds if succeed is None else succeed:
            charge.update(
                status="succeeded", paid=True, captured=True, amount_captured=data["amount"]
            )
            data.update(status="succeeded", amount_received=data["amount"])
            self.emit(intent.account, "payment_intent.succeeded", self.render_intent(intent), None)
            return self.render_intent(intent)
        code = iban.failure_code or "generic_could_not_process"
        message = iban.failure_message or "The customer's bank could not process the debit."
        charge.update(status="failed", failure_code=code, failure_message=message)
        data.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error={
                "type": "invalid_request_error",
                "code": code,
                "message": message,
                "charge": charge["id"],
                "payment_method": copy.deepcopy(self.payment_methods[charge["payment_method"]]),
            },
        )
        self.emit(intent.account, "payment_intent.payment_failed", self.render_intent(intent), None)
        return self.render_intent(intent)

    def complete_three_d_secure(self, intent_id: str, *, approve: bool) -> PaymentIntent:
        """The driver's answer on the fake 3-D Secure page."""
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise LookupError(intent_id)
        if intent.status != "requires_action" or intent.pending_card is None:
            return intent
        if approve:
            self._authorize(intent, intent.pending_card, None, three_d_secure=True)
            return intent
        pm_id = intent.data["payment_method"]
        intent.data.update(
            status="requires_payment_method",
            payment_method=None,
            next_action=None,
            last_payment_error={
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "doc_url": _doc_url("payment_intent_authentication_failure"),
                "message": (
                    "The provided PaymentMethod has failed authentication. You can provide "
                    "payment_method_data or a new PaymentMethod to attempt to fulfill this "
                    "PaymentIntent again."
                ),
                "payment_method": copy.deepcopy(self.payment_methods[pm_id]),
            },
        )
        intent.pending_card = None
        self.emit(intent.account, "payment_intent.payment_failed", self.render_intent(intent), None)
        return intent

    def pay_with_card_number(self, intent_id: str, number: str) -> PaymentIntent:
        """The demo card page: a test card number stands for its test PaymentMethod."""
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise LookupError(intent_id)
        card = CARDS_BY_NUMBER.get("".join(number.split()))
        if card is None:
            raise invalid_request(
                "Your card number is incorrect. Use one of the test cards shown.",
                code="incorrect_number",
                param="number",
            )
        self._confirm(intent, card.token, RequestContext(request_id=stripe_id("req")))
        return intent

    def capture_intent(
        self, account: StripeAccount, intent_id: str, params: JSON, ctx: RequestContext
    ) -> JSON:
        intent = self.intent(account, intent_id)
        _only(
            params,
            "amount_to_capture",
            "expand",
            "metadata",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "final_capture",
            "application_fee_amount",
        )
        data = intent.data
        if intent.status != "requires_capture":
            raise unexpected_state(
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent.status}. Only a PaymentIntent with one of the following statuses "
                "may be captured: requires_capture.",
                self.render_intent(intent),
            )
        capturable: int = data["amount_capturable"]
        amount = capturable
        if "amount_to_capture" in params:
            amount = _integer(params, "amount_to_capture", required=True)
            if amount < 1:
                raise invalid_request(
                    "This value must be greater than or equal to 1.",
                    code="parameter_invalid_integer",
                    param="amount_to_capture",
                    saved=False,
                )
            if amount > capturable:
                raise invalid_request(
                    "The amount to capture must be less than or equal to the amount capturable "
                    f"on this PaymentIntent ({format_money(capturable, data['currency'])}).",
                    code="amount_too_large",
                    param="amount_to_capture",
                )
        if "metadata" in params:
            data["metadata"].update(_metadata(params))
        charge = self.charges[data["latest_charge"]]
        charge.update(captured=True, amount_captured=amount)
        data.update(status="succeeded", amount_received=amount, amount_capturable=0)
        self.emit(account, "payment_intent.succeeded", self.render_intent(intent), ctx)
        return self.render_intent(intent, _expand(params))

    def cancel_intent(
        self, account: StripeAccount, intent_id: str, params: JSON, ctx: RequestContext
    ) -> JSON:
        intent = self.intent(account, intent_id)
        _only(params, "cancellation_reason", "expand")
        reason = params.get("cancellation_reason")
        if reason is not None and reason not in CANCELLATION_REASONS:
            raise invalid_request(
                "Invalid cancellation_reason: must be one of duplicate, fraudulent, "
                "requested_by_customer, or abandoned",
                param="cancellation_reason",
                saved=False,
            )
        if intent.status not in CANCELABLE:
            raise unexpected_state(
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent.status}. Only a PaymentIntent with one of the following statuses may "
                f"be canceled: {', '.join(CANCELABLE)}.",
                self.render_intent(intent),
            )
        self._cancel(intent, reason, ctx)
        return self.render_intent(intent, _expand(params))

    def _cancel(
        self, intent: PaymentIntent, reason: str | None, ctx: RequestContext | None
    ) -> None:
        intent.data.update(
            status="canceled",
            canceled_at=now_unix(),
            cancellation_reason=reason,
            amount_capturable=0,
            next_action=None,
        )
        intent.pending_card = None
        intent.pending_iban = None
        self.emit(intent.account, "payment_intent.canceled", self.render_intent(intent), ctx)

    def expire_intent(self, intent_id: str) -> JSON:
        """Test control: the authorisation ran out (Stripe cancels it, reason `automatic`)."""
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise LookupError(f"no PaymentIntent {intent_id}")
        if intent.status not in CANCELABLE:
            raise ValueError(f"a PaymentIntent in status {intent.status} cannot expire")
        self._cancel(intent, "automatic", None)
        return self.render_intent(intent)

    # -- refunds -------------------------------------------------------------------------

    def create_refund(self, account: StripeAccount, params: JSON, ctx: RequestContext) -> JSON:
        _only(
            params,
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "expand",
            "instructions_email",
        )
        intent_id = _optional_str(params, "payment_intent")
        charge_id = _optional_str(params, "charge")
        if intent_id is None and charge_id is None:
            raise invalid_request(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
                saved=False,
            )
        if intent_id is not None:
            intent = self.intent(account, intent_id, param="payment_intent")
        else:
            assert charge_id is not None
            charge_data = self.charges.get(charge_id)
            if charge_data is None or self.owners.get(charge_id) != account.secret_key:
                raise resource_missing("charge", charge_id, "charge")
            intent = self.payment_intents[charge_data["payment_intent"]]
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid_request(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param="reason",
                saved=False,
            )
        data = intent.data
        if intent.status != "succeeded":
            raise invalid_request(
                f"This PaymentIntent ({intent.id}) does not have a successful charge to refund.",
                code="charge_not_refundable" if data["latest_charge"] else "resource_missing",
            )
        charge = self.charges[data["latest_charge"]]
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise invalid_request(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining
        if "amount" in params:
            amount = _integer(params, "amount", required=True)
            if amount < 1:
                raise invalid_request(
                    "This value must be greater than or equal to 1.",
                    code="parameter_invalid_integer",
                    param="amount",
                    saved=False,
                )
            if amount > remaining:
                raise invalid_request(
                    f"Refund amount ({format_money(amount, charge['currency'])}) is greater than "
                    f"unrefunded amount on charge ({format_money(remaining, charge['currency'])})",
                    code="amount_too_large",
                    param="amount",
                )
        refund_id = stripe_id("re")
        refund: JSON = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": stripe_id("txn"),
            "charge": charge["id"],
            "created": now_unix(),
            "currency": charge["currency"],
            "destination_details": {
                "card": {
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": _metadata(params),
            "payment_intent": intent.id,
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self.refunds[refund_id] = refund
        self.owners[refund_id] = account.secret_key
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        intent.refunded += amount
        self.emit(account, "charge.refunded", copy.deepcopy(charge), ctx)
        return copy.deepcopy(refund)

    def get_owned(
        self, account: StripeAccount, table: dict[str, JSON], kind: str, object_id: str
    ) -> JSON:
        data = table.get(object_id)
        if data is None or self.owners.get(object_id) != account.secret_key:
            raise resource_missing(kind, object_id, "id")
        return copy.deepcopy(data)

    # -- events --------------------------------------------------------------------------

    def emit(
        self, account: StripeAccount, event_type: str, obj: JSON, ctx: RequestContext | None
    ) -> JSON:
        event_id = stripe_id("evt")
        event: JSON = {
            "id": event_id,
            "object": "event",
            "api_version": account.api_version or DEFAULT_API_VERSION,
            "created": now_unix(),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1 if account.webhook_url else 0,
            "request": {
                "id": ctx.request_id if ctx else None,
                "idempotency_key": ctx.idempotency_key if ctx else None,
            },
            "type": event_type,
        }
        self.events[event_id] = event
        self.owners[event_id] = account.secret_key
        if account.webhook_url and account.webhook_signing_secret:
            secret = account.webhook_signing_secret
            self.publish(
                OutgoingEvent(
                    provider="stripe",
                    account=account.secret_key,
                    event_id=event_id,
                    event_type=event_type,
                    body=dump_json(event, pretty=True),
                    url=account.webhook_url,
                    sign=lambda body: stripe_webhook_headers(body, secret),
                )
            )
        return event

    # -- objects -------------------------------------------------------------------------

    def instrument(
        self,
        account: StripeAccount,
        payment_method: str,
        *,
        customer: str | None = None,
        param: str = "payment_method",
    ) -> tuple[Instrument, JSON]:
        """A test token (`pm_card_visa`, `pm_success_de`) makes a new PaymentMethod, as in
        Stripe's test mode; an id this fake made before is reused where Stripe allows it:
        one attached to a customer only together with that customer, a detached one never."""
        card = CARDS_BY_TOKEN.get(payment_method)
        if card is not None:
            return card, self.new_card_method(account, card)
        iban = IBANS_BY_TOKEN.get(payment_method)
        if iban is not None:
            return iban, self.new_iban_method(account, iban)
        existing = self.payment_methods.get(payment_method)
        if existing is None or self.owners.get(payment_method) != account.secret_key:
            raise resource_missing("PaymentMethod", payment_method, param)
        if payment_method in self.setups.detached:
            raise invalid_request(
                "The provided PaymentMethod was previously used with a PaymentIntent without "
                "Customer attachment, shared with a connected account without Customer "
                "attachment, or was detached from a Customer. It may not be used again. To use "
                "a PaymentMethod multiple times, you must attach it to a Customer first.",
                param=param,
            )
        attached = existing["customer"]
        if attached is not None and attached != customer:
            raise invalid_request(
                "The provided PaymentMethod was previously attached to a Customer. To use a "
                "PaymentMethod that is attached to a Customer, you must pass the Customer ID "
                "to the customer parameter."
                if customer is None
                else "The provided PaymentMethod belongs to another Customer.",
                param=param,
            )
        found: Instrument = (
            self.payment_method_cards.get(payment_method)
            or self.payment_method_ibans[payment_method]
        )
        return found, existing

    def new_card_method(self, account: StripeAccount, card: TestCard) -> JSON:
        pm = _new_method(
            "card",
            {
                "brand": card.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": "US",
                "display_brand": card.brand,
                "exp_month": 12,
                "exp_year": 2034,
                "fingerprint": _fingerprint(card.number),
                "funding": card.funding,
                "generated_from": None,
                "last4": card.last4,
                "networks": {"available": [card.brand], "preferred": None},
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            },
        )
        self.payment_methods[pm["id"]] = pm
        self.payment_method_cards[pm["id"]] = card
        self.owners[pm["id"]] = account.secret_key
        return pm

    def new_iban_method(
        self,
        account: StripeAccount,
        iban: TestIban,
        name: str | None = None,
        email: str | None = None,
    ) -> JSON:
        pm = _new_method(
            "sepa_debit",
            {
                "bank_code": iban.bank_code,
                "branch_code": "",
                "country": iban.country,
                "fingerprint": _fingerprint(iban.iban),
                "generated_from": {"charge": None, "setup_attempt": None},
                "last4": iban.last4,
            },
        )
        pm["billing_details"].update(name=name, email=email)
        self.payment_methods[pm["id"]] = pm
        self.payment_method_ibans[pm["id"]] = iban
        self.owners[pm["id"]] = account.secret_key
        return pm

    def _new_charge(
        self, intent: PaymentIntent, card: Instrument, pm_id: str, *, three_d_secure: bool
    ) -> JSON:
        data = intent.data
        charge_id = stripe_id("ch")
        created = now_unix()
        if isinstance(card, TestIban):
            details: JSON = {
                "sepa_debit": {
                    "bank_code": card.bank_code,
                    "branch_code": "",
                    "country": card.country,
                    "fingerprint": _fingerprint(card.iban),
                    "last4": card.last4,
                    "mandate": self.setups.mandate_of(pm_id),
                },
                "type": "sepa_debit",
            }
        else:
            details = _card_details(card, data["amount"], created, three_d_secure=three_d_secure)
        charge: JSON = {
            "id": charge_id,
            "object": "charge",
            "amount": data["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": None,
            "billing_details": copy.deepcopy(self.payment_methods[pm_id]["billing_details"]),
            "calculated_statement_descriptor": intent.account.display_name.upper()[:22],
            "captured": False,
            "created": created,
            "currency": data["currency"],
            "customer": data["customer"],
            "description": data["description"],
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "fraud_details": {},
            "livemode": False,
            "metadata": copy.deepcopy(data["metadata"]),
            "on_behalf_of": None,
            "outcome": {
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
            "paid": True,
            "payment_intent": intent.id,
            "payment_method": pm_id,
            "payment_method_details": details,
            "receipt_email": data["receipt_email"],
            "receipt_number": None,
            "receipt_url": None,
            "refunded": False,
            "review": None,
            "shipping": None,
            "source": None,
            "source_transfer": None,
            "statement_descriptor": data["statement_descriptor"],
            "statement_descriptor_suffix": data["statement_descriptor_suffix"],
            "status": "succeeded",
            "transfer_data": None,
            "transfer_group": None,
        }
        self.charges[charge_id] = charge
        self.owners[charge_id] = intent.account.secret_key
        return charge


def _card_details(card: TestCard, amount: int, created: int, *, three_d_secure: bool) -> JSON:
    """A card charge's `payment_method_details`."""
    return {
        "card": {
            "amount_authorized": amount,
            "brand": card.brand,
            "capture_before": created + 7 * 24 * 3600,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "exp_month": 12,
            "exp_year": 2034,
            "extended_authorization": {"status": "disabled"},
            "fingerprint": _fingerprint(card.number),
            "funding": card.funding,
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card.last4,
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card.brand,
            "network_token": {"used": False},
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "three_d_secure": (
                {
                    "authentication_flow": "challenge",
                    "result": "authenticated",
                    "result_reason": None,
                    "version": "2.2.0",
                }
                if three_d_secure
                else None
            ),
            "wallet": None,
        },
        "type": "card",
    }


def _new_method(kind: str, details: JSON) -> JSON:
    """A PaymentMethod object of `kind` ("card", "sepa_debit") with its details."""
    return {
        "id": stripe_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
        },
        kind: details,
        "created": now_unix(),
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": kind,
    }


def _fingerprint(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()[:16]


# -- webhook signatures ---------------------------------------------------------------


def stripe_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """`v1`: HMAC-SHA256 keyed with the endpoint secret over `"{t}.{raw body}"`, in hex."""
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def stripe_webhook_headers(body: bytes, secret: str) -> dict[str, str]:
    timestamp = now_unix()
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": f"t={timestamp},v1={stripe_signature(body, secret, timestamp)}",
    }


# -- parameter helpers ----------------------------------------------------------------


def _redact(key: str) -> str:
    return f"{key[:8]}{'*' * max(len(key) - 12, 4)}{key[-4:]}"


def _only(params: JSON, *allowed: str) -> None:
    for name in params:
        if name not in allowed:
            raise invalid_request(
                f"Received unknown parameter: {name}",
                code="parameter_unknown",
                param=name,
                saved=False,
            )


def _integer(params: JSON, name: str, *, required: bool) -> int:
    raw = params.get(name)
    if raw is None:
        if required:
            raise invalid_request(
                f"Missing required param: {name}.",
                code="parameter_missing",
                param=name,
                saved=False,
            )
        return 0
    if not isinstance(raw, str) or not raw.lstrip("-").isdigit():
        raise invalid_request(
            f"Invalid integer: {raw}", code="parameter_invalid_integer", param=name, saved=False
        )
    return int(raw)


def _currency(params: JSON) -> str:
    raw = params.get("currency")
    if raw is None:
        raise invalid_request(
            "Missing required param: currency.",
            code="parameter_missing",
            param="currency",
            saved=False,
        )
    if not isinstance(raw, str) or len(raw) != 3 or not raw.isalpha():
        raise invalid_request(
            f"Invalid currency: {raw}. Stripe currently supports these currencies: eur, usd, …",
            param="currency",
            saved=False,
        )
    return raw.lower()


def _choice(params: JSON, name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = params.get(name)
    if raw is None:
        return default
    if raw not in allowed:
        raise invalid_request(
            f"Invalid {name}: must be one of {', '.join(allowed)}",
            code="parameter_invalid_string" if isinstance(raw, str) else None,
            param=name,
            saved=False,
        )
    result: str = raw
    return result


def _boolean(params: JSON, name: str, param: str) -> bool:
    raw = params.get(name)
    if raw in ("true", True):
        return True
    if raw in ("false", False, None):
        return False
    raise invalid_request(
        f"Invalid boolean: {raw}", code="parameter_invalid_boolean", param=param, saved=False
    )


def _optional_str(params: JSON, name: str) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise invalid_request(
            f"Invalid string: {name}", code="parameter_invalid_string", param=name, saved=False
        )
    return raw


def _metadata(params: JSON) -> dict[str, str]:
    raw = params.get("metadata")
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise invalid_request(
            "Invalid object", code="parameter_invalid_object", param="metadata", saved=False
        )
    metadata = as_str_mapping(raw)
    if len(metadata) > 50:
        raise invalid_request(
            "You can have at most 50 metadata keys.", param="metadata", saved=False
        )
    for key, value in metadata.items():
        if len(key) > 40 or len(value) > 500:
            raise invalid_request(
                "Metadata keys are at most 40 characters and values at most 500.",
                param=f"metadata[{key}]",
                saved=False,
            )
    return metadata


def allowed_types(params: JSON) -> list[str] | None:
    """The payment method types asked for, as a list of names the fake knows: from
    `allowed_payment_method_types` (Stripe's name since API version 2026-10-28) or
    `payment_method_types` (before) — one of them, never with `automatic_payment_methods`.
    None: automatic payment methods."""
    given = [
        name
        for name in (
            "allowed_payment_method_types",
            "payment_method_types",
            "automatic_payment_methods",
        )
        if name in params
    ]
    if len(given) > 1:
        raise invalid_request(
            f"You may only specify one of these parameters: {', '.join(given)}.",
            code="parameter_unknown",
            param=given[-1],
            saved=False,
        )
    if not given or given[0] == "automatic_payment_methods":
        return None
    types = params[given[0]]
    if not isinstance(types, list) or not all(isinstance(kind, str) for kind in types):
        raise invalid_request("Invalid array", code="parameter_invalid_array", param=given[0])
    for kind in types:
        if kind not in ("card", *DEBIT_METHODS):
            raise invalid_request(
                f"The payment method type {kind!r} is invalid or not supported here.",
                code="payment_method_type_invalid",
                param=given[0],
                saved=False,
            )
    return list(types)


def _off_session(params: JSON) -> bool:
    raw = params.get("off_session")
    if raw is None:
        return False
    if raw not in OFF_SESSION_VALUES:
        raise invalid_request(
            f"Invalid off_session: must be one of {', '.join(OFF_SESSION_VALUES)}",
            param="off_session",
            saved=False,
        )
    return bool(raw != "false")


def _check_method_types(types: list[str], currency: str, capture_method: str) -> None:
    """The rules Stripe has for bank debits."""
    for kind in types:
        if kind in DEBIT_METHODS and currency != "eur":
            raise invalid_request(
                f"The currency provided ({currency}) is invalid. Payments with {kind} "
                "support the following currencies: eur.",
                code="payment_intent_invalid_parameter",
                param="currency",
                saved=False,
            )
        if kind in DEBIT_METHODS and capture_method == "manual":
            raise invalid_request(
                f"The payment method type {kind} does not support manual capture.",
                code="payment_intent_invalid_parameter",
                param="capture_method",
                saved=False,
            )


def _expand(params: JSON) -> list[str]:
    raw = params.get("expand")
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [str(item) for item in raw]
    return []

"""Saving a payment method for later at the fake Stripe: customers, SetupIntents (card and
SEPA Direct Debit), PaymentMethods attached to and detached from customers, and SEPA
mandates.

Plain state and rules, no HTTP, like `payments.fake.stripe_api`, whose `StripeState`
holds one `StripeSetups` (`state.setups`). Shapes follow Stripe's API reference.
"""

from __future__ import annotations

import contextlib
import copy
import secrets
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from payments.fake.common import JSON, as_str_mapping, now_unix, random_token, stripe_id
from payments.fake.instruments import (
    CARDS_BY_NUMBER,
    DECLINE_MESSAGES,
    compact_iban,
    iban_behaviour,
    iban_is_valid,
)
from payments.fake.stripe_api import (
    DEBIT_METHODS,
    Intent,
    RequestContext,
    StripeAccount,
    StripeError,
    _choice,
    _doc_url,
    _expand,
    _metadata,
    _only,
    _optional_str,
    allowed_types,
    invalid_request,
    resource_missing,
)

if TYPE_CHECKING:
    from payments.fake.stripe_api import PaymentIntent, StripeState

SETUP_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
SETUP_CANCELLATION_REASONS = ("abandoned", "requested_by_customer", "duplicate")
SUPPORTED_TYPES = ("card", *DEBIT_METHODS)
CUSTOMER_PARAMS = (
    "address",
    "description",
    "email",
    "invoice_settings",
    "metadata",
    "name",
    "phone",
    "preferred_locales",
    "expand",
)
_REFERENCE_CHARACTERS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Acceptance:
    """How the customer accepted a mandate: online (address and browser) or offline."""

    kind: str  # "online" | "offline"
    ip_address: str | None = None
    user_agent: str | None = None


class SetupIntent(Intent):
    """A SetupIntent (the fields are `Intent`'s)."""


class StripeSetups:
    """Customers, SetupIntents and mandates of one fake Stripe."""

    def __init__(self, stripe: StripeState) -> None:
        self.stripe = stripe
        self.customers: dict[str, JSON] = {}
        self.setup_intents: dict[str, SetupIntent] = {}
        self.mandates: dict[str, JSON] = {}
        # PaymentMethods detached from their customer: Stripe never lets them be used again.
        self.detached: set[str] = set()

    def object_by_id(self, object_id: str) -> JSON | None:
        setup = self.setup_intents.get(object_id)
        if setup is not None:
            return copy.deepcopy(setup.data)
        for table in (self.customers, self.mandates):
            if object_id in table:
                return copy.deepcopy(table[object_id])
        return None

    def _owned(self, account: StripeAccount, object_id: str) -> bool:
        return self.stripe.owners.get(object_id) == account.secret_key

    # -- customers -----------------------------------------------------------------------

    def customer(self, account: StripeAccount, customer_id: str, param: str = "id") -> JSON:
        found = self.customers.get(customer_id)
        if found is None or not self._owned(account, customer_id):
            raise resource_missing("customer", customer_id, param)
        return found

    def create_customer(self, account: StripeAccount, params: JSON, _: RequestContext) -> JSON:
        _only(params, *CUSTOMER_PARAMS)
        customer_id = stripe_id("cus")[:18]
        customer: JSON = {
            "id": customer_id,
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": now_unix(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": None,
            "discount": None,
            "email": None,
            "invoice_prefix": random_token(8).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": {},
            "name": None,
            "next_invoice_sequence": 1,
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        self.customers[customer_id] = customer
        self.stripe.owners[customer_id] = account.secret_key
        self._change_customer(account, customer, params)
        return copy.deepcopy(customer)

    def update_customer(
        self, account: StripeAccount, customer_id: str, params: JSON, _: RequestContext
    ) -> JSON:
        _only(params, *CUSTOMER_PARAMS)
        customer = self.customer(account, customer_id)
        self._change_customer(account, customer, params)
        return copy.deepcopy(customer)

    def _change_customer(self, account: StripeAccount, customer: JSON, params: JSON) -> None:
        for name in ("description", "email", "name", "phone"):
            if name in params:
                customer[name] = _optional_str(params, name)
        if "address" in params:
            address = params["address"]
            customer["address"] = as_str_mapping(address) if address else None
        if "preferred_locales" in params:
            locales = params["preferred_locales"]
            customer["preferred_locales"] = list(locales) if isinstance(locales, list) else []
        if "metadata" in params:
            # Stripe merges metadata; an empty value removes the key.
            for key, value in _metadata(params).items():
                if value:
                    customer["metadata"][key] = value
                else:
                    customer["metadata"].pop(key, None)
        settings = params.get("invoice_settings")
        if isinstance(settings, dict) and "default_payment_method" in settings:
            chosen = settings["default_payment_method"] or None
            if chosen is not None:
                pm = self.stripe.payment_methods.get(chosen)
                if pm is None or pm["customer"] != customer["id"]:
                    raise invalid_request(
                        f"No such PaymentMethod: '{chosen}'; it must be attached to this "
                        "customer first.",
                        code="resource_missing",
                        param="invoice_settings[default_payment_method]",
                    )
            customer["invoice_settings"]["default_payment_method"] = chosen

    # -- payment methods -----------------------------------------------------------------

    def _method(self, account: StripeAccount, pm_id: str) -> JSON:
        pm = self.stripe.payment_methods.get(pm_id)
        if pm is None or not self._owned(account, pm_id):
            raise resource_missing("PaymentMethod", pm_id, "payment_method")
        return pm

    def attach(self, account: StripeAccount, pm_id: str, params: JSON, ctx: RequestContext) -> JSON:
        _only(params, "customer", "expand")
        pm = self._method(account, pm_id)
        customer_id = _optional_str(params, "customer")
        if customer_id is None:
            raise invalid_request(
                "Missing required param: customer.", code="parameter_missing", param="customer"
            )
        self.customer(account, customer_id, param="customer")
        if pm_id in self.detached:
            raise invalid_request(
                "This PaymentMethod was previously detached from a Customer and cannot be "
                "attached again.",
                code="payment_method_unexpected_state",
            )
        if pm["customer"] not in (None, customer_id):
            raise invalid_request(
                "The payment method you provided has already been attached to a customer.",
                code="payment_method_unexpected_state",
            )
        if pm["customer"] is None:
            self._attach(account, pm, customer_id, ctx)
        return copy.deepcopy(pm)

    def _attach(
        self, account: StripeAccount, pm: JSON, customer_id: str, ctx: RequestContext | None
    ) -> None:
        pm["customer"] = customer_id
        self.stripe.emit(account, "payment_method.attached", copy.deepcopy(pm), ctx)

    def detach(self, account: StripeAccount, pm_id: str, params: JSON, ctx: RequestContext) -> JSON:
        _only(params, "expand")
        pm = self._method(account, pm_id)
        if pm["customer"] is None:
            raise invalid_request(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                code="payment_method_unexpected_state",
            )
        customer = self.customers.get(pm["customer"])
        if customer and customer["invoice_settings"]["default_payment_method"] == pm_id:
            customer["invoice_settings"]["default_payment_method"] = None
        pm["customer"] = None
        self.detached.add(pm_id)
        for mandate in self.mandates.values():
            if mandate["payment_method"] == pm_id:
                mandate["status"] = "inactive"
        self.stripe.emit(account, "payment_method.detached", copy.deepcopy(pm), ctx)
        return copy.deepcopy(pm)

    # -- SetupIntents --------------------------------------------------------------------

    def setup_intent(self, account: StripeAccount, setup_id: str) -> SetupIntent:
        setup = self.setup_intents.get(setup_id)
        if setup is None or setup.account is not account:
            raise resource_missing("setup_intent", setup_id, "intent")
        return setup

    def render(self, setup: SetupIntent, expand: list[str] | None = None) -> JSON:
        data = copy.deepcopy(setup.data)
        for path in expand or []:
            if path == "payment_method" and data["payment_method"]:
                data["payment_method"] = copy.deepcopy(
                    self.stripe.payment_methods[data["payment_method"]]
                )
            elif path == "mandate" and data["mandate"]:
                data["mandate"] = copy.deepcopy(self.mandates[data["mandate"]])
        return data

    def create_setup_intent(
        self, account: StripeAccount, params: JSON, ctx: RequestContext
    ) -> JSON:
        _only(
            params,
            "customer",
            "payment_method_types",
            "allowed_payment_method_types",
            "automatic_payment_methods",
            "usage",
            "metadata",
            "description",
            "payment_method",
            "payment_method_data",
            "payment_method_options",
            "confirm",
            "return_url",
            "mandate_data",
            "expand",
            "attach_to_self",
            "flow_directions",
            "on_behalf_of",
            "use_stripe_sdk",
        )
        allowed = allowed_types(params)
        automatic: JSON | None = None
        if allowed is not None:
            types = allowed
        else:
            automatic = {"allow_redirects": "always", "enabled": True}
            types = list(SUPPORTED_TYPES)
        customer = _optional_str(params, "customer")
        if customer is not None:
            self.customer(account, customer, param="customer")
        usage = _choice(params, "usage", ("off_session", "on_session"), "off_session")
        confirm = params.get("confirm") == "true"
        return_url = _optional_str(params, "return_url")
        if return_url is not None and not confirm:
            raise invalid_request(
                "You can only pass in a return_url if you are confirming the SetupIntent "
                "(confirm=true).",
                param="return_url",
                saved=False,
            )
        metadata = _metadata(params)
        setup_id = stripe_id("seti")
        options: JSON = {}
        if "card" in types:
            options["card"] = {
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        if "sepa_debit" in types:
            options["sepa_debit"] = {}
        data: JSON = {
            "id": setup_id,
            "object": "setup_intent",
            "application": None,
            "automatic_payment_methods": automatic,
            "cancellation_reason": None,
            "client_secret": f"{setup_id}_secret_{random_token(25)}",
            "created": now_unix(),
            "customer": customer,
            "description": _optional_str(params, "description"),
            "flow_directions": None,
            "last_setup_error": None,
            "latest_attempt": None,
            "livemode": False,
            "mandate": None,
            "metadata": metadata,
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_configuration_details": None,
            "payment_method_options": options,
            "payment_method_types": types,
            "single_use_mandate": None,
            "status": "requires_payment_method",
            "usage": usage,
        }
        setup = SetupIntent(account, data, return_url or metadata.get("return_url"))
        self.setup_intents[setup_id] = setup
        self.stripe.owners[setup_id] = account.secret_key
        payment_method = _optional_str(params, "payment_method")
        if confirm:
            self._confirm(setup, params, ctx)
        elif payment_method is not None:
            self._choose(setup, payment_method, None)
            data["status"] = "requires_confirmation"
        return self.render(setup, _expand(params))

    def retrieve_setup_intent(self, account: StripeAccount, setup_id: str, params: JSON) -> JSON:
        return self.render(self.setup_intent(account, setup_id), _expand(params))

    def confirm_setup_intent(
        self, account: StripeAccount, setup_id: str, params: JSON, ctx: RequestContext
    ) -> JSON:
        _only(
            params,
            "payment_method",
            "payment_method_data",
            "payment_method_options",
            "mandate_data",
            "return_url",
            "expand",
            "use_stripe_sdk",
            "client_secret",
        )
        setup = self.setup_intent(account, setup_id)
        return_url = _optional_str(params, "return_url")
        if return_url:
            setup.return_url = return_url
        self._confirm(setup, params, ctx)
        return self.render(setup, _expand(params))

    def cancel_setup_intent(
        self, account: StripeAccount, setup_id: str, params: JSON, ctx: RequestContext
    ) -> JSON:
        _only(params, "cancellation_reason", "expand")
        setup = self.setup_intent(account, setup_id)
        reason = params.get("cancellation_reason")
        if reason is not None and reason not in SETUP_CANCELLATION_REASONS:
            raise invalid_request(
                "Invalid cancellation_reason: must be one of abandoned, requested_by_customer "
                "or duplicate",
                param="cancellation_reason",
                saved=False,
            )
        if setup.status not in SETUP_CONFIRMABLE:
            raise invalid_request(
                f"You cannot cancel this SetupIntent because it has a status of {setup.status}.",
                code="setup_intent_unexpected_state",
                setup_intent=self.render(setup),
            )
        setup.data.update(status="canceled", cancellation_reason=reason, next_action=None)
        setup.pending_card = None
        self.stripe.emit(account, "setup_intent.canceled", self.render(setup), ctx)
        return self.render(setup, _expand(params))

    def _confirm(
        self,
        setup: SetupIntent,
        params: JSON,
        ctx: RequestContext | None,
        inferred: Acceptance | None = None,
    ) -> None:
        if setup.status not in SETUP_CONFIRMABLE:
            raise invalid_request(
                f"You cannot confirm this SetupIntent because it has a status of {setup.status}.",
                code="setup_intent_unexpected_state",
                setup_intent=self.render(setup),
            )
        payment_method = _optional_str(params, "payment_method")
        method_data = params.get("payment_method_data")
        if payment_method is not None:
            pm = self._choose(setup, payment_method, None)
        elif isinstance(method_data, dict):
            pm = self._choose(setup, None, method_data)
        elif setup.data["payment_method"] is not None:
            pm = self.stripe.payment_methods[setup.data["payment_method"]]
        else:
            raise invalid_request(
                "You cannot confirm this SetupIntent because it's missing a payment method. "
                "Update the SetupIntent with a payment method and then confirm it again.",
                code="setup_intent_unexpected_state",
                setup_intent=self.render(setup),
            )
        setup.data["last_setup_error"] = None
        if pm["type"] == "sepa_debit":
            acceptance = inferred or _acceptance(params.get("mandate_data"))
            if acceptance is None:
                raise invalid_request(
                    "A mandate is needed to save a sepa_debit PaymentMethod: pass mandate_data "
                    "with the customer's acceptance.",
                    code="parameter_missing",
                    param="mandate_data",
                    saved=False,
                )
            setup.data["mandate"] = self.create_mandate(setup.account, pm["id"], acceptance)
            self._succeed(setup, pm, ctx)
            return
        card = self.stripe.payment_method_cards[pm["id"]]
        outcome = card.when_saved
        if outcome == "three_d_secure":
            setup.pending_card = card
            setup.data.update(
                status="requires_action",
                next_action={
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "return_url": setup.return_url,
                        "url": f"{self.stripe.public_url()}/stripe/3ds/{setup.id}",
                    },
                },
            )
            return
        if outcome == "decline":
            decline_code = card.decline_code or "generic_decline"
            self._fail(
                setup,
                {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": decline_code,
                    "message": DECLINE_MESSAGES.get(decline_code, "Your card was declined."),
                    "doc_url": _doc_url("card_declined"),
                    "payment_method": copy.deepcopy(pm),
                },
                ctx,
                status=402,
            )
        self._succeed(setup, pm, ctx)

    def _choose(self, setup: SetupIntent, payment_method: str | None, method_data: Any) -> JSON:
        """The PaymentMethod to save: an existing one (or a test token), or one made from
        `payment_method_data` (bank details; card numbers never travel through the API)."""
        account = setup.account
        if payment_method is not None:
            _, pm = self.stripe.instrument(account, payment_method, customer=setup.data["customer"])
        else:
            pm = self._method_from_data(account, method_data)
        allowed = setup.data["payment_method_types"]
        if pm["type"] not in allowed:
            raise invalid_request(
                f"The PaymentMethod provided ({pm['type']}) is not allowed for this "
                f"SetupIntent. Please attach a PaymentMethod of one of the following types: "
                f"{', '.join(allowed)}.",
                param="payment_method",
            )
        setup.data["payment_method"] = pm["id"]
        return pm

    def _method_from_data(self, account: StripeAccount, method_data: JSON) -> JSON:
        if method_data.get("type") != "sepa_debit":
            raise invalid_request(
                "payment_method_data[type] must be sepa_debit here: card details are "
                "collected by Stripe.js, never sent through the API.",
                code="parameter_invalid_string",
                param="payment_method_data[type]",
                saved=False,
            )
        details = method_data.get("sepa_debit")
        billing = method_data.get("billing_details")
        iban = compact_iban(details.get("iban", "")) if isinstance(details, dict) else ""
        billing = billing if isinstance(billing, dict) else {}
        return self.iban_method(account, iban, billing.get("name"), billing.get("email"))

    def iban_method(
        self, account: StripeAccount, iban: str, name: str | None, email: str | None
    ) -> JSON:
        """A sepa_debit PaymentMethod; Stripe wants the holder's name and e-mail with it."""
        if not iban_is_valid(iban):
            raise invalid_request(
                "The IBAN you provided is invalid.",
                code="invalid_bank_account_iban",
                param="payment_method_data[sepa_debit][iban]",
                saved=False,
            )
        for field_name, value in (("name", name), ("email", email)):
            if not value or not str(value).strip():
                raise invalid_request(
                    f"Missing required param: payment_method_data[billing_details][{field_name}]"
                    " (sepa_debit needs the account holder's name and e-mail).",
                    code="parameter_missing",
                    param=f"payment_method_data[billing_details][{field_name}]",
                    saved=False,
                )
        return self.stripe.new_iban_method(
            account, iban_behaviour(iban), str(name).strip(), str(email).strip()
        )

    def _succeed(self, setup: SetupIntent, pm: JSON, ctx: RequestContext | None) -> None:
        customer = setup.data["customer"]
        if customer is not None and pm["customer"] is None:
            self._attach(setup.account, pm, customer, ctx)
        setup.pending_card = None
        setup.data.update(
            status="succeeded",
            payment_method=pm["id"],
            next_action=None,
            latest_attempt=stripe_id("setatt"),
        )
        self.stripe.emit(setup.account, "setup_intent.succeeded", self.render(setup), ctx)

    def _fail(
        self, setup: SetupIntent, error: JSON, ctx: RequestContext | None, *, status: int
    ) -> NoReturn:
        """The method could not be saved: the customer may try another one."""
        setup.pending_card = None
        setup.data.update(
            status="requires_payment_method",
            payment_method=None,
            next_action=None,
            last_setup_error=copy.deepcopy(error),
        )
        self.stripe.emit(setup.account, "setup_intent.setup_failed", self.render(setup), ctx)
        raise StripeError(status, {**error, "setup_intent": self.render(setup)})

    def complete_three_d_secure(self, setup_id: str, *, approve: bool) -> SetupIntent:
        """The customer's answer on the fake 3-D Secure page."""
        setup = self.setup_intents.get(setup_id)
        if setup is None:
            raise LookupError(setup_id)
        if setup.status != "requires_action" or setup.pending_card is None:
            return setup
        pm = self.stripe.payment_methods[setup.data["payment_method"]]
        if approve:
            self._succeed(setup, pm, None)
            return setup
        # The page tells the customer; nobody called the API who would get the error.
        with contextlib.suppress(StripeError):
            self._fail(
                setup,
                {
                    "type": "invalid_request_error",
                    "code": "setup_intent_authentication_failure",
                    "doc_url": _doc_url("setup_intent_authentication_failure"),
                    "message": (
                        "The latest attempt to set up the payment method has failed because "
                        "authentication failed."
                    ),
                    "payment_method": copy.deepcopy(pm),
                },
                None,
                status=400,
            )
        return setup

    def save_from_page(
        self, setup_id: str, form: dict[str, str], client_ip: str, user_agent: str
    ) -> SetupIntent:
        """The demo setup page: a test card number, or an IBAN with the holder's name and
        e-mail and the accepted mandate (its acceptance taken from the browser's request,
        as Stripe.js lets Stripe infer it)."""
        setup = self.setup_intents.get(setup_id)
        if setup is None:
            raise LookupError(setup_id)
        context = RequestContext(request_id=stripe_id("req"))
        if form.get("method") == "sepa_debit":
            if form.get("mandate") != "accepted":
                raise invalid_request(
                    "Please accept the mandate to save this bank account.",
                    param="mandate",
                )
            pm = self._choose(
                setup,
                None,
                {
                    "type": "sepa_debit",
                    "sepa_debit": {"iban": form.get("iban", "")},
                    "billing_details": {"name": form.get("name"), "email": form.get("email")},
                },
            )
            self._confirm(
                setup,
                {"payment_method": pm["id"]},
                context,
                inferred=Acceptance("online", client_ip, user_agent[:500]),
            )
            return setup
        card = CARDS_BY_NUMBER.get("".join(form.get("card_number", "").split()))
        if card is None:
            raise invalid_request(
                "Your card number is incorrect. Use one of the test cards shown.",
                code="incorrect_number",
                param="number",
            )
        self._confirm(setup, {"payment_method": card.token}, context)
        return setup

    # -- mandates ------------------------------------------------------------------------

    def mandate(self, account: StripeAccount, mandate_id: str) -> JSON:
        found = self.mandates.get(mandate_id)
        if found is None or not self._owned(account, mandate_id):
            raise resource_missing("mandate", mandate_id, "mandate")
        return copy.deepcopy(found)

    def create_mandate(self, account: StripeAccount, pm_id: str, acceptance: Acceptance) -> str:
        mandate_id = stripe_id("mandate")
        accepted: JSON = {"accepted_at": now_unix(), "type": acceptance.kind}
        if acceptance.kind == "online":
            accepted["online"] = {
                "ip_address": acceptance.ip_address,
                "user_agent": acceptance.user_agent,
            }
        else:
            accepted["offline"] = {}
        reference = "".join(secrets.choice(_REFERENCE_CHARACTERS) for _ in range(16))
        self.mandates[mandate_id] = {
            "id": mandate_id,
            "object": "mandate",
            "customer_acceptance": accepted,
            "livemode": False,
            "multi_use": {},
            "on_behalf_of": None,
            "payment_method": pm_id,
            "payment_method_details": {
                "sepa_debit": {
                    "reference": reference,
                    "url": f"{self.stripe.public_url()}/mandates/{mandate_id}",
                },
                "type": "sepa_debit",
            },
            "status": "active",
            "type": "multi_use",
        }
        self.stripe.owners[mandate_id] = account.secret_key
        return mandate_id

    def mandate_of(self, pm_id: str) -> str | None:
        """The active mandate that lets the merchant debit this PaymentMethod."""
        return next(
            (
                mandate_id
                for mandate_id, mandate in self.mandates.items()
                if mandate["payment_method"] == pm_id and mandate["status"] == "active"
            ),
            None,
        )

    def mandate_for_debit(
        self, intent: PaymentIntent, mandate_data: Any, _: RequestContext | None
    ) -> None:
        """A debit needs a mandate: the one given when the method was saved, or one the
        customer accepts with this payment (`mandate_data`)."""
        pm_id = intent.data["payment_method"]
        if self.mandate_of(pm_id) is not None:
            return
        acceptance = _acceptance(mandate_data)
        if acceptance is None:
            raise invalid_request(
                "This sepa_debit PaymentMethod has no active mandate: save it with a "
                "SetupIntent first, or pass mandate_data with the customer's acceptance.",
                code="parameter_missing",
                param="mandate_data",
                saved=False,
            )
        self.create_mandate(intent.account, pm_id, acceptance)


def _acceptance(mandate_data: Any) -> Acceptance | None:
    """`mandate_data[customer_acceptance]` as Stripe takes it from a server: online with
    the customer's address and browser, or offline."""
    if not isinstance(mandate_data, dict):
        return None
    accepted = mandate_data.get("customer_acceptance")
    if not isinstance(accepted, dict):
        return None
    kind = accepted.get("type")
    if kind == "offline":
        return Acceptance("offline")
    online = accepted.get("online")
    if kind != "online" or not isinstance(online, dict):
        raise invalid_request(
            "mandate_data[customer_acceptance][type] must be online (with online[ip_address] "
            "and online[user_agent]) or offline.",
            param="mandate_data[customer_acceptance]",
            saved=False,
        )
    ip_address, user_agent = online.get("ip_address"), online.get("user_agent")
    if not ip_address or not user_agent:
        raise invalid_request(
            "Missing required param: mandate_data[customer_acceptance][online][ip_address] and "
            "[user_agent] (infer_from_client works with a publishable key only).",
            code="parameter_missing",
            param="mandate_data[customer_acceptance][online]",
            saved=False,
        )
    return Acceptance("online", str(ip_address), str(user_agent)[:500])

"""What goes between the core and a payment provider, in the core's words."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from cpo.errors import DomainError

AmountMinor = Annotated[int, msgspec.Meta(ge=0)]


class ProviderName(StrEnum):
    STRIPE = "stripe"
    PAYPAL = "paypal"


class HoldState(StrEnum):
    """Where a hold stands at the provider, in the order it moves (never backwards)."""

    REQUIRES_ACTION = "requires_action"  # the driver still has to pay / approve / do 3-D Secure
    AUTHORIZED = "authorized"  # the amount is reserved on the driver's account
    CAPTURED = "captured"  # (part of) it was taken; the rest released
    CANCELLED = "cancelled"  # released without taking anything
    FAILED = "failed"  # declined, or the driver gave up
    EXPIRED = "expired"  # the authorisation ran out before capture


class HoldRequest(msgspec.Struct, frozen=True, kw_only=True):
    amount_minor: AmountMinor
    currency: str
    # Deterministic, from the domain (e.g. "hold:<payment id>"): a retried call never
    # creates a second hold.
    idempotency_key: str
    description: str  # what the driver's statement shows, e.g. "Charging DE*ABC*E0001*1"
    reference: str  # our payment id, echoed back in provider events
    return_url: str  # where the provider sends the driver after paying or approving
    cancel_url: str


class PaymentMethod(msgspec.Struct, frozen=True, kw_only=True):
    """What may be shown on a receipt: never more than brand and last four digits."""

    kind: str  # "card", "paypal", "apple_pay", "google_pay"
    brand: str = ""  # "visa", "mastercard", ...
    last4: str = ""
    payer_email: str = ""  # PayPal: the payer's e-mail as PayPal shows it


class HoldCreated(msgspec.Struct, frozen=True, kw_only=True):
    provider_ref: str  # PaymentIntent id, PayPal order id
    state: HoldState
    # What the web app needs to let the driver pay: Stripe's client secret, or the page to
    # send the driver to (PayPal approval, the fake provider's card page).
    client_secret: str | None = None
    redirect_url: str | None = None


class HoldStatus(msgspec.Struct, frozen=True, kw_only=True):
    provider_ref: str
    state: HoldState
    amount_authorized_minor: AmountMinor = 0
    amount_captured_minor: AmountMinor = 0
    method: PaymentMethod | None = None
    failure_code: str = ""
    failure_message: str = ""
    # The provider's id of the authorisation itself where it differs (PayPal).
    authorization_ref: str | None = None


class CaptureResult(msgspec.Struct, frozen=True, kw_only=True):
    capture_ref: str
    amount_minor: AmountMinor


class RefundResult(msgspec.Struct, frozen=True, kw_only=True):
    refund_ref: str
    amount_minor: AmountMinor


class EventKind(StrEnum):
    HOLD_AUTHORIZED = "hold_authorized"
    HOLD_FAILED = "hold_failed"
    HOLD_CANCELLED = "hold_cancelled"
    CAPTURED = "captured"
    REFUNDED = "refunded"
    # Saving a payment method for later (a SetupIntent).
    SETUP_SUCCEEDED = "setup_succeeded"
    SETUP_FAILED = "setup_failed"  # declined, authentication failed, or given up
    # Charging a saved method without the customer (a payment, not a hold).
    CHARGE_PROCESSING = "charge_processing"  # a bank debit on its way (days)
    CHARGE_SUCCEEDED = "charge_succeeded"
    CHARGE_FAILED = "charge_failed"
    IGNORED = "ignored"  # verified, but nothing we act on


SETUP_EVENTS = frozenset({EventKind.SETUP_SUCCEEDED, EventKind.SETUP_FAILED})
CHARGE_EVENTS = frozenset(
    {EventKind.CHARGE_PROCESSING, EventKind.CHARGE_SUCCEEDED, EventKind.CHARGE_FAILED}
)


class ProviderEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook, verified and translated. `event_id` deduplicates redeliveries."""

    event_id: str
    kind: EventKind
    provider_ref: str | None = None
    reference: str | None = None  # our payment id, where the provider echoes it
    amount_minor: AmountMinor | None = None
    occurred_at: datetime | None = None


# -- payment methods on file: saved at the provider, charged later without the customer ----


class MethodKind(StrEnum):
    CARD = "card"
    SEPA_DEBIT = "sepa_debit"


class CustomerRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Our contract customer as the provider's customer (whom saved methods belong to)."""

    reference: str  # ours, e.g. "customer:12", kept in the provider's metadata
    name: str
    email: str = ""
    idempotency_key: str  # deterministic: a retry never makes a second customer


class MandateAcceptance(msgspec.Struct, frozen=True, kw_only=True):
    """How the customer accepted a SEPA Direct Debit mandate in our app, before entering the
    bank account: the evidence a mandate needs (address and browser of the acceptance)."""

    ip_address: str
    user_agent: str
    accepted_at: datetime


class SetupRequest(msgspec.Struct, frozen=True, kw_only=True):
    customer_ref: str  # the provider's customer
    kind: MethodKind
    reference: str  # ours, e.g. "setup:7", echoed in the provider's events
    return_url: str  # where the customer's browser comes back to
    idempotency_key: str
    mandate: MandateAcceptance | None = None  # SEPA Direct Debit only


class SetupStarted(msgspec.Struct, frozen=True, kw_only=True):
    setup_ref: str  # SetupIntent id
    # What the browser needs: Stripe's client secret for the Payment Element in setup
    # mode, or the page to send the customer to (the local fake's setup page).
    client_secret: str | None = None
    redirect_url: str | None = None


class SetupState(StrEnum):
    PENDING = "pending"  # the customer still has to enter it, or do 3-D Secure
    SUCCEEDED = "succeeded"  # saved: it can be charged without the customer
    FAILED = "failed"  # declined or not authenticated; another method may be tried
    CANCELLED = "cancelled"


class SavedMethod(msgspec.Struct, frozen=True, kw_only=True):
    """A method on file as it may be shown: never more than brand, bank and last digits."""

    method_ref: str  # the provider's PaymentMethod id
    kind: MethodKind
    brand: str = ""  # cards: "visa", "mastercard", …
    last4: str = ""
    exp_month: int | None = None  # cards
    exp_year: int | None = None
    bank_code: str = ""  # SEPA: the bank's code (German BLZ, …)
    country: str = ""  # SEPA: the account's country
    mandate_ref: str = ""  # SEPA: the provider's mandate id
    mandate_reference: str = ""  # SEPA: the mandate reference the bank statement shows


class SetupStatus(msgspec.Struct, frozen=True, kw_only=True):
    setup_ref: str
    state: SetupState
    method: SavedMethod | None = None
    failure_code: str = ""
    failure_message: str = ""


class ChargeState(StrEnum):
    PROCESSING = "processing"  # a bank debit on its way: settles in days
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined, or the debit came back
    REQUIRES_ACTION = "requires_action"  # the customer must authenticate (3-D Secure)


class OffSessionCharge(msgspec.Struct, frozen=True, kw_only=True):
    """Charging a saved method while the customer is not there (an invoice, a fee)."""

    customer_ref: str
    method_ref: str
    kind: MethodKind
    amount_minor: AmountMinor
    currency: str
    description: str  # what the statement shows, e.g. "Invoice DEM-R-000012"
    reference: str  # ours, echoed in the provider's events
    idempotency_key: str  # deterministic, from our ids


class ChargeResult(msgspec.Struct, frozen=True, kw_only=True):
    charge_ref: str  # PaymentIntent id
    state: ChargeState
    amount_minor: AmountMinor
    currency: str
    failure_code: str = ""
    failure_message: str = ""


class ProviderError(Exception):
    """The provider refused or failed a call.

    `retryable` says whether the same call (same idempotency key) may succeed later:
    timeouts and 5xx are, declines and invalid requests are not.
    """

    def __init__(self, message: str, *, code: str = "provider_error", retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class PaymentDeclined(ProviderError):
    def __init__(self, message: str, *, code: str = "declined") -> None:
        super().__init__(message, code=code, retryable=False)


class InvalidWebhook(Exception):
    """A webhook whose signature does not verify, or that is not a provider event at all."""


class PaymentProblem(DomainError):
    """The provider could not be reached or refused: said to the customer in plain words."""

    code = "payment_unavailable"
    http_status = 502


class MethodOnFileNotOffered(DomainError):
    """The provider cannot keep a payment method on file for later charges here (PayPal:
    its vault is not integrated)."""

    code = "method_on_file_not_offered"
    http_status = 409

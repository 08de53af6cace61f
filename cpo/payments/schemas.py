"""What goes between the core and a payment provider, in the core's words."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

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
    IGNORED = "ignored"  # verified, but nothing we act on


class ProviderEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook, verified and translated. `event_id` deduplicates redeliveries."""

    event_id: str
    kind: EventKind
    provider_ref: str | None = None
    reference: str | None = None  # our payment id, where the provider echoes it
    amount_minor: AmountMinor | None = None
    occurred_at: datetime | None = None


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

"""Protocols the core needs from the outside world; adapters implement them.

`api/app.py:create_app` chooses the implementations; tests pass fakes there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import msgspec

from cpo.payments.schemas import (
    CaptureResult,
    ChargeResult,
    CustomerRequest,
    HoldCreated,
    HoldRequest,
    HoldStatus,
    OffSessionCharge,
    ProviderEvent,
    ProviderName,
    RefundResult,
    SetupRequest,
    SetupStarted,
    SetupStatus,
)
from cpo.stations.schemas import StationRef
from cpo.tokens.enums import AuthorizationStatus, TokenType


class PaymentProvider(Protocol):
    """One merchant account at one provider (each operator is its own merchant).

    Every call that changes money carries an idempotency key derived from our own ids, so
    a retry after a timeout can never hold, capture or refund twice. Calls raise
    `cpo.payments.schemas.ProviderError` (or `PaymentDeclined`).
    """

    name: ProviderName

    async def create_hold(self, request: HoldRequest) -> HoldCreated: ...

    async def hold_status(self, provider_ref: str) -> HoldStatus: ...

    async def capture(
        self, provider_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> CaptureResult:
        """Take `amount_minor` (≤ the hold) and release the rest of the hold."""
        ...

    async def cancel(self, provider_ref: str, idempotency_key: str) -> HoldStatus:
        """Release the whole hold (nothing is owed)."""
        ...

    async def refund(
        self, provider_ref: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult: ...

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        """Verify the webhook (Stripe: signature over the raw body; PayPal: the provider's
        verification call), then translate it; raises InvalidWebhook."""
        ...


class SavedPaymentMethods(Protocol):
    """Payment methods contract customers keep on file at one merchant account, and charges
    to them while the customer is not there (off-session): what billing needs from the
    provider. Calls raise `ProviderError` (retryable or not) like `PaymentProvider`'s."""

    async def ensure_customer(self, request: CustomerRequest) -> str:
        """The provider's customer for ours (its id); the idempotency key makes a retry
        return the same one."""
        ...

    async def start_setup(self, request: SetupRequest) -> SetupStarted:
        """Begin saving a card or a bank account (SEPA Direct Debit, with the mandate the
        customer accepted) for `customer_ref`; the customer enters it in the browser."""
        ...

    async def setup_status(self, setup_ref: str) -> SetupStatus:
        """Where a setup stands, with the saved method once it succeeded."""
        ...

    async def charge_off_session(self, request: OffSessionCharge) -> ChargeResult:
        """Charge a saved method now, without the customer. Declines and missing
        authentication are answers (`FAILED`, `REQUIRES_ACTION`), not errors; bank debits
        answer `PROCESSING` and settle later (events, or `charge_status`)."""
        ...

    async def charge_status(self, charge_ref: str) -> ChargeResult: ...

    async def detach(self, method_ref: str, idempotency_key: str) -> None:
        """The method can no longer be charged (done already counts as done)."""
        ...


class PaymentGateway(Protocol):
    """Finds the provider adapter for an operator's merchant account."""

    def provider(self, provider: ProviderName, config: Mapping[str, str]) -> PaymentProvider: ...

    def saved_methods(
        self, provider: ProviderName, config: Mapping[str, str]
    ) -> SavedPaymentMethods:
        """The account's methods on file; raises `MethodOnFileNotOffered` for a provider
        that cannot keep them (PayPal)."""
        ...


class Attachment(msgspec.Struct, frozen=True):
    filename: str
    content_type: str  # e.g. "application/pdf"
    content: bytes


class OutgoingMail(msgspec.Struct, frozen=True, kw_only=True):
    to: str
    subject: str
    text: str  # always: plain text for every mail client
    html: str | None = None
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()


class Mailer(Protocol):
    """Sends e-mail (receipts, invitations, invoices); raises MailNotSent when it cannot."""

    async def send(self, mail: OutgoingMail) -> None: ...


class MailNotSent(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class WebhookSender(Protocol):
    """Posts a signed event to an operator's webhook URL; raises WebhookNotSent when the
    receiver cannot be reached or does not answer 2xx."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None: ...


class WebhookNotSent(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class RoamingTokenAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """A roaming partner's verdict on a token presented at one of our stations."""

    status: AuthorizationStatus
    # The e-mobility provider that issued the token (OCPI country code and party id).
    issuer_country_code: str
    issuer_party_id: str
    token_type: TokenType = TokenType.RFID
    contract_id: str = ""
    group_id: str | None = None


class RoamingAuthorizer(Protocol):
    """Asks the roaming partners about tokens the operator did not issue itself."""

    async def authorize(
        self, station: StationRef, uid: str, *, ask_partner: bool = True
    ) -> RoamingTokenAnswer | None:
        """The verdict of the partner that issued `uid` (normalised), None if no partner
        knows it. Without `ask_partner` no request leaves the platform: the answer comes from
        the partners' pushed tokens and recent verdicts only."""
        ...

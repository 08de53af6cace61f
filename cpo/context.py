"""What every use case needs from the outside world, passed in rather than imported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cpo.bus import InProcessBus, MessageBus
from cpo.clock import Clock, SystemClock
from cpo.payments.schemas import ProviderError, ProviderName
from cpo.ports import (
    Mailer,
    MailNotSent,
    OutgoingMail,
    PaymentGateway,
    PaymentProvider,
    RoamingAuthorizer,
    RoamingTokenAnswer,
    SavedPaymentMethods,
    WebhookNotSent,
    WebhookSender,
)
from cpo.settings import Settings
from cpo.stations.schemas import StationRef


class NoPaymentProviders:
    """The gateway of a platform that takes no ad hoc payments (nothing configured)."""

    def provider(self, provider: ProviderName, config: Mapping[str, str]) -> PaymentProvider:
        raise ProviderError("no payment providers are configured", retryable=False)

    def saved_methods(
        self, provider: ProviderName, config: Mapping[str, str]
    ) -> SavedPaymentMethods:
        raise ProviderError("no payment providers are configured", retryable=False)


class NoMailer:
    """The mailer of a platform that sends no e-mail (nothing configured)."""

    async def send(self, mail: OutgoingMail) -> None:
        raise MailNotSent("no mailer is configured", retryable=False)


class NoWebhooks:
    """The webhook sender of a platform that posts no webhooks (nothing configured)."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        raise WebhookNotSent("no webhook sender is configured", retryable=False)


class NoRoaming:
    """The roaming of a platform without partners: nobody else's tokens are known."""

    async def authorize(
        self, station: StationRef, uid: str, *, ask_partner: bool = True
    ) -> RoamingTokenAnswer | None:
        return None


@dataclass(frozen=True, slots=True)
class Context:
    settings: Settings
    bus: MessageBus = field(default_factory=InProcessBus)
    clock: Clock = field(default_factory=SystemClock)
    payments: PaymentGateway = field(default_factory=NoPaymentProviders)
    mailer: Mailer = field(default_factory=NoMailer)
    webhooks: WebhookSender = field(default_factory=NoWebhooks)
    roaming: RoamingAuthorizer = field(default_factory=NoRoaming)

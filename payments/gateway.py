"""The one place that turns an operator's account config into a provider adapter."""

from __future__ import annotations

from collections.abc import Mapping

from cpo.payments.schemas import MethodOnFileNotOffered, ProviderError, ProviderName
from cpo.ports import PaymentProvider, SavedPaymentMethods
from payments.paypal_provider import PayPalProvider
from payments.stripe_provider import StripeProvider

_Key = tuple[ProviderName, tuple[tuple[str, str], ...]]


class ProviderGateway:
    """Builds adapters on first use and keeps them (one HTTP client per merchant account)."""

    def __init__(self) -> None:
        self._providers: dict[_Key, StripeProvider | PayPalProvider] = {}

    def provider(self, provider: ProviderName, config: Mapping[str, str]) -> PaymentProvider:
        return self._adapter(provider, config)

    def saved_methods(
        self, provider: ProviderName, config: Mapping[str, str]
    ) -> SavedPaymentMethods:
        """Stripe keeps cards and SEPA Direct Debit mandates on file. PayPal could (its
        vault, billing agreements), but that is not integrated: asked for it, the answer is
        `method_on_file_not_offered`."""
        adapter = self._adapter(provider, config)
        if not isinstance(adapter, StripeProvider):
            raise MethodOnFileNotOffered(
                f"{provider} cannot keep a payment method on file here (PayPal's vault is not "
                "integrated); connect a Stripe account for cards and SEPA Direct Debit"
            )
        return adapter

    def _adapter(
        self, provider: ProviderName, config: Mapping[str, str]
    ) -> StripeProvider | PayPalProvider:
        key = (provider, tuple(sorted(config.items())))
        adapter = self._providers.get(key)
        if adapter is None:
            if provider is ProviderName.STRIPE:
                adapter = StripeProvider.from_config(config)
            elif provider is ProviderName.PAYPAL:
                adapter = PayPalProvider.from_config(config)
            else:
                raise ProviderError(f"no adapter for {provider}", retryable=False)
            self._providers[key] = adapter
        return adapter

    async def close(self) -> None:
        providers, self._providers = self._providers, {}
        for adapter in providers.values():
            await adapter.close()

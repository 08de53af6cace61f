"""The one place that turns an operator's account config into a provider adapter."""

from __future__ import annotations

from collections.abc import Mapping

from cpo.payments.schemas import ProviderError, ProviderName
from cpo.ports import PaymentProvider
from payments.paypal_provider import PayPalProvider
from payments.stripe_provider import StripeProvider

_Key = tuple[ProviderName, tuple[tuple[str, str], ...]]


class ProviderGateway:
    """Builds adapters on first use and keeps them (one HTTP client per merchant account)."""

    def __init__(self) -> None:
        self._providers: dict[_Key, StripeProvider | PayPalProvider] = {}

    def provider(self, provider: ProviderName, config: Mapping[str, str]) -> PaymentProvider:
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

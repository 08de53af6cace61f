"""Fixtures of the Stripe adapter tests: the fake Stripe on a loopback port, an account
there, the adapter as the platform builds it, Stripe.js played with the SDK, a browser,
and a webhook endpoint the fake delivers to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import stripe

from payments.fake import FakeProviderServer, StripeTestAccount
from payments.stripe_provider import StripeProvider
from tests.support.stripe_webhooks import WebhookEndpoint

MakeProvider = Callable[..., Awaitable[StripeProvider]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeProviderServer]:
    async with FakeProviderServer(webhook_retry_delays_s=(0.05, 0.1, 0.2)) as server:
        yield server


@pytest.fixture
def keys(fake: FakeProviderServer) -> StripeTestAccount:
    return fake.stripe_account(display_name="Stadtwerke Demo")


def account_config(fake: FakeProviderServer, keys: StripeTestAccount) -> dict[str, str]:
    """What `cpo.payments.accounts` stores for a Stripe account on the fake."""
    return {
        "publishable_key": keys.publishable_key,
        "secret_key": keys.secret_key,
        "webhook_secret": keys.webhook_secret,
        "api_base": fake.stripe_url,
    }


@pytest.fixture
async def make_provider(
    fake: FakeProviderServer, keys: StripeTestAccount
) -> AsyncIterator[MakeProvider]:
    """Adapters with settings changed from the account's (closed after the test)."""
    made: list[StripeProvider] = []

    async def make(config: dict[str, str] | None = None, **options: Any) -> StripeProvider:
        provider = StripeProvider.from_config(
            {**account_config(fake, keys), **(config or {})}, **options
        )
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.close()


@pytest.fixture
async def provider(make_provider: MakeProvider) -> StripeProvider:
    """As the platform builds it: default timeout and network retries."""
    return await make_provider()


@pytest.fixture
async def driver(
    fake: FakeProviderServer, keys: StripeTestAccount
) -> AsyncIterator[stripe.StripeClient]:
    """What Stripe.js does in the driver's browser: confirm the intent with a payment method."""
    http_client = stripe.HTTPXClient(timeout=5)
    yield stripe.StripeClient(
        keys.secret_key,
        base_addresses={"api": fake.stripe_url},
        http_client=http_client,
        max_network_retries=0,
    )
    await http_client.close_async()  # type: ignore[no-untyped-call]


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5, follow_redirects=False) as client:
        yield client


@pytest.fixture
async def endpoint(
    fake: FakeProviderServer, keys: StripeTestAccount
) -> AsyncIterator[WebhookEndpoint]:
    webhook_endpoint = WebhookEndpoint()
    await webhook_endpoint.start()
    fake.register_stripe_webhook(keys.secret_key, webhook_endpoint.url)
    yield webhook_endpoint
    await webhook_endpoint.stop()

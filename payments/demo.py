"""The demo's payment provider: the local fake of Stripe and PayPal, with the demo
operator's test accounts and webhooks pointed at the platform; its setup page saves
contract customers' cards and bank accounts, and SEPA debits settle after a few seconds."""

from __future__ import annotations

from urllib.parse import urlsplit

from cpo.demo import (
    DEMO_DEBITS_SETTLE_AFTER_S,
    DEMO_OPERATOR_SLUG,
    DEMO_PAYPAL,
    DEMO_STRIPE,
    demo_payments_url,
)
from cpo.operators.tables import Operator
from cpo.payments.schemas import ProviderName
from cpo.payments.tables import PaymentAccount
from cpo.settings import Settings
from payments.fake import FakeProviderServer


async def start_demo_payments(settings: Settings) -> FakeProviderServer:
    """Start the fake where the demo accounts expect it and route its webhooks to us."""
    address = urlsplit(demo_payments_url(settings))
    fake = FakeProviderServer(
        host=address.hostname or "127.0.0.1",
        port=address.port or 0,
        open_accounts=True,
        # Methods on file: a SEPA debit settles by itself a few seconds after it was made.
        debits_settle_after_s=DEMO_DEBITS_SETTLE_AFTER_S,
    )
    await fake.start()
    # The merchant the pages name — the creditor of SEPA mandates — is the operator.
    operator = (
        await Operator.select(Operator.name, Operator.legal_name)
        .where(Operator.slug == DEMO_OPERATOR_SLUG)
        .first()
    )
    merchant = (operator["legal_name"] or operator["name"]) if operator else "Demo"
    fake.stripe_account(**DEMO_STRIPE, display_name=merchant)
    fake.paypal_account(**DEMO_PAYPAL, display_name=merchant)
    accounts = await PaymentAccount.select(PaymentAccount.id, PaymentAccount.provider).where(
        (PaymentAccount.operator._.slug == DEMO_OPERATOR_SLUG) & PaymentAccount.active.eq(True)
    )
    for account in accounts:
        url = f"{settings.base_url}/api/webhooks/{account['provider']}/{account['id']}"
        if account["provider"] == ProviderName.STRIPE:
            fake.register_stripe_webhook(DEMO_STRIPE["secret_key"], url)
        else:
            fake.register_paypal_webhook(DEMO_PAYPAL["client_id"], url)
    return fake

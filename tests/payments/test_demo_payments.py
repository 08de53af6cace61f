"""The demo's fake payment provider (`make run`): the demo operator's accounts, named as the
operator (the creditor of SEPA mandates on the setup page), and SEPA debits that settle by
themselves a few seconds after they were made."""

from __future__ import annotations

import socket

import stripe

from cpo.context import Context
from cpo.demo import DEMO_DEBITS_SETTLE_AFTER_S, DEMO_STRIPE
from payments.demo import start_demo_payments
from tests.support.stripe_webhooks import WebhookEndpoint


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_demo_saves_a_bank_account_and_its_debits_settle_by_themselves(
    demo: Context,
) -> None:
    # The fake listens 90 ports above the platform.
    settings = demo.settings.replace(host="127.0.0.1", port=free_port() - 90)
    fake = await start_demo_payments(settings)
    # The demo's webhooks go to the platform; here, to an endpoint the test reads.
    endpoint = WebhookEndpoint()
    await endpoint.start()
    fake.register_stripe_webhook(DEMO_STRIPE["secret_key"], endpoint.url)
    http_client = stripe.HTTPXClient(timeout=5)
    try:
        client = stripe.StripeClient(
            DEMO_STRIPE["secret_key"],
            base_addresses={"api": fake.stripe_url},
            http_client=http_client,
            max_network_retries=0,
        )
        customer = await client.v1.customers.create_async({"email": "anna@example.org"})
        setup = await client.v1.setup_intents.create_async(
            {"customer": customer.id, "allowed_payment_method_types": ["sepa_debit"]}
        )
        page = await http_client.request_async("get", f"{fake.url}/setup/{setup.id}", {})
        assert "you authorise Demo Stadtwerke Laden GmbH (the creditor)" in page[0].decode()
        saved = await client.v1.setup_intents.confirm_async(
            setup.id,
            {
                "payment_method": "pm_success_de",
                "mandate_data": {
                    "customer_acceptance": {
                        "type": "online",
                        "online": {"ip_address": "127.0.0.1", "user_agent": "demo"},
                    }
                },
            },
        )
        assert isinstance(saved.payment_method, str)
        debit = await client.v1.payment_intents.create_async(
            {
                "amount": 1000,
                "currency": "eur",
                "customer": customer.id,
                "payment_method": saved.payment_method,
                "allowed_payment_method_types": ["sepa_debit"],
                "off_session": True,
                "confirm": True,
            }
        )
        assert debit.status == "processing"
        settled = await endpoint.event(
            "payment_intent.succeeded", debit.id, within=DEMO_DEBITS_SETTLE_AFTER_S + 5
        )
        assert settled.event["data"]["object"]["status"] == "succeeded"
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]
        await fake.stop()
        await endpoint.stop()

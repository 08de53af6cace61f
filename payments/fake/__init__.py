"""A local fake of the parts of Stripe's and PayPal's HTTP APIs the platform uses.

The real SDKs talk to it unchanged; only their base URL differs:

- Stripe: `stripe.StripeClient(secret_key, base_addresses={"api": fake.stripe_url},
  http_client=stripe.HTTPXClient())`, then `client.v1.payment_intents.create_async(…)`.
- PayPal (`paypalserversdk`): the SDK has no base-URL option, but its `Configuration`
  asks `get_base_uri()` for every request; a subclass that answers `fake.paypal_url` is
  passed as `PaypalServersdkClient(config=…)` (see `tests/payments/test_fake_provider.py`).

Served (one server, one port, state in memory per instance):

Stripe (form-encoded, `Authorization: Bearer sk_test_…`, `Idempotency-Key`):
    POST /v1/payment_intents (off-session charges of saved methods too), GET
    /v1/payment_intents/{id} (`expand[]=latest_charge`), POST
    /v1/payment_intents/{id}/confirm | /capture | /cancel, POST /v1/refunds, POST
    /v1/customers[/{id}], POST /v1/setup_intents, GET /v1/setup_intents/{id}, POST
    /v1/setup_intents/{id}/confirm | /cancel, POST /v1/payment_methods/{id}/attach |
    /detach, GET /v1/charges/{id}, /v1/refunds/{id}, /v1/payment_methods/{id},
    /v1/events/{id}, /v1/customers/{id}, /v1/mandates/{id}.
    Test payment methods (`payments.fake.instruments`): pm_card_visa, pm_card_mastercard
    (succeed), pm_card_chargeDeclined, pm_card_chargeDeclinedInsufficientFunds (402
    card_declined), pm_card_authenticationRequired (3-D Secure; off-session 402
    authentication_required), pm_card_authenticationRequiredOnSetup,
    pm_card_chargeCustomerFail; SEPA Direct Debit pm_success_de / pm_failed_de (processing,
    then settled by a test control or after a delay).
    Webhooks: payment_intent.amount_capturable_updated, .processing, .succeeded,
    .canceled, .payment_failed, charge.refunded, setup_intent.succeeded, .setup_failed,
    .canceled, payment_method.attached, .detached, signed `Stripe-Signature: t=…,v1=…`.
PayPal (JSON, OAuth2 client credentials, `PayPal-Request-Id`, `Prefer`):
    POST /v1/oauth2/token, POST /v2/checkout/orders, GET /v2/checkout/orders/{id},
    POST /v2/checkout/orders/{id}/authorize, GET /v2/payments/authorizations/{id},
    POST /v2/payments/authorizations/{id}/capture | /void, GET /v2/payments/captures/{id},
    POST /v2/payments/captures/{id}/refund, GET /v2/payments/refunds/{id},
    POST /v1/notifications/verify-webhook-signature.
    Webhooks: CHECKOUT.ORDER.APPROVED, PAYMENT.AUTHORIZATION.CREATED / .VOIDED,
    PAYMENT.CAPTURE.COMPLETED / .DENIED / .REFUNDED, with PAYPAL-TRANSMISSION-* headers.
Pages for the browser:
    GET /pay/{payment_intent_id} (demo card form with test cards), /setup/{setup_intent_id}
    (save a card, or an IBAN with the SEPA mandate to accept), /stripe/3ds/{id} (3-D
    Secure challenge, for payments and setups), /mandates/{id}, /checkoutnow?token={order
    id} (PayPal approval, with test payers whose funding is declined or whose capture is
    denied).
Test controls (also methods of `FakeProviderServer`): see `GET /_fake` and
`payments.fake.app.CONTROLS` — accounts, webhook endpoints, injected 5xx / hangs,
expiring authorisations, settling SEPA debits, object state, webhook holds (out of order),
duplicates and redelivery.

Run it alone with `python -m payments.fake --port 8090`.
"""

from payments.fake.server import FakeProviderServer, PayPalTestAccount, StripeTestAccount

__all__ = ["FakeProviderServer", "PayPalTestAccount", "StripeTestAccount"]

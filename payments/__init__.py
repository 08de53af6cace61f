"""Payment provider adapters (Stripe, PayPal) and a local fake of both for dev and tests."""

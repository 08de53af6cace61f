"""Payments for ad hoc charging: holds (pre-authorisations), captures, cancels, refunds.

The core speaks to payment providers only through `cpo.ports.PaymentProvider`; the Stripe
and PayPal adapters (and the local fake of both) live in the `payments` package.
"""

"""The pages a driver's browser sees instead of Stripe Elements (paying, or saving a card or
bank account for later), the 3-D Secure challenge and PayPal's approval screen.
Self-contained HTML (inline CSS, no scripts, no external assets); every value that comes
from a request or an object is escaped.
"""

from __future__ import annotations

from html import escape

from payments.fake.common import format_money
from payments.fake.instruments import TEST_CARDS, TEST_IBANS

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; "
        "base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1a1f36}
main{max-width:26rem;margin:2rem auto;background:#fff;border-radius:12px;padding:1.5rem;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.2rem;margin:0 0 .25rem}
.amount{font-size:2rem;font-weight:600;margin:.5rem 0}
.muted{color:#697386;font-size:.9rem}
.banner{background:#fff4e5;border:1px solid #f5c26b;border-radius:8px;padding:.5rem .75rem;
font-size:.85rem;margin-bottom:1rem}
.error{background:#fdecea;border:1px solid #f5a3a3;border-radius:8px;padding:.5rem .75rem;
margin:1rem 0}
label{display:block;font-size:.85rem;margin:.75rem 0 .25rem}
input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #cfd7df;border-radius:6px;
font-size:1rem}
button{width:100%;padding:.75rem;margin-top:1rem;border:0;border-radius:6px;font-size:1rem;
background:#635bff;color:#fff;cursor:pointer}
button.secondary{background:#e3e8ee;color:#1a1f36}
button.paypal{background:#ffc439;color:#111}
.cards form button{margin-top:.5rem;background:#e3e8ee;color:#1a1f36;text-align:left}
code{font-size:.95rem}
a{color:#635bff}
"""


# What a card form asks (only the number matters to the fake).
_CARD_FIELDS = (
    '<label for="card_number">Card number</label>'
    '<input id="card_number" name="card_number" inputmode="numeric" '
    'placeholder="4242 4242 4242 4242" required>'
    '<label for="expiry">Expiry (any future date)</label>'
    '<input id="expiry" name="expiry" placeholder="12 / 34">'
    '<label for="cvc">CVC (any 3 digits)</label>'
    '<input id="cvc" name="cvc" inputmode="numeric" placeholder="123">'
)


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _group_digits(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def card_page(
    *,
    intent_id: str,
    merchant: str,
    amount_minor: int,
    currency: str,
    description: str | None,
    status: str,
    error: str | None = None,
    back_url: str | None = None,
) -> str:
    """`GET /pay/{id}`: the demo's card form with Stripe's test cards."""
    action = f"/pay/{escape(intent_id)}"
    parts = [
        '<div class="banner">Test mode — fake payment provider. No real card is charged.</div>',
        f"<h1>{escape(merchant)}</h1>",
        f'<div class="amount">{escape(format_money(amount_minor, currency))}</div>',
    ]
    if description:
        parts.append(f'<p class="muted">{escape(description)}</p>')
    parts.append(
        '<p class="muted">This amount is reserved on your card; only what you use is charged.</p>'
    )
    if error:
        parts.append(f'<div class="error" role="alert">{escape(error)}</div>')
    if status in ("requires_payment_method", "requires_confirmation", "requires_action"):
        parts.append(
            f'<form method="post" action="{action}" autocomplete="off">'
            f"{_CARD_FIELDS}"
            '<button type="submit">Pay</button></form>'
        )
        parts.append('<h2 class="muted">Test cards</h2><div class="cards">')
        for card in TEST_CARDS:
            if not card.label:
                continue
            parts.append(
                f'<form method="post" action="{action}">'
                f'<input type="hidden" name="card_number" value="{escape(card.number)}">'
                f'<button type="submit"><code>{escape(_group_digits(card.number))}</code> '
                f"— {escape(card.label)}</button></form>"
            )
        parts.append("</div>")
    else:
        parts.append(f"<p>This payment is <strong>{escape(status.replace('_', ' '))}</strong>.</p>")
    if back_url:
        parts.append(f'<p><a href="{escape(back_url)}">Cancel and return</a></p>')
    return _page(f"Pay {merchant}", "".join(parts))


def mandate_text(merchant: str) -> str:
    """The SEPA Direct Debit mandate the customer accepts (the demo's own wording of what
    the scheme requires a mandate to say)."""
    return (
        f"By accepting this mandate you authorise {merchant} (the creditor) and its payment "
        "service provider to send instructions to your bank to debit your account, and your "
        "bank to debit your account as instructed. You can ask your bank for a refund within "
        "8 weeks from the day your account was debited, under the terms of your agreement "
        "with your bank. You will be told about each debit at least 2 days before it is made."
    )


def setup_page(
    *,
    setup_id: str,
    merchant: str,
    payment_method_types: list[str],
    status: str,
    email: str | None,
    error: str | None = None,
    back_url: str | None = None,
) -> str:
    """`GET /setup/{id}`: save a card (Stripe's test cards) or a bank account for SEPA
    Direct Debit (IBAN, holder, e-mail, and the mandate to accept) — instead of Stripe's
    Payment Element in setup mode."""
    action = f"/setup/{escape(setup_id)}"
    parts = [
        '<div class="banner">Test mode — fake payment provider. Nothing is charged.</div>',
        f"<h1>Save a payment method for {escape(merchant)}</h1>",
        f'<p class="muted">{escape(merchant)} will use it for your future invoices.</p>',
    ]
    if error:
        parts.append(f'<div class="error" role="alert">{escape(error)}</div>')
    if status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        parts.append(f"<p>This setup is <strong>{escape(status.replace('_', ' '))}</strong>.</p>")
        payment_method_types = []
    if "sepa_debit" in payment_method_types:
        parts.append(
            "<h2>SEPA Direct Debit</h2>"
            f'<form method="post" action="{action}" autocomplete="off">'
            '<input type="hidden" name="method" value="sepa_debit">'
            '<label for="iban">IBAN</label>'
            '<input id="iban" name="iban" placeholder="DE89 3704 0044 0532 0130 00" required>'
            '<label for="holder">Account holder</label>'
            '<input id="holder" name="name" autocomplete="name" required>'
            '<label for="email">E-mail</label>'
            f'<input id="email" name="email" type="email" value="{escape(email or "")}" '
            "required>"
            f'<p class="muted" id="mandate-text">{escape(mandate_text(merchant))}</p>'
            '<button type="submit" name="mandate" value="accepted" '
            'aria-describedby="mandate-text">Accept the mandate and save</button></form>'
            '<h3 class="muted">Test IBANs</h3><ul class="muted">'
        )
        for iban in TEST_IBANS:
            if iban.label:
                number = escape(_group_digits(iban.iban))
                parts.append(f"<li><code>{number}</code> — {escape(iban.label)}</li>")
        parts.append("</ul>")
    if "card" in payment_method_types:
        parts.append(
            "<h2>Card</h2>"
            f'<form method="post" action="{action}" autocomplete="off">'
            '<input type="hidden" name="method" value="card">'
            f"{_CARD_FIELDS}"
            '<button type="submit">Save card</button></form>'
            '<h3 class="muted">Test cards</h3><div class="cards">'
        )
        for card in TEST_CARDS:
            if not card.setup_label:
                continue
            parts.append(
                f'<form method="post" action="{action}">'
                '<input type="hidden" name="method" value="card">'
                f'<input type="hidden" name="card_number" value="{escape(card.number)}">'
                f'<button type="submit"><code>{escape(_group_digits(card.number))}</code> '
                f"— {escape(card.setup_label)}</button></form>"
            )
        parts.append("</div>")
    if back_url:
        parts.append(f'<p><a href="{escape(back_url)}">Cancel and return</a></p>')
    return _page(f"Save a payment method for {merchant}", "".join(parts))


def mandate_page(
    *, reference: str, merchant: str, last4: str, accepted_at: str, status: str
) -> str:
    """`GET /mandates/{id}`: what the customer agreed to, as Stripe's mandate URL shows."""
    body = (
        '<div class="banner">Test mode — a fake SEPA Direct Debit mandate.</div>'
        "<h1>SEPA Direct Debit mandate</h1>"
        f"<p>Reference <strong>{escape(reference)}</strong> · creditor {escape(merchant)} · "
        f"account ending in {escape(last4)} · accepted {escape(accepted_at)} · "
        f"{escape(status)}</p>"
        f"<p>{escape(mandate_text(merchant))}</p>"
    )
    return _page("SEPA Direct Debit mandate", body)


def three_d_secure_page(
    *, intent_id: str, merchant: str, amount_minor: int | None, currency: str, card_last4: str
) -> str:
    """The challenge for a payment (an amount) or for saving a card (none)."""
    action = f"/stripe/3ds/{escape(intent_id)}"
    if amount_minor is None:
        asks = f"asks to save your card ending in {escape(card_last4)} for later payments."
        title = "Confirm saving your card"
    else:
        amount = escape(format_money(amount_minor, currency))
        last4 = escape(card_last4)
        asks = f"asks to reserve <strong>{amount}</strong> on your card ending in {last4}."
        title = "Confirm this payment"
    body = (
        '<div class="banner">Test mode — a fake 3-D Secure challenge.</div>'
        f"<h1>{title}</h1>"
        f'<p class="muted">{escape(merchant)} {asks}</p>'
        f'<form method="post" action="{action}">'
        '<button type="submit" name="action" value="complete">Complete authentication</button>'
        '<button type="submit" name="action" value="fail" class="secondary">'
        "Fail authentication</button></form>"
    )
    return _page("3-D Secure", body)


def paypal_approval_page(
    *,
    order_id: str,
    merchant: str,
    amount_minor: int,
    currency: str,
    description: str | None,
    status: str,
) -> str:
    action = f"/checkoutnow/{escape(order_id)}"
    parts = [
        '<div class="banner">Test mode — a fake PayPal checkout with a test payer.</div>',
        f"<h1>Pay {escape(merchant)} with PayPal</h1>",
        f'<div class="amount">{escape(format_money(amount_minor, currency))}</div>',
    ]
    if description:
        parts.append(f'<p class="muted">{escape(description)}</p>')
    if status in ("CREATED", "PAYER_ACTION_REQUIRED"):
        parts.append(
            f'<form method="post" action="{action}">'
            '<button type="submit" name="action" value="approve" class="paypal">'
            "Agree and continue</button>"
            '<button type="submit" name="action" value="approve_instrument_declined" '
            'class="secondary">Test payer whose funding is declined</button>'
            '<button type="submit" name="action" value="approve_capture_denied" '
            'class="secondary">Test payer whose capture is denied</button>'
            '<button type="submit" name="action" value="cancel" class="secondary">'
            "Cancel and return to merchant</button></form>"
        )
    else:
        parts.append(f"<p>This order is <strong>{escape(status)}</strong>.</p>")
    return _page("PayPal checkout", "".join(parts))


def message_page(title: str, message: str, link: str | None = None) -> str:
    body = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    if link:
        body += f'<p><a href="{escape(link)}">Continue</a></p>'
    return _page(title, body)

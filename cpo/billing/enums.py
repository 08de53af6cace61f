from enum import StrEnum


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"  # corrects an invoice: negative lines, its own number


class InvoiceStatus(StrEnum):
    OPEN = "open"  # issued, awaiting payment (a credit note: awaiting its payout)
    PAID = "paid"  # settled: paid in, paid out, or (a credit note) offset against its invoice
    FAILED = "failed"  # a charge (or payout) through the payment provider failed
    CREDITED = "credited"  # cancelled in full by credit notes


class PaymentMethod(StrEnum):
    """How an invoice was settled; the payment collection adds its own (card, SEPA …)."""

    BANK_TRANSFER = "bank_transfer"
    OFFSET = "offset"  # a credit note set off against the unpaid invoice it corrects


class InvoiceEvent(StrEnum):
    """What the billing webhook tells."""

    CREATED = "invoice.created"
    PAID = "invoice.paid"
    PAYMENT_FAILED = "invoice.payment_failed"
    CREDITED = "invoice.credited"
    CREDIT_NOTE_CREATED = "credit_note.created"


class RunState(StrEnum):
    RUNNING = "running"
    DONE = "done"

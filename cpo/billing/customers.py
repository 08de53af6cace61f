"""Invoices as the customer sees them in the app: their own, by who may see them
(`accounts.rules.may_see_invoices`)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from cpo import messages
from cpo.accounts.rules import may_see_invoices
from cpo.accounts.service import UserRef, customer_allowed
from cpo.billing.documents import invoice_pdf
from cpo.billing.enums import InvoiceKind, InvoiceStatus
from cpo.billing.rules import balance
from cpo.billing.service import InvoiceView
from cpo.billing.tables import Invoice
from cpo.errors import NotAllowed, NotFound
from cpo.i18n import translator


class MyInvoice(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    kind: InvoiceKind
    # A credit note: the number of the invoice it corrects.
    corrects_number: str | None
    period: str
    currency: str
    gross_minor: int
    credited_minor: int
    # What is still to pay (positive) or to be paid back (negative); 0 when settled.
    balance_minor: int
    status: InvoiceStatus
    paid_method: str
    issued_at: datetime
    due_at: datetime


async def _customer_id(user: UserRef, language: str) -> int:
    """Whom the invoices go to sees them (`accounts.rules.may_see_invoices`)."""
    customer_id = await customer_allowed(user, may_see_invoices)
    if customer_id is None:
        t = translator(language)
        raise NotAllowed(t.gettext(messages.INVOICES_NOT_YOURS), code="invoices_not_visible")
    return customer_id


async def my_invoices(user: UserRef, language: str) -> list[MyInvoice]:
    customer_id = await _customer_id(user, language)
    rows = (
        await Invoice.select(
            Invoice.id,
            Invoice.number,
            Invoice.kind,
            Invoice.corrects.number.as_alias("corrects_number"),
            Invoice.period,
            Invoice.currency,
            Invoice.gross_minor,
            Invoice.credited_minor,
            Invoice.paid_minor,
            Invoice.status,
            Invoice.paid_method,
            Invoice.issued_at,
            Invoice.due_at,
        )
        .where((Invoice.customer == customer_id) & (Invoice.operator == user.operator_id))
        .order_by(Invoice.sequence, ascending=False)
    )
    return [
        MyInvoice(
            **{key: value for key, value in row.items() if key != "paid_minor"},
            balance_minor=balance(row["gross_minor"], row["credited_minor"], row["paid_minor"]),
        )
        for row in rows
    ]


async def my_invoice_pdf(
    user: UserRef, invoice_id: int, language: str
) -> tuple[InvoiceView, bytes]:
    customer_id = await _customer_id(user, language)
    owner = (
        await Invoice.select(Invoice.customer)
        .where((Invoice.id == invoice_id) & (Invoice.operator == user.operator_id))
        .first()
    )
    if owner is None or owner["customer"] != customer_id:
        raise NotFound("no such invoice", code="invoice_not_found")
    return await invoice_pdf(user.operator_id, invoice_id)

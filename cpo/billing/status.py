"""How an invoice's status moves: paid, failed, credited — the core API that the admin API
and the payment collection call.

Every function runs inside the caller's `database.transaction()` when there is one (and in
its own otherwise), and writes the change together with its webhook event
(cpo.billing.events: an outbox row in the same transaction), so a committed change is
always told and a rolled-back one never is. Illegal changes raise `Conflict` with a stable
code; a repeated call that was done already changes nothing and returns the invoice as it
is.

    async def mark_paid(
        ctx: Context, invoice_id: int, *, paid_at: datetime, method: str, reference: str,
        operator_id: int | None = None,
    ) -> InvoiceView
        Settles the whole open balance (invoice: money received; credit note: money paid
        out to the customer). open/failed → paid; stores paid_at, method, reference, clears
        failure_code/failure_message; event `invoice.paid`. Paying out a credit note also
        lowers what its invoice counts as received. Again with the same method and
        reference: no change. Conflict `invoice_already_paid` (paid with another reference)
        or `invoice_credited` (fully credited: nothing to pay).

    async def mark_payment_failed(
        ctx: Context, invoice_id: int, *, code: str, message: str,
        operator_id: int | None = None,
    ) -> InvoiceView
        A collection (or payout) failed: open/failed → failed; stores failure_code (≤ 64)
        and failure_message (≤ 500); event `invoice.payment_failed`. The same code and
        message again: no change. Conflict `invoice_already_paid` / `invoice_credited`.

    async def apply_credit_note(ctx: Context, credit_note_id: int) -> None
        Called by cpo.billing.credit_notes in the transaction that writes a credit note:
        adds it to its invoice's `credited_minor` (fully credited → `credited`), settles it
        by the settlement rule, and writes `credit_note.created` and `invoice.credited`.

`operator_id`, when given, scopes the call: another operator's invoice is `NotFound`.

The settlement rule (rules.settles_by_offset): a credit note against an invoice that is not
paid (open or failed) is set off against its open balance at once — the credit note is
`paid` with method `offset` and the invoice's balance drops by its amount. Against a paid
invoice the money is owed back: the credit note stays `open` (balance negative) until it is
paid out — by bank transfer, marked with `mark_paid` like an invoice, or refunded by the
payment collection, which then calls `mark_paid` with its own method and reference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from cpo import database
from cpo.billing import events, rules
from cpo.billing.enums import InvoiceEvent, InvoiceKind, InvoiceStatus, PaymentMethod
from cpo.billing.rules import Change
from cpo.billing.service import InvoiceView, get_invoice
from cpo.billing.tables import Invoice
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound

MAX_METHOD: Final = 20
MAX_REFERENCE: Final = 100
MAX_FAILURE_CODE: Final = 64
MAX_FAILURE_MESSAGE: Final = 500


async def _row(invoice_id: int, operator_id: int | None) -> dict[str, Any]:
    condition: Any = Invoice.id == invoice_id
    if operator_id is not None:
        condition &= Invoice.operator == operator_id
    row: dict[str, Any] | None = await Invoice.select().where(condition).first()
    if row is None:
        raise NotFound("no such invoice", code="invoice_not_found")
    return row


def _move(row: dict[str, Any], change: Change) -> InvoiceStatus:
    current = InvoiceStatus(row["status"])
    moved = rules.next_status(InvoiceKind(row["kind"]), current, change)
    if moved is None:
        raise Conflict(
            f"invoice {row['number']} is {current}: {change} is not possible",
            code=rules.refusal_code(current, change),
        )
    return moved


async def _update(row: dict[str, Any], values: dict[Any, Any]) -> None:
    """Write `values` if the invoice is still as read (no lost update between two nodes)."""
    changed = (
        await Invoice.update(values)
        .where(
            (Invoice.id == row["id"])
            & (Invoice.status == row["status"])
            & (Invoice.paid_minor == row["paid_minor"])
            & (Invoice.credited_minor == row["credited_minor"])
        )
        .returning(Invoice.id)
    )
    if not changed:
        raise Conflict(
            f"invoice {row['number']} changed meanwhile: try again", code="invoice_changed"
        )


async def mark_paid(
    ctx: Context,
    invoice_id: int,
    *,
    paid_at: datetime,
    method: str,
    reference: str,
    operator_id: int | None = None,
) -> InvoiceView:
    """See the module's docstring."""
    method, reference = method.strip(), reference.strip()
    if not method or len(method) > MAX_METHOD:
        raise InvalidInput(f"a payment method has 1 to {MAX_METHOD} characters")
    if len(reference) > MAX_REFERENCE:
        raise InvalidInput(f"a payment reference has at most {MAX_REFERENCE} characters")
    if paid_at.tzinfo is None:
        raise InvalidInput("paid_at needs a time zone", code="invalid_paid_at")
    async with database.transaction():
        row = await _row(invoice_id, operator_id)
        status = InvoiceStatus(row["status"])
        if rules.is_repeat_payment(
            status, row["paid_reference"], method, reference, row["paid_method"]
        ):
            return await get_invoice(row["operator"], invoice_id)
        moved = _move(row, Change.PAY)
        settled = rules.balance(row["gross_minor"], row["credited_minor"], row["paid_minor"])
        await _update(
            row,
            {
                Invoice.status: moved,
                Invoice.paid_minor: row["paid_minor"] + settled,
                Invoice.paid_at: paid_at,
                Invoice.paid_method: method,
                Invoice.paid_reference: reference,
                Invoice.failure_code: "",
                Invoice.failure_message: "",
            },
        )
        if row["kind"] == InvoiceKind.CREDIT_NOTE and row["corrects"] is not None:
            # Money paid back: the corrected invoice counts that much less as received.
            await Invoice.update({Invoice.paid_minor: Invoice.paid_minor + settled}).where(
                Invoice.id == row["corrects"]
            )
        await events.record(ctx, invoice_id, InvoiceEvent.PAID)
        return await get_invoice(row["operator"], invoice_id)


async def mark_payment_failed(
    ctx: Context,
    invoice_id: int,
    *,
    code: str,
    message: str,
    operator_id: int | None = None,
) -> InvoiceView:
    """See the module's docstring."""
    code, message = code.strip()[:MAX_FAILURE_CODE], message.strip()[:MAX_FAILURE_MESSAGE]
    if not code:
        raise InvalidInput("a failure needs a code", code="invalid_failure")
    async with database.transaction():
        row = await _row(invoice_id, operator_id)
        moved = _move(row, Change.FAIL)
        if (row["status"], row["failure_code"], row["failure_message"]) == (
            moved,
            code,
            message,
        ):
            return await get_invoice(row["operator"], invoice_id)
        await _update(
            row,
            {
                Invoice.status: moved,
                Invoice.failure_code: code,
                Invoice.failure_message: message,
            },
        )
        await events.record(ctx, invoice_id, InvoiceEvent.PAYMENT_FAILED)
        return await get_invoice(row["operator"], invoice_id)


async def apply_credit_note(ctx: Context, credit_note_id: int) -> None:
    """See the module's docstring."""
    async with database.transaction():
        note = await _row(credit_note_id, None)
        if note["kind"] != InvoiceKind.CREDIT_NOTE or note["corrects"] is None:
            raise InvalidInput("not a credit note", code="not_a_credit_note")
        invoice = await _row(note["corrects"], None)
        credited = invoice["credited_minor"] - note["gross_minor"]
        values: dict[Any, Any] = {Invoice.credited_minor: credited}
        if rules.fully_credited(invoice["gross_minor"], credited):
            values[Invoice.status] = _move(invoice, Change.CREDIT_FULLY)
        await _update(invoice, values)
        if rules.settles_by_offset(InvoiceStatus(invoice["status"])):
            await _update(
                note,
                {
                    Invoice.status: _move(note, Change.PAY),
                    Invoice.paid_minor: note["gross_minor"],
                    Invoice.paid_at: ctx.clock.now(),
                    Invoice.paid_method: PaymentMethod.OFFSET,
                    Invoice.paid_reference: invoice["number"],
                },
            )
        await events.record(ctx, credit_note_id, InvoiceEvent.CREDIT_NOTE_CREATED)
        await events.record(ctx, invoice["id"], InvoiceEvent.CREDITED)

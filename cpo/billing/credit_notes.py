"""Credit notes ("Rechnungskorrektur"): documents of their own that correct an invoice.

For each credited line the line's charge detail record is cancelled with a credit record
(cpo.cdrs.service.correct_cdr: negative amounts) and, with `rebill`, replaced by a rebill
record of the same energy, which the next monthly run bills as usual. The credit note is an
invoice row of kind `credit_note` that `corrects` the invoice: the credit records are its
lines, its number comes from the operator's one gap-free sequence with its own prefix
(rules.invoice_number: DEM-RK-000007 beside DEM-R-000006), it keeps its reason and the
customer's address, and it is mailed with its own PDF. A line is credited once: a record
is cancelled once, and the database puts a record on one document only.

How the credit note is settled (offset against an unpaid invoice, or owed back for a paid
one) is cpo.billing.status's rule; the whole note is written in one transaction with its
status change and its webhook events.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec

from cpo import database
from cpo.audit import service as audit
from cpo.billing import rules, status
from cpo.billing.enums import InvoiceKind, InvoiceStatus
from cpo.billing.service import (
    InvoiceView,
    billing_details,
    cancelled_records,
    end_of_day,
    get_invoice,
    next_number,
)
from cpo.billing.tables import Invoice, InvoiceLine
from cpo.cdrs.service import correct_cdr
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.operators.service import OperatorRef, require_admin
from cpo.operators.tables import Operator

MAX_REASON: Final = 500
Positions = Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=1000)]


class CreditNoteRequest(msgspec.Struct, frozen=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON)]
    # Line positions to credit; left out: every line not credited yet.
    positions: (
        Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=1000)] | None
    ) = None
    # Bill the same energy again (a rebill record for the next monthly run).
    rebill: bool = False


def _chosen(
    lines: list[dict[str, Any]], asked: list[int] | None, credited: set[int]
) -> list[dict[str, Any]]:
    by_position = {int(line["position"]): line for line in lines}
    if asked is None:
        chosen = [
            line for position, line in sorted(by_position.items()) if position not in credited
        ]
        if not chosen:
            raise Conflict(
                "every line of this invoice is credited already", code="invoice_credited"
            )
        return chosen
    unknown = sorted(set(asked) - set(by_position))
    if unknown:
        raise InvalidInput(
            f"the invoice has no line {', '.join(map(str, unknown))}", code="unknown_position"
        )
    twice = sorted(set(asked) & credited)
    if twice:
        raise Conflict(
            f"line {', '.join(map(str, twice))} is credited already", code="line_already_credited"
        )
    return [by_position[position] for position in sorted(set(asked))]


async def issue_credit_note(
    ctx: Context, caller: OperatorRef, invoice_id: int, request: CreditNoteRequest
) -> InvoiceView:
    """Write the credit note (see the module's docstring); audited. Mail it after."""
    require_admin(caller)
    reason = request.reason.strip()
    if not reason:
        raise InvalidInput("say why the invoice is corrected", code="reason_missing")
    operator_id = caller.operator_id
    now = ctx.clock.now()
    async with database.transaction():
        invoice = (
            await Invoice.select()
            .where((Invoice.id == invoice_id) & (Invoice.operator == operator_id))
            .first()
        )
        if invoice is None:
            raise NotFound("no such invoice", code="invoice_not_found")
        if invoice["kind"] != InvoiceKind.INVOICE:
            raise Conflict("a credit note cannot be credited", code="not_an_invoice")
        if invoice["status"] == InvoiceStatus.CREDITED:
            raise Conflict("the invoice is credited in full already", code="invoice_credited")
        lines = (
            await InvoiceLine.select()
            .where(InvoiceLine.invoice == invoice_id)
            .order_by(InvoiceLine.position)
        )
        cancelled = await cancelled_records([line["cdr"] for line in lines])
        credited = {int(line["position"]) for line in lines if line["cdr"] in cancelled}
        chosen = _chosen(lines, request.positions, credited)
        credits = []
        for line in chosen:
            credit, _ = await correct_cdr(
                ctx,
                operator_id,
                line["cdr"],
                reason=reason,
                energy_wh=line["energy_wh"] if request.rebill else None,
            )
            credits.append((line, credit))
        total = rules.totals(
            rules.Amounts(
                credit.vat_rate_bp, credit.net_minor, credit.vat_minor, credit.gross_minor
            )
            for _, credit in credits
        )
        party = await Operator.select(Operator.party_id).where(Operator.id == operator_id).first()
        assert party is not None
        sequence = await next_number(operator_id)
        customer_address, terms_days = await billing_details(invoice["customer"])
        rows = await Invoice.insert(
            Invoice(
                operator=operator_id,
                sequence=sequence,
                number=rules.invoice_number(party["party_id"], sequence, InvoiceKind.CREDIT_NOTE),
                kind=InvoiceKind.CREDIT_NOTE,
                corrects=invoice_id,
                reason=reason,
                customer=invoice["customer"],
                period=invoice["period"],
                language=invoice["language"],
                currency=invoice["currency"],
                net_minor=total.net_minor,
                vat_minor=total.vat_minor,
                gross_minor=total.gross_minor,
                vat_breakdown=msgspec.json.encode(list(total.by_rate)).decode(),
                payment_method=invoice["payment_method"],
                customer_address=customer_address,
                issued_at=now,
                due_at=end_of_day(rules.due_date(now, terms_days)),
            )
        ).returning(Invoice.id)
        note_id = int(rows[0]["id"])
        await InvoiceLine.insert(
            *(
                InvoiceLine(
                    invoice=note_id,
                    cdr=credit.id,
                    position=position,
                    cdr_number=credit.number,
                    started_at=credit.started_at,
                    stopped_at=credit.stopped_at,
                    evse_id=credit.evse_id,
                    token_label=line["token_label"],
                    tariff_name=credit.tariff_name,
                    energy_wh=credit.energy_wh,
                    vat_rate_bp=credit.vat_rate_bp,
                    net_minor=credit.net_minor,
                    vat_minor=credit.vat_minor,
                    gross_minor=credit.gross_minor,
                )
                for position, (line, credit) in enumerate(credits, start=1)
            )
        )
        await status.apply_credit_note(ctx, note_id)
        note = await get_invoice(operator_id, note_id)
        await audit.record(
            caller,
            "invoice.credit_note",
            "invoice",
            invoice_id,
            at=now,
            after={
                "credit_note": note.number,
                "positions": [line["position"] for line, _ in credits],
                "rebill": request.rebill,
                "reason": reason,
                "gross_minor": note.gross_minor,
            },
        )
    return note

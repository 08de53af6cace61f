"""Monthly billing in the admin API: start a month's run by hand, read invoices and credit
notes (JSON with a cursor, PDF), export them for accounting (CSV of lines, DATEV booking
batch), mark a bank transfer paid, write a credit note, mail a document again, and see the
invoice events sent to the billing webhook. Operator admins change; staff read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Final

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import CallingOperator
from cpo import database
from cpo.audit import service as audit
from cpo.billing import events, export, status
from cpo.billing import service as billing
from cpo.billing.credit_notes import CreditNoteRequest, issue_credit_note
from cpo.billing.documents import invoice_pdf, mail_invoice
from cpo.billing.enums import InvoiceKind, InvoiceStatus, PaymentMethod
from cpo.billing.rules import Period
from cpo.errors import Conflict, InvalidInput
from cpo.operators.service import require_admin

CSV = "text/csv; charset=utf-8"
ONLY_ADMINS: Final = " Needs an operator admin (403 `forbidden_role` for staff)."
# A payment dated this far ahead is a typo, not a payment.
PAID_AT_SLACK: Final = timedelta(minutes=5)


class RunRequest(msgspec.Struct, frozen=True):
    period: Annotated[str, msgspec.Meta(max_length=7)]


class PaymentRequest(msgspec.Struct, frozen=True, kw_only=True):
    paid_at: datetime
    # The bank statement's reference; the same again changes nothing.
    reference: Annotated[str, msgspec.Meta(max_length=status.MAX_REFERENCE)] = ""


class Mailed(msgspec.Struct, frozen=True, kw_only=True):
    mailed: bool


def _period(text: str | None) -> Period | None:
    return None if text is None else billing.period_of(text)


class BillingController(Controller):
    path = "/api/admin"
    tags = ["admin: billing"]

    @post(
        "/billing-runs",
        status_code=HTTP_200_OK,
        summary="Bill a month now (operator admins)",
        description=(
            "One invoice per contract customer with every charge detail record that stopped "
            "before the month's end and is on no invoice yet; each is mailed with its PDF. "
            "A month runs once: asking again answers with what was done. 409 while another "
            "node runs it; 422 for a month that has not ended."
        ),
    )
    async def run(
        self, operator: CallingOperator, state: State, data: JSONBody[RunRequest]
    ) -> billing.RunResult:
        require_admin(operator)
        period = billing.period_of(data.period)

        async def mail(invoice_id: int) -> None:
            await mail_invoice(state.ctx, operator.operator_id, invoice_id)

        result = await billing.run_billing(
            state.ctx, operator.operator_id, period, after_invoice=mail
        )
        async with database.transaction():
            await audit.record(
                operator,
                "billing.run",
                "billing_run",
                str(period),
                at=state.ctx.clock.now(),
                after={"state": result.state, "new_invoices": result.new_invoices},
            )
        return result

    @get(
        "/invoices",
        summary="Invoices and credit notes in the order of their numbers",
        description=(
            "Filter by `period` (YYYY-MM), `status` (open, paid, failed, credited) and `kind` "
            "(invoice, credit_note); continue a walk with `after` (`next_after`). Each shows "
            "its status, what was credited, the open balance (gross − credited − paid), the "
            "last failed collection, and the invoice a credit note corrects."
        ),
        cache_control=None,
    )
    async def invoices(
        self,
        operator: CallingOperator,
        period: FromQuery[str | None] = None,
        status: FromQuery[InvoiceStatus | None] = None,
        kind: FromQuery[InvoiceKind | None] = None,
        after: FromQuery[int | None] = None,
        limit: Annotated[
            int, QueryParameter(ge=1, le=billing.MAX_PAGE_SIZE)
        ] = billing.DEFAULT_PAGE_SIZE,
    ) -> billing.InvoicePage:
        return await billing.invoice_page(
            operator.operator_id,
            period=_period(period),
            status=status,
            kind=kind,
            after=after,
            limit=limit,
        )

    @get("/invoices/{invoice_id:int}", summary="One invoice with its lines", cache_control=None)
    async def invoice(
        self, operator: CallingOperator, invoice_id: FromPath[int]
    ) -> billing.InvoiceView:
        return await billing.get_invoice(operator.operator_id, invoice_id)

    @get("/invoices/{invoice_id:int}/pdf", summary="One invoice as PDF")
    async def pdf(self, operator: CallingOperator, invoice_id: FromPath[int]) -> Response[bytes]:
        invoice, document = await invoice_pdf(operator.operator_id, invoice_id)
        return Response(
            document,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
        )

    @get(
        "/invoices/export.csv",
        summary="Invoice lines as CSV",
        description="One row per line (session) with its invoice; optionally one `period`.",
        media_type=CSV,
    )
    async def lines_csv(
        self, operator: CallingOperator, period: FromQuery[str | None] = None
    ) -> Stream:
        chosen = _period(period)
        return Stream(
            export.lines_csv(operator.operator_id, chosen),
            media_type=CSV,
            headers={
                "Content-Disposition": f'attachment; filename="invoices-{period or "all"}.csv"'
            },
        )

    @get(
        "/invoices/datev.csv",
        summary="Invoices as a DATEV booking batch (EXTF)",
        description="One booking per invoice and VAT rate (cpo/billing/export.py says how).",
        media_type="text/csv; charset=windows-1252",
    )
    async def datev(
        self, operator: CallingOperator, state: State, period: FromQuery[str | None] = None
    ) -> Stream:
        chosen = _period(period)
        filename = f"EXTF_Buchungsstapel_{chosen or 'alle'}.csv"
        return Stream(
            export.datev_csv(operator.operator_id, chosen, state.ctx.clock.now()),
            media_type="text/csv; charset=windows-1252",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @post(
        "/invoices/{invoice_id:int}/payments",
        status_code=HTTP_200_OK,
        summary="Mark an invoice paid by bank transfer (or a credit note paid out)",
        description=(
            "`paid_at` (with time zone) and the bank statement's `reference`. Settles the whole "
            "open balance; the same reference again changes nothing. 409 "
            "`invoice_already_paid` (paid with another reference) or `invoice_credited`. "
            "Audited; the billing webhook gets `invoice.paid`." + ONLY_ADMINS
        ),
    )
    async def pay(
        self,
        operator: CallingOperator,
        state: State,
        invoice_id: FromPath[int],
        data: JSONBody[PaymentRequest],
    ) -> billing.InvoiceView:
        require_admin(operator)
        now = state.ctx.clock.now()
        if data.paid_at.tzinfo is None:
            raise InvalidInput("paid_at needs a time zone", code="invalid_paid_at")
        if data.paid_at > now + PAID_AT_SLACK:
            raise InvalidInput("a payment cannot be in the future", code="invalid_paid_at")
        async with database.transaction():
            before = await billing.get_invoice(operator.operator_id, invoice_id)
            after = await status.mark_paid(
                state.ctx,
                invoice_id,
                paid_at=data.paid_at,
                method=PaymentMethod.BANK_TRANSFER,
                reference=data.reference,
                operator_id=operator.operator_id,
            )
            if before.status != after.status:
                await audit.record(
                    operator,
                    "invoice.paid",
                    "invoice",
                    invoice_id,
                    at=now,
                    before={"status": before.status, "balance_minor": before.balance_minor},
                    after={
                        "status": after.status,
                        "paid_at": after.paid_at,
                        "reference": after.paid_reference,
                    },
                )
        return after

    @post(
        "/invoices/{invoice_id:int}/credit-notes",
        status_code=HTTP_201_CREATED,
        summary="Write a credit note for an invoice",
        description=(
            "`reason`, `positions` (the invoice's line positions; left out: every line not "
            "credited yet) and `rebill` (bill the same energy again in the next monthly run). "
            "Each line's charge detail record is cancelled with a credit record; the credit "
            "note (number `<party>-RK-…` from the invoice sequence) is mailed to the customer. "
            "Against an unpaid invoice it is set off at once (status paid, method offset); "
            "against a paid one it stays open until paid out. 409 `line_already_credited`, "
            "`invoice_credited`, `not_an_invoice`; 422 `unknown_position`. Audited." + ONLY_ADMINS
        ),
    )
    async def credit(
        self,
        operator: CallingOperator,
        state: State,
        invoice_id: FromPath[int],
        data: JSONBody[CreditNoteRequest],
    ) -> billing.InvoiceView:
        note = await issue_credit_note(state.ctx, operator, invoice_id, data)
        # Written and committed first; the mail goes after (a failed one is retried by the
        # billing round, as an invoice's).
        await mail_invoice(state.ctx, operator.operator_id, note.id)
        return await billing.get_invoice(operator.operator_id, note.id)

    @post(
        "/invoices/{invoice_id:int}/mail",
        status_code=HTTP_200_OK,
        summary="Mail an invoice or credit note to the customer again",
        description="422 `no_invoice_email` when the customer has no e-mail address; 409 "
        "`mail_not_sent` when the mail server refused it for now. Audited." + ONLY_ADMINS,
    )
    async def mail(
        self, operator: CallingOperator, state: State, invoice_id: FromPath[int]
    ) -> Mailed:
        require_admin(operator)
        invoice = await billing.get_invoice(operator.operator_id, invoice_id)
        if not await billing.customer_email(invoice.customer_id):
            raise InvalidInput("the customer has no e-mail address", code="no_invoice_email")
        if not await mail_invoice(state.ctx, operator.operator_id, invoice_id, again=True):
            raise Conflict("the mail did not go out; try again later", code="mail_not_sent")
        async with database.transaction():
            await audit.record(
                operator,
                "invoice.mail",
                "invoice",
                invoice_id,
                at=state.ctx.clock.now(),
                after={"number": invoice.number},
            )
        return Mailed(mailed=True)

    @get(
        "/invoices/webhook-deliveries",
        summary="Invoice events sent to the billing webhook, newest first",
        description=(
            "State (pending, sent, failed), attempts and the last error of each; optionally "
            "of one `invoice_id`."
        ),
        cache_control=None,
    )
    async def deliveries(
        self, operator: CallingOperator, invoice_id: FromQuery[int | None] = None
    ) -> list[events.InvoiceDeliveryView]:
        return await events.deliveries(operator.operator_id, invoice_id=invoice_id)

"""Monthly billing in the admin API: start a month's run by hand, read invoices (JSON with
a cursor, PDF) and export them for accounting (CSV of lines, DATEV booking batch)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK

from api.auth import CallingOperator
from cpo import database
from cpo.audit import service as audit
from cpo.billing import export
from cpo.billing import service as billing
from cpo.billing.documents import invoice_pdf, mail_invoice
from cpo.billing.rules import Period
from cpo.operators.service import require_admin

CSV = "text/csv; charset=utf-8"


class RunRequest(msgspec.Struct, frozen=True):
    period: Annotated[str, msgspec.Meta(max_length=7)]


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
        summary="Invoices in the order of their numbers",
        description="Filter by `period` (YYYY-MM); continue a walk with `after` (`next_after`).",
        cache_control=None,
    )
    async def invoices(
        self,
        operator: CallingOperator,
        period: FromQuery[str | None] = None,
        after: FromQuery[int | None] = None,
        limit: Annotated[
            int, QueryParameter(ge=1, le=billing.MAX_PAGE_SIZE)
        ] = billing.DEFAULT_PAGE_SIZE,
    ) -> billing.InvoicePage:
        return await billing.invoice_page(
            operator.operator_id, period=_period(period), after=after, limit=limit
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

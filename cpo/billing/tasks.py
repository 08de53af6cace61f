"""The monthly run, started by the app itself: once a month has ended, every operator's
month is billed (on the 1st, or at the first start after it) and the invoices mailed; a
mail that failed is tried again on the next round. Safe with several nodes: a month runs
once (see billing.service)."""

from __future__ import annotations

import asyncio
import logging

from cpo.billing import rules
from cpo.billing.documents import mail_invoice
from cpo.billing.service import run_billing
from cpo.billing.tables import Invoice
from cpo.context import Context
from cpo.errors import Conflict
from cpo.operators.tables import Operator

log = logging.getLogger(__name__)

ROUND_INTERVAL_S = 3600.0
# Not at once after a start: a node that restarts often does not run billing each time.
FIRST_ROUND_AFTER_S = 300.0


async def bill_last_month(ctx: Context) -> int:
    """Bill the month that ended last for every active operator; the invoices written."""
    period = rules.month_before(ctx.clock.now())
    written = 0
    for operator in await Operator.select(Operator.id).where(Operator.active.eq(True)):
        operator_id = int(operator["id"])

        async def mail(invoice_id: int, operator_id: int = operator_id) -> None:
            await mail_invoice(ctx, operator_id, invoice_id)

        try:
            result = await run_billing(ctx, operator_id, period, after_invoice=mail)
        except Conflict:
            continue  # another node bills this operator's month right now
        written += len(result.new_invoices)
    return written


async def mail_pending_invoices(ctx: Context) -> int:
    """Mail what did not go: documents whose mail failed, and those whose first mail never
    ran (the node stopped between writing and mailing; the writer mails at once, so one
    unmailed for a while was left behind)."""
    left_behind = ctx.clock.now() - rules.FIRST_MAIL_GRACE
    rows = await Invoice.select(Invoice.id, Invoice.operator).where(
        Invoice.mailed_at.is_null()
        & (Invoice.customer._.email != "")
        & (Invoice.mail_attempts < rules.MAIL_ATTEMPTS)
        & ((Invoice.mail_attempts > 0) | (Invoice.issued_at < left_behind))
    )
    return sum([await mail_invoice(ctx, row["operator"], row["id"]) for row in rows])


async def bill_months_forever(
    ctx: Context,
    interval_s: float = ROUND_INTERVAL_S,
    first_after_s: float = FIRST_ROUND_AFTER_S,
) -> None:
    await asyncio.sleep(first_after_s)
    while True:
        try:
            written = await bill_last_month(ctx)
            if written:
                log.info("billing: %d invoices written", written)
            await mail_pending_invoices(ctx)
        except Exception:  # a failed round is retried on the next one
            log.exception("the monthly billing round failed")
        await asyncio.sleep(interval_s)

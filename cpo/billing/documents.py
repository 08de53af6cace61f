"""An invoice or a credit note as a PDF (in the customer's language) and the mail that
brings it.

What it shows, for German invoice rules (§ 14 UStG): the operator's full name, address, VAT
ID and register; the customer's name and address as at issue (and VAT ID for companies);
invoice number and date; the month billed; one line per charging session (date, charge
point, card or app, energy, amount); net per VAT rate, the VAT and the total; the due date
and how to pay. A credit note ("Rechnungskorrektur") names the invoice it corrects (number
and date) and why, lists the cancelled lines (negative amounts) with VAT per rate, and says
how it is settled: set off against the invoice, or paid back by a date.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from cpo import database, messages
from cpo.billing import rules
from cpo.billing.enums import InvoiceKind, PaymentMethod
from cpo.billing.service import InvoiceView, get_invoice
from cpo.billing.tables import Invoice
from cpo.cdrs.receipt import OperatorDetails, operator_details
from cpo.context import Context
from cpo.i18n import Translator, translator
from cpo.ports import Attachment, MailNotSent, OutgoingMail

log = logging.getLogger(__name__)

ZONE = rules.BILLING_TIME_ZONE.key


def _period_label(t: Translator, period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return t.gettext(messages.INVOICE_PERIOD).format(
        start=t.date(dt.date(year, month, 1)),
        end=t.date(
            rules.Period(year, month).ends_at.astimezone(rules.BILLING_TIME_ZONE).date()
            - dt.timedelta(days=1)
        ),
    )


def render_invoice_pdf(
    invoice: InvoiceView,
    operator: OperatorDetails,
    language: str,
    corrected_issued_at: dt.datetime | None = None,
) -> bytes:
    """The invoice or credit note on A4 (CPU-bound: call it in a thread); a credit note
    names the date of the invoice it corrects (`corrected_issued_at`)."""
    # reportlab ships without type hints; the tests exercise every name used here.
    from reportlab.lib import colors  # type: ignore[import-untyped]
    from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.platypus import (  # type: ignore[import-untyped]
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    t = translator(language)
    currency = invoice.currency

    def style(name: str, **options: Any) -> Any:
        base: dict[str, Any] = {"fontName": "Helvetica", "fontSize": 9, "leading": 12}
        return ParagraphStyle(name, **(base | options))

    body = style("body")
    small = style("small", fontSize=7.5, leading=9.5, textColor=colors.HexColor("#4a525c"))
    title = style("title", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=6)
    right = style("right", alignment=TA_RIGHT)
    bold_right = style("bold_right", alignment=TA_RIGHT, fontName="Helvetica-Bold")

    def p(text: str, paragraph_style: Any = body) -> Any:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped.replace("\n", "<br/>"), paragraph_style)

    seller = "\n".join(
        part
        for part in (
            operator.legal_name or operator.name,
            operator.street,
            f"{operator.postal_code} {operator.city}".strip(),
            f"{t.gettext(messages.VAT_ID)}: {operator.vat_id}" if operator.vat_id else "",
            operator.commercial_register,
        )
        if part
    )
    buyer = "\n".join(
        part
        for part in (
            invoice.customer_name,
            invoice.customer_address,
            f"{t.gettext(messages.VAT_ID)}: {invoice.customer_vat_id}"
            if invoice.customer_vat_id
            else "",
        )
        if part
    )
    issued = t.date(invoice.issued_at, ZONE)
    credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE
    title_text = t.gettext(messages.CREDIT_NOTE_TITLE if credit_note else messages.INVOICE_TITLE)
    number_label = (
        messages.CREDIT_NOTE_NUMBER_LABEL if credit_note else messages.INVOICE_NUMBER_LABEL
    )
    date_label = messages.CREDIT_NOTE_DATE_LABEL if credit_note else messages.INVOICE_DATE_LABEL
    facts = [
        [p(t.gettext(number_label)), p(invoice.number)],
        [p(t.gettext(date_label)), p(issued)],
        [p(t.gettext(messages.INVOICE_PERIOD_LABEL)), p(_period_label(t, invoice.period))],
    ]
    corrects = ""
    if credit_note:
        corrects = t.gettext(messages.CREDIT_NOTE_CORRECTS).format(
            number=invoice.corrects_number or "",
            date=t.date(corrected_issued_at, ZONE) if corrected_issued_at else "",
        )
        facts.append([p(t.gettext(messages.CREDIT_NOTE_REASON_LABEL)), p(invoice.reason)])
    header = [
        p(t.gettext(messages.INVOICE_COLUMN_DATE)),
        p(t.gettext(messages.INVOICE_COLUMN_CHARGE_POINT)),
        p(t.gettext(messages.INVOICE_COLUMN_CARD)),
        p(t.gettext(messages.INVOICE_COLUMN_ENERGY), right),
        p(t.gettext(messages.INVOICE_COLUMN_AMOUNT), right),
    ]
    rows = [header] + [
        [
            p(t.datetime(line.started_at, ZONE)),
            p(line.evse_id),
            p(line.token_label),
            p(f"{t.decimal(line.energy_wh / 1000, 3)} kWh", right),
            p(t.money(line.gross_minor, currency), right),
        ]
        for line in invoice.lines
    ]
    sums = []
    for rate in invoice.vat_breakdown:
        percent = t.decimal(rate.vat_rate_bp / 100, 0 if rate.vat_rate_bp % 100 == 0 else 2)
        sums.append(
            [
                p(t.gettext(messages.INVOICE_NET_AT).format(rate=percent)),
                p(t.money(rate.net_minor, currency), right),
            ]
        )
        sums.append(
            [
                p(t.gettext(messages.INVOICE_VAT_AT).format(rate=percent)),
                p(t.money(rate.vat_minor, currency), right),
            ]
        )
    sums.append(
        [
            p(t.gettext(messages.INVOICE_TOTAL), bold_right),
            p(t.money(invoice.gross_minor, currency), bold_right),
        ]
    )
    due = _settlement(t, invoice)
    lines = Table(rows, colWidths=[34 * mm, 40 * mm, 40 * mm, 25 * mm, 27 * mm], repeatRows=1)
    lines.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#c8ccd2")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    summary = Table(sums, colWidths=[139 * mm, 27 * mm])
    summary.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black)]))
    story = [
        p(seller, small),
        Spacer(1, 8 * mm),
        p(buyer),
        Spacer(1, 8 * mm),
        p(title_text, title),
        *([p(corrects), Spacer(1, 2 * mm)] if corrects else []),
        Table(facts, colWidths=[45 * mm, 121 * mm]),
        Spacer(1, 6 * mm),
        lines,
        Spacer(1, 4 * mm),
        summary,
        Spacer(1, 6 * mm),
        p(due),
    ]
    buffer = _Buffer()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{title_text} {invoice.number}",
        author=operator.legal_name or operator.name,
    )
    document.build(story)
    return buffer.getvalue()


def _settlement(t: Translator, invoice: InvoiceView) -> str:
    """The last sentence: how to pay, or how a credit note is settled."""
    if invoice.kind is InvoiceKind.INVOICE:
        return t.gettext(messages.INVOICE_DUE).format(
            amount=t.money(invoice.gross_minor, invoice.currency),
            date=t.date(invoice.due_at, ZONE),
            number=invoice.number,
        )
    amount = t.money(-invoice.gross_minor, invoice.currency)
    if invoice.paid_method == PaymentMethod.OFFSET:
        return t.gettext(messages.CREDIT_NOTE_OFFSET).format(
            amount=amount, number=invoice.corrects_number or ""
        )
    return t.gettext(messages.CREDIT_NOTE_PAYOUT).format(
        amount=amount, date=t.date(invoice.due_at, ZONE)
    )


class _Buffer:
    """A bytes sink for reportlab (which writes to anything with `write`)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(data)
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


async def invoice_pdf(operator_id: int, invoice_id: int) -> tuple[InvoiceView, bytes]:
    invoice = await get_invoice(operator_id, invoice_id)
    language = await _language(invoice_id)
    operator = await operator_details(operator_id)
    corrected_issued_at = None
    if invoice.corrects_id is not None:
        corrected = (
            await Invoice.select(Invoice.issued_at).where(Invoice.id == invoice.corrects_id).first()
        )
        corrected_issued_at = corrected["issued_at"] if corrected else None
    pdf = await asyncio.to_thread(
        render_invoice_pdf, invoice, operator, language, corrected_issued_at
    )
    return invoice, pdf


async def _language(invoice_id: int) -> str:
    row = await Invoice.select(Invoice.language).where(Invoice.id == invoice_id).first()
    return str(row["language"]) if row else "de"


async def mail_invoice(
    ctx: Context, operator_id: int, invoice_id: int, *, again: bool = False
) -> bool:
    """Send the invoice (or credit note) to the customer's billing address; False when it
    did not go (kept for a later try, up to MAIL_ATTEMPTS) or there is no address. Once
    mailed it is not sent again, unless `again` (an operator resends it)."""
    row = (
        await Invoice.select(
            Invoice.mailed_at, Invoice.mail_attempts, Invoice.language, Invoice.customer.email
        )
        .where((Invoice.id == invoice_id) & (Invoice.operator == operator_id))
        .first()
    )
    if row is None or not row["customer.email"]:
        return False
    if row["mailed_at"] is not None and not again:
        return False
    invoice, pdf = await invoice_pdf(operator_id, invoice_id)
    operator = await operator_details(operator_id)
    t = translator(row["language"])
    if invoice.kind is InvoiceKind.CREDIT_NOTE:
        subject = t.gettext(messages.CREDIT_NOTE_MAIL_SUBJECT)
        text = t.gettext(messages.CREDIT_NOTE_MAIL_TEXT).format(
            amount=t.money(-invoice.gross_minor, invoice.currency),
            invoice=invoice.corrects_number or "",
            operator=operator.name,
        )
    else:
        subject = t.gettext(messages.INVOICE_MAIL_SUBJECT)
        text = t.gettext(messages.INVOICE_MAIL_TEXT).format(
            period=_period_label(t, invoice.period),
            amount=t.money(invoice.gross_minor, invoice.currency),
            date=t.date(invoice.due_at, ZONE),
            operator=operator.name,
        )
    mail = OutgoingMail(
        to=row["customer.email"],
        subject=subject.format(number=invoice.number, operator=operator.name),
        text=text,
        reply_to=operator.support_email or None,
        attachments=(Attachment(f"{invoice.number}.pdf", "application/pdf", pdf),),
    )
    if not again and not await _claim_mail_attempt(invoice_id, row["mail_attempts"]):
        return False  # another node is sending it right now
    try:
        await ctx.mailer.send(mail)
    except MailNotSent:
        log.warning("invoice %s not mailed yet", invoice.number, exc_info=True)
        return False
    async with database.transaction():
        await Invoice.update({Invoice.mailed_at: ctx.clock.now()}).where(Invoice.id == invoice_id)
    return True


async def _claim_mail_attempt(invoice_id: int, seen_attempts: int) -> bool:
    """Count the attempt before sending: of two nodes that saw the same count, one sends; a
    node that dies while sending leaves a counted attempt that the next round retries."""
    async with database.transaction():
        claimed = (
            await Invoice.update({Invoice.mail_attempts: seen_attempts + 1})
            .where(
                (Invoice.id == invoice_id)
                & (Invoice.mail_attempts == seen_attempts)
                & Invoice.mailed_at.is_null()
            )
            .returning(Invoice.id)
        )
    return bool(claimed)

"""Invoices for accountants and billing systems: a CSV of invoice lines and a DATEV booking
batch, both of one month (or of all invoices), streamed a batch of invoices at a time.

DATEV: the "Buchungsstapel" of DATEV's ASCII interface (format EXTF, version 700, data
category 21, format version 13), which German accounting software imports. Every invoice
gives one booking per VAT rate: the gross amount, debit (S) on the customer's debtor account
(`DEBTOR_ACCOUNT_BASE` + customer id) against the revenue account of the rate (SKR03:
8400 for 19 %, 8300 for 7 %, 8338 for other rates — automatic accounts, so no BU key), the
invoice number as Belegfeld 1 and the invoice date as Belegdatum (DDMM). Amounts use a
decimal comma; the file is Windows-1252 with CRLF, as DATEV expects.

Credit notes are documents of the batch like invoices (in the order of their numbers):
their amounts are negative, and DATEV takes an amount without sign, so a credit note is
booked with the opposite indicator — credit (H) on the debtor account — and the text names
the invoice it corrects. A rate whose amount is zero gives no booking. In the CSV of lines
a credit note's lines are negative, with `kind` credit_note and `corrects` the invoice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Final

from cpo.billing import rules
from cpo.billing.enums import InvoiceKind
from cpo.billing.rules import Period
from cpo.billing.service import InvoiceView, invoice_page
from cpo.money import minor_digits
from cpo.spreadsheets import csv_stream, defused

BATCH: Final = 200
DEBTOR_ACCOUNT_BASE: Final = 10000
REVENUE_ACCOUNTS: Final = {1900: "8400", 700: "8300"}
OTHER_REVENUE_ACCOUNT: Final = "8338"

LINE_COLUMNS: Final = (
    "invoice_number",
    "invoice_date",
    "period",
    "customer_id",
    "customer_name",
    "customer_vat_id",
    "status",
    "kind",
    "corrects",
    "position",
    "cdr_number",
    "started_at",
    "stopped_at",
    "evse_id",
    "card_or_app",
    "tariff",
    "energy_kwh",
    "vat_rate_percent",
    "net",
    "vat",
    "gross",
    "currency",
)

DATEV_COLUMNS: Final = (
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Buchungstext",
)


def _amount(minor: int, currency: str, decimal: str = ".") -> str:
    digits = minor_digits(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}{decimal}{fraction:0{digits}d}" if digits else f"{sign}{whole}"


async def _invoices(operator_id: int, period: Period | None) -> AsyncIterator[InvoiceView]:
    after = None
    while True:
        page = await invoice_page(operator_id, period=period, after=after, limit=BATCH)
        for invoice in page.invoices:
            yield invoice
        if page.next_after is None:
            return
        after = page.next_after


def _line_rows(invoice: InvoiceView) -> list[tuple[object, ...]]:
    issued = invoice.issued_at.astimezone(rules.BILLING_TIME_ZONE).date().isoformat()
    return [
        (
            invoice.number,
            issued,
            invoice.period,
            invoice.customer_id,
            defused(invoice.customer_name),
            defused(invoice.customer_vat_id),
            invoice.status,
            invoice.kind,
            invoice.corrects_number or "",
            line.position,
            line.cdr_number,
            line.started_at.isoformat(),
            line.stopped_at.isoformat(),
            line.evse_id,
            defused(line.token_label),
            defused(line.tariff_name),
            f"{line.energy_wh / 1000:.3f}",
            f"{line.vat_rate_bp / 100:g}",
            _amount(line.net_minor, invoice.currency),
            _amount(line.vat_minor, invoice.currency),
            _amount(line.gross_minor, invoice.currency),
            invoice.currency,
        )
        for line in invoice.lines
    ]


async def _line_batches(
    operator_id: int, period: Period | None
) -> AsyncIterator[list[tuple[object, ...]]]:
    async for invoice in _invoices(operator_id, period):
        yield _line_rows(invoice)


def lines_csv(operator_id: int, period: Period | None) -> AsyncIterator[bytes]:
    """One row per invoice line (RFC 4180, UTF-8, ISO 8601 times, decimal point)."""
    return csv_stream(LINE_COLUMNS, _line_batches(operator_id, period))


def datev_header(created_at: datetime, period: Period | None) -> list[str]:
    """The first line of a DATEV EXTF file (the booking batch's metadata)."""
    created = created_at.astimezone(rules.BILLING_TIME_ZONE)
    start = end = ""
    if period is not None:
        start = f"{period.year:04d}{period.month:02d}01"
        last = period.ends_at.astimezone(rules.BILLING_TIME_ZONE).date()
        end = f"{last.year:04d}{last.month:02d}{last.day:02d}"
    return [
        "EXTF",
        "700",
        "21",
        "Buchungsstapel",
        "13",
        created.strftime("%Y%m%d%H%M%S") + "000",
        "",
        "RE",
        "",
        "",
        "",  # Beraternummer and Mandantennummer: filled in by the accountant's import
        "",
        start[:4] + "0101" if start else "",  # Wirtschaftsjahresbeginn
        "4",  # Sachkontenlänge
        start,
        end,
        "Rechnungen Laden",
        "",
        "1",
        "0",
        "0",
        "EUR",
    ]


async def datev_csv(
    operator_id: int, period: Period | None, created_at: datetime
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(datev_header(created_at, period))
    writer.writerow(DATEV_COLUMNS)
    yield buffer.getvalue().encode("cp1252", errors="replace")
    async for invoice in _invoices(operator_id, period):
        buffer.seek(0)
        buffer.truncate()
        issued = invoice.issued_at.astimezone(rules.BILLING_TIME_ZONE)
        text = (
            f"Rechnungskorrektur {invoice.corrects_number} {invoice.customer_name}"
            if invoice.kind is InvoiceKind.CREDIT_NOTE
            else f"Laden {invoice.period} {invoice.customer_name}"
        )
        for rate in invoice.vat_breakdown:
            gross = rate.gross_minor
            if gross == 0:
                continue
            writer.writerow(
                (
                    _amount(abs(gross), invoice.currency, ","),
                    "S" if gross > 0 else "H",
                    invoice.currency,
                    str(DEBTOR_ACCOUNT_BASE + invoice.customer_id),
                    REVENUE_ACCOUNTS.get(rate.vat_rate_bp, OTHER_REVENUE_ACCOUNT),
                    "",
                    issued.strftime("%d%m"),
                    invoice.number[:36],
                    text[:60],
                )
            )
        yield buffer.getvalue().encode("cp1252", errors="replace")

"""Pure rules of monthly billing: which month a run bills, where it ends, how an invoice
adds up its records, when it is due, how documents are numbered, and how an invoice's
status and balance move (paid, failed, credited).

Money: every charge detail record was priced and rounded once, by the tariff's rule, when
it was written (cpo.tariffs.pricing). An invoice only adds those amounts — net, VAT and
gross per VAT rate and in total — and never rounds again, so each line is exactly the
receipt the driver saw and the invoice is exactly the sum of its lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from cpo.billing.enums import InvoiceKind, InvoiceStatus

DEFAULT_PAYMENT_TERMS_DAYS: Final = 14
MAX_PAYMENT_TERMS_DAYS: Final = 90
# The operator's books run in this zone: a month ends at local midnight.
BILLING_TIME_ZONE: Final = ZoneInfo("Europe/Berlin")
RUN_LEASE: Final = timedelta(minutes=10)
MAIL_ATTEMPTS: Final = 5
# A document still unmailed this long after it was written was left behind by its writer.
FIRST_MAIL_GRACE: Final = timedelta(minutes=10)

_PERIOD: Final = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class Period:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the month, in UTC: records that stopped before it and
        were not billed yet belong to this month's run (late ones included)."""
        following = self.next
        local = datetime(following.year, following.month, 1, tzinfo=BILLING_TIME_ZONE)
        return local.astimezone(UTC)


def parse_period(text: str) -> Period | None:
    found = _PERIOD.fullmatch(text.strip())
    return Period(int(found.group(1)), int(found.group(2))) if found else None


def month_before(moment: datetime) -> Period:
    """The month that has ended last at `moment` (what the run on the 1st bills)."""
    local = moment.astimezone(BILLING_TIME_ZONE)
    return Period(local.year, local.month).previous


def run_key(operator_id: int, period: Period) -> str:
    return f"{operator_id}:{period}"


# Invoices and credit notes ("Rechnungskorrektur") share one gap-free sequence per
# operator; the prefix tells them apart: DEM-R-000006, DEM-RK-000007.
NUMBER_PREFIXES: Final = {InvoiceKind.INVOICE: "R", InvoiceKind.CREDIT_NOTE: "RK"}


def invoice_number(party_id: str, sequence: int, kind: InvoiceKind = InvoiceKind.INVOICE) -> str:
    return f"{party_id or 'INV'}-{NUMBER_PREFIXES[kind]}-{sequence:06d}"


def due_date(issued_at: datetime, terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS) -> date:
    """The day the payment terms end, counted in the operator's time zone."""
    return (issued_at.astimezone(BILLING_TIME_ZONE) + timedelta(days=terms_days)).date()


def address_text(
    street: str, postal_code: str, city: str, country_code: str, home_country: str = "DE"
) -> str:
    """A billing address as printed under the recipient's name: street, postal code and
    city, and the country (its ISO code) when it is not the operator's own."""
    lines = [street.strip(), f"{postal_code.strip()} {city.strip()}".strip()]
    if country_code and country_code != home_country:
        lines.append(country_code)
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True, slots=True)
class Amounts:
    vat_rate_bp: int
    net_minor: int
    vat_minor: int
    gross_minor: int


@dataclass(frozen=True, slots=True)
class Totals:
    net_minor: int
    vat_minor: int
    gross_minor: int
    by_rate: tuple[Amounts, ...]


def totals(lines: Iterable[Amounts]) -> Totals:
    """Sums per VAT rate (highest rate first) and in total; nothing is rounded here."""
    by_rate: dict[int, list[int]] = {}
    for line in lines:
        sums = by_rate.setdefault(line.vat_rate_bp, [0, 0, 0])
        sums[0] += line.net_minor
        sums[1] += line.vat_minor
        sums[2] += line.gross_minor
    rates = tuple(Amounts(rate, *sums) for rate, sums in sorted(by_rate.items(), reverse=True))
    return Totals(
        net_minor=sum(rate.net_minor for rate in rates),
        vat_minor=sum(rate.vat_minor for rate in rates),
        gross_minor=sum(rate.gross_minor for rate in rates),
        by_rate=rates,
    )


# --- statuses and balances ----------------------------------------------------------------
#
# Amounts are signed as the document's: an invoice's are positive, a credit note's
# negative. `credited_minor` (on an invoice) is the gross of its credit notes, positive;
# `paid_minor` is what moved to settle the document (on an invoice the money received net
# of what was paid back; on a credit note what was paid out or set off, negative). So the
# open balance is gross − credited − paid for both: positive, the customer owes; negative,
# the operator owes; zero, settled.


def balance(gross_minor: int, credited_minor: int, paid_minor: int) -> int:
    return gross_minor - credited_minor - paid_minor


def fully_credited(gross_minor: int, credited_minor: int) -> bool:
    """An invoice whose credit notes add up to all of it (nothing is left to charge)."""
    return gross_minor > 0 and credited_minor >= gross_minor


class Change(StrEnum):
    PAY = "pay"  # the open balance was settled (paid in, paid out, or set off)
    FAIL = "fail"  # a collection (or payout) through the payment provider failed
    CREDIT_FULLY = "credit_fully"  # credit notes now cover the whole invoice


_TRANSITIONS: Final = {
    (InvoiceStatus.OPEN, Change.PAY): InvoiceStatus.PAID,
    (InvoiceStatus.FAILED, Change.PAY): InvoiceStatus.PAID,
    (InvoiceStatus.OPEN, Change.FAIL): InvoiceStatus.FAILED,
    (InvoiceStatus.FAILED, Change.FAIL): InvoiceStatus.FAILED,
    (InvoiceStatus.OPEN, Change.CREDIT_FULLY): InvoiceStatus.CREDITED,
    (InvoiceStatus.FAILED, Change.CREDIT_FULLY): InvoiceStatus.CREDITED,
    (InvoiceStatus.PAID, Change.CREDIT_FULLY): InvoiceStatus.CREDITED,
}
# Why a change is refused, by the status it meets: stable codes for `Conflict`.
REFUSALS: Final = {
    InvoiceStatus.PAID: "invoice_already_paid",
    InvoiceStatus.CREDITED: "invoice_credited",
}


def next_status(kind: InvoiceKind, current: InvoiceStatus, change: Change) -> InvoiceStatus | None:
    """The status after `change`, or None when it may not happen (see REFUSALS for why).
    A credit note is never itself credited."""
    if kind is InvoiceKind.CREDIT_NOTE and change is Change.CREDIT_FULLY:
        return None
    return _TRANSITIONS.get((current, change))


def refusal_code(current: InvoiceStatus, change: Change) -> str:
    return REFUSALS.get(current, f"cannot_{change}_{current}")


def is_repeat_payment(
    status: InvoiceStatus, paid_reference: str, method: str, reference: str, paid_method: str
) -> bool:
    """A payment told twice (a webhook delivered again, a retried call): the same method
    and reference on a paid invoice change nothing."""
    return status is InvoiceStatus.PAID and (paid_method, paid_reference) == (method, reference)


def settles_by_offset(corrected_status: InvoiceStatus) -> bool:
    """The settlement rule of a credit note: against an invoice that was not paid it is set
    off against the open balance at once (paid, method offset); against a paid one the
    money is owed back, and the credit note stays open until it is paid out."""
    return corrected_status in (InvoiceStatus.OPEN, InvoiceStatus.FAILED)

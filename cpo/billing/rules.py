"""Pure rules of monthly billing: which month a run bills, where it ends, how an invoice
adds up its records, and when it is due.

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
from typing import Final
from zoneinfo import ZoneInfo

PAYMENT_TERM: Final = timedelta(days=14)
# The operator's books run in this zone: a month ends at local midnight.
BILLING_TIME_ZONE: Final = ZoneInfo("Europe/Berlin")
RUN_LEASE: Final = timedelta(minutes=10)
MAIL_ATTEMPTS: Final = 5

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


def invoice_number(party_id: str, sequence: int) -> str:
    return f"{party_id or 'INV'}-R-{sequence:06d}"


def due_date(issued_at: datetime) -> date:
    return (issued_at.astimezone(BILLING_TIME_ZONE) + PAYMENT_TERM).date()


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

"""Money: integer minor units plus an ISO 4217 currency; unit prices in millionths.

Unit prices (per kWh, per minute) need more precision than a cent, so tariffs keep them in
millionths of the currency's major unit ("micro"): 0.3949 EUR/kWh is 394_900. Amounts that
are paid, shown and booked are integers in the currency's minor unit (cents). The one
rounding rule (`round_half_up`) is applied once, at the end of a price calculation.
"""

from __future__ import annotations

import math
from fractions import Fraction

MICRO_PER_MAJOR = 1_000_000

# ISO 4217 minor units of the currencies a European operator meets; others are refused
# rather than guessed.
MINOR_DIGITS: dict[str, int] = {
    "EUR": 2, "CHF": 2, "GBP": 2, "DKK": 2, "SEK": 2, "NOK": 2, "PLN": 2, "CZK": 2,
    "HUF": 2, "RON": 2, "BGN": 2, "USD": 2, "CAD": 2, "AUD": 2, "ISK": 0, "JPY": 0,
}  # fmt: skip


class UnknownCurrency(ValueError):
    pass


def minor_digits(currency: str) -> int:
    try:
        return MINOR_DIGITS[currency]
    except KeyError:
        raise UnknownCurrency(f"unsupported currency {currency!r}") from None


def micro_per_minor(currency: str) -> int:
    return MICRO_PER_MAJOR // int(10 ** minor_digits(currency))


def round_half_up(value: Fraction) -> int:
    """Commercial rounding (half away from zero), as German price rules expect."""
    if value < 0:
        return -round_half_up(-value)
    shifted = value + Fraction(1, 2)
    return int(shifted.numerator // shifted.denominator)


def micro_to_minor(amount_micro: Fraction | int, currency: str) -> int:
    return round_half_up(Fraction(amount_micro) / micro_per_minor(currency))


def split_vat(amount_minor: int, vat_rate_bp: int, *, includes_vat: bool) -> tuple[int, int, int]:
    """(net, vat, gross) of an amount; exactly one of net and VAT is rounded, so that
    net + VAT = gross always holds."""
    if includes_vat:
        gross = amount_minor
        net = round_half_up(Fraction(gross * 10_000, 10_000 + vat_rate_bp))
        return net, gross - net, gross
    net = amount_minor
    vat = round_half_up(Fraction(net * vat_rate_bp, 10_000))
    return net, vat, net + vat


def allocate(total: int, parts: list[Fraction]) -> list[int]:
    """Round `parts` to integers that add up to `total` (largest remainder method).

    Line items on a receipt then sum to the total that was rounded once.
    """
    floors = [math.floor(part) for part in parts]
    remainder = total - sum(floors)
    by_remainder = sorted(range(len(parts)), key=lambda index: parts[index] - floors[index])
    result = floors[:]
    step = 1 if remainder >= 0 else -1
    # Largest fractional parts go up first (or, to go down, the smallest go down first).
    candidates = reversed(by_remainder) if remainder >= 0 else iter(by_remainder)
    for index, _ in zip(candidates, range(abs(remainder)), strict=False):
        result[index] += step
    return result

"""Our units to OCPI's, only here at the edge: minor units → decimal prices, Wh → kWh,
seconds → hours, micro-prices per minute → prices per hour."""

from __future__ import annotations

from decimal import Decimal

from cpo.money import MICRO_PER_MAJOR, minor_digits
from roaming.schemas import Price


def major(amount_minor: int, currency: str) -> float:
    return float(Decimal(amount_minor).scaleb(-minor_digits(currency)))


def price(net_minor: int, gross_minor: int, currency: str) -> Price:
    return Price(excl_vat=major(net_minor, currency), incl_vat=major(gross_minor, currency))


def kwh(energy_wh: int | float) -> float:
    return round(float(energy_wh) / 1000, 3)


def hours(seconds: int | float) -> float:
    return round(float(seconds) / 3600, 6)


def unit_price(
    price_micro: int, *, per_minute: bool, vat_rate_bp: int, includes_vat: bool
) -> float:
    """A price per kWh, per hour (time, parking) or per session, excluding VAT."""
    value = Decimal(price_micro) / MICRO_PER_MAJOR
    if per_minute:
        value *= 60
    if includes_vat:
        value /= 1 + Decimal(vat_rate_bp) / 10_000
    return float(round(value, 6))


def net_of(amount_minor: int, vat_rate_bp: int, includes_vat: bool) -> int:
    """The net part of an amount in the tariff's basis (what a line item shows)."""
    if not includes_vat:
        return amount_minor
    return int((Decimal(amount_minor) / (1 + Decimal(vat_rate_bp) / 10_000)).to_integral_value())


def gross_of(amount_minor: int, vat_rate_bp: int, includes_vat: bool) -> int:
    if includes_vat:
        return amount_minor
    return int((Decimal(amount_minor) * (1 + Decimal(vat_rate_bp) / 10_000)).to_integral_value())

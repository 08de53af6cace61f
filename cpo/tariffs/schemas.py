"""The tariff model, following OCPI 2.2.1 tariff elements, in integer units.

A tariff is a list of elements; each element has price components and optional
restrictions. For each dimension (energy, charging time, parking time, flat fee) the first
element whose restrictions hold at a moment, and which prices that dimension, is the one in
force at that moment (OCPI 2.2.1, module Tariffs, 11.4.3).

Units, so that nothing is misread:
- `price_micro`: millionths of the currency's major unit, per kWh (ENERGY), per minute
  (TIME, PARKING_TIME) or per session (FLAT); VAT included when the tariff says so.
- `step_size`: Wh (ENERGY) or seconds (TIME, PARKING_TIME), as in OCPI.
- restriction energies in Wh, powers in W, durations in seconds, times of day in the
  site's local time.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

import msgspec

MAX_PRICE_MICRO = 1_000_000_000  # 1,000 per unit: anything above is a typing error
Micro = Annotated[int, msgspec.Meta(ge=0, le=MAX_PRICE_MICRO)]
TimeOfDay = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
DAYS_OF_WEEK: tuple[DayOfWeek, ...] = (
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
)


class ComponentType(StrEnum):
    ENERGY = "ENERGY"
    TIME = "TIME"  # while charging
    PARKING_TIME = "PARKING_TIME"  # plugged in, not charging: the blocking fee
    FLAT = "FLAT"


class PriceComponent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    type: ComponentType
    price_micro: Micro
    step_size: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 1
    # PARKING_TIME: free parking before the fee starts (seconds, counted over the session).
    grace_s: Annotated[int, msgspec.Meta(ge=0, le=7 * 86_400)] = 0
    # The most this component costs in one session (e.g. a capped blocking fee).
    cap_micro: Micro | None = None


class Restrictions(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_energy_wh: Annotated[int, msgspec.Meta(ge=0)] | None = None
    max_energy_wh: Annotated[int, msgspec.Meta(ge=0)] | None = None
    min_power_w: Annotated[int, msgspec.Meta(ge=0)] | None = None
    max_power_w: Annotated[int, msgspec.Meta(ge=0)] | None = None
    min_duration_s: Annotated[int, msgspec.Meta(ge=0)] | None = None
    max_duration_s: Annotated[int, msgspec.Meta(ge=0)] | None = None
    day_of_week: tuple[DayOfWeek, ...] | None = None


class TariffElement(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    components: Annotated[tuple[PriceComponent, ...], msgspec.Meta(min_length=1)]
    restrictions: Restrictions | None = None


class TariffDefinition(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Everything that decides a price; a session freezes a copy of this when it starts."""

    currency: CurrencyCode
    vat_rate_bp: Annotated[int, msgspec.Meta(ge=0, le=10_000)]  # 1900 = 19 %
    prices_include_vat: bool = True
    elements: Annotated[tuple[TariffElement, ...], msgspec.Meta(min_length=1, max_length=50)]
    min_price_micro: Micro | None = None
    max_price_micro: Micro | None = None


class TariffProblem(ValueError):
    """A definition that types allow but that makes no sense as a tariff."""


def check_definition(definition: TariffDefinition) -> None:
    """Raise TariffProblem with a sentence an operator understands."""
    from cpo.money import UnknownCurrency, minor_digits

    try:
        minor_digits(definition.currency)
    except UnknownCurrency as error:
        raise TariffProblem(str(error)) from None
    if (
        definition.min_price_micro is not None
        and definition.max_price_micro is not None
        and definition.min_price_micro > definition.max_price_micro
    ):
        raise TariffProblem("the minimum price is above the maximum price")
    for number, element in enumerate(definition.elements, start=1):
        kinds = [component.type for component in element.components]
        if len(set(kinds)) != len(kinds):
            raise TariffProblem(f"element {number} prices one dimension twice")
        for component in element.components:
            if component.grace_s and component.type is not ComponentType.PARKING_TIME:
                raise TariffProblem(f"element {number}: only parking time has a grace period")
        restrictions = element.restrictions
        if restrictions is None:
            continue
        for low, high, what in (
            (restrictions.min_energy_wh, restrictions.max_energy_wh, "energy"),
            (restrictions.min_power_w, restrictions.max_power_w, "power"),
            (restrictions.min_duration_s, restrictions.max_duration_s, "duration"),
        ):
            if low is not None and high is not None and low >= high:
                raise TariffProblem(f"element {number}: minimum {what} must be below the maximum")
        if (
            restrictions.start_date is not None
            and restrictions.end_date is not None
            and restrictions.start_date >= restrictions.end_date
        ):
            raise TariffProblem(f"element {number}: the start date must be before the end date")
        if restrictions.start_time is not None and restrictions.start_time == restrictions.end_time:
            raise TariffProblem(f"element {number}: start and end time are the same")


def time_of_day_minutes(value: str) -> int:
    match = re.fullmatch(r"(\d\d):(\d\d)", value)
    assert match is not None
    return int(match[1]) * 60 + int(match[2])


class LineType(StrEnum):
    """What a line of a price is for: a component, or the adjustment to the minimum or
    maximum session price."""

    ENERGY = "ENERGY"
    TIME = "TIME"
    PARKING_TIME = "PARKING_TIME"
    FLAT = "FLAT"
    MINIMUM_PRICE = "MINIMUM_PRICE"
    MAXIMUM_PRICE = "MAXIMUM_PRICE"


class PriceLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a price: what was billed, how much of it, at what unit price."""

    type: LineType
    quantity: int  # Wh (ENERGY), seconds (TIME, PARKING_TIME), 1 (FLAT, adjustments)
    unit_price_micro: int
    amount_minor: int  # in the tariff's basis: gross if its prices include VAT, else net


class PriceBreakdown(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    vat_rate_bp: int
    amounts_include_vat: bool
    lines: tuple[PriceLine, ...]
    net_minor: int
    vat_minor: int
    gross_minor: int
    energy_wh: int
    charging_s: int
    parking_s: int
    duration_s: int

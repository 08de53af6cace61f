"""The price of a charging session: a pure function of the frozen tariff and the usage.

Rules, in the order they apply (each one is tested):

1. Usage is the session's start and end and its cumulative energy readings. Between two
   readings energy is taken to flow evenly. A stretch in which it flows at less than
   `CHARGING_THRESHOLD_W` on average counts as parking (plugged in, not charging).
2. The session is cut wherever a restriction can change its verdict (a time of day, a local
   midnight, a duration, an energy threshold). In every piece, each dimension is priced by
   the first element whose restrictions hold in that piece and that prices the dimension.
   FLAT is decided at the start of the session.
3. Parking grace: the first `grace_s` seconds of parking of a component are free.
4. Step sizes apply to a dimension's total (energy, charging time, parking time): it is
   rounded up to whole steps of the component in force at the end of that dimension, and
   the extra is billed there (OCPI 2.2.1).
5. A component's cap limits what it costs in the session.
6. A session that delivered no energy costs only its parking: no flat fee, no minimum.
7. The minimum and maximum session prices apply to the sum.
8. Rounding happens once: the exact sum (in millionths) is rounded half up to the currency's
   minor unit. VAT is split from that amount (`cpo.money.split_vat`) so that net + VAT =
   gross; line items are rounded with the largest remainder method so that they add up to
   the rounded total.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import msgspec

from cpo.clock import as_utc
from cpo.money import allocate, micro_per_minor, micro_to_minor, round_half_up, split_vat
from cpo.tariffs.schemas import (
    DAYS_OF_WEEK,
    ComponentType,
    LineType,
    PriceBreakdown,
    PriceComponent,
    PriceLine,
    Restrictions,
    TariffDefinition,
    time_of_day_minutes,
)

CHARGING_THRESHOLD_W = 100
WH_PER_KWH = 1000
SECONDS_PER_MINUTE = 60


class UsagePoint(msgspec.Struct, frozen=True):
    at: datetime
    energy_wh: int  # delivered since the session started


class SessionUsage(msgspec.Struct, frozen=True):
    started_at: datetime
    ended_at: datetime
    points: tuple[UsagePoint, ...] = ()


@dataclass(frozen=True, slots=True)
class _Piece:
    """A stretch of the session in which no restriction changes its verdict."""

    begin: Fraction  # seconds since the start
    end: Fraction
    energy_at_begin: Fraction
    energy: Fraction  # Wh delivered in the piece
    power_w: Fraction  # average power of the stretch between readings

    @property
    def seconds(self) -> Fraction:
        return self.end - self.begin

    @property
    def charging(self) -> bool:
        return self.power_w >= CHARGING_THRESHOLD_W


_DIMENSIONS = (ComponentType.ENERGY, ComponentType.TIME, ComponentType.PARKING_TIME)
_Key = tuple[int, int]  # (element index, component index)


def price_session(
    tariff: TariffDefinition, usage: SessionUsage, time_zone: str = "Europe/Berlin"
) -> PriceBreakdown:
    zone = ZoneInfo(time_zone)
    start = as_utc(usage.started_at)
    end = max(start, as_utc(usage.ended_at))
    total_s = _seconds(end - start)
    readings = _readings(start, total_s, usage.points)
    pieces = _pieces(tariff, start, total_s, readings, zone)

    quantities: dict[_Key, Fraction] = {}
    last_in_force: dict[ComponentType, _Key] = {}
    for piece in pieces:
        middle = (piece.begin + piece.end) / 2
        moment = _local(start, middle, zone)
        energy_at_middle = piece.energy_at_begin + piece.energy / 2
        for dimension in _DIMENSIONS:
            if dimension is ComponentType.ENERGY:
                amount = piece.energy
            elif (dimension is ComponentType.TIME) == piece.charging:
                amount = piece.seconds
            else:
                continue
            if amount <= 0:
                continue
            key = _in_force(tariff, dimension, moment, middle, energy_at_middle, piece.power_w)
            if key is not None:
                quantities[key] = quantities.get(key, Fraction(0)) + amount
                last_in_force[dimension] = key

    energy_wh = readings[-1][1]
    flat_key = None
    if energy_wh > 0:
        first_power = pieces[0].power_w if pieces else Fraction(0)
        flat_key = _in_force(
            tariff,
            ComponentType.FLAT,
            _local(start, Fraction(0), zone),
            Fraction(0),
            Fraction(0),
            first_power,
        )

    billed = _billed_quantities(tariff, quantities, last_in_force)
    exact_lines: list[tuple[PriceLine, Fraction]] = []
    for key, quantity in billed.items():
        component = _component(tariff, key)
        amount = _amount(component, quantity)
        exact_lines.append((_line(component, quantity), amount))
    if flat_key is not None:
        component = _component(tariff, flat_key)
        exact_lines.append((_line(component, Fraction(1)), _amount(component, Fraction(1))))

    subtotal = sum((amount for _, amount in exact_lines), Fraction(0))
    if energy_wh > 0 and tariff.min_price_micro is not None and subtotal < tariff.min_price_micro:
        exact_lines.append(_adjustment(LineType.MINIMUM_PRICE, tariff.min_price_micro - subtotal))
    if tariff.max_price_micro is not None and subtotal > tariff.max_price_micro:
        exact_lines.append(_adjustment(LineType.MAXIMUM_PRICE, tariff.max_price_micro - subtotal))

    total_micro = sum((amount for _, amount in exact_lines), Fraction(0))
    total_minor = micro_to_minor(total_micro, tariff.currency)
    per_minor = micro_per_minor(tariff.currency)
    line_minors = allocate(total_minor, [amount / per_minor for _, amount in exact_lines])
    net, vat, gross = split_vat(
        total_minor, tariff.vat_rate_bp, includes_vat=tariff.prices_include_vat
    )
    charging_s = sum((piece.seconds for piece in pieces if piece.charging), Fraction(0))
    return PriceBreakdown(
        currency=tariff.currency,
        vat_rate_bp=tariff.vat_rate_bp,
        amounts_include_vat=tariff.prices_include_vat,
        lines=_merged(
            msgspec.structs.replace(line, amount_minor=minor)
            for (line, _), minor in zip(exact_lines, line_minors, strict=True)
        ),
        net_minor=net,
        vat_minor=vat,
        gross_minor=gross,
        energy_wh=round_half_up(energy_wh),
        charging_s=round_half_up(charging_s),
        parking_s=round_half_up(total_s - charging_s),
        duration_s=round_half_up(total_s),
    )


def _seconds(delta: timedelta) -> Fraction:
    return Fraction(delta.days * 86_400 + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


def _local(start: datetime, offset: Fraction, zone: ZoneInfo) -> datetime:
    whole = math.floor(offset)
    moment = start + timedelta(seconds=whole, microseconds=round((offset - whole) * 1_000_000))
    return moment.astimezone(zone)


def _readings(
    start: datetime, total_s: Fraction, points: Sequence[UsagePoint]
) -> list[tuple[Fraction, Fraction]]:
    """(seconds since start, cumulative Wh), from 0 to the end, never decreasing."""
    readings: list[tuple[Fraction, Fraction]] = [(Fraction(0), Fraction(0))]
    for point in sorted(points, key=lambda point: as_utc(point.at)):
        offset = min(max(_seconds(as_utc(point.at) - start), Fraction(0)), total_s)
        energy = max(Fraction(point.energy_wh), readings[-1][1])
        if offset == readings[-1][0]:
            readings[-1] = (offset, energy)
        else:
            readings.append((offset, energy))
    if readings[-1][0] < total_s:
        readings.append((total_s, readings[-1][1]))
    return readings


def _energy_at(readings: Sequence[tuple[Fraction, Fraction]], offset: Fraction) -> Fraction:
    for (t0, e0), (t1, e1) in itertools.pairwise(readings):
        if t0 <= offset <= t1:
            return e0 + (e1 - e0) * (offset - t0) / (t1 - t0)
    return readings[-1][1]


def _pieces(
    tariff: TariffDefinition,
    start: datetime,
    total_s: Fraction,
    readings: Sequence[tuple[Fraction, Fraction]],
    zone: ZoneInfo,
) -> list[_Piece]:
    cuts = {offset for offset, _ in readings}
    cuts |= set(_restriction_cuts(tariff, start, total_s, readings, zone))
    ordered = sorted(cut for cut in cuts if 0 <= cut <= total_s)
    pieces = []
    stretch = 0
    for begin, end in itertools.pairwise(ordered):
        while readings[stretch + 1][0] < end:
            stretch += 1
        (t0, e0), (t1, e1) = readings[stretch], readings[stretch + 1]
        power = (e1 - e0) * 3600 / (t1 - t0)
        energy_at_begin = e0 + (e1 - e0) * (begin - t0) / (t1 - t0)
        energy_at_end = e0 + (e1 - e0) * (end - t0) / (t1 - t0)
        pieces.append(_Piece(begin, end, energy_at_begin, energy_at_end - energy_at_begin, power))
    return pieces


def _restriction_cuts(
    tariff: TariffDefinition,
    start: datetime,
    total_s: Fraction,
    readings: Sequence[tuple[Fraction, Fraction]],
    zone: ZoneInfo,
) -> Iterable[Fraction]:
    restrictions = [
        element.restrictions for element in tariff.elements if element.restrictions is not None
    ]
    times_of_day = {0}  # local midnight: days of week and dates change there
    for restriction in restrictions:
        for value in (restriction.start_time, restriction.end_time):
            if value is not None:
                times_of_day.add(time_of_day_minutes(value))
        for seconds in (restriction.min_duration_s, restriction.max_duration_s):
            if seconds is not None:
                yield Fraction(seconds)
        for threshold in (restriction.min_energy_wh, restriction.max_energy_wh):
            if threshold is not None:
                yield from _energy_crossings(readings, Fraction(threshold))
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = (start + timedelta(seconds=float(total_s))).astimezone(zone).date() + timedelta(
        days=1
    )
    day = first_day
    while day <= last_day:
        for minutes in times_of_day:
            local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
            yield _seconds(local.astimezone(start.tzinfo) - start)
        day += timedelta(days=1)


def _energy_crossings(
    readings: Sequence[tuple[Fraction, Fraction]], threshold: Fraction
) -> Iterable[Fraction]:
    for (t0, e0), (t1, e1) in itertools.pairwise(readings):
        if e0 < threshold < e1:
            yield t0 + (threshold - e0) * (t1 - t0) / (e1 - e0)


def _in_force(
    tariff: TariffDefinition,
    dimension: ComponentType,
    moment: datetime,
    duration_s: Fraction,
    energy_wh: Fraction,
    power_w: Fraction,
) -> _Key | None:
    for element_index, element in enumerate(tariff.elements):
        for component_index, component in enumerate(element.components):
            if component.type is dimension:
                if element.restrictions is None or _holds(
                    element.restrictions, moment, duration_s, energy_wh, power_w
                ):
                    return element_index, component_index
                break
    return None


def _holds(
    restrictions: Restrictions,
    moment: datetime,
    duration_s: Fraction,
    energy_wh: Fraction,
    power_w: Fraction,
) -> bool:
    minute = moment.hour * 60 + moment.minute + Fraction(moment.second, 60)
    if not _within_time_of_day(restrictions, minute):
        return False
    today: date = moment.date()
    if restrictions.start_date is not None and today < restrictions.start_date:
        return False
    if restrictions.end_date is not None and today >= restrictions.end_date:
        return False
    if restrictions.day_of_week is not None and DAYS_OF_WEEK[moment.weekday()] not in (
        restrictions.day_of_week
    ):
        return False
    return (
        _at_least(energy_wh, restrictions.min_energy_wh)
        and _below(energy_wh, restrictions.max_energy_wh)
        and _at_least(power_w, restrictions.min_power_w)
        and _below(power_w, restrictions.max_power_w)
        and _at_least(duration_s, restrictions.min_duration_s)
        and _below(duration_s, restrictions.max_duration_s)
    )


def _within_time_of_day(restrictions: Restrictions, minute: Fraction) -> bool:
    begin = (
        None if restrictions.start_time is None else time_of_day_minutes(restrictions.start_time)
    )
    end = None if restrictions.end_time is None else time_of_day_minutes(restrictions.end_time)
    if begin is None and end is None:
        return True
    if begin is None:
        assert end is not None
        return minute < end
    if end is None:
        return minute >= begin
    if begin < end:
        return begin <= minute < end
    return minute >= begin or minute < end  # across midnight, e.g. 22:00 to 06:00


def _at_least(value: Fraction, limit: int | None) -> bool:
    return limit is None or value >= limit


def _below(value: Fraction, limit: int | None) -> bool:
    return limit is None or value < limit


def _component(tariff: TariffDefinition, key: _Key) -> PriceComponent:
    element_index, component_index = key
    return tariff.elements[element_index].components[component_index]


def _billed_quantities(
    tariff: TariffDefinition,
    quantities: dict[_Key, Fraction],
    last_in_force: dict[ComponentType, _Key],
) -> dict[_Key, Fraction]:
    billed = {}
    for key, quantity in quantities.items():
        component = _component(tariff, key)
        if component.type is ComponentType.PARKING_TIME:
            quantity = max(Fraction(0), quantity - component.grace_s)
        billed[key] = quantity
    for dimension, last_key in last_in_force.items():
        step = _component(tariff, last_key).step_size
        total = sum(
            (
                quantity
                for key, quantity in billed.items()
                if _component(tariff, key).type is dimension
            ),
            Fraction(0),
        )
        if total > 0:
            billed[last_key] += math.ceil(total / step) * step - total
    return {key: quantity for key, quantity in billed.items() if quantity > 0}


def _amount(component: PriceComponent, quantity: Fraction) -> Fraction:
    unit = {ComponentType.ENERGY: WH_PER_KWH, ComponentType.FLAT: 1}.get(
        component.type, SECONDS_PER_MINUTE
    )
    amount = component.price_micro * quantity / unit
    if component.cap_micro is not None:
        amount = min(amount, Fraction(component.cap_micro))
    return amount


def _line(component: PriceComponent, quantity: Fraction) -> PriceLine:
    return PriceLine(
        type=LineType(component.type.value),
        quantity=round_half_up(quantity),
        unit_price_micro=component.price_micro,
        amount_minor=0,
    )


def _adjustment(kind: LineType, amount: Fraction) -> tuple[PriceLine, Fraction]:
    return PriceLine(type=kind, quantity=1, unit_price_micro=0, amount_minor=0), amount


def _merged(lines: Iterable[PriceLine]) -> tuple[PriceLine, ...]:
    """One line per dimension and unit price, in the order of first appearance."""
    merged: dict[tuple[str, int], PriceLine] = {}
    for line in lines:
        key = (str(line.type), line.unit_price_micro)
        if key in merged:
            previous = merged[key]
            line = msgspec.structs.replace(
                previous,
                quantity=previous.quantity + line.quantity,
                amount_minor=previous.amount_minor + line.amount_minor,
            )
        merged[key] = line
    return tuple(merged.values())

"""The price as a driver reads it before charging: every component, VAT included, in words.

EU AFIR (Art. 5) and the German price rules want the complete ad hoc price shown before the
start: price per kWh, per minute, per session, blocking fees and their conditions, all with
VAT. This module turns a TariffDefinition into such a price card for one language; the same
card feeds the web app, the receipt's tariff note and the public data feed.
"""

from __future__ import annotations

from datetime import time, timedelta

import msgspec

from cpo import messages
from cpo.i18n import Translator, translator
from cpo.money import micro_to_minor
from cpo.tariffs.schemas import (
    DAYS_OF_WEEK,
    ComponentType,
    PriceComponent,
    Restrictions,
    TariffDefinition,
    time_of_day_minutes,
)

_LABELS = {
    ComponentType.ENERGY: messages.ENERGY,
    ComponentType.TIME: messages.CHARGING_TIME,
    ComponentType.PARKING_TIME: messages.BLOCKING_FEE,
    ComponentType.FLAT: messages.SESSION_FEE,
}
_UNITS = {ComponentType.ENERGY: "kWh", ComponentType.TIME: "min", ComponentType.PARKING_TIME: "min"}
_WEEKDAYS = frozenset(DAYS_OF_WEEK[:5])
_WEEKEND = frozenset(DAYS_OF_WEEK[5:])


class PriceItem(msgspec.Struct, frozen=True, kw_only=True):
    """One component: "Energy · 0,49 €/kWh", with when it applies and its limits."""

    type: ComponentType
    label: str
    price: str
    price_micro: int  # VAT included, per kWh / per minute / per session
    conditions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class PriceCard(msgspec.Struct, frozen=True, kw_only=True):
    language: str
    currency: str
    items: tuple[PriceItem, ...]
    vat_note: str
    limits: tuple[str, ...] = ()


def gross_micro(definition: TariffDefinition, price_micro: int) -> int:
    """A unit price with VAT: drivers are always shown gross prices."""
    if definition.prices_include_vat:
        return price_micro
    return (price_micro * (10_000 + definition.vat_rate_bp) + 5_000) // 10_000


def price_card(definition: TariffDefinition, language: str) -> PriceCard:
    t = translator(language)
    items = []
    for element in definition.elements:
        for component in element.components:
            # A blocking fee says "from minute 241" instead of "after 4 h 00 min".
            conditions = _conditions(
                t,
                element.restrictions,
                duration_as_note=component.type is ComponentType.PARKING_TIME,
            )
            items.append(_item(t, definition, component, element.restrictions, conditions))
    limits = []
    if definition.min_price_micro:
        amount = t.money(
            micro_to_minor(
                gross_micro(definition, definition.min_price_micro), definition.currency
            ),
            definition.currency,
        )
        limits.append(t.gettext(messages.MINIMUM_PRICE).format(amount=amount))
    if definition.max_price_micro is not None:
        amount = t.money(
            micro_to_minor(
                gross_micro(definition, definition.max_price_micro), definition.currency
            ),
            definition.currency,
        )
        limits.append(t.gettext(messages.MAXIMUM_PRICE).format(amount=amount))
    return PriceCard(
        language=language,
        currency=definition.currency,
        items=tuple(items),
        vat_note=t.gettext(messages.VAT_INCLUDED).format(vat=t.percent(definition.vat_rate_bp)),
        limits=tuple(limits),
    )


def _item(
    t: Translator,
    definition: TariffDefinition,
    component: PriceComponent,
    restrictions: Restrictions | None,
    conditions: tuple[str, ...],
) -> PriceItem:
    price_micro = gross_micro(definition, component.price_micro)
    if price_micro == 0:
        price = t.gettext(messages.FREE)
    elif component.type is ComponentType.FLAT:
        price = t.money(micro_to_minor(price_micro, definition.currency), definition.currency)
    else:
        price = t.unit_price(price_micro, definition.currency, _UNITS[component.type])
    notes = []
    if (
        component.type is ComponentType.PARKING_TIME
        and restrictions is not None
        and restrictions.min_duration_s
    ):
        # "from minute 241": the first billed minute, counted from plugging in.
        notes.append(
            t.gettext(messages.BLOCKING_FEE_AFTER).format(
                minutes=restrictions.min_duration_s // 60 + 1
            )
        )
    if component.grace_s:
        notes.append(
            t.gettext(messages.FREE_FOR_THE_FIRST).format(duration=t.duration(component.grace_s))
        )
    if component.cap_micro is not None:
        cap = micro_to_minor(gross_micro(definition, component.cap_micro), definition.currency)
        notes.append(t.gettext(messages.CAPPED_AT).format(amount=t.money(cap, definition.currency)))
    return PriceItem(
        type=component.type,
        label=t.gettext(_LABELS[component.type]),
        price=price,
        price_micro=price_micro,
        conditions=conditions,
        notes=tuple(notes),
    )


def _conditions(
    t: Translator, restrictions: Restrictions | None, *, duration_as_note: bool
) -> tuple[str, ...]:
    if restrictions is None:
        return ()
    conditions = []
    days = frozenset(restrictions.day_of_week or ())
    if days and days != frozenset(DAYS_OF_WEEK):
        if days == _WEEKDAYS:
            conditions.append(t.gettext(messages.WEEKDAYS))
        elif days == _WEEKEND:
            conditions.append(t.gettext(messages.WEEKENDS))
        else:
            names = [
                t.gettext(messages.DAY_NAMES[index])
                for index, day in enumerate(DAYS_OF_WEEK)
                if day in days
            ]
            conditions.append(t.gettext(messages.ON_DAYS).format(days=t.and_list(names)))
    start, end = restrictions.start_time, restrictions.end_time
    if start and end:
        conditions.append(
            t.gettext(messages.BETWEEN_TIMES).format(
                start=t.time(_clock(start)), end=t.time(_clock(end))
            )
        )
    elif start:
        conditions.append(t.gettext(messages.FROM_TIME).format(time=t.time(_clock(start))))
    elif end:
        conditions.append(t.gettext(messages.UNTIL_TIME).format(time=t.time(_clock(end))))
    if restrictions.start_date:
        conditions.append(
            t.gettext(messages.VALID_FROM).format(date=t.date(restrictions.start_date))
        )
    if restrictions.end_date:
        last_day = restrictions.end_date - timedelta(days=1)  # the end date itself is excluded
        conditions.append(t.gettext(messages.VALID_UNTIL).format(date=t.date(last_day)))
    if restrictions.min_energy_wh:
        conditions.append(
            t.gettext(messages.FROM_KWH).format(kwh=_kilo(t, restrictions.min_energy_wh))
        )
    if restrictions.max_energy_wh is not None:
        conditions.append(
            t.gettext(messages.UP_TO_KWH).format(kwh=_kilo(t, restrictions.max_energy_wh))
        )
    if restrictions.min_power_w:
        conditions.append(
            t.gettext(messages.ABOVE_KW).format(kw=_kilo(t, restrictions.min_power_w))
        )
    if restrictions.max_power_w is not None:
        conditions.append(
            t.gettext(messages.UP_TO_KW).format(kw=_kilo(t, restrictions.max_power_w))
        )
    if restrictions.min_duration_s and not duration_as_note:
        conditions.append(
            t.gettext(messages.AFTER_DURATION).format(
                duration=t.duration(restrictions.min_duration_s)
            )
        )
    if restrictions.max_duration_s is not None:
        conditions.append(
            t.gettext(messages.FOR_THE_FIRST).format(
                duration=t.duration(restrictions.max_duration_s)
            )
        )
    return tuple(conditions)


def _clock(value: str) -> time:
    minutes = time_of_day_minutes(value)
    return time(minutes // 60, minutes % 60)


def _kilo(t: Translator, value: int) -> str:
    """Watt-hours or watts in kilo, without needless decimals ("20", "22,5")."""
    if value % 1000 == 0:
        return str(value // 1000)
    digits = 1 if value % 100 == 0 else 3
    return t.decimal(value / 1000, digits)

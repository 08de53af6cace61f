"""Tariffs, Sender interface: our ad hoc and contract tariffs as OCPI Tariff objects.

One tariff model feeds the price card, the receipt and this feed (cpo.tariffs.schemas
follows OCPI's elements already). What OCPI 2.2.1 cannot express — a free parking grace
period, a cap on one component — is said in the alternative text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cpo import database
from cpo.tariffs.enums import TariffKind
from cpo.tariffs.schemas import ComponentType, TariffDefinition
from cpo.tariffs.tables import Tariff as TariffRow
from roaming import edge
from roaming.partners import OperatorParty
from roaming.schemas import (
    DayOfWeek,
    DisplayText,
    Price,
    PriceComponent,
    Tariff,
    TariffDimensionType,
    TariffElement,
    TariffRestrictions,
    TariffType,
)
from roaming.transport import OcpiError, PageRequest, Status, ocpi_time

PER_MINUTE = {ComponentType.TIME, ComponentType.PARKING_TIME}


def tariff_id(tariff_pk: int) -> str:
    return str(tariff_pk)


def ocpi_tariff(
    party: OperatorParty,
    *,
    tariff_pk: int,
    kind: str | None,
    definition: TariffDefinition,
    updated_at: datetime,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> Tariff:
    d = definition
    notes: list[str] = []
    elements = []
    for element in d.elements:
        components = []
        for component in element.components:
            components.append(
                PriceComponent(
                    type=TariffDimensionType(component.type.value),
                    price=edge.unit_price(
                        component.price_micro,
                        per_minute=component.type in PER_MINUTE,
                        vat_rate_bp=d.vat_rate_bp,
                        includes_vat=d.prices_include_vat,
                    ),
                    vat=d.vat_rate_bp / 100,
                    step_size=component.step_size,
                )
            )
            if component.grace_s:
                notes.append(f"the first {component.grace_s // 60} min of parking are free")
            if component.cap_micro is not None:
                cap = edge.unit_price(
                    component.cap_micro,
                    per_minute=False,
                    vat_rate_bp=0,
                    includes_vat=False,
                )
                notes.append(f"{component.type.value.lower()} costs at most {cap:.2f} {d.currency}")
        r = element.restrictions
        restrictions = None
        if r is not None:
            restrictions = TariffRestrictions(
                start_time=r.start_time,
                end_time=r.end_time,
                start_date=None if r.start_date is None else r.start_date.isoformat(),
                end_date=None if r.end_date is None else r.end_date.isoformat(),
                min_kwh=None if r.min_energy_wh is None else edge.kwh(r.min_energy_wh),
                max_kwh=None if r.max_energy_wh is None else edge.kwh(r.max_energy_wh),
                min_power=None if r.min_power_w is None else r.min_power_w / 1000,
                max_power=None if r.max_power_w is None else r.max_power_w / 1000,
                min_duration=r.min_duration_s,
                max_duration=r.max_duration_s,
                day_of_week=None
                if r.day_of_week is None
                else [DayOfWeek(day) for day in r.day_of_week],
            )
        elements.append(TariffElement(price_components=components, restrictions=restrictions))
    return Tariff(
        country_code=party.country_code,
        party_id=party.party_id,
        id=tariff_id(tariff_pk),
        currency=d.currency,
        type=None if kind is None else _type(kind),
        elements=elements,
        tariff_alt_text=[DisplayText(language="en", text="; ".join(notes).capitalize()[:512])]
        if notes
        else [],
        min_price=_limit(d, d.min_price_micro),
        max_price=_limit(d, d.max_price_micro),
        start_date_time=valid_from and ocpi_time(valid_from),
        end_date_time=valid_to and ocpi_time(valid_to),
        last_updated=ocpi_time(updated_at),
    )


def _type(kind: str) -> TariffType:
    return TariffType.AD_HOC_PAYMENT if kind == TariffKind.AD_HOC else TariffType.REGULAR


def _limit(definition: TariffDefinition, micro: int | None) -> Price | None:
    if micro is None:
        return None
    rate = definition.vat_rate_bp / 10_000
    value = micro / 1_000_000
    if definition.prices_include_vat:
        return Price(excl_vat=round(value / (1 + rate), 4), incl_vat=round(value, 4))
    return Price(excl_vat=round(value, 4), incl_vat=round(value * (1 + rate), 4))


def _from_row(party: OperatorParty, row: dict[str, Any]) -> Tariff:
    return ocpi_tariff(
        party,
        tariff_pk=row["id"],
        kind=row["kind"],
        definition=database.from_json_column(row["definition"], TariffDefinition),
        updated_at=row["updated_at"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
    )


async def list_tariffs(party: OperatorParty, page: PageRequest) -> tuple[list[Tariff], int]:
    condition: Any = (TariffRow.operator == party.operator_id) & TariffRow.archived.eq(False)
    if page.date_from is not None:
        condition &= TariffRow.updated_at >= page.date_from
    if page.date_to is not None:
        condition &= TariffRow.updated_at < page.date_to
    total = await TariffRow.count().where(condition)
    rows = (
        await TariffRow.select()
        .where(condition)
        .order_by(TariffRow.id)
        .offset(page.offset)
        .limit(page.limit)
    )
    return [_from_row(party, row) for row in rows], total


async def get_tariff(party: OperatorParty, tariff: str) -> Tariff:
    if not tariff.isdigit() or len(tariff) > 9:
        raise OcpiError(Status.CLIENT_ERROR, "unknown tariff", http_status=404)
    row = (
        await TariffRow.select()
        .where(
            (TariffRow.id == int(tariff))
            & (TariffRow.operator == party.operator_id)
            & TariffRow.archived.eq(False)
        )
        .first()
    )
    if row is None:
        raise OcpiError(Status.CLIENT_ERROR, "unknown tariff", http_status=404)
    return _from_row(party, row)

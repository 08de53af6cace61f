"""What a driver sees after scanning a charge point's QR code, before paying anything."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from cpo import messages
from cpo.context import Context
from cpo.errors import NotFound
from cpo.i18n import translator
from cpo.stations.enums import ConnectorStatus
from cpo.stations.rules import compact_evse_id
from cpo.stations.tables import Connector
from cpo.tariffs.display import PriceCard, price_card
from cpo.tariffs.service import estimate_minor, hold_amount_minor, tariff_for_session

MAX_EVSE_ID_LENGTH = 48


class Availability(StrEnum):
    AVAILABLE = "available"
    OCCUPIED = "occupied"
    UNAVAILABLE = "unavailable"
    OFFLINE = "offline"


_OCCUPIED = {
    ConnectorStatus.CHARGING,
    ConnectorStatus.SUSPENDED_EV,
    ConnectorStatus.SUSPENDED_EVSE,
    ConnectorStatus.FINISHING,
    ConnectorStatus.RESERVED,
}
_AVAILABLE = {ConnectorStatus.AVAILABLE, ConnectorStatus.PREPARING}


class Brand(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    primary_color: str
    accent_color: str
    logo_url: str
    support_email: str
    support_phone: str


class PlaceForDriver(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    time_zone: str


class ConnectorForDriver(msgspec.Struct, frozen=True, kw_only=True):
    standard: str
    format: str
    max_power_w: int
    current_type: str


class Hold(msgspec.Struct, frozen=True, kw_only=True):
    amount_minor: int
    amount: str
    explanation: str


class EvseForDriver(msgspec.Struct, frozen=True, kw_only=True):
    evse_id: str
    station_name: str
    availability: Availability
    availability_message: str
    connector: ConnectorForDriver
    operator: Brand
    place: PlaceForDriver
    price: PriceCard | None
    hold: Hold | None


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    energy_wh: int
    amount_minor: int
    currency: str
    text: str


async def _evse_row(evse_id: str) -> dict[str, object]:
    if not evse_id or len(evse_id) > MAX_EVSE_ID_LENGTH:
        raise NotFound("no such charge point", code="evse_not_found")
    row = (
        await Connector.select(
            Connector.status,
            Connector.standard,
            Connector.format,
            Connector.evse.id,
            Connector.evse.evse_id,
            Connector.evse.max_power_w,
            Connector.evse.current_type,
            Connector.evse._.station._.name,
            Connector.evse._.station._.identity,
            Connector.evse._.station._.connected_node,
            Connector.evse._.station._.registration_status,
            Connector.evse._.station._.operator._.id,
            Connector.evse._.station._.operator._.name,
            Connector.evse._.station._.operator._.currency,
            Connector.evse._.station._.operator._.brand_primary_color,
            Connector.evse._.station._.operator._.brand_accent_color,
            Connector.evse._.station._.operator._.logo_url,
            Connector.evse._.station._.operator._.support_email,
            Connector.evse._.station._.operator._.support_phone,
            Connector.evse._.station._.site._.name,
            Connector.evse._.station._.site._.street,
            Connector.evse._.station._.site._.postal_code,
            Connector.evse._.station._.site._.city,
            Connector.evse._.station._.site._.latitude,
            Connector.evse._.station._.site._.longitude,
            Connector.evse._.station._.site._.time_zone,
        )
        .where(Connector.evse._.evse_id_compact == compact_evse_id(evse_id))
        .order_by(Connector.connector_number)
        .first()
    )
    if row is None:
        raise NotFound("no such charge point", code="evse_not_found")
    return row


def _availability(row: dict[str, object]) -> Availability:
    if row["evse.station.connected_node"] is None:
        return Availability.OFFLINE
    if row["evse.station.registration_status"] != "Accepted":
        return Availability.UNAVAILABLE
    status = ConnectorStatus(str(row["status"]))
    if status in _AVAILABLE or status is ConnectorStatus.UNKNOWN:
        return Availability.AVAILABLE
    if status in _OCCUPIED:
        return Availability.OCCUPIED
    return Availability.UNAVAILABLE


async def evse_for_driver(ctx: Context, evse_id: str, language: str) -> EvseForDriver:
    """The charge point, its state and its complete ad hoc price with the hold."""
    row = await _evse_row(evse_id)
    t = translator(language)
    operator_id = int(str(row["evse.station.operator.id"]))
    support = str(
        row["evse.station.operator.support_phone"] or row["evse.station.operator.support_email"]
    )
    availability = _availability(row)
    availability_message = {
        Availability.AVAILABLE: "",
        Availability.OCCUPIED: t.gettext(messages.CHARGE_POINT_OCCUPIED),
        Availability.UNAVAILABLE: t.gettext(messages.CHARGE_POINT_UNAVAILABLE).format(
            support=support
        ),
        Availability.OFFLINE: t.gettext(messages.CHARGE_POINT_OFFLINE).format(support=support),
    }[availability]
    tariff = await tariff_for_session(
        operator_id, evse_pk=int(str(row["evse.id"])), customer_group=None, at=ctx.clock.now()
    )
    max_power_w = int(str(row["evse.max_power_w"]))
    hold = None
    price = None
    if tariff is not None:
        price = price_card(tariff.definition, language)
        amount = hold_amount_minor(tariff.definition, max_power_w, ctx.settings.ad_hoc_hold_minor)
        formatted = t.money(amount, tariff.definition.currency)
        hold = Hold(
            amount_minor=amount,
            amount=formatted,
            explanation=t.gettext(messages.HOLD_EXPLAINED).format(amount=formatted),
        )
    street = str(row["evse.station.site.street"] or "")
    town = " ".join(
        str(part)
        for part in (row["evse.station.site.postal_code"], row["evse.station.site.city"])
        if part
    )
    return EvseForDriver(
        evse_id=str(row["evse.evse_id"]),
        station_name=str(row["evse.station.name"] or row["evse.station.identity"]),
        availability=availability,
        availability_message=availability_message,
        connector=ConnectorForDriver(
            standard=str(row["standard"]),
            format=str(row["format"]),
            max_power_w=max_power_w,
            current_type=str(row["evse.current_type"]),
        ),
        operator=Brand(
            name=str(row["evse.station.operator.name"]),
            primary_color=str(row["evse.station.operator.brand_primary_color"]),
            accent_color=str(row["evse.station.operator.brand_accent_color"]),
            logo_url=str(row["evse.station.operator.logo_url"]),
            support_email=str(row["evse.station.operator.support_email"]),
            support_phone=str(row["evse.station.operator.support_phone"]),
        ),
        place=PlaceForDriver(
            name=str(row["evse.station.site.name"] or ""),
            address=", ".join(part for part in (street, town) if part),
            latitude=_float(row["evse.station.site.latitude"]),
            longitude=_float(row["evse.station.site.longitude"]),
            time_zone=str(row["evse.station.site.time_zone"] or "Europe/Berlin"),
        ),
        price=price,
        hold=hold,
    )


async def estimate_for_driver(
    ctx: Context, evse_id: str, energy_wh: int, language: str
) -> Estimate:
    """ "About 9,80 € for 20 kWh": charging at the EVSE's full power from now."""
    row = await _evse_row(evse_id)
    tariff = await tariff_for_session(
        int(str(row["evse.station.operator.id"])),
        evse_pk=int(str(row["evse.id"])),
        customer_group=None,
        at=ctx.clock.now(),
    )
    if tariff is None:
        raise NotFound("this charge point has no public price", code="no_ad_hoc_price")
    amount = estimate_minor(
        tariff.definition,
        energy_wh,
        max(int(str(row["evse.max_power_w"])), 1000),
        ctx.clock.now(),
        str(row["evse.station.site.time_zone"] or "Europe/Berlin"),
    )
    t = translator(language)
    currency = tariff.definition.currency
    return Estimate(
        energy_wh=energy_wh,
        amount_minor=amount,
        currency=currency,
        text=t.gettext(messages.ESTIMATE).format(
            amount=t.money(amount, currency), energy=t.energy_kwh(energy_wh)
        ),
    )


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))

"""Locations, Sender interface: our sites with their EVSEs and connectors, and status
changes pushed to partners as they happen.

A site is an OCPI Location (its id is the site's id), an EVSE keeps our EVSE ID and gets
its database id as `uid`, a connector is numbered within its EVSE. Sites without
coordinates cannot be published (OCPI requires them) and are left out.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from cpo import database
from cpo.clock import as_utc
from cpo.context import Context
from cpo.partners.enums import PartnerStatus
from cpo.stations.enums import ConnectorStatus, CurrentType
from cpo.stations.schemas import StationStatusChanged
from cpo.stations.tables import Connector, Evse, Site
from cpo.tariffs.service import tariff_for_session
from roaming import ids, pushes
from roaming.partners import OperatorParty, operator_party, registered_partners
from roaming.schemas import (
    BusinessDetails,
    Capability,
    EvseStatus,
    GeoLocation,
    InterfaceRole,
    Location,
    ModuleId,
    PowerType,
)
from roaming.schemas import (
    Connector as OcpiConnector,
)
from roaming.schemas import (
    Evse as OcpiEvse,
)
from roaming.transport import OcpiError, PageRequest, Status, ocpi_time

log = logging.getLogger(__name__)

STATUS = {
    ConnectorStatus.AVAILABLE: EvseStatus.AVAILABLE,
    ConnectorStatus.PREPARING: EvseStatus.CHARGING,
    ConnectorStatus.CHARGING: EvseStatus.CHARGING,
    ConnectorStatus.SUSPENDED_EV: EvseStatus.CHARGING,
    ConnectorStatus.SUSPENDED_EVSE: EvseStatus.CHARGING,
    ConnectorStatus.FINISHING: EvseStatus.CHARGING,
    ConnectorStatus.RESERVED: EvseStatus.RESERVED,
    ConnectorStatus.UNAVAILABLE: EvseStatus.INOPERATIVE,
    ConnectorStatus.FAULTED: EvseStatus.OUTOFORDER,
    ConnectorStatus.UNKNOWN: EvseStatus.UNKNOWN,
}
CAPABILITIES = [
    Capability.REMOTE_START_STOP_CAPABLE,
    Capability.RFID_READER,
    Capability.UNLOCK_CAPABLE,
]


def evse_status(statuses: list[str], connected: bool) -> EvseStatus:
    """One status for an EVSE from its connectors' (the busiest wins), UNKNOWN offline."""
    if not connected:
        return EvseStatus.UNKNOWN
    mapped = [STATUS.get(ConnectorStatus(s), EvseStatus.UNKNOWN) for s in statuses if s]
    for candidate in (
        EvseStatus.CHARGING,
        EvseStatus.RESERVED,
        EvseStatus.OUTOFORDER,
        EvseStatus.INOPERATIVE,
        EvseStatus.AVAILABLE,
    ):
        if candidate in mapped:
            return candidate
    return EvseStatus.UNKNOWN


def power_type(current: str, phases: int) -> PowerType:
    if current == CurrentType.DC:
        return PowerType.DC
    return {1: PowerType.AC_1_PHASE, 2: PowerType.AC_2_PHASE}.get(phases, PowerType.AC_3_PHASE)


def geo(latitude: float | None, longitude: float | None) -> GeoLocation | None:
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return GeoLocation(latitude=f"{latitude:.6f}", longitude=f"{longitude:.6f}")


async def _evses_of_sites(site_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not site_ids:
        return {}
    rows = (
        await Evse.select(
            *Evse.all_columns(),
            Evse.station.site,
            Evse.station.connected_node,
            Evse.station.identity,
        )
        .where(Evse.station.site.is_in(site_ids))
        .order_by(Evse.id)
    )
    evse_ids = [row["id"] for row in rows]
    connectors = (
        await Connector.select().where(Connector.evse.is_in(evse_ids)).order_by(Connector.id)
        if evse_ids
        else []
    )
    by_evse: dict[int, list[dict[str, Any]]] = {}
    for connector in connectors:
        by_evse.setdefault(connector["evse"], []).append(connector)
    by_site: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        row["connectors"] = by_evse.get(row["id"], [])
        by_site.setdefault(row["station.site"], []).append(row)
    return by_site


async def _ocpi_evse(party: OperatorParty, row: dict[str, Any]) -> OcpiEvse:
    tariff = await tariff_for_session(
        party.operator_id, evse_pk=row["id"], customer_group=None, at=_now()
    )
    tariff_ids = [str(tariff.tariff_id)] if tariff is not None else []
    connectors = []
    updated = [as_utc(row["created_at"])]
    for connector in row["connectors"]:
        changed = as_utc(connector["status_at"] or row["created_at"])
        updated.append(changed)
        connectors.append(
            OcpiConnector(
                id=str(connector["connector_number"]),
                standard=connector["standard"],
                format=connector["format"],
                power_type=power_type(row["current_type"], row["phases"]),
                max_voltage=connector["max_voltage_v"],
                max_amperage=connector["max_current_a"],
                max_electric_power=row["max_power_w"],
                tariff_ids=tariff_ids,
                last_updated=ocpi_time(changed),
            )
        )
    return OcpiEvse(
        uid=ids.evse_uid(row["id"]),
        evse_id=row["evse_id"],
        status=evse_status(
            [c["status"] for c in row["connectors"]], row["station.connected_node"] is not None
        ),
        capabilities=CAPABILITIES,
        connectors=connectors,
        last_updated=ocpi_time(max(updated)),
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def _location(party: OperatorParty, site: dict[str, Any], evses: list[Any]) -> Location:
    coordinates = geo(site["latitude"], site["longitude"])
    assert coordinates is not None
    ocpi_evses = [await _ocpi_evse(party, evse) for evse in evses if evse["connectors"]]
    updated = [as_utc(site["created_at"]), *(as_utc(e.last_updated) for e in ocpi_evses)]
    return Location(
        country_code=party.country_code,
        party_id=party.party_id,
        id=ids.location_id(site["id"], 0),
        publish=True,
        name=site["name"][:255],
        address=(site["street"] or site["name"])[:45],
        city=site["city"][:45],
        postal_code=site["postal_code"][:10] or None,
        country=site["country"],
        coordinates=coordinates,
        time_zone=site["time_zone"],
        evses=ocpi_evses,
        operator=BusinessDetails(name=party.name[:100]),
        last_updated=ocpi_time(max(updated)),
    )


async def _sites(operator_id: int, site_id: int | None = None) -> list[dict[str, Any]]:
    condition: Any = (
        (Site.operator == operator_id) & Site.latitude.is_not_null() & Site.longitude.is_not_null()
    )
    if site_id is not None:
        condition &= Site.id == site_id
    rows: list[dict[str, Any]] = await Site.select().where(condition).order_by(Site.id)
    return [row for row in rows if geo(row["latitude"], row["longitude"]) is not None]


async def all_locations(party: OperatorParty) -> list[Location]:
    sites = await _sites(party.operator_id)
    evses = await _evses_of_sites([site["id"] for site in sites])
    return [await _location(party, site, evses.get(site["id"], [])) for site in sites]


async def list_locations(party: OperatorParty, page: PageRequest) -> tuple[list[Location], int]:
    """A page of locations last updated in [date_from, date_to)."""
    locations = await all_locations(party)
    if page.date_from is not None:
        locations = [x for x in locations if as_utc(x.last_updated) >= page.date_from]
    if page.date_to is not None:
        locations = [x for x in locations if as_utc(x.last_updated) < page.date_to]
    return locations[page.offset : page.offset + page.limit], len(locations)


def _unknown() -> OcpiError:
    return OcpiError(Status.UNKNOWN_LOCATION, "unknown location", http_status=404)


async def get_location(party: OperatorParty, location_id: str) -> Location:
    site_id, _ = ids.parse_location_id(location_id)
    if site_id is None:
        raise _unknown()
    sites = await _sites(party.operator_id, site_id)
    if not sites:
        raise _unknown()
    evses = await _evses_of_sites([site_id])
    return await _location(party, sites[0], evses.get(site_id, []))


async def get_evse(party: OperatorParty, location_id: str, evse_uid: str) -> OcpiEvse:
    location = await get_location(party, location_id)
    for evse in location.evses:
        if evse.uid == evse_uid:
            return evse
    raise _unknown()


async def get_connector(
    party: OperatorParty, location_id: str, evse_uid: str, connector_id: str
) -> OcpiConnector:
    evse = await get_evse(party, location_id, evse_uid)
    for connector in evse.connectors:
        if connector.id == connector_id:
            return connector
    raise _unknown()


async def push_status_change(ctx: Context, event: StationStatusChanged) -> int:
    """PATCH the EVSE's new status to every partner that receives locations."""
    if event.connector_id == 0:
        return 0
    row = (
        await Evse.select(
            Evse.id, Evse.station.site, Evse.station.operator, Evse.station.connected_node
        )
        .where(
            (Evse.station.identity == event.identity)
            & (Evse.ocpp_connector_id == event.connector_id)
        )
        .first()
    )
    if row is None or row["station.site"] is None:
        return 0
    partners = [
        p
        for p in await registered_partners(row["station.operator"])
        if p.status is PartnerStatus.REGISTERED
        and p.endpoint(ModuleId.LOCATIONS, InterfaceRole.RECEIVER) is not None
    ]
    if not partners:
        return 0
    party = await operator_party(row["station.operator"])
    statuses = await Connector.select(Connector.status).where(Connector.evse == row["id"])
    status = evse_status([s["status"] for s in statuses], row["station.connected_node"] is not None)
    body = {"status": status.value, "last_updated": ocpi_time(event.at)}
    location = ids.location_id(row["station.site"], 0)
    async with database.transaction():
        for partner in partners:
            url = partner.endpoint(ModuleId.LOCATIONS, InterfaceRole.RECEIVER)
            assert url is not None
            await pushes.enqueue(
                ctx,
                partner.id,
                module=ModuleId.LOCATIONS.value,
                object_key=f"evse:{row['id']}",
                method="PATCH",
                url=f"{url.rstrip('/')}/{party.country_code}/{party.party_id}/{location}/"
                f"{ids.evse_uid(row['id'])}",
                body=body,
            )
    return len(partners)

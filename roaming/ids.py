"""How our objects are named in OCPI (ids partners see and send back)."""

from __future__ import annotations

STATION_LOCATION_PREFIX = "ST"


def location_id(site_id: int | None, station_id: int) -> str:
    """A site is an OCPI Location; a station without a site is a Location of its own."""
    return str(site_id) if site_id is not None else f"{STATION_LOCATION_PREFIX}{station_id}"


def parse_location_id(value: str) -> tuple[int | None, int | None]:
    """(site id, station id) of a location id, (None, None) if it cannot be one of ours."""
    if value.isdigit() and len(value) <= 9:
        return int(value), None
    rest = value[len(STATION_LOCATION_PREFIX) :]
    if value.startswith(STATION_LOCATION_PREFIX) and rest.isdigit() and len(rest) <= 9:
        return None, int(rest)
    return None, None


def evse_uid(evse_pk: int) -> str:
    return str(evse_pk)


def parse_number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 9 else None


def session_id(charging_session_id: int) -> str:
    return str(charging_session_id)

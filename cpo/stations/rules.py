"""Pure rules about stations: EVSE identifiers, fault detection, boot answers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cpo.stations.enums import ConnectorStatus, RegistrationStatus

# ISO 15118 / eMI3 EVSE ID: country, operator, "E", power outlet id; '*' separators optional.
EVSE_ID_PATTERN = re.compile(r"^[A-Z]{2}\*?[A-Z0-9]{3}\*?E[A-Z0-9*]{1,30}$", re.IGNORECASE)
NO_ERROR = "NoError"
# Stations that are not accepted retry their boot this often (OCPP 1.6 §4.2).
BOOT_RETRY_INTERVAL_S = 60
# OCPP 1.6 connector ids we create EVSEs for on the fly; beyond this a report is noise.
MAX_AUTO_CONNECTOR_ID = 16


def is_valid_evse_id(evse_id: str) -> bool:
    return bool(EVSE_ID_PATTERN.match(evse_id))


def compact_evse_id(evse_id: str) -> str:
    """Equal for every spelling of one EVSE ID (case and separators do not matter)."""
    return re.sub(r"[\s*]", "", evse_id).upper()


def evse_id_for(country_code: str, party_id: str, station_code: str, connector_id: int) -> str:
    """An EVSE ID for an EVSE nobody named (auto-registered stations)."""
    outlet = re.sub(r"[^A-Z0-9]", "", station_code.upper())[:24] or "X"
    return f"{country_code.upper()}*{party_id.upper()}*E{outlet}*{connector_id}"


def boot_interval_s(status: RegistrationStatus, heartbeat_interval_s: int) -> int:
    if status is RegistrationStatus.ACCEPTED:
        return heartbeat_interval_s
    return BOOT_RETRY_INTERVAL_S


def is_fault(status: str, error_code: str) -> bool:
    return error_code != NO_ERROR or status == ConnectorStatus.FAULTED


def normalize_connector_status(status: str) -> ConnectorStatus:
    try:
        return ConnectorStatus(status)
    except ValueError:
        return ConnectorStatus.UNKNOWN


def is_valid_time_zone(name: str) -> bool:
    """An IANA time zone this system knows, e.g. Europe/Berlin."""
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def day_window(now: datetime, time_zone: str) -> tuple[date, datetime, datetime]:
    """The calendar day `now` falls on in `time_zone`, and its start and end in UTC.

    Days around a DST change last 23 or 25 hours; the window follows the local midnights.
    """
    zone = ZoneInfo(time_zone)
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    return day, start.astimezone(UTC), end.astimezone(UTC)


def fault_duration_s(opened_at: datetime, resolved_at: datetime | None, now: datetime) -> int:
    """How long a fault lasted, or has lasted so far while open (never negative)."""
    end = resolved_at or now
    return max(0, int((end - opened_at).total_seconds()))

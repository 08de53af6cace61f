"""Shapes that go in and out of the station use cases."""

from __future__ import annotations

from datetime import datetime

import msgspec

from cpo.stations.enums import (
    ConnectorFormat,
    ConnectorStandard,
    ConnectorStatus,
    CurrentType,
    RegistrationStatus,
)


class StationRef(msgspec.Struct, frozen=True):
    """Who is on the other end of a charger connection, after authentication."""

    station_id: int
    operator_id: int
    identity: str


class ConnectionDecision(msgspec.Struct, frozen=True):
    allowed: bool
    station: StationRef | None = None
    reason: str = ""
    registered_now: bool = False


class BootInfo(msgspec.Struct, frozen=True, kw_only=True):
    vendor: str
    model: str
    serial_number: str = ""
    firmware_version: str = ""
    iccid: str = ""
    imsi: str = ""
    meter_type: str = ""
    meter_serial_number: str = ""


class BootDecision(msgspec.Struct, frozen=True):
    status: RegistrationStatus
    interval_s: int
    current_time: datetime


class StatusReport(msgspec.Struct, frozen=True, kw_only=True):
    connector_id: int
    status: str
    error_code: str
    info: str = ""
    vendor_id: str = ""
    vendor_error_code: str = ""
    timestamp: datetime | None = None


class ConnectorSpec(msgspec.Struct, frozen=True, kw_only=True):
    standard: ConnectorStandard = ConnectorStandard.IEC_62196_T2
    format: ConnectorFormat = ConnectorFormat.SOCKET
    max_voltage_v: int = 400
    max_current_a: int = 16


class EvseSpec(msgspec.Struct, frozen=True, kw_only=True):
    evse_id: str
    ocpp_connector_id: int
    max_power_w: int
    current_type: CurrentType = CurrentType.AC
    phases: int = 3
    connectors: tuple[ConnectorSpec, ...] = (ConnectorSpec(),)


class StationRegistration(msgspec.Struct, frozen=True, kw_only=True):
    operator_id: int
    identity: str
    password: str | None = None
    site_id: int | None = None
    name: str = ""
    registration_status: RegistrationStatus = RegistrationStatus.ACCEPTED
    evses: tuple[EvseSpec, ...] = ()


class StationStatusChanged(msgspec.Struct, frozen=True, tag="station_status"):
    """Published on `station.<identity>.status` for live views."""

    identity: str
    connector_id: int
    status: ConnectorStatus
    error_code: str
    at: datetime


class StationConnectionChanged(msgspec.Struct, frozen=True, tag="station_connection"):
    """Published on `station.<identity>.connected` when a node takes or drops the socket."""

    identity: str
    node_id: str
    connection_id: str
    connected: bool
    at: datetime

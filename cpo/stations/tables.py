from piccolo.columns import (
    JSON,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Real,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from cpo.operators.tables import Operator
from cpo.stations.enums import (
    ConnectorFormat,
    ConnectorStandard,
    ConnectorStatus,
    CurrentType,
    FaultStatus,
    RegistrationStatus,
    StationEventKind,
)


class Site(Table, tablename="sites"):
    """A location with chargers (OCPI Location): car park, hotel, depot."""

    id = Serial(primary_key=True)

    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200)
    street = Varchar(length=200, default="")
    postal_code = Varchar(length=20, default="")
    city = Varchar(length=100, default="")
    # ISO 3166 alpha-3, as OCPI wants it.
    country = Varchar(length=3, default="DEU")
    latitude = Real(null=True, default=None)
    longitude = Real(null=True, default=None)
    time_zone = Varchar(length=64, default="Europe/Berlin")
    created_at = Timestamptz(default=TimestamptzNow())


class ChargeStation(Table, tablename="charge_stations"):
    """One OCPP endpoint: the box a WebSocket connection comes from."""

    id = Serial(primary_key=True)

    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    site = ForeignKey(references=Site, on_delete=OnDelete.set_null, null=True, default=None)
    identity = Varchar(length=48, unique=True, index=True)
    # scrypt hash of the Basic auth password (security profile 1); null: none was set.
    password_hash = Varchar(length=200, null=True, default=None)
    registration_status = Varchar(
        length=16, choices=RegistrationStatus, default=RegistrationStatus.PENDING
    )
    auto_registered = Boolean(default=False)
    name = Varchar(length=200, default="")
    vendor = Varchar(length=20, default="")
    model = Varchar(length=20, default="")
    serial_number = Varchar(length=25, default="")
    firmware_version = Varchar(length=50, default="")
    iccid = Varchar(length=20, default="")
    imsi = Varchar(length=20, default="")
    meter_type = Varchar(length=25, default="")
    meter_serial_number = Varchar(length=25, default="")
    protocol = Varchar(length=16, default="ocpp1.6")
    heartbeat_interval_s = Integer(default=300)
    # Station-wide status (OCPP connectorId 0).
    status = Varchar(length=16, choices=ConnectorStatus, default=ConnectorStatus.UNKNOWN)
    error_code = Varchar(length=50, default="NoError")
    firmware_status = Varchar(length=32, default="")
    diagnostics_status = Varchar(length=32, default="")
    last_boot_at = Timestamptz(null=True, default=None)
    last_seen_at = Timestamptz(null=True, default=None)
    # The node holding the WebSocket, null while disconnected.
    connected_node = Varchar(length=100, null=True, default=None)
    connection_id = Varchar(length=64, null=True, default=None)
    connected_since = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Evse(Table, tablename="evses"):
    """An EVSE: what one vehicle charges from. OCPP 1.6 calls it a connector id."""

    id = Serial(primary_key=True)

    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade, index=True)
    # ISO 15118 EVSE ID with separators, e.g. DE*ABC*E0001*1 (unique across the platform).
    evse_id = Varchar(length=48, unique=True, index=True)
    # Normalised form for lookups: upper case, separators removed.
    evse_id_compact = Varchar(length=48, unique=True, index=True)
    ocpp_connector_id = Integer()
    max_power_w = Integer(default=11_000)
    current_type = Varchar(length=2, choices=CurrentType, default=CurrentType.AC)
    phases = Integer(default=3)
    created_at = Timestamptz(default=TimestamptzNow())


class Connector(Table, tablename="connectors"):
    """A plug or socket of an EVSE, with its last reported status."""

    id = Serial(primary_key=True)

    evse = ForeignKey(references=Evse, on_delete=OnDelete.cascade, index=True)
    connector_number = Integer(default=1)
    standard = Varchar(length=32, choices=ConnectorStandard, default=ConnectorStandard.IEC_62196_T2)
    format = Varchar(length=8, choices=ConnectorFormat, default=ConnectorFormat.SOCKET)
    max_voltage_v = Integer(default=400)
    max_current_a = Integer(default=16)
    status = Varchar(length=16, choices=ConnectorStatus, default=ConnectorStatus.UNKNOWN)
    error_code = Varchar(length=50, default="NoError")
    status_at = Timestamptz(null=True, default=None)


class ConnectorStatusEvent(Table, tablename="connector_status_events"):
    """Every StatusNotification, as history (connector id 0 is the whole station)."""

    id = Serial(primary_key=True)

    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade, index=True)
    ocpp_connector_id = Integer()
    status = Varchar(length=16)
    error_code = Varchar(length=50)
    info = Varchar(length=50, default="")
    vendor_id = Varchar(length=255, default="")
    vendor_error_code = Varchar(length=50, default="")
    charger_timestamp = Timestamptz(null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow())


class Fault(Table, tablename="faults"):
    """An error reported by a station, open until the connector reports NoError again."""

    id = Serial(primary_key=True)

    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade, index=True)
    ocpp_connector_id = Integer()
    error_code = Varchar(length=50)
    info = Varchar(length=50, default="")
    vendor_id = Varchar(length=255, default="")
    vendor_error_code = Varchar(length=50, default="")
    status = Varchar(length=10, choices=FaultStatus, default=FaultStatus.OPEN, index=True)
    opened_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)
    # Operator staff saw it (and maybe sent someone); who, as in the audit log.
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = Varchar(length=255, default="")
    # Empty when the station itself cleared the fault (a NoError report).
    resolved_by = Varchar(length=255, default="")


class StationEvent(Table, tablename="station_events"):
    """What else a station told us (boots, firmware/diagnostics progress, data transfers)."""

    id = Serial(primary_key=True)

    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=32, choices=StationEventKind)
    payload = JSON(default="{}")
    detail = Text(default="")
    charger_timestamp = Timestamptz(null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow())


class OcppFrame(Table, tablename="ocpp_frames"):
    """The station's message log: the last OCPP frames in and out, as they went over the
    wire (cut at FRAME_TEXT_MAX characters). A ring per station: older rows are pruned."""

    id = BigSerial(primary_key=True)

    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz()
    # "in" from the station, "out" to it.
    direction = Varchar(length=3)
    frame = Text()
    # The frame's length before it was cut.
    length = Integer(default=0)

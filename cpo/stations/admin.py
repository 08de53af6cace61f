"""The operator's view of the network: stations, sites, EVSEs, faults and remote commands.

Every function takes the operator's id (or the calling operator) and touches nothing of
another operator: a station, site, EVSE or fault of someone else is "not found". Changes
are written to the audit log in the transaction of the change; a remote command is audited
after the station answered (the transaction never spans the call to the station).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from cpo import database
from cpo.audit import service as audit
from cpo.context import Context
from cpo.errors import (
    ChargerError,
    ChargerTimeout,
    ChargerUnavailable,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
)
from cpo.operators.service import OperatorRef, require_admin
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.stations import commands as cmd
from cpo.stations import passwords, rules
from cpo.stations import service as stations
from cpo.stations.enums import (
    ConnectorFormat,
    ConnectorStandard,
    ConnectorStatus,
    CurrentType,
    FaultStatus,
    RegistrationStatus,
)
from cpo.stations.schemas import ConnectorSpec, EvseSpec, StationRegistration
from cpo.stations.tables import ChargeStation, Connector, Evse, Fault, Site

log = logging.getLogger(__name__)

Name = Annotated[str, msgspec.Meta(max_length=200)]
EvseIdText = Annotated[str, msgspec.Meta(min_length=5, max_length=48)]
PowerW = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Phases = Annotated[int, msgspec.Meta(ge=1, le=3)]
MAX_FAULTS = 500


# --- views ----------------------------------------------------------------------------


class ConnectorView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: int
    standard: ConnectorStandard
    format: ConnectorFormat
    max_voltage_v: int
    max_current_a: int
    status: ConnectorStatus
    error_code: str
    status_at: datetime | None


class EvseView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    evse_id: str
    ocpp_connector_id: int
    max_power_w: int
    current_type: CurrentType
    phases: int
    connectors: list[ConnectorView]


class SiteView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    street: str
    postal_code: str
    city: str
    country: str
    time_zone: str
    latitude: float | None
    longitude: float | None


class StationView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    identity: str
    name: str
    site: SiteView | None
    registration_status: RegistrationStatus
    auto_registered: bool
    has_password: bool
    connected: bool
    connected_since: datetime | None
    last_seen_at: datetime | None
    last_boot_at: datetime | None
    status: ConnectorStatus
    error_code: str
    vendor: str
    model: str
    serial_number: str
    firmware_version: str
    open_faults: int
    evses: list[EvseView]
    created_at: datetime


class FaultView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    station_id: int
    station_identity: str
    station_name: str
    # OCPP 1.6 connector id; 0 is the whole station.
    connector_id: int
    error_code: str
    info: str
    vendor_id: str
    vendor_error_code: str
    status: FaultStatus
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str
    duration_s: int
    acknowledged_at: datetime | None
    acknowledged_by: str


# --- inputs ---------------------------------------------------------------------------


class ConnectorInput(msgspec.Struct, frozen=True, kw_only=True):
    standard: ConnectorStandard = ConnectorStandard.IEC_62196_T2
    format: ConnectorFormat = ConnectorFormat.SOCKET
    max_voltage_v: Annotated[int, msgspec.Meta(ge=1, le=2000)] = 400
    max_current_a: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 16


class EvseInput(msgspec.Struct, frozen=True, kw_only=True):
    evse_id: EvseIdText
    ocpp_connector_id: Annotated[int, msgspec.Meta(ge=1, le=99)]
    max_power_w: PowerW
    current_type: CurrentType = CurrentType.AC
    phases: Phases = 3
    connectors: Annotated[tuple[ConnectorInput, ...], msgspec.Meta(min_length=1, max_length=4)] = (
        ConnectorInput(),
    )


class NewStation(msgspec.Struct, frozen=True, kw_only=True):
    identity: Annotated[str, msgspec.Meta(min_length=1, max_length=48)]
    name: Name = ""
    site_id: int | None = None
    evses: Annotated[tuple[EvseInput, ...], msgspec.Meta(max_length=32)] = ()


class RegisteredStation(msgspec.Struct, frozen=True, kw_only=True):
    station: StationView
    # Shown once: set it as the station's AuthorizationKey (Basic auth password).
    password: str


class RegistrationDecision(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["Accepted", "Rejected"]


class StationChange(msgspec.Struct, frozen=True, kw_only=True):
    """Only the fields given change; `site_id` 0 takes the station off its site."""

    name: Name | None = None
    site_id: Annotated[int, msgspec.Meta(ge=0)] | None = None


class SiteInput(msgspec.Struct, frozen=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    street: Name = ""
    postal_code: Annotated[str, msgspec.Meta(max_length=20)] = ""
    city: Annotated[str, msgspec.Meta(max_length=100)] = ""
    # ISO 3166 alpha-3, as OCPI wants it.
    country: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "DEU"
    time_zone: Annotated[str, msgspec.Meta(max_length=64)] = "Europe/Berlin"
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None


class EvseChange(msgspec.Struct, frozen=True, kw_only=True):
    """Only the fields given change."""

    evse_id: EvseIdText | None = None
    max_power_w: PowerW | None = None
    current_type: CurrentType | None = None
    phases: Phases | None = None


# The remote commands operators send from admin mode (local lists and caches belong to
# card management).
class AdminRemoteStop(msgspec.Struct, frozen=True, tag="remote_stop"):
    """Stop the station's running session with this OCPP transaction id."""

    transaction_id: Annotated[str, msgspec.Meta(pattern=r"^\d{1,10}$")]


AdminCommand = (
    cmd.RemoteStart
    | AdminRemoteStop
    | cmd.Reset
    | cmd.UnlockConnector
    | cmd.ChangeAvailability
    | cmd.TriggerMessage
    | cmd.GetConfiguration
    | cmd.ChangeConfiguration
)


class CommandOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """A command and what came of it: the station's answer, or why there is none."""

    station_id: int
    command: AdminCommand
    sent_at: datetime
    answered_at: datetime
    result: cmd.CommandResult | None = None
    # charger_unavailable, charger_timeout or charger_error when there is no answer.
    error_code: str | None = None
    error_message: str = ""


# --- reading --------------------------------------------------------------------------


def _site_view(row: dict[str, Any]) -> SiteView:
    return SiteView(
        id=row["id"],
        name=row["name"],
        street=row["street"],
        postal_code=row["postal_code"],
        city=row["city"],
        country=row["country"],
        time_zone=row["time_zone"],
        latitude=row["latitude"],
        longitude=row["longitude"],
    )


async def list_sites(operator_id: int) -> list[SiteView]:
    rows = await Site.select().where(Site.operator == operator_id).order_by(Site.name)
    return [_site_view(row) for row in rows]


async def _site(operator_id: int, site_id: int) -> SiteView:
    row = await Site.select().where((Site.id == site_id) & (Site.operator == operator_id)).first()
    if row is None:
        raise NotFound(f"no site {site_id}")
    return _site_view(row)


async def list_stations(operator_id: int, *, station_id: int | None = None) -> list[StationView]:
    """The operator's stations (all, or the one asked for) with EVSEs, connectors, faults."""
    condition: Any = ChargeStation.operator == operator_id
    if station_id is not None:
        condition &= ChargeStation.id == station_id
    rows = await ChargeStation.select().where(condition).order_by(ChargeStation.identity)
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    sites = {site.id: site for site in await list_sites(operator_id)}
    evse_rows = (
        await Evse.select()
        .where(Evse.station.is_in(ids))
        .order_by(Evse.ocpp_connector_id)
        .order_by(Evse.id)
    )
    connector_rows = (
        await Connector.select(*Connector.all_columns(), Connector.evse.station.as_alias("station"))
        .where(Connector.evse.station.is_in(ids))
        .order_by(Connector.connector_number)
    )
    fault_rows = await Fault.select(Fault.station).where(
        Fault.station.is_in(ids) & (Fault.status == FaultStatus.OPEN)
    )
    open_faults: dict[int, int] = {}
    for fault in fault_rows:
        open_faults[fault["station"]] = open_faults.get(fault["station"], 0) + 1
    connectors: dict[int, list[ConnectorView]] = {}
    for row in connector_rows:
        connectors.setdefault(row["evse"], []).append(
            ConnectorView(
                id=row["id"],
                number=row["connector_number"],
                standard=ConnectorStandard(row["standard"]),
                format=ConnectorFormat(row["format"]),
                max_voltage_v=row["max_voltage_v"],
                max_current_a=row["max_current_a"],
                status=rules.normalize_connector_status(row["status"]),
                error_code=row["error_code"],
                status_at=row["status_at"],
            )
        )
    evses: dict[int, list[EvseView]] = {}
    for row in evse_rows:
        evses.setdefault(row["station"], []).append(
            EvseView(
                id=row["id"],
                evse_id=row["evse_id"],
                ocpp_connector_id=row["ocpp_connector_id"],
                max_power_w=row["max_power_w"],
                current_type=CurrentType(row["current_type"]),
                phases=row["phases"],
                connectors=connectors.get(row["id"], []),
            )
        )
    return [
        StationView(
            id=row["id"],
            identity=row["identity"],
            name=row["name"],
            site=sites.get(row["site"]) if row["site"] is not None else None,
            registration_status=RegistrationStatus(row["registration_status"]),
            auto_registered=row["auto_registered"],
            has_password=row["password_hash"] is not None,
            connected=row["connected_node"] is not None,
            connected_since=row["connected_since"],
            last_seen_at=row["last_seen_at"],
            last_boot_at=row["last_boot_at"],
            status=rules.normalize_connector_status(row["status"]),
            error_code=row["error_code"],
            vendor=row["vendor"],
            model=row["model"],
            serial_number=row["serial_number"],
            firmware_version=row["firmware_version"],
            open_faults=open_faults.get(row["id"], 0),
            evses=evses.get(row["id"], []),
            created_at=row["created_at"],
        )
        for row in rows
    ]


async def station(operator_id: int, station_id: int) -> StationView:
    found = await list_stations(operator_id, station_id=station_id)
    if not found:
        raise NotFound(f"no station {station_id}")
    return found[0]


async def _identity(operator_id: int, station_id: int) -> str:
    row = (
        await ChargeStation.select(ChargeStation.identity)
        .where((ChargeStation.id == station_id) & (ChargeStation.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no station {station_id}")
    return str(row["identity"])


async def require_station(operator_id: int, station_id: int) -> None:
    """NotFound unless the station is the operator's."""
    await _identity(operator_id, station_id)


# --- registration ---------------------------------------------------------------------


def _check_evse_id(evse_id: str) -> None:
    if not rules.is_valid_evse_id(evse_id):
        raise InvalidInput(
            f"{evse_id!r} is not an EVSE ID like DE*ABC*E0001*1", code="invalid_evse_id"
        )


async def register(ctx: Context, caller: OperatorRef, new: NewStation) -> RegisteredStation:
    """A new station with a fresh password (returned once; only its hash is kept)."""
    require_admin(caller)
    if new.site_id is not None:
        await _site(caller.operator_id, new.site_id)
    for evse in new.evses:
        _check_evse_id(evse.evse_id)
    connector_ids = [evse.ocpp_connector_id for evse in new.evses]
    if len(set(connector_ids)) != len(connector_ids):
        raise InvalidInput("each EVSE needs its own OCPP connector id", code="duplicate_connector")
    password = passwords.generate_password()
    registration = StationRegistration(
        operator_id=caller.operator_id,
        identity=new.identity,
        password=password,
        site_id=new.site_id,
        name=new.name,
        registration_status=RegistrationStatus.ACCEPTED,
        evses=tuple(_evse_spec(evse) for evse in new.evses),
    )
    password_hash = await stations.password_hash_for(registration)  # outside: scrypt is slow
    async with database.transaction():
        station_id = await stations.insert_station(ctx, registration, password_hash)
        view = await station(caller.operator_id, station_id)
        await audit.record(
            caller, "station.register", "station", station_id, at=ctx.clock.now(), after=view
        )
    return RegisteredStation(station=view, password=password)


def _evse_spec(evse: EvseInput) -> EvseSpec:
    return EvseSpec(
        evse_id=evse.evse_id,
        ocpp_connector_id=evse.ocpp_connector_id,
        max_power_w=evse.max_power_w,
        current_type=evse.current_type,
        phases=evse.phases,
        connectors=tuple(
            ConnectorSpec(
                standard=connector.standard,
                format=connector.format,
                max_voltage_v=connector.max_voltage_v,
                max_current_a=connector.max_current_a,
            )
            for connector in evse.connectors
        ),
    )


async def decide_registration(
    ctx: Context, caller: OperatorRef, station_id: int, decision: RegistrationDecision
) -> StationView:
    """Accept or reject a station (typically a pending auto-registered one). A connected
    station is asked to boot again at once, so that it hears the answer now."""
    require_admin(caller)
    status = RegistrationStatus(decision.status)
    async with database.transaction():
        before = await station(caller.operator_id, station_id)
        if before.registration_status is status:
            return before
        await ChargeStation.update({ChargeStation.registration_status: status}).where(
            ChargeStation.id == station_id
        )
        after = await station(caller.operator_id, station_id)
        action = "accept" if status is RegistrationStatus.ACCEPTED else "reject"
        await audit.record(
            caller,
            f"station.{action}",
            "station",
            station_id,
            at=ctx.clock.now(),
            before={"registration_status": before.registration_status},
            after={"registration_status": after.registration_status},
        )
    if after.connected and status is RegistrationStatus.ACCEPTED:
        with contextlib.suppress(ChargerUnavailable, ChargerTimeout, ChargerError):
            await cmd.send_command(
                ctx, after.identity, cmd.TriggerMessage("BootNotification"), timeout_s=5.0
            )
    return after


async def change_station(
    ctx: Context, caller: OperatorRef, station_id: int, change: StationChange
) -> StationView:
    require_admin(caller)
    values: dict[Any, Any] = {}
    if change.name is not None:
        values[ChargeStation.name] = change.name.strip()
    if change.site_id is not None:
        if change.site_id:
            await _site(caller.operator_id, change.site_id)
        values[ChargeStation.site] = change.site_id or None
    async with database.transaction():
        before = await station(caller.operator_id, station_id)
        if values:
            await ChargeStation.update(values).where(ChargeStation.id == station_id)
        after = await station(caller.operator_id, station_id)
        await audit.record(
            caller,
            "station.update",
            "station",
            station_id,
            at=ctx.clock.now(),
            before={"name": before.name, "site_id": before.site and before.site.id},
            after={"name": after.name, "site_id": after.site and after.site.id},
        )
    return after


# --- sites and EVSEs ------------------------------------------------------------------


def _site_values(data: SiteInput) -> dict[Any, Any]:
    if not rules.is_valid_time_zone(data.time_zone):
        raise InvalidInput(f"unknown time zone {data.time_zone!r}", code="invalid_time_zone")
    return {
        Site.name: data.name.strip(),
        Site.street: data.street.strip(),
        Site.postal_code: data.postal_code.strip(),
        Site.city: data.city.strip(),
        Site.country: data.country,
        Site.time_zone: data.time_zone,
        Site.latitude: data.latitude,
        Site.longitude: data.longitude,
    }


async def create_site(ctx: Context, caller: OperatorRef, data: SiteInput) -> SiteView:
    require_admin(caller)
    values = _site_values(data)
    async with database.transaction():
        rows = await Site.insert(
            Site(
                operator=caller.operator_id,
                created_at=ctx.clock.now(),
                **{column._meta.name: value for column, value in values.items()},
            )
        ).returning(Site.id)
        created = await _site(caller.operator_id, rows[0]["id"])
        await audit.record(
            caller, "site.create", "site", created.id, at=ctx.clock.now(), after=created
        )
    return created


async def update_site(ctx: Context, caller: OperatorRef, site_id: int, data: SiteInput) -> SiteView:
    require_admin(caller)
    values = _site_values(data)
    async with database.transaction():
        before = await _site(caller.operator_id, site_id)
        await Site.update(values).where(Site.id == site_id)
        after = await _site(caller.operator_id, site_id)
        await audit.record(
            caller, "site.update", "site", site_id, at=ctx.clock.now(), before=before, after=after
        )
    return after


async def _evse_row(operator_id: int, evse_id: int) -> dict[str, Any]:
    row = (
        await Evse.select()
        .where((Evse.id == evse_id) & (Evse.station.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no EVSE {evse_id}")
    return row


def _evse_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "station_id": row["station"],
        "evse_id": row["evse_id"],
        "ocpp_connector_id": row["ocpp_connector_id"],
        "max_power_w": row["max_power_w"],
        "current_type": row["current_type"],
        "phases": row["phases"],
    }


async def change_evse(
    ctx: Context, caller: OperatorRef, evse_id: int, change: EvseChange
) -> StationView:
    """Edit an EVSE's ID (ISO 15118 form, unique on the platform), power, current type."""
    require_admin(caller)
    values: dict[Any, Any] = {}
    if change.evse_id is not None:
        _check_evse_id(change.evse_id)
        values[Evse.evse_id] = change.evse_id.upper()
        values[Evse.evse_id_compact] = rules.compact_evse_id(change.evse_id)
    if change.max_power_w is not None:
        values[Evse.max_power_w] = change.max_power_w
    if change.current_type is not None:
        values[Evse.current_type] = change.current_type
    if change.phases is not None:
        values[Evse.phases] = change.phases
    async with database.transaction():
        before = await _evse_row(caller.operator_id, evse_id)
        if Evse.evse_id_compact in values and await Evse.exists().where(
            (Evse.evse_id_compact == values[Evse.evse_id_compact]) & (Evse.id != evse_id)
        ):
            raise Conflict(f"EVSE ID {change.evse_id} is already in use", code="evse_id_taken")
        if values:
            await Evse.update(values).where(Evse.id == evse_id)
        after = await _evse_row(caller.operator_id, evse_id)
        await audit.record(
            caller,
            "evse.update",
            "evse",
            evse_id,
            at=ctx.clock.now(),
            before=_evse_snapshot(before),
            after=_evse_snapshot(after),
        )
    return await station(caller.operator_id, after["station"])


async def add_evse(
    ctx: Context, caller: OperatorRef, station_id: int, data: EvseInput
) -> StationView:
    require_admin(caller)
    _check_evse_id(data.evse_id)
    async with database.transaction():
        await require_station(caller.operator_id, station_id)
        if await Evse.exists().where(
            (Evse.station == station_id) & (Evse.ocpp_connector_id == data.ocpp_connector_id)
        ):
            raise Conflict(
                f"the station has an EVSE with connector id {data.ocpp_connector_id}",
                code="duplicate_connector",
            )
        new_id = await stations.add_evse(station_id, _evse_spec(data))
        row = await _evse_row(caller.operator_id, new_id)
        await audit.record(
            caller, "evse.create", "evse", new_id, at=ctx.clock.now(), after=_evse_snapshot(row)
        )
    return await station(caller.operator_id, station_id)


# --- remote commands ------------------------------------------------------------------


def _core_command(command: AdminCommand) -> cmd.Command:
    if isinstance(command, AdminRemoteStop):
        return cmd.RemoteStop(transaction_id=command.transaction_id)
    return command


async def send(
    ctx: Context, caller: OperatorRef, station_id: int, command: AdminCommand
) -> CommandOutcome:
    """Send a command to the operator's station (staff may) and audit it with the answer.

    The outcome carries the station's answer, or the error (not connected, no answer in
    time, a CallError): the command is audited either way.
    """
    identity = await _identity(caller.operator_id, station_id)
    if isinstance(command, AdminRemoteStop):
        running = await ChargingSession.exists().where(
            (ChargingSession.station == station_id)
            & (ChargingSession.ocpp_transaction_id == command.transaction_id)
            & (ChargingSession.state == SessionState.ACTIVE)
        )
        if not running:
            raise NotFound(
                f"no running session {command.transaction_id} at this station",
                code="no_such_session",
            )
    sent_at = ctx.clock.now()
    result: cmd.CommandResult | None = None
    error: DomainError | None = None
    try:
        result = await cmd.send_command(ctx, identity, _core_command(command))
    except (ChargerUnavailable, ChargerTimeout, ChargerError) as failure:
        error = failure
    outcome = CommandOutcome(
        station_id=station_id,
        command=command,
        sent_at=sent_at,
        answered_at=ctx.clock.now(),
        result=result,
        error_code=error.code if error else None,
        error_message=error.message if error else "",
    )
    async with database.transaction():
        await audit.record(
            caller,
            f"station.command.{type(command).__struct_config__.tag}",
            "station",
            station_id,
            at=outcome.answered_at,
            before=command,
            after={
                "result": result,
                "error_code": outcome.error_code,
                "error": outcome.error_message,
            },
        )
    return outcome


# --- faults ---------------------------------------------------------------------------


async def list_faults(
    ctx: Context,
    operator_id: int,
    *,
    status: FaultStatus | None = None,
    station_id: int | None = None,
    limit: int = MAX_FAULTS,
) -> list[FaultView]:
    """The operator's faults, newest first."""
    condition: Any = Fault.station.operator == operator_id
    if status is not None:
        condition &= Fault.status == status
    if station_id is not None:
        await require_station(operator_id, station_id)
        condition &= Fault.station == station_id
    rows = (
        await Fault.select(
            *Fault.all_columns(),
            Fault.station.identity.as_alias("identity"),
            Fault.station.name.as_alias("station_name"),
        )
        .where(condition)
        .order_by(Fault.opened_at, ascending=False)
        .order_by(Fault.id, ascending=False)
        .limit(max(1, min(limit, MAX_FAULTS)))
    )
    now = ctx.clock.now()
    return [_fault_view(row, now) for row in rows]


def _fault_view(row: dict[str, Any], now: datetime) -> FaultView:
    return FaultView(
        id=row["id"],
        station_id=row["station"],
        station_identity=row["identity"],
        station_name=row["station_name"],
        connector_id=row["ocpp_connector_id"],
        error_code=row["error_code"],
        info=row["info"],
        vendor_id=row["vendor_id"],
        vendor_error_code=row["vendor_error_code"],
        status=FaultStatus(row["status"]),
        opened_at=row["opened_at"],
        resolved_at=row["resolved_at"],
        resolved_by=row["resolved_by"],
        duration_s=rules.fault_duration_s(row["opened_at"], row["resolved_at"], now),
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
    )


async def _fault(ctx: Context, operator_id: int, fault_id: int) -> FaultView:
    row = (
        await Fault.select(
            *Fault.all_columns(),
            Fault.station.identity.as_alias("identity"),
            Fault.station.name.as_alias("station_name"),
        )
        .where((Fault.id == fault_id) & (Fault.station.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no fault {fault_id}")
    return _fault_view(row, ctx.clock.now())


async def acknowledge_fault(ctx: Context, caller: OperatorRef, fault_id: int) -> FaultView:
    """Someone of the operator has seen the fault (staff may); idempotent."""
    async with database.transaction():
        before = await _fault(ctx, caller.operator_id, fault_id)
        if before.acknowledged_at is not None:
            return before
        await Fault.update(
            {Fault.acknowledged_at: ctx.clock.now(), Fault.acknowledged_by: caller.actor_name}
        ).where(Fault.id == fault_id)
        after = await _fault(ctx, caller.operator_id, fault_id)
        await audit.record(
            caller,
            "fault.acknowledge",
            "fault",
            fault_id,
            at=ctx.clock.now(),
            before={"acknowledged_at": None},
            after={"acknowledged_at": after.acknowledged_at, "by": after.acknowledged_by},
        )
    return after


async def resolve_fault(ctx: Context, caller: OperatorRef, fault_id: int) -> FaultView:
    """Close a fault by hand (staff may), e.g. after a repair the station did not report."""
    async with database.transaction():
        before = await _fault(ctx, caller.operator_id, fault_id)
        if before.status is FaultStatus.RESOLVED:
            raise Conflict(f"fault {fault_id} is resolved already", code="fault_resolved")
        now = ctx.clock.now()
        await Fault.update(
            {
                Fault.status: FaultStatus.RESOLVED,
                Fault.resolved_at: now,
                Fault.resolved_by: caller.actor_name,
            }
        ).where((Fault.id == fault_id) & (Fault.status == FaultStatus.OPEN))
        after = await _fault(ctx, caller.operator_id, fault_id)
        await audit.record(
            caller,
            "fault.resolve",
            "fault",
            fault_id,
            at=now,
            before={"status": before.status},
            after={
                "status": after.status,
                "resolved_at": after.resolved_at,
                "by": caller.actor_name,
            },
        )
    return after

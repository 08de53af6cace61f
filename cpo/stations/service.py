"""Station use cases: registration, connection, boot, heartbeat, status, station events."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from datetime import datetime
from typing import Any

import msgspec

from cpo import database
from cpo.clock import as_utc
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.notifications import service as notifications
from cpo.operators.tables import Operator
from cpo.settings import AutoRegistration
from cpo.stations import passwords, rules
from cpo.stations.enums import FaultStatus, RegistrationStatus, StationEventKind
from cpo.stations.schemas import (
    BootDecision,
    BootInfo,
    ConnectionDecision,
    EvseSpec,
    StationConnectionChanged,
    StationRef,
    StationRegistration,
    StationStatusChanged,
    StatusReport,
)
from cpo.stations.sites import DEFAULT_TIME_ZONE
from cpo.stations.tables import (
    ChargeStation,
    Connector,
    ConnectorStatusEvent,
    Evse,
    Fault,
    StationEvent,
)

log = logging.getLogger(__name__)

# OCPP identities go into a URL path and the Basic auth user name: no colon, no control
# characters, at most 48 characters (OCPP 1.6 security whitepaper).
IDENTITY_PATTERN = re.compile(r"^[\x21-\x39\x3b-\x7e]{1,48}$")

_verified_credentials: dict[tuple[str, str], bool] = {}
_VERIFIED_CACHE_MAX = 10_000


def is_valid_identity(identity: str) -> bool:
    return bool(IDENTITY_PATTERN.match(identity))


async def register_station(ctx: Context, registration: StationRegistration) -> int:
    """Register a station with its EVSEs; returns the station id."""
    return await insert_station(ctx, registration, await password_hash_for(registration))


async def password_hash_for(registration: StationRegistration) -> str | None:
    """Check the identity and the password's strength; the password's hash (slow: scrypt, so
    take it before opening a transaction)."""
    if not is_valid_identity(registration.identity):
        raise InvalidInput(f"invalid OCPP identity {registration.identity!r}")
    if registration.password is None:
        return None
    try:
        passwords.check_strength(registration.password)
    except passwords.WeakPassword as error:
        raise InvalidInput(str(error), code="weak_password") from error
    return await asyncio.to_thread(passwords.hash_password, registration.password)


async def insert_station(
    ctx: Context, registration: StationRegistration, password_hash: str | None
) -> int:
    """The station's rows, with the hash from `password_hash_for` (joins a transaction)."""
    async with database.transaction():
        existing = await ChargeStation.exists().where(
            ChargeStation.identity == registration.identity
        )
        if existing:
            raise Conflict(f"a station with identity {registration.identity!r} exists")
        rows = await ChargeStation.insert(
            ChargeStation(
                operator=registration.operator_id,
                site=registration.site_id,
                identity=registration.identity,
                password_hash=password_hash,
                name=registration.name,
                registration_status=registration.registration_status,
                heartbeat_interval_s=ctx.settings.heartbeat_interval_s,
                created_at=ctx.clock.now(),
            )
        ).returning(ChargeStation.id)
        station_id: int = rows[0]["id"]
        for evse in registration.evses:
            await add_evse(station_id, evse)
    return station_id


async def add_evse(station_id: int, spec: EvseSpec) -> int:
    if not rules.is_valid_evse_id(spec.evse_id):
        raise InvalidInput(f"{spec.evse_id!r} is not an EVSE ID like DE*ABC*E0001*1")
    compact = rules.compact_evse_id(spec.evse_id)
    async with database.transaction():
        if await Evse.exists().where(Evse.evse_id_compact == compact):
            raise Conflict(f"EVSE ID {spec.evse_id} is already in use")
        rows = await Evse.insert(
            Evse(
                station=station_id,
                evse_id=spec.evse_id.upper(),
                evse_id_compact=compact,
                ocpp_connector_id=spec.ocpp_connector_id,
                max_power_w=spec.max_power_w,
                current_type=spec.current_type,
                phases=spec.phases,
            )
        ).returning(Evse.id)
        evse_id: int = rows[0]["id"]
        for number, connector in enumerate(spec.connectors, start=1):
            await Connector.insert(
                Connector(
                    evse=evse_id,
                    connector_number=number,
                    standard=connector.standard,
                    format=connector.format,
                    max_voltage_v=connector.max_voltage_v,
                    max_current_a=connector.max_current_a,
                )
            )
    return evse_id


async def authenticate(ctx: Context, identity: str, password: str | None) -> ConnectionDecision:
    """Decide whether a WebSocket for `identity` may open (security profile 1)."""
    if not is_valid_identity(identity):
        return ConnectionDecision(False, reason="invalid_identity")
    station = await (
        ChargeStation.select(
            ChargeStation.id,
            ChargeStation.operator,
            ChargeStation.password_hash,
            ChargeStation.registration_status,
        )
        .where(ChargeStation.identity == identity)
        .first()
    )
    auto_registration = ctx.settings.auto_registration
    if station is None:
        if auto_registration is AutoRegistration.OFF:
            return ConnectionDecision(False, reason="unknown_identity")
        return await _auto_register(ctx, identity, password)
    ref = StationRef(station["id"], station["operator"], identity)
    if station["registration_status"] == RegistrationStatus.REJECTED:
        return ConnectionDecision(False, ref, reason="rejected")
    stored_hash = station["password_hash"]
    if stored_hash is None:
        # Only auto-registered stations that presented no password have none; they may
        # connect while auto-registration is on (the demo), never otherwise.
        if auto_registration is AutoRegistration.OFF:
            return ConnectionDecision(False, ref, reason="no_password_set")
        return ConnectionDecision(True, ref)
    if password is None:
        return ConnectionDecision(False, ref, reason="password_required")
    if not await _password_matches(password, stored_hash):
        return ConnectionDecision(False, ref, reason="wrong_password")
    return ConnectionDecision(True, ref)


async def _password_matches(password: str, stored_hash: str) -> bool:
    key = (stored_hash, hashlib.sha256(password.encode()).hexdigest())
    if key in _verified_credentials:
        return True
    # scrypt is deliberately slow; keep it off the event loop.
    matches = await asyncio.to_thread(passwords.verify_password, password, stored_hash)
    if matches:
        if len(_verified_credentials) >= _VERIFIED_CACHE_MAX:
            _verified_credentials.clear()
        _verified_credentials[key] = True
    return matches


async def _auto_register(ctx: Context, identity: str, password: str | None) -> ConnectionDecision:
    operator_id = await _auto_registration_operator(ctx)
    if operator_id is None:
        log.warning("auto-registration of %s refused: no operator to assign it to", identity)
        return ConnectionDecision(False, reason="no_operator_for_auto_registration")
    status = (
        RegistrationStatus.ACCEPTED
        if ctx.settings.auto_registration is AutoRegistration.ACCEPTED
        else RegistrationStatus.PENDING
    )
    password_hash = None
    if password is not None:
        password_hash = await asyncio.to_thread(passwords.hash_password, password)
    async with database.transaction():
        existing = (
            await ChargeStation.select(ChargeStation.id)
            .where(ChargeStation.identity == identity)
            .first()
        )
        if existing is not None:
            # Another connection registered it a moment ago: authenticate like a known one.
            return await authenticate(ctx, identity, password)
        rows = await ChargeStation.insert(
            ChargeStation(
                operator=operator_id,
                identity=identity,
                password_hash=password_hash,
                registration_status=status,
                auto_registered=True,
                heartbeat_interval_s=ctx.settings.heartbeat_interval_s,
                created_at=ctx.clock.now(),
            )
        ).returning(ChargeStation.id)
    log.info("auto-registered station %s as %s", identity, status.value)
    return ConnectionDecision(
        True, StationRef(rows[0]["id"], operator_id, identity), registered_now=True
    )


async def _auto_registration_operator(ctx: Context) -> int | None:
    query = Operator.select(Operator.id).order_by(Operator.id)
    slug = ctx.settings.auto_registration_operator
    if slug:
        query = query.where(Operator.slug == slug)
    row = await query.first()
    return None if row is None else int(row["id"])


async def mark_connected(ctx: Context, station: StationRef, connection_id: str) -> None:
    now = ctx.clock.now()
    async with database.transaction():
        await ChargeStation.update(
            {
                ChargeStation.connected_node: ctx.settings.node_id,
                ChargeStation.connection_id: connection_id,
                ChargeStation.connected_since: now,
                ChargeStation.last_seen_at: now,
            }
        ).where(ChargeStation.id == station.station_id)
        await _insert_event(
            station.station_id,
            StationEventKind.CONNECTED,
            {"node": ctx.settings.node_id, "connection": connection_id},
            None,
            now,
        )
    await _publish_connection(ctx, station, connection_id, connected=True, at=now)


async def mark_disconnected(ctx: Context, station: StationRef, connection_id: str) -> None:
    now = ctx.clock.now()
    async with database.transaction():
        # A newer connection of the same station (reconnect) may have taken over already.
        dropped = (
            await ChargeStation.update(
                {
                    ChargeStation.connected_node: None,
                    ChargeStation.connection_id: None,
                    ChargeStation.connected_since: None,
                }
            )
            .where(
                (ChargeStation.id == station.station_id)
                & (ChargeStation.connection_id == connection_id)
            )
            .returning(ChargeStation.id)
        )
        if dropped:
            await notifications.station_offline(ctx, station, now)
        await _insert_event(
            station.station_id,
            StationEventKind.DISCONNECTED,
            {"node": ctx.settings.node_id, "connection": connection_id},
            None,
            now,
        )
    await _publish_connection(ctx, station, connection_id, connected=False, at=now)


async def forget_connections_of_node(ctx: Context) -> None:
    """At start-up: this node holds no sockets yet, whatever the database remembers."""
    async with database.transaction():
        await ChargeStation.update(
            {
                ChargeStation.connected_node: None,
                ChargeStation.connection_id: None,
                ChargeStation.connected_since: None,
            }
        ).where(ChargeStation.connected_node == ctx.settings.node_id)


async def _publish_connection(
    ctx: Context, station: StationRef, connection_id: str, *, connected: bool, at: datetime
) -> None:
    event = StationConnectionChanged(
        station.identity, ctx.settings.node_id, connection_id, connected, at
    )
    await ctx.bus.publish(f"station.{station.identity}.connected", msgspec.json.encode(event))


async def boot(ctx: Context, station: StationRef, info: BootInfo) -> BootDecision:
    now = ctx.clock.now()
    async with database.transaction():
        row = (
            await ChargeStation.select(
                ChargeStation.registration_status, ChargeStation.heartbeat_interval_s
            )
            .where(ChargeStation.id == station.station_id)
            .first()
        )
        if row is None:
            raise NotFound(f"station {station.identity} no longer exists")
        await ChargeStation.update(
            {
                ChargeStation.vendor: info.vendor,
                ChargeStation.model: info.model,
                ChargeStation.serial_number: info.serial_number,
                ChargeStation.firmware_version: info.firmware_version,
                ChargeStation.iccid: info.iccid,
                ChargeStation.imsi: info.imsi,
                ChargeStation.meter_type: info.meter_type,
                ChargeStation.meter_serial_number: info.meter_serial_number,
                ChargeStation.last_boot_at: now,
                ChargeStation.last_seen_at: now,
            }
        ).where(ChargeStation.id == station.station_id)
        status = RegistrationStatus(row["registration_status"])
        await _insert_event(
            station.station_id,
            StationEventKind.BOOT,
            {**msgspec.structs.asdict(info), "answer": status.value},
            None,
            now,
        )
    return BootDecision(status, rules.boot_interval_s(status, row["heartbeat_interval_s"]), now)


async def registration_status(station: StationRef) -> RegistrationStatus:
    row = (
        await ChargeStation.select(ChargeStation.registration_status)
        .where(ChargeStation.id == station.station_id)
        .first()
    )
    if row is None:
        return RegistrationStatus.REJECTED
    return RegistrationStatus(row["registration_status"])


async def heartbeat(ctx: Context, station: StationRef) -> datetime:
    now = ctx.clock.now()
    await ChargeStation.update({ChargeStation.last_seen_at: now}).where(
        ChargeStation.id == station.station_id
    )
    return now


async def report_status(ctx: Context, station: StationRef, report: StatusReport) -> None:
    """A StatusNotification: current status, history, and faults opened or resolved."""
    received_at = ctx.clock.now()
    reported_at = as_utc(report.timestamp) if report.timestamp else received_at
    status = rules.normalize_connector_status(report.status)
    async with database.transaction():
        await ConnectorStatusEvent.insert(
            ConnectorStatusEvent(
                station=station.station_id,
                ocpp_connector_id=report.connector_id,
                status=report.status,
                error_code=report.error_code,
                info=report.info,
                vendor_id=report.vendor_id,
                vendor_error_code=report.vendor_error_code,
                charger_timestamp=report.timestamp and as_utc(report.timestamp),
                received_at=received_at,
            )
        )
        if report.connector_id == 0:
            await ChargeStation.update(
                {
                    ChargeStation.status: status,
                    ChargeStation.error_code: report.error_code,
                    ChargeStation.last_seen_at: received_at,
                }
            ).where(ChargeStation.id == station.station_id)
        else:
            connector_id = await _connector_for(station, report.connector_id)
            if connector_id is not None:
                # Queued notifications arrive late after an outage; never let an old one
                # overwrite a newer status.
                await Connector.update(
                    {
                        Connector.status: status,
                        Connector.error_code: report.error_code,
                        Connector.status_at: reported_at,
                    }
                ).where(
                    (Connector.id == connector_id)
                    & (Connector.status_at.is_null() | (Connector.status_at <= reported_at))
                )
        await _update_faults(ctx, station, report, reported_at)
    event = StationStatusChanged(
        station.identity, report.connector_id, status, report.error_code, reported_at
    )
    await ctx.bus.publish(f"station.{station.identity}.status", msgspec.json.encode(event))


async def _update_faults(
    ctx: Context, station: StationRef, report: StatusReport, at: datetime
) -> None:
    open_faults = (
        (Fault.station == station.station_id)
        & (Fault.ocpp_connector_id == report.connector_id)
        & (Fault.status == FaultStatus.OPEN)
    )
    if not rules.is_fault(report.status, report.error_code):
        # Only a report newer than the fault clears it; a late one from a queue does not.
        await Fault.update({Fault.status: FaultStatus.RESOLVED, Fault.resolved_at: at}).where(
            open_faults & (Fault.opened_at <= at)
        )
        return
    if await Fault.exists().where(open_faults & (Fault.error_code == report.error_code)):
        return
    await Fault.insert(
        Fault(
            station=station.station_id,
            ocpp_connector_id=report.connector_id,
            error_code=report.error_code,
            info=report.info,
            vendor_id=report.vendor_id,
            vendor_error_code=report.vendor_error_code,
            opened_at=at,
        )
    )
    await notifications.fault_opened(
        ctx,
        station,
        at,
        connector_id=report.connector_id,
        error_code=report.error_code,
        info=report.info,
        vendor_id=report.vendor_id,
        vendor_error_code=report.vendor_error_code,
    )


async def _connector_for(station: StationRef, ocpp_connector_id: int) -> int | None:
    """The connector behind an OCPP 1.6 connector id; created for stations nobody described."""
    row = (
        await Connector.select(Connector.id)
        .where(
            (Connector.evse.station == station.station_id)
            & (Connector.evse.ocpp_connector_id == ocpp_connector_id)
        )
        .order_by(Connector.connector_number)
        .first()
    )
    if row is not None:
        return int(row["id"])
    if not 1 <= ocpp_connector_id <= rules.MAX_AUTO_CONNECTOR_ID:
        return None
    operator = (
        await Operator.select(Operator.country_code, Operator.party_id)
        .where(Operator.id == station.operator_id)
        .first()
    )
    assert operator is not None
    evse_id = rules.evse_id_for(
        operator["country_code"], operator["party_id"], station.identity, ocpp_connector_id
    )
    if await Evse.exists().where(Evse.evse_id_compact == rules.compact_evse_id(evse_id)):
        evse_id = rules.evse_id_for(
            operator["country_code"],
            operator["party_id"],
            f"S{station.station_id}",
            ocpp_connector_id,
        )
    await add_evse(
        station.station_id,
        EvseSpec(evse_id=evse_id, ocpp_connector_id=ocpp_connector_id, max_power_w=0),
    )
    return await _connector_for(station, ocpp_connector_id)


async def evse_of(station: StationRef, ocpp_connector_id: int) -> int | None:
    row = (
        await Evse.select(Evse.id)
        .where((Evse.station == station.station_id) & (Evse.ocpp_connector_id == ocpp_connector_id))
        .first()
    )
    return None if row is None else int(row["id"])


async def station_time_zone(station: StationRef) -> str:
    """The IANA time zone of the station's site (time-of-day prices, receipts)."""
    row = (
        await ChargeStation.select(ChargeStation.site._.time_zone)
        .where(ChargeStation.id == station.station_id)
        .first()
    )
    zone = None if row is None else row["site.time_zone"]
    return str(zone) if zone else DEFAULT_TIME_ZONE


async def record_event(
    ctx: Context,
    station: StationRef,
    kind: StationEventKind,
    payload: dict[str, Any],
    *,
    charger_timestamp: datetime | None = None,
) -> None:
    """Firmware and diagnostics progress and data transfers: stored as they came."""
    now = ctx.clock.now()
    async with database.transaction():
        if kind is StationEventKind.FIRMWARE_STATUS:
            await ChargeStation.update(
                {ChargeStation.firmware_status: str(payload.get("status", ""))[:32]}
            ).where(ChargeStation.id == station.station_id)
        elif kind is StationEventKind.DIAGNOSTICS_STATUS:
            await ChargeStation.update(
                {ChargeStation.diagnostics_status: str(payload.get("status", ""))[:32]}
            ).where(ChargeStation.id == station.station_id)
        await _insert_event(station.station_id, kind, payload, charger_timestamp, now)


async def _insert_event(
    station_id: int,
    kind: StationEventKind,
    payload: dict[str, Any],
    charger_timestamp: datetime | None,
    received_at: datetime,
) -> None:
    await StationEvent.insert(
        StationEvent(
            station=station_id,
            kind=kind,
            payload=msgspec.json.encode(payload).decode(),
            charger_timestamp=charger_timestamp and as_utc(charger_timestamp),
            received_at=received_at,
        )
    )

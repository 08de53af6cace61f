"""The operator's dashboard: stations live, running sessions, open faults, today's figures.

`snapshot` reads it from the database. `watch` yields a new snapshot whenever something of
the operator moves on the message bus (a station connects or drops, a connector changes
status, a session starts, meters or stops) and at least every `REFRESH_S`; events of other
operators' stations and sessions are ignored, and every snapshot is read for the operator
only, so nothing of anyone else can reach the stream.

"Today" is the calendar day in the operator's time zone: the time zone of its first site
(Europe/Berlin when it has none), named in the snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import msgspec

from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.stations import rules
from cpo.stations.admin import FaultView, StationView, list_faults, list_stations
from cpo.stations.enums import FaultStatus
from cpo.stations.sites import operator_time_zone

# A stream without events still gets a fresh snapshot this often (and proxies see traffic).
REFRESH_S = 15.0
# Several events in a burst make one snapshot.
SETTLE_S = 0.2
MAX_FAULTS_SHOWN = 50


class ActiveSession(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    station_id: int
    station_identity: str
    evse_id: str
    connector_id: int
    # What a remote_stop command names (OCPP 1.6: the session id, as the station was told).
    transaction_id: str | None
    id_tag: str
    started_at: datetime | None
    energy_wh: int | None
    power_w: float | None
    soc_percent: float | None
    last_sample_at: datetime | None


class Revenue(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    gross_minor: int


class Today(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    time_zone: str
    # From the charge detail records of sessions that ended today (credits subtract).
    sessions: int
    energy_wh: int
    revenue: list[Revenue]


class Dashboard(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    stations: list[StationView]
    active_sessions: list[ActiveSession]
    open_faults: list[FaultView]
    open_fault_count: int
    today: Today


async def today(ctx: Context, operator_id: int) -> Today:
    time_zone = await operator_time_zone(operator_id)
    day, start, end = rules.day_window(ctx.clock.now(), time_zone)
    rows = await Cdr.select(Cdr.kind, Cdr.energy_wh, Cdr.currency, Cdr.gross_minor).where(
        (Cdr.operator == operator_id) & (Cdr.stopped_at >= start) & (Cdr.stopped_at < end)
    )
    sessions = 0
    energy_wh = 0
    revenue: dict[str, int] = {}
    for row in rows:
        # A credit cancels a record (its amounts are negated already): its session and energy
        # are taken back here; a rebill that replaces the record counts again.
        sign = -1 if row["kind"] == "credit" else 1
        sessions += sign
        energy_wh += sign * abs(int(row["energy_wh"]))
        revenue[row["currency"]] = revenue.get(row["currency"], 0) + int(row["gross_minor"])
    return Today(
        day=day,
        time_zone=time_zone,
        sessions=max(0, sessions),
        energy_wh=max(0, energy_wh),
        revenue=[Revenue(currency=c, gross_minor=v) for c, v in sorted(revenue.items())],
    )


async def active_sessions(
    operator_id: int, *, station_id: int | None = None
) -> list[ActiveSession]:
    condition: Any = (ChargingSession.operator == operator_id) & (
        ChargingSession.state == SessionState.ACTIVE
    )
    if station_id is not None:
        condition &= ChargingSession.station == station_id
    rows = (
        await ChargingSession.select(
            ChargingSession.id,
            ChargingSession.station,
            ChargingSession.station.identity.as_alias("identity"),
            ChargingSession.evse.evse_id.as_alias("evse_id"),
            ChargingSession.ocpp_connector_id,
            ChargingSession.ocpp_transaction_id,
            ChargingSession.id_tag,
            ChargingSession.started_at,
            ChargingSession.meter_start_wh,
            ChargingSession.last_meter_wh,
            ChargingSession.last_power_w,
            ChargingSession.last_soc_percent,
            ChargingSession.last_sample_at,
        )
        .where(condition)
        .order_by(ChargingSession.started_at, ascending=False)
        .limit(500)
    )
    return [
        ActiveSession(
            id=row["id"],
            station_id=row["station"],
            station_identity=row["identity"],
            evse_id=row["evse_id"] or "",
            connector_id=row["ocpp_connector_id"],
            transaction_id=row["ocpp_transaction_id"],
            id_tag=row["id_tag"],
            started_at=row["started_at"],
            energy_wh=(
                max(0, row["last_meter_wh"] - row["meter_start_wh"])
                if row["last_meter_wh"] is not None and row["meter_start_wh"] is not None
                else None
            ),
            power_w=row["last_power_w"],
            soc_percent=row["last_soc_percent"],
            last_sample_at=row["last_sample_at"],
        )
        for row in rows
    ]


async def snapshot(ctx: Context, operator_id: int) -> Dashboard:
    faults = await list_faults(ctx, operator_id, status=FaultStatus.OPEN)
    return Dashboard(
        at=ctx.clock.now(),
        stations=await list_stations(operator_id),
        active_sessions=await active_sessions(operator_id),
        open_faults=faults[:MAX_FAULTS_SHOWN],
        open_fault_count=len(faults),
        today=await today(ctx, operator_id),
    )


async def watch(ctx: Context, operator_id: int) -> AsyncIterator[Dashboard]:
    """The dashboard now, then again whenever it may have changed (see the module doc)."""
    changes: asyncio.Queue[None] = asyncio.Queue()
    current = await snapshot(ctx, operator_id)
    identities = {station.identity for station in current.stations}
    # A session that starts shows up through its station's status events; meter values of
    # the running ones wake the stream themselves.
    session_ids = {session.id for session in current.active_sessions}
    station_events = await ctx.bus.subscribe("station.*")
    session_events = await ctx.bus.subscribe("session.*")

    async def forward_stations() -> None:
        async for raw in station_events:
            if _about(raw, _station_event, "identity") in identities:
                changes.put_nowait(None)

    async def forward_sessions() -> None:
        async for raw in session_events:
            if _about(raw, _session_event, "session_id") in session_ids:
                changes.put_nowait(None)

    forwarders = [
        asyncio.create_task(forward_stations()),
        asyncio.create_task(forward_sessions()),
    ]
    try:
        yield current
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changes.get(), timeout=REFRESH_S)
                await asyncio.sleep(SETTLE_S)
            while not changes.empty():
                changes.get_nowait()
            current = await snapshot(ctx, operator_id)
            identities = {station.identity for station in current.stations}
            session_ids = {session.id for session in current.active_sessions}
            yield current
    finally:
        for forwarder in forwarders:
            forwarder.cancel()
        await station_events.close()
        await session_events.close()


class _AboutStation(msgspec.Struct):
    identity: str


class _AboutSession(msgspec.Struct):
    session_id: int


_station_event = msgspec.json.Decoder(_AboutStation)
_session_event = msgspec.json.Decoder(_AboutSession)


def _about(raw: bytes, decoder: msgspec.json.Decoder[Any], field: str) -> Any:
    """The station identity or session id an event is about (None if unreadable)."""
    try:
        return getattr(decoder.decode(raw), field)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None

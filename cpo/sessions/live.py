"""A running session as the live view shows it: energy, power, duration and cost so far.

The cost so far is the same pricing function the record uses at the end, applied to what
is known now (start, latest meter reading, now), so the last live figure and the receipt
agree when nothing changes in between. It is computed when asked for, not on every meter
value: most sessions have nobody watching.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from cpo import database
from cpo.context import Context
from cpo.errors import NotFound
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.tariffs.pricing import SessionUsage, UsagePoint, price_session
from cpo.tariffs.schemas import PriceBreakdown, TariffDefinition


class LiveSession(msgspec.Struct, frozen=True, kw_only=True):
    session_id: int
    state: SessionState
    started_at: datetime | None
    stopped_at: datetime | None
    energy_wh: int
    power_w: float | None
    soc_percent: float | None
    duration_s: int
    cost: PriceBreakdown | None
    at: datetime


async def live_session(ctx: Context, session_id: int) -> LiveSession:
    row = (
        await ChargingSession.select(
            ChargingSession.id,
            ChargingSession.state,
            ChargingSession.started_at,
            ChargingSession.stopped_at,
            ChargingSession.meter_start_wh,
            ChargingSession.last_meter_wh,
            ChargingSession.last_power_w,
            ChargingSession.last_soc_percent,
            ChargingSession.last_sample_at,
            ChargingSession.energy_wh,
            ChargingSession.tariff_snapshot,
            ChargingSession.time_zone,
        )
        .where(ChargingSession.id == session_id)
        .first()
    )
    if row is None:
        raise NotFound("no such charging session", code="session_not_found")
    now = ctx.clock.now()
    state = SessionState(row["state"])
    started = row["started_at"] or now
    if state is SessionState.COMPLETED:
        ended = row["stopped_at"] or now
        energy = row["energy_wh"] or 0
        reading_at = ended
    else:
        ended = max(now, started)
        energy = max(0, (row["last_meter_wh"] or 0) - (row["meter_start_wh"] or 0))
        reading_at = row["last_sample_at"] or started
    cost = None
    if row["tariff_snapshot"] is not None:
        definition = database.from_json_column(row["tariff_snapshot"], TariffDefinition)
        usage = SessionUsage(started, ended, (UsagePoint(min(reading_at, ended), energy),))
        cost = price_session(definition, usage, row["time_zone"])
    return LiveSession(
        session_id=row["id"],
        state=state,
        started_at=row["started_at"],
        stopped_at=row["stopped_at"],
        energy_wh=energy,
        power_w=row["last_power_w"] if state is SessionState.ACTIVE else None,
        soc_percent=row["last_soc_percent"],
        duration_s=round((ended - started).total_seconds()),
        cost=cost,
        at=now,
    )

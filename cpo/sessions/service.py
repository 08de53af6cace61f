"""Session use cases: StartTransaction and StopTransaction as the charger reports them.

Both are idempotent: a retried message (its answer was lost) gets the same answer and
changes nothing twice. A stop is never refused, whatever we know about its transaction.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from cpo import database
from cpo.cdrs.service import issue_cdr_quietly
from cpo.clock import as_utc
from cpo.context import Context
from cpo.payments import ad_hoc
from cpo.sessions import rules
from cpo.sessions.enums import ReconciliationReason, SessionState
from cpo.sessions.samples import insert_samples, sample_rows
from cpo.sessions.schemas import (
    SessionUpdated,
    StartReport,
    StartResult,
    StopReport,
    StopResult,
)
from cpo.sessions.tables import ChargingSession, MeterSample
from cpo.stations.schemas import StationRef
from cpo.stations.service import evse_of, station_time_zone
from cpo.tariffs.service import tariff_for_session
from cpo.tokens import service as tokens
from cpo.tokens.enums import AuthorizationStatus, TokenType
from cpo.tokens.schemas import Authorization

log = logging.getLogger(__name__)


async def start_transaction(ctx: Context, station: StationRef, report: StartReport) -> StartResult:
    key = rules.start_key(station.station_id, report)
    received_at = ctx.clock.now()
    # A roaming partner may have to be asked about the token: that happens here, outside the
    # transaction; the decision inside it reuses the answer.
    await tokens.consult_roaming_partner(ctx, station, report.id_tag)
    async with database.transaction():
        existing = (
            await ChargingSession.select(
                ChargingSession.id,
                ChargingSession.ocpp_transaction_id,
                ChargingSession.authorization_status,
            )
            .where(ChargingSession.start_key == key)
            .first()
        )
        if existing is not None:
            authorization = await tokens.authorize(
                ctx, station, report.id_tag, for_session_id=existing["id"], ask_partner=False
            )
            answer = msgspec.structs.replace(
                authorization, status=AuthorizationStatus(existing["authorization_status"])
            )
            return StartResult(existing["id"], existing["ocpp_transaction_id"], answer)

        authorization = await tokens.authorize(ctx, station, report.id_tag, ask_partner=False)
        evse_pk = await evse_of(station, report.connector_id)
        tariff = await tariff_for_session(
            station.operator_id,
            evse_pk=evse_pk,
            customer_group=await tokens.customer_group(authorization.token_id),
            at=received_at,
        )
        rows = await ChargingSession.insert(
            ChargingSession(
                operator=station.operator_id,
                station=station.station_id,
                evse=evse_pk,
                tariff=tariff and tariff.tariff_id,
                tariff_version=tariff and tariff.version,
                tariff_snapshot=tariff and msgspec.json.encode(tariff.definition).decode(),
                time_zone=await station_time_zone(station),
                ocpp_connector_id=report.connector_id,
                start_key=key,
                state=SessionState.ACTIVE,
                id_tag=report.id_tag,
                id_token=authorization.token_id,
                authorization_status=authorization.status,
                reservation_id=report.reservation_id,
                started_at=as_utc(report.timestamp),
                start_received_at=received_at,
                meter_start_wh=report.meter_start_wh,
                last_meter_wh=report.meter_start_wh,
                created_at=received_at,
            )
        ).returning(ChargingSession.id)
        session_id: int = rows[0]["id"]
        # OCPP 1.6: the central system assigns the transaction id; ours is the session id.
        transaction_id = str(session_id)
        await _retire_orphan_with_transaction_id(station, transaction_id)
        await ChargingSession.update({ChargingSession.ocpp_transaction_id: transaction_id}).where(
            ChargingSession.id == session_id
        )
        await _adopt_orphan_samples(station, transaction_id, session_id)
        ad_hoc_session = None
        if (
            authorization.token_type is TokenType.AD_HOC_USER
            and authorization.token_id is not None
            and authorization.status is AuthorizationStatus.ACCEPTED
        ):
            ad_hoc_session = await ad_hoc.bind_started_session(
                session_id, authorization.token_id, received_at
            )
    await _publish(ctx, session_id, SessionState.ACTIVE, 0, None, received_at)
    if ad_hoc_session is not None:
        await ad_hoc.announce(ctx, ad_hoc_session)
    return StartResult(session_id, transaction_id, authorization)


async def stop_transaction(ctx: Context, station: StationRef, report: StopReport) -> StopResult:
    received_at = ctx.clock.now()
    stopped_at = as_utc(report.timestamp)
    async with database.transaction():
        session = (
            await ChargingSession.select(
                ChargingSession.id,
                ChargingSession.state,
                ChargingSession.meter_start_wh,
                ChargingSession.ocpp_connector_id,
            )
            .where(
                (ChargingSession.station == station.station_id)
                & (ChargingSession.ocpp_transaction_id == report.transaction_id)
            )
            .first()
        )
        if session is not None and session["state"] == SessionState.COMPLETED:
            session_id: int = session["id"]
            authorization = await _stop_authorization(ctx, station, report, session_id)
            return StopResult(session_id, authorization)

        if session is None:
            session_id, energy, meter_start = await _record_orphan_stop(
                station, report, received_at
            )
            connector_id = 0
        else:
            session_id = session["id"]
            meter_start = session["meter_start_wh"]
            connector_id = session["ocpp_connector_id"]
            energy, reason = rules.energy_wh(meter_start, report.meter_stop_wh)
            await ChargingSession.update(
                {
                    ChargingSession.state: SessionState.COMPLETED,
                    ChargingSession.stopped_at: stopped_at,
                    ChargingSession.stop_received_at: received_at,
                    ChargingSession.stop_reason: report.reason or "",
                    ChargingSession.stop_id_tag: report.id_tag or "",
                    ChargingSession.meter_stop_wh: report.meter_stop_wh,
                    ChargingSession.last_meter_wh: report.meter_stop_wh,
                    ChargingSession.energy_wh: energy,
                    ChargingSession.needs_reconciliation: reason is not None,
                    ChargingSession.reconciliation_reason: reason or "",
                }
            ).where(ChargingSession.id == session_id)
        await insert_samples(
            sample_rows(
                station_id=station.station_id,
                session_id=session_id,
                connector_id=connector_id,
                transaction_id=report.transaction_id,
                readings=report.transaction_data,
                received_at=received_at,
            )
        )
        authorization = await _stop_authorization(ctx, station, report, session_id)
    await _publish(ctx, session_id, SessionState.COMPLETED, energy, None, stopped_at)
    await issue_cdr_quietly(ctx, session_id)
    await ad_hoc.settle_quietly(ctx, session_id)
    return StopResult(session_id, authorization)


async def _record_orphan_stop(
    station: StationRef, report: StopReport, received_at: Any
) -> tuple[int, int | None, int | None]:
    """A stop for a transaction we never saw (lost start, restored database, another system).

    It is kept as a completed session flagged for reconciliation: energy is known only if the
    transaction data carries the begin reading.
    """
    begin = rules.transaction_begin_wh(report.transaction_data)
    meter_start = begin[0] if begin else None
    energy, reason = rules.energy_wh(meter_start, report.meter_stop_wh)
    rows = await ChargingSession.insert(
        ChargingSession(
            operator=station.operator_id,
            station=station.station_id,
            ocpp_connector_id=0,
            ocpp_transaction_id=report.transaction_id,
            state=SessionState.COMPLETED,
            id_tag=report.id_tag or "",
            authorization_status=AuthorizationStatus.INVALID,
            started_at=begin[1] if begin else None,
            stopped_at=as_utc(report.timestamp),
            stop_received_at=received_at,
            stop_reason=report.reason or "",
            stop_id_tag=report.id_tag or "",
            meter_start_wh=meter_start,
            meter_stop_wh=report.meter_stop_wh,
            last_meter_wh=report.meter_stop_wh,
            energy_wh=energy,
            needs_reconciliation=True,
            reconciliation_reason=ReconciliationReason.STOP_WITHOUT_START
            if meter_start is None
            else (reason or ReconciliationReason.STOP_WITHOUT_START),
            created_at=received_at,
        )
    ).returning(ChargingSession.id)
    session_id: int = rows[0]["id"]
    log.warning(
        "stop for unknown transaction %s of %s kept as session %s for reconciliation",
        report.transaction_id,
        station.identity,
        session_id,
    )
    await _adopt_orphan_samples(station, report.transaction_id, session_id)
    return session_id, energy, meter_start


async def _retire_orphan_with_transaction_id(station: StationRef, transaction_id: str) -> None:
    """An orphan stop may have used the number we now assign: the live session gets it, and
    the orphan keeps the number with a suffix so that nothing reported is lost."""
    orphans = await ChargingSession.select(ChargingSession.id).where(
        (ChargingSession.station == station.station_id)
        & (ChargingSession.ocpp_transaction_id == transaction_id)
        & (ChargingSession.needs_reconciliation.eq(True))
    )
    for orphan in orphans:
        await ChargingSession.update(
            {ChargingSession.ocpp_transaction_id: f"{transaction_id}~{orphan['id']}"}
        ).where(ChargingSession.id == orphan["id"])


async def _adopt_orphan_samples(station: StationRef, transaction_id: str, session_id: int) -> None:
    """Meter values that arrived before we knew their transaction now belong to it."""
    await MeterSample.update({MeterSample.session: session_id}).where(
        (MeterSample.station == station.station_id)
        & (MeterSample.ocpp_transaction_id == transaction_id)
        & MeterSample.session.is_null()
    )


async def _stop_authorization(
    ctx: Context, station: StationRef, report: StopReport, session_id: int
) -> Authorization | None:
    if not report.id_tag:
        return None
    return await tokens.authorize(
        ctx, station, report.id_tag, for_session_id=session_id, ask_partner=False
    )


async def _publish(
    ctx: Context,
    session_id: int,
    state: SessionState,
    energy_wh: int | None,
    power_w: float | None,
    at: Any,
) -> None:
    event = SessionUpdated(session_id, state, energy_wh, power_w, None, at)
    await ctx.bus.publish(f"session.{session_id}.updated", msgspec.json.encode(event))

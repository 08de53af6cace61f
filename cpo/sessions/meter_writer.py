"""Group commit for meter values: the OCPP hot path.

Every MeterValues message is acknowledged only after its samples are committed, so a
charger never discards a reading we do not have. Messages arriving while a commit runs are
written together in the next one: under load many chargers share one transaction (and one
fsync), at low load a message waits for nothing but its own commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from datetime import datetime
from typing import Any

import msgspec

from cpo import database
from cpo.context import Context
from cpo.sessions import rules
from cpo.sessions.enums import SessionState
from cpo.sessions.samples import INSERT_SAMPLES, sample_rows
from cpo.sessions.schemas import LiveValues, MeterReport, SessionUpdated
from cpo.sessions.tables import ChargingSession
from cpo.stations.schemas import StationRef

log = logging.getLogger(__name__)

SESSION_CACHE_SIZE = 50_000


class _Job(msgspec.Struct):
    station: StationRef
    report: MeterReport
    received_at: datetime
    done: asyncio.Future[None]


class _KnownSession(msgspec.Struct, frozen=True):
    session_id: int
    meter_start_wh: int | None


class MeterWriter:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._max_rows = ctx.settings.meter_write_batch_max
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # (station id, transaction id) → session; a session's identity never changes.
        self._sessions: OrderedDict[tuple[int, str], _KnownSession] = OrderedDict()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="meter-writer")

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        task, self._task = self._task, None
        if task is None:
            return
        while not self._queue.empty():
            await self._flush(self._take_batch())
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def write(self, station: StationRef, report: MeterReport) -> None:
        """Store the samples of one MeterValues message; returns once they are committed."""
        if self._task is None:
            raise RuntimeError("the meter writer is not running")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(station, report, self._ctx.clock.now(), done))
        await done

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            await self._flush([first, *self._take_batch(already=1)])

    def _take_batch(self, already: int = 0) -> list[_Job]:
        jobs: list[_Job] = []
        rows = already
        while rows < self._max_rows and not self._queue.empty():
            job = self._queue.get_nowait()
            jobs.append(job)
            rows += sum(len(reading.values) for reading in job.report.readings) or 1
        return jobs

    async def _flush(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        try:
            updates = await self._write(jobs)
        except Exception as error:  # every waiting charger must hear about the failure
            log.exception("writing %d meter value messages failed", len(jobs))
            for job in jobs:
                if not job.done.done():
                    job.done.set_exception(error)
            return
        for job in jobs:
            if not job.done.done():
                job.done.set_result(None)
        for event in updates:
            await self._ctx.bus.publish(
                f"session.{event.session_id}.updated", msgspec.json.encode(event)
            )

    async def _write(self, jobs: list[_Job]) -> list[SessionUpdated]:
        sessions = await self._resolve_sessions(jobs)
        rows: list[tuple[Any, ...]] = []
        latest: dict[int, LiveValues] = {}
        for job in jobs:
            transaction_id = job.report.transaction_id
            known = (
                sessions.get((job.station.station_id, transaction_id))
                if transaction_id is not None
                else None
            )
            rows.extend(
                sample_rows(
                    station_id=job.station.station_id,
                    session_id=known.session_id if known else None,
                    connector_id=job.report.connector_id,
                    transaction_id=transaction_id,
                    readings=job.report.readings,
                    received_at=job.received_at,
                )
            )
            if known is None:
                continue
            live = rules.live_values(job.report.readings)
            if live is not None and (
                known.session_id not in latest or latest[known.session_id].at <= live.at
            ):
                latest[known.session_id] = _merge(latest.get(known.session_id), live)
        await database.write_batch(
            [
                (INSERT_SAMPLES, rows),
                (
                    UPDATE_LIVE_VALUES,
                    [
                        (
                            live.at,
                            live.meter_wh,
                            live.power_w,
                            live.soc_percent,
                            session_id,
                            live.at,
                        )
                        for session_id, live in latest.items()
                    ],
                ),
            ]
        )
        meter_starts = {known.session_id: known.meter_start_wh for known in sessions.values()}
        return [
            SessionUpdated(
                session_id,
                SessionState.ACTIVE,
                _energy(live.meter_wh, meter_starts.get(session_id)),
                live.power_w,
                live.soc_percent,
                live.at,
            )
            for session_id, live in latest.items()
        ]

    async def _resolve_sessions(self, jobs: list[_Job]) -> dict[tuple[int, str], _KnownSession]:
        wanted = {
            (job.station.station_id, job.report.transaction_id)
            for job in jobs
            if job.report.transaction_id is not None
        }
        found: dict[tuple[int, str], _KnownSession] = {}
        for key in wanted:
            cached = self._sessions.get(key)
            if cached is not None:
                self._sessions.move_to_end(key)
                found[key] = cached
                continue
            station_id, transaction_id = key
            row = (
                await ChargingSession.select(ChargingSession.id, ChargingSession.meter_start_wh)
                .where(
                    (ChargingSession.station == station_id)
                    & (ChargingSession.ocpp_transaction_id == transaction_id)
                )
                .first()
            )
            if row is None:
                continue  # not known yet: kept unlinked, adopted when the session appears
            known = _KnownSession(row["id"], row["meter_start_wh"])
            found[key] = known
            self._sessions[key] = known
            if len(self._sessions) > SESSION_CACHE_SIZE:
                self._sessions.popitem(last=False)
        return found


def _merge(previous: LiveValues | None, newer: LiveValues) -> LiveValues:
    """Newer values win; a value the newer reading lacks is kept from the previous one."""
    if previous is None:
        return newer
    return LiveValues(
        at=newer.at,
        meter_wh=newer.meter_wh if newer.meter_wh is not None else previous.meter_wh,
        power_w=newer.power_w if newer.power_w is not None else previous.power_w,
        soc_percent=newer.soc_percent if newer.soc_percent is not None else previous.soc_percent,
    )


def _energy(meter_wh: int | None, meter_start_wh: int | None) -> int | None:
    if meter_wh is None or meter_start_wh is None:
        return None
    return max(0, meter_wh - meter_start_wh)


# Late samples (queued by an offline charger) never overwrite newer live values, and a
# finished session keeps the values of its stop.
UPDATE_LIVE_VALUES = """
UPDATE charging_sessions SET
    last_sample_at = ?,
    last_meter_wh = COALESCE(?, last_meter_wh),
    last_power_w = COALESCE(?, last_power_w),
    last_soc_percent = COALESCE(?, last_soc_percent)
WHERE id = ? AND state = 'active' AND (last_sample_at IS NULL OR last_sample_at <= ?)
"""

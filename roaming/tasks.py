"""Background work of the roaming adapter, run by every node (all of it is idempotent):
watch sessions and stations, queue what partners must be told, deliver the pushes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

import msgspec

from cpo.context import Context
from cpo.stations.schemas import StationConnectionChanged, StationStatusChanged
from roaming import commands, locations, pushes, sessions
from roaming.client import PartnerClient

log = logging.getLogger(__name__)

TRACK_INTERVAL_S = 5.0
# Meter values wake the tracker often; it runs at most this often however many arrive.
TRACK_SPACING_S = 1.0
SEND_INTERVAL_S = 2.0
# Delivered pushes older than a month are dropped about once an hour.
PURGE_EVERY_ROUNDS = 1800
StationEvent = StationStatusChanged | StationConnectionChanged


class RoamingWorker:
    def __init__(self, ctx: Context, client: PartnerClient) -> None:
        self.ctx = ctx
        self.client = client
        self.track_now = asyncio.Event()
        self.send_now = asyncio.Event()

    def tasks(self) -> list[Coroutine[Any, Any, None]]:
        return [
            self.track_forever(),
            self.send_forever(),
            self.watch_sessions(),
            self.watch_stations(),
        ]

    async def _wait(self, event: asyncio.Event, interval_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), interval_s)
        event.clear()

    async def track_forever(self) -> None:
        while True:
            await self._wait(self.track_now, TRACK_INTERVAL_S)
            try:
                queued = await sessions.track(self.ctx)
                queued += await commands.time_out_orphans(self.ctx)
                if queued:
                    self.send_now.set()
            except Exception:  # retried on the next round
                log.exception("tracking roaming sessions failed")
            await asyncio.sleep(TRACK_SPACING_S)

    async def send_forever(self) -> None:
        rounds = 0
        while True:
            await self._wait(self.send_now, SEND_INTERVAL_S)
            try:
                await pushes.send_due(self.ctx, self.client)
                rounds += 1
                if rounds % PURGE_EVERY_ROUNDS == 1:
                    await pushes.purge_sent(self.ctx)
            except Exception:  # retried on the next round
                log.exception("sending pushes to roaming partners failed")

    async def watch_sessions(self) -> None:
        subscription = await self.ctx.bus.subscribe("session.*")
        try:
            async for _ in subscription:
                self.track_now.set()
        finally:
            await subscription.close()

    async def watch_stations(self) -> None:
        subscription = await self.ctx.bus.subscribe("station.*")
        try:
            async for raw in subscription:
                try:
                    event = msgspec.json.decode(raw, type=StationEvent)
                except (msgspec.ValidationError, msgspec.DecodeError):
                    continue
                if not isinstance(event, StationStatusChanged):
                    continue
                try:
                    if await locations.push_status_change(self.ctx, event):
                        self.send_now.set()
                except Exception:  # a missed status is what partners re-read with GET
                    log.exception("queueing a status change for partners failed")
        finally:
            await subscription.close()

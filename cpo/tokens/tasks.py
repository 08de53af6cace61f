"""The pusher: sends queued card changes to stations (cpo/tokens/pushes.py) on every node.

It wakes when a change is committed (`tokens.push` on the bus), when a station with pushes
waiting for it connects or reports (`station.*`), and every few seconds for retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

import msgspec

from cpo.context import Context
from cpo.tokens import pushes

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 5.0


class _StationEvent(msgspec.Struct, frozen=True):
    identity: str


async def push_cards_forever(ctx: Context, interval_s: float = SWEEP_INTERVAL_S) -> None:
    wake = asyncio.Event()
    waiting: set[str] = set()
    listeners = [
        asyncio.create_task(_wake_on_changes(ctx, wake), name="card-push-wake"),
        asyncio.create_task(_wake_on_stations(ctx, wake, waiting), name="card-push-stations"),
    ]
    running: dict[int, asyncio.Task[None]] = {}
    try:
        while True:
            wake.clear()
            try:
                for station_id in await pushes.due_stations(ctx.clock.now()):
                    if station_id not in running:
                        task = asyncio.create_task(
                            _push(ctx, station_id), name=f"card-push-{station_id}"
                        )
                        running[station_id] = task
                        task.add_done_callback(functools.partial(_forget, running, station_id))
                waiting.clear()
                waiting.update(await pushes.waiting_identities())
            except Exception:  # retried next round
                log.exception("looking for card pushes failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), interval_s)
    finally:
        for task in [*listeners, *running.values()]:
            task.cancel()
        await asyncio.gather(*listeners, *running.values(), return_exceptions=True)


def _forget(running: dict[int, asyncio.Task[None]], station_id: int, _: asyncio.Task[None]) -> None:
    running.pop(station_id, None)


async def _push(ctx: Context, station_id: int) -> None:
    try:
        await pushes.push_station(ctx, station_id)
    except Exception:  # the row stays pending and is tried again
        log.exception("pushing cards to station %s failed", station_id)


async def _wake_on_changes(ctx: Context, wake: asyncio.Event) -> None:
    subscription = await ctx.bus.subscribe(pushes.WAKE_TOPIC)
    try:
        async for _ in subscription:
            wake.set()
    finally:
        await subscription.close()


async def _wake_on_stations(ctx: Context, wake: asyncio.Event, waiting: set[str]) -> None:
    subscription = await ctx.bus.subscribe("station.*")
    decoder = msgspec.json.Decoder(_StationEvent)
    try:
        async for raw in subscription:
            try:
                identity = decoder.decode(raw).identity
            except msgspec.DecodeError:
                continue
            if identity not in waiting:
                continue
            try:
                await pushes.station_reconnected(identity, ctx.clock.now())
            except Exception:  # the periodic sweep retries
                log.exception("rescheduling card pushes for %s failed", identity)
            wake.set()
    finally:
        await subscription.close()

"""Background work of payments: the sweeper (ad hoc payments, methods on file, off-session
charges), and the guard that stops an ad hoc session before its cost reaches the hold."""

from __future__ import annotations

import asyncio
import logging
import time

import msgspec

from cpo.context import Context
from cpo.payments import ad_hoc, off_session, saved_methods
from cpo.payments.enums import AdHocState
from cpo.payments.tables import AdHocSession
from cpo.sessions.enums import SessionState
from cpo.sessions.schemas import SessionUpdated

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 5.0
# Which charging sessions are ad hoc is re-read this often (new ones start all the time).
GUARDED_REFRESH_S = 5.0


# What the payment sweeper finishes each round: ad hoc sessions and their payments, setups
# of methods on file a lost webhook left pending (and detaches), off-session charges.
SWEEPS = (ad_hoc.sweep, saved_methods.sweep, off_session.sweep)


async def sweep_payments_forever(ctx: Context, interval_s: float = SWEEP_INTERVAL_S) -> None:
    while True:
        for sweep in SWEEPS:
            try:
                await sweep(ctx)
            except Exception:  # retried next round
                log.exception("the payment sweep %s failed", sweep.__module__)
        await asyncio.sleep(interval_s)


async def guard_holds_forever(ctx: Context) -> None:
    """Watch meter updates of ad hoc sessions; stop one when its cost nears its hold."""
    subscription = await ctx.bus.subscribe("session.*")
    guarded: set[int] = set()
    refreshed = 0.0
    decoder = msgspec.json.Decoder(SessionUpdated)
    try:
        async for raw in subscription:
            if time.monotonic() - refreshed > GUARDED_REFRESH_S:
                guarded = await _charging_ad_hoc_sessions()
                refreshed = time.monotonic()
            try:
                event = decoder.decode(raw)
            except msgspec.DecodeError:
                continue
            if event.session_id not in guarded or event.state is not SessionState.ACTIVE:
                continue
            try:
                await ad_hoc.guard_hold(ctx, event.session_id)
            except Exception:  # the next meter value checks again
                log.exception("checking the hold of session %s failed", event.session_id)
    finally:
        await subscription.close()


async def _charging_ad_hoc_sessions() -> set[int]:
    rows = await AdHocSession.select(AdHocSession.charging_session).where(
        (AdHocSession.state == AdHocState.CHARGING) & AdHocSession.charging_session.is_not_null()
    )
    return {int(row["charging_session"]) for row in rows}

"""The sweeper that sends operators' notifications (see notifications.service)."""

from __future__ import annotations

import asyncio
import logging

from cpo.context import Context
from cpo.notifications.service import deliver_due

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 1.0


async def deliver_notifications_forever(ctx: Context, interval_s: float = SWEEP_INTERVAL_S) -> None:
    while True:
        try:
            await deliver_due(ctx)
        except Exception:  # a failed round is retried on the next one
            log.exception("delivering notifications failed")
        await asyncio.sleep(interval_s)

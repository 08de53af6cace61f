"""The sweeper that sends what every outbox holds: the operators' network notifications
(notifications.service) and the invoice events of the billing webhook (billing.events),
through one loop (notifications.delivery)."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from cpo.billing import events as invoice_events
from cpo.context import Context
from cpo.notifications import delivery
from cpo.notifications.service import NETWORK_OUTBOX

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 1.0
OUTBOXES: Final = (NETWORK_OUTBOX, invoice_events.OUTBOX)


async def deliver_due(ctx: Context) -> int:
    """Send whatever is due in every outbox; returns how many went out."""
    return await delivery.deliver_due(ctx, OUTBOXES)


async def deliver_notifications_forever(ctx: Context, interval_s: float = SWEEP_INTERVAL_S) -> None:
    while True:
        try:
            await deliver_due(ctx)
        except Exception:  # a failed round is retried on the next one
            log.exception("delivering notifications failed")
        await asyncio.sleep(interval_s)

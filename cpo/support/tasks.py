"""Retries staff replies whose mail to the driver failed (see support.service)."""

from __future__ import annotations

import asyncio
import logging

from cpo.context import Context
from cpo.support.service import send_pending_replies

log = logging.getLogger(__name__)

RETRY_INTERVAL_S = 120.0


async def mail_replies_forever(ctx: Context, interval_s: float = RETRY_INTERVAL_S) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            sent = await send_pending_replies(ctx)
            if sent:
                log.info("mailed %d replies to support tickets", sent)
        except Exception:  # a failed round is retried on the next one
            log.exception("mailing replies to support tickets failed")

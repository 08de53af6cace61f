"""The sweeper that issues records a crash left out (see cdrs.service)."""

from __future__ import annotations

import asyncio
import logging

from cpo.cdrs.service import issue_missing_cdrs
from cpo.context import Context

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 60.0


async def sweep_cdrs_forever(ctx: Context, interval_s: float = SWEEP_INTERVAL_S) -> None:
    while True:
        try:
            issued = await issue_missing_cdrs(ctx)
            if issued:
                log.info("issued %d missing charge detail records", issued)
        except Exception:  # a failed sweep is retried on the next round
            log.exception("sweeping for missing charge detail records failed")
        await asyncio.sleep(interval_s)

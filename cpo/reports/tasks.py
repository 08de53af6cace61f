"""The month-end worker: each node checks now and then whether last month's reports exist
and makes the missing ones. Several nodes may check at once: the report's unique key lets
one of them write it and the others nothing (cpo/reports/service.py)."""

from __future__ import annotations

import asyncio
import logging

from cpo.context import Context
from cpo.reports.service import generate_due_reports

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 600.0
# The first check waits a little: a node that starts is busy enough (and a report made a
# minute late is as good).
FIRST_CHECK_AFTER_S = 60.0


async def make_monthly_reports_forever(
    ctx: Context,
    interval_s: float = CHECK_INTERVAL_S,
    first_after_s: float = FIRST_CHECK_AFTER_S,
) -> None:
    await asyncio.sleep(first_after_s)
    while True:
        try:
            await generate_due_reports(ctx)
        except Exception:  # tried again on the next round
            log.exception("making the monthly reports failed")
        await asyncio.sleep(interval_s)

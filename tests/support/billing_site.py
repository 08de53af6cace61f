"""What the billing API tests share: the operator's script (the demo's API token) and Anna
charging last month with her card at DEMO-AC-1."""

from __future__ import annotations

from datetime import timedelta

import httpx

from cpo.billing import rules
from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN
from cpo.sessions import service as sessions
from cpo.sessions.schemas import StartReport, StopReport
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation
from tests.support.accounts import AccountsPlatform

ANNAS_CARD = "04A2B3C4D5E6F7"


def script(site: AccountsPlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    )


async def anna_charges_last_month(ctx: Context, *energies_wh: int) -> rules.Period:
    """One two-hour session per energy (20 kWh when none is given), ten days before the
    month's end and then a day apart."""
    period = rules.month_before(ctx.clock.now())
    row = await ChargeStation.select().where(ChargeStation.identity == "DEMO-AC-1").first()
    assert row is not None
    ref = StationRef(row["id"], row["operator"], "DEMO-AC-1")
    for day, energy_wh in enumerate(energies_wh or (20_000,)):
        start = period.ends_at - timedelta(days=10 - day)
        started = await sessions.start_transaction(
            ctx,
            ref,
            StartReport(connector_id=1, id_tag=ANNAS_CARD, meter_start_wh=0, timestamp=start),
        )
        await sessions.stop_transaction(
            ctx,
            ref,
            StopReport(
                transaction_id=started.transaction_id,
                meter_stop_wh=energy_wh,
                timestamp=start + timedelta(hours=2),
                id_tag=ANNAS_CARD,
            ),
        )
    return period

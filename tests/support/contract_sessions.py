"""Sessions of contract customers' cards at the demo station DEMO-AC-1, at moments the test
chooses, through the services the OCPP bridge calls for Start- and StopTransaction (each
stop writes the charge detail record, as at a real charger)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cpo.context import Context
from cpo.sessions import service as sessions
from cpo.sessions.schemas import StartReport, StartResult, StopReport
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation
from tests.support.charging_month import SettableClock

STATION = "DEMO-AC-1"


class Charger:
    """DEMO-AC-1 as the card's holder uses it: card on, charge, card off."""

    def __init__(self, base: Context) -> None:
        self.clock = SettableClock()
        self.ctx = Context(base.settings, base.bus, self.clock, base.payments, base.mailer)
        self.meter_wh = 1_000_000

    async def station(self) -> StationRef:
        row = (
            await ChargeStation.select(ChargeStation.id, ChargeStation.operator)
            .where(ChargeStation.identity == STATION)
            .first()
        )
        assert row is not None
        return StationRef(row["id"], row["operator"], STATION)

    async def start(self, uid: str, at: datetime, connector_id: int = 1) -> StartResult:
        self.clock.at = at
        return await sessions.start_transaction(
            self.ctx,
            await self.station(),
            StartReport(
                connector_id=connector_id, id_tag=uid, meter_start_wh=self.meter_wh, timestamp=at
            ),
        )

    async def stop(self, started: StartResult, at: datetime, energy_wh: int) -> None:
        self.clock.at = at
        self.meter_wh += energy_wh
        await sessions.stop_transaction(
            self.ctx,
            await self.station(),
            StopReport(
                transaction_id=started.transaction_id,
                meter_stop_wh=self.meter_wh,
                timestamp=at,
                reason="Local",
            ),
        )

    async def charge(self, uid: str, at: datetime, energy_wh: int) -> int:
        """One finished session of an hour; its id."""
        started = await self.start(uid, at)
        await self.stop(started, at + timedelta(hours=1), energy_wh)
        return started.session_id

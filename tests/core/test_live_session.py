"""The cost so far of a running session, and that it agrees with the record at the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cpo.cdrs import service as cdrs
from cpo.context import Context
from cpo.sessions import service as sessions
from cpo.sessions.live import live_session
from cpo.sessions.meter_writer import MeterWriter
from cpo.sessions.schemas import MeterReading, MeterReport, SampledValue, StartReport, StopReport
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


async def test_cost_so_far_then_the_same_price_on_the_record(demo: Context) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    clock = FixedClock(start)
    ctx = Context(demo.settings, demo.bus, clock)
    row = await ChargeStation.select().where(ChargeStation.identity == "DEMO-AC-1").first()
    assert row is not None
    station = StationRef(row["id"], row["operator"], "DEMO-AC-1")
    started = await sessions.start_transaction(
        ctx,
        station,
        StartReport(connector_id=1, id_tag="04A2B3C4D5E6F7", meter_start_wh=1_000, timestamp=start),
    )
    writer = MeterWriter(ctx)
    await writer.start()
    clock.moment = start + timedelta(minutes=30)
    await writer.write(
        station,
        MeterReport(
            connector_id=1,
            transaction_id=started.transaction_id,
            readings=(
                MeterReading(
                    clock.moment,
                    (
                        SampledValue(value="6500"),
                        SampledValue(value="11000", measurand="Power.Active.Import", unit="W"),
                    ),
                ),
            ),
        ),
    )
    await writer.stop()
    live = await live_session(ctx, started.session_id)
    # 5.5 kWh under the demo's AC tariff (0.49 €/kWh) = 2.695 € → 2.70 €.
    assert (live.energy_wh, live.power_w, live.duration_s) == (5_500, 11_000.0, 1800)
    assert live.cost is not None
    assert live.cost.gross_minor == 270

    await sessions.stop_transaction(
        ctx,
        station,
        StopReport(
            transaction_id=started.transaction_id, meter_stop_wh=6_500, timestamp=clock.moment
        ),
    )
    record = await cdrs.cdr_of_session(started.session_id)
    finished = await live_session(ctx, started.session_id)
    assert record is not None
    assert finished.cost is not None
    assert record.gross_minor == finished.cost.gross_minor == 270
    assert finished.power_w is None

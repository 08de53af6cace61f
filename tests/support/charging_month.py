"""A month of charging at the demo station DEMO-AC-1, through the same services the OCPP
bridge calls for a charger's messages (connect, StatusNotification, Start- and
StopTransaction, disconnect), with a clock set to each moment — no rows written by hand
except the roaming partner's token, which OCPI will bring (issue 8).

What happens, in the operator's time zone (Europe/Berlin):
- the station connects an hour before the month starts and stays connected, except on the
  15th from 00:00 to 06:00 (6 h);
- its connector 1 is faulted on the 10th from 10:00 to 14:00 (4 h);
- every day at 08:00 one session of one hour on connector 1, with 5 kWh plus 100 Wh per
  day of the month; the card takes turns: contract (Anna's card), ad hoc, roaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cpo.context import Context
from cpo.operators.tables import Operator
from cpo.reports.rules import PaymentKind, month_span
from cpo.sessions import service as sessions
from cpo.sessions.schemas import StartReport, StopReport
from cpo.stations import service as stations
from cpo.stations.schemas import StationRef, StatusReport
from cpo.stations.tables import ChargeStation
from cpo.tokens import service as tokens
from cpo.tokens.enums import TokenType
from cpo.tokens.schemas import TokenSpec
from cpo.tokens.tables import IdToken

BERLIN = ZoneInfo("Europe/Berlin")
CONTRACT_CARD = "04A2B3C4D5E6F7"
AD_HOC_TAG = "ADHOC-MONTH-0001"
ROAMING_TAG = "ROAM-MONTH-0001"


class SettableClock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at


@dataclass
class ChargedMonth:
    month: str
    days: int
    sessions: int = 0
    energy_wh: int = 0
    kinds: dict[PaymentKind, int] = field(default_factory=dict)  # sessions per kind


def next_month(now: datetime) -> str:
    local = now.astimezone(BERLIN)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return f"{year:04d}-{month:02d}"


async def charge_through_a_month(base: Context, month: str) -> ChargedMonth:
    clock = SettableClock()
    ctx = Context(base.settings, base.bus, clock, base.payments, base.mailer)
    row = (
        await ChargeStation.select(ChargeStation.id, ChargeStation.operator)
        .where(ChargeStation.identity == "DEMO-AC-1")
        .first()
    )
    assert row is not None
    station = StationRef(row["id"], row["operator"], "DEMO-AC-1")
    operator = (
        await Operator.select(Operator.party_id).where(Operator.id == row["operator"]).first()
    )
    assert operator is not None
    clock.at = month_span(month, "Europe/Berlin").start - timedelta(hours=1)
    await tokens.create_token(
        ctx, TokenSpec(operator_id=station.operator_id, uid=AD_HOC_TAG, type=TokenType.AD_HOC_USER)
    )
    await tokens.create_token(ctx, TokenSpec(operator_id=station.operator_id, uid=ROAMING_TAG))
    # Until OCPI brings partners' tokens (issue 8): this one was issued by provider "ABC".
    await IdToken.update({IdToken.issuer_country_code: "DE", IdToken.issuer_party_id: "ABC"}).where(
        IdToken.uid == ROAMING_TAG
    )

    await stations.mark_connected(ctx, station, "month-1")
    await _status(ctx, station, "Available", "NoError")
    span = month_span(month, "Europe/Berlin")
    days = round(span.seconds / 86_400)
    charged = ChargedMonth(month=month, days=days)
    cards = (
        (CONTRACT_CARD, PaymentKind.CONTRACT),
        (AD_HOC_TAG, PaymentKind.AD_HOC),
        (ROAMING_TAG, PaymentKind.ROAMING),
    )
    year, number = int(month[:4]), int(month[5:])
    meter = 1_000_000
    for day in range(1, days + 1):

        def local(hour: int, day: int = day) -> datetime:
            return datetime(year, number, day, hour, tzinfo=BERLIN).astimezone(UTC)

        if day == 15:
            clock.at = local(0)
            await stations.mark_disconnected(ctx, station, "month-1")
            clock.at = local(6)
            await stations.mark_connected(ctx, station, "month-1")
        tag, kind = cards[(day - 1) % 3]
        clock.at = local(8)
        started = await sessions.start_transaction(
            ctx,
            station,
            StartReport(connector_id=1, id_tag=tag, meter_start_wh=meter, timestamp=clock.at),
        )
        energy = 5_000 + 100 * day
        meter += energy
        clock.at = local(9)
        await sessions.stop_transaction(
            ctx,
            station,
            StopReport(
                transaction_id=started.transaction_id,
                meter_stop_wh=meter,
                timestamp=clock.at,
                reason="Local",
            ),
        )
        charged.sessions += 1
        charged.energy_wh += energy
        charged.kinds[kind] = charged.kinds.get(kind, 0) + 1
        if day == 10:
            clock.at = local(10)
            await _status(ctx, station, "Faulted", "GroundFailure")
            clock.at = local(14)
            await _status(ctx, station, "Available", "NoError")
    return charged


async def _status(ctx: Context, station: StationRef, status: str, error_code: str) -> None:
    await stations.report_status(
        ctx,
        station,
        StatusReport(
            connector_id=1, status=status, error_code=error_code, timestamp=ctx.clock.now()
        ),
    )

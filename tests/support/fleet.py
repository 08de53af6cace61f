"""A contract customer for billing tests: Müller Logistik GmbH (a company with two drivers
and three cards, contract tariff "fleet": 0.39 EUR/kWh and 0.02 EUR/min, VAT 19 %), a clock
the test moves, and charging at DEMO-AC-1 through the services the OCPP bridge calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cpo.accounts import service as accounts
from cpo.accounts.enums import CustomerKind, Role
from cpo.billing.rules import Period
from cpo.context import Context
from cpo.sessions import service as sessions
from cpo.sessions.schemas import StartReport, StopReport
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation
from cpo.tariffs import service as tariffs
from cpo.tariffs.enums import AssignmentScope, TariffKind
from cpo.tariffs.schemas import ComponentType, PriceComponent, TariffDefinition, TariffElement
from cpo.tokens import service as tokens
from cpo.tokens.enums import TokenType
from cpo.tokens.schemas import TokenSpec
from cpo.tokens.tables import IdToken

NOVEMBER = Period(2026, 11)
CARDS = ("04C0FFEE000001", "04C0FFEE000002", "04C0FFEE000003")
# The fleet's contract: 0.39 EUR per kWh and 0.02 EUR per minute charging, VAT 19 %.
FLEET_TARIFF = TariffDefinition(
    currency="EUR",
    vat_rate_bp=1900,
    elements=(
        TariffElement(
            components=(
                PriceComponent(type=ComponentType.ENERGY, price_micro=390_000),
                PriceComponent(type=ComponentType.TIME, price_micro=20_000),
            )
        ),
    ),
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


@dataclass
class Fleet:
    ctx: Context
    clock: Clock
    customer_id: int
    app_tokens: tuple[str, str]


async def make_fleet(demo: Context) -> Fleet:
    clock = Clock(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    ctx = Context(demo.settings, demo.bus, clock, payments=demo.payments, mailer=demo.mailer)
    tariff = await tariffs.create_tariff(
        ctx, 1, tariffs.TariffInput(name="Fleet", kind=TariffKind.REGULAR, definition=FLEET_TARIFF)
    )
    await tariffs.assign_tariff(
        ctx,
        1,
        tariffs.Assignment(
            scope=AssignmentScope.CUSTOMER_GROUP, target="fleet", tariff_id=tariff.id
        ),
    )
    company = await accounts.create_customer(
        ctx,
        1,
        accounts.CustomerInput(
            kind=CustomerKind.COMPANY,
            name="Müller Logistik GmbH",
            vat_id="DE999999999",
            email="buchhaltung@mueller.example",
            customer_group="fleet",
            street="Hafenstraße 7",
            postal_code="20457",
            city="Hamburg",
            payment_terms_days=30,
        ),
    )
    drivers = []
    for email in ("fahrer1@mueller.example", "fahrer2@mueller.example"):
        drivers.append(
            await accounts.create_user(
                ctx, 1, accounts.UserInput(email=email, role=Role.DRIVER, customer_id=company.id)
            )
        )
    for number, uid in enumerate(CARDS, start=1):
        await tokens.create_token(ctx, TokenSpec(operator_id=1, uid=uid, label=f"Card {number}"))
        await accounts.assign_token(ctx, 1, uid, company.id)
    app = (
        await IdToken.select(IdToken.uid)
        .where((IdToken.customer == company.id) & (IdToken.type == TokenType.APP_USER))
        .order_by(IdToken.id)
    )
    assert len(app) == 2
    return Fleet(ctx, clock, company.id, (app[0]["uid"], app[1]["uid"]))


async def charge(fleet: Fleet, id_tag: str, start: datetime, energy_wh: int, minutes: int) -> int:
    row = await ChargeStation.select().where(ChargeStation.identity == "DEMO-AC-1").first()
    assert row is not None
    ref = StationRef(row["id"], row["operator"], "DEMO-AC-1")
    fleet.clock.moment = start
    started = await sessions.start_transaction(
        fleet.ctx,
        ref,
        StartReport(connector_id=1, id_tag=id_tag, meter_start_wh=1_000_000, timestamp=start),
    )
    stop = start + timedelta(minutes=minutes)
    fleet.clock.moment = stop
    await sessions.stop_transaction(
        fleet.ctx,
        ref,
        StopReport(
            transaction_id=started.transaction_id,
            meter_stop_wh=1_000_000 + energy_wh,
            timestamp=stop,
            id_tag=id_tag,
        ),
    )
    return started.session_id


def expected_line(energy_wh: int, minutes: int) -> tuple[int, int, int]:
    """Net, VAT and gross in cents, worked out by hand from the fleet tariff (prices are
    gross; the tariff rounds once, at the end, half up to the cent)."""
    gross_micro = energy_wh * 390_000 // 1000 + minutes * 20_000
    gross = (gross_micro + 5_000) // 10_000
    net = round(gross * 10_000 / 11_900)
    return net, gross - net, gross


async def a_month_of_charging(fleet: Fleet) -> list[tuple[int, int, int]]:
    """Sessions of both drivers' apps and all three cards through November."""
    usage = [
        (CARDS[0], datetime(2026, 11, 2, 7, 30, tzinfo=UTC), 12_345, 45),
        (fleet.app_tokens[0], datetime(2026, 11, 5, 16, 0, tzinfo=UTC), 30_000, 120),
        (CARDS[1], datetime(2026, 11, 12, 9, 10, tzinfo=UTC), 8_001, 20),
        (fleet.app_tokens[1], datetime(2026, 11, 20, 18, 45, tzinfo=UTC), 41_500, 180),
        (CARDS[2], datetime(2026, 11, 30, 21, 0, tzinfo=UTC), 5_000, 30),  # 22:00 in Berlin
    ]
    for id_tag, start, energy_wh, minutes in usage:
        await charge(fleet, id_tag, start, energy_wh, minutes)
    return [expected_line(energy_wh, minutes) for _, _, energy_wh, minutes in usage]

"""Monthly billing: a company with two drivers and three cards charges through November
(RFID and app starts); the run on December 1st writes one invoice, checked line by line
against the contract tariff; a second run adds nothing; a crash halfway and a re-run give
the same invoices with gap-free numbers; a session that reaches us late lands in December."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from cpo.accounts import service as accounts
from cpo.accounts.enums import CustomerKind, Role
from cpo.billing import rules
from cpo.billing import service as billing
from cpo.billing.enums import RunState
from cpo.billing.rules import Period
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput
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


@pytest.fixture
async def fleet(demo: Context) -> Fleet:
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


async def test_the_month_is_billed_once_line_by_line(fleet: Fleet) -> None:
    expected = await a_month_of_charging(fleet)
    fleet.clock.moment = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)

    done = await billing.run_billing(fleet.ctx, 1, NOVEMBER)
    assert (done.state, done.invoices, len(done.new_invoices)) == (RunState.DONE, 1, 1)
    page = await billing.invoice_page(1, period=NOVEMBER)
    [invoice] = page.invoices
    assert invoice.customer_name == "Müller Logistik GmbH"
    assert invoice.number == "DEM-R-000001"
    assert [
        (line.net_minor, line.vat_minor, line.gross_minor) for line in invoice.lines
    ] == expected
    assert invoice.lines[0].token_label == "Card 1"
    assert invoice.gross_minor == sum(gross for _, _, gross in expected)
    assert invoice.net_minor + invoice.vat_minor == invoice.gross_minor
    assert [(rate.vat_rate_bp, rate.gross_minor) for rate in invoice.vat_breakdown] == [
        (1900, invoice.gross_minor)
    ]
    assert invoice.due_at.date().isoformat() == "2026-12-15"

    again = await billing.run_billing(fleet.ctx, 1, NOVEMBER)
    assert (again.invoices, again.new_invoices) == (1, [])
    assert len((await billing.invoice_page(1)).invoices) == 1


async def test_a_crash_halfway_and_a_rerun_bill_everyone_once(fleet: Fleet, demo: Context) -> None:
    await a_month_of_charging(fleet)
    # A second customer: Anna (a person, demo data) charges with her card too.
    await charge(fleet, "04A2B3C4D5E6F7", datetime(2026, 11, 15, 10, 0, tzinfo=UTC), 10_000, 60)
    fleet.clock.moment = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)

    async def crash(invoice_id: int) -> None:
        raise RuntimeError("the node died")

    with pytest.raises(RuntimeError):
        await billing.run_billing(fleet.ctx, 1, NOVEMBER, after_invoice=crash)
    first = await billing.invoice_page(1)
    assert len(first.invoices) == 1  # committed before the crash

    resumed = await billing.run_billing(fleet.ctx, 1, NOVEMBER)
    assert (resumed.state, resumed.invoices, len(resumed.new_invoices)) == (RunState.DONE, 2, 1)
    invoices = (await billing.invoice_page(1)).invoices
    assert [invoice.sequence for invoice in invoices] == [1, 2]
    assert len({invoice.customer_id for invoice in invoices}) == 2
    billed = [
        session for invoice in invoices for session in await billing.sessions_billed(invoice.id)
    ]
    assert len(billed) == len(set(billed)) == 6


async def test_a_late_session_lands_in_the_next_month(fleet: Fleet) -> None:
    await charge(fleet, CARDS[0], datetime(2026, 11, 10, 8, 0, tzinfo=UTC), 10_000, 60)
    fleet.clock.moment = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    await billing.run_billing(fleet.ctx, 1, NOVEMBER)
    # An offline charger reports a November session on December 3rd.
    late = await charge(fleet, CARDS[1], datetime(2026, 11, 29, 8, 0, tzinfo=UTC), 7_000, 30)
    fleet.clock.moment = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert (await billing.run_billing(fleet.ctx, 1, NOVEMBER)).new_invoices == []

    fleet.clock.moment = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    december = await billing.run_billing(fleet.ctx, 1, Period(2026, 12))
    assert len(december.new_invoices) == 1
    [invoice] = (await billing.invoice_page(1, period=Period(2026, 12))).invoices
    assert await billing.sessions_billed(invoice.id) == [late]


async def test_months_run_once_and_only_when_over(fleet: Fleet) -> None:
    fleet.clock.moment = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    with pytest.raises(InvalidInput):
        await billing.run_billing(fleet.ctx, 1, NOVEMBER)
    fleet.clock.moment = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    other_node = Context(
        fleet.ctx.settings.replace(node_id="node-b"),
        fleet.ctx.bus,
        fleet.clock,
        payments=fleet.ctx.payments,
        mailer=fleet.ctx.mailer,
    )
    await charge(fleet, CARDS[0], datetime(2026, 11, 10, 8, 0, tzinfo=UTC), 10_000, 60)

    async def meanwhile(invoice_id: int) -> None:
        with pytest.raises(Conflict):
            await billing.run_billing(other_node, 1, NOVEMBER)

    fleet.clock.moment = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    await billing.run_billing(fleet.ctx, 1, NOVEMBER, after_invoice=meanwhile)


def test_periods_and_their_edges() -> None:
    assert rules.parse_period("2026-11") == NOVEMBER
    assert rules.parse_period("2026-13") is None
    assert NOVEMBER.ends_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # midnight in Berlin
    assert Period(2026, 12).next == Period(2027, 1)
    assert Period(2027, 1).previous == Period(2026, 12)
    assert rules.month_before(datetime(2026, 12, 1, 5, 0, tzinfo=UTC)) == NOVEMBER
    totals = rules.totals(
        [
            rules.Amounts(1900, 100, 19, 119),
            rules.Amounts(700, 100, 7, 107),
            rules.Amounts(1900, 1, 0, 1),
        ]
    )
    assert (totals.net_minor, totals.vat_minor, totals.gross_minor) == (201, 26, 227)
    assert [rate.vat_rate_bp for rate in totals.by_rate] == [1900, 700]

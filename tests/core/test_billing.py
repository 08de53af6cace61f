"""Monthly billing: a company with two drivers and three cards charges through November
(RFID and app starts); the run on December 1st writes one invoice, checked line by line
against the contract tariff; a second run adds nothing; a crash halfway and a re-run give
the same invoices with gap-free numbers; a session that reaches us late lands in December."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from cpo.billing import rules
from cpo.billing import service as billing
from cpo.billing.enums import RunState
from cpo.billing.rules import Period
from cpo.billing.tasks import mail_pending_invoices
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput
from cpo.ports import MailNotSent, OutgoingMail
from tests.support.accounts import RecordingMailer
from tests.support.fleet import (
    CARDS,
    NOVEMBER,
    Fleet,
    a_month_of_charging,
    charge,
    make_fleet,
)


@pytest.fixture
async def fleet(demo: Context) -> Fleet:
    return await make_fleet(demo)


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
    # The customer's payment terms: 30 days; the address is frozen onto the invoice.
    assert invoice.due_at.date().isoformat() == "2026-12-31"
    assert invoice.customer_address == "Hafenstraße 7\n20457 Hamburg"

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


class SlowMailer(RecordingMailer):
    """Takes a while per mail, so that two rounds overlap; fails while `down`."""

    down = False

    async def send(self, mail: OutgoingMail) -> None:
        await asyncio.sleep(0.05)
        if self.down:
            raise MailNotSent("the mail server is down", retryable=True)
        await super().send(mail)


async def test_an_invoice_whose_mail_never_ran_is_mailed_once_later(fleet: Fleet) -> None:
    await charge(fleet, CARDS[0], datetime(2026, 11, 10, 8, 0, tzinfo=UTC), 10_000, 60)
    fleet.clock.moment = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    mailer = SlowMailer()
    ctx = Context(fleet.ctx.settings, fleet.ctx.bus, fleet.clock, mailer=mailer)
    # The node stopped right after writing the invoice: its mail never ran.
    await billing.run_billing(ctx, 1, NOVEMBER)

    # Straight after the run the writer may still be mailing: the round leaves it.
    assert await mail_pending_invoices(ctx) == 0
    fleet.clock.moment += rules.FIRST_MAIL_GRACE + timedelta(minutes=1)
    mailer.down = True
    assert await mail_pending_invoices(ctx) == 0  # counted as an attempt, kept for later
    mailer.down = False
    # Two nodes' rounds at once: one of them sends it.
    rounds = await asyncio.gather(mail_pending_invoices(ctx), mail_pending_invoices(ctx))
    assert sorted(rounds) == [0, 1]
    assert await mail_pending_invoices(ctx) == 0
    [mail] = mailer.sent
    assert mail.attachments[0].filename == "DEM-R-000001.pdf"
    [invoice] = (await billing.invoice_page(1)).invoices
    assert invoice.mailed


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

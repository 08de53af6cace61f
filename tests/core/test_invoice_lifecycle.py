"""Invoices live on after the run: Müller Logistik's November invoice gets a credit note for
one line with a rebill (set off, since it is unpaid), December's run bills the rebill, the
numbers of invoices and credit notes run on without a gap; a line is credited once; a full
credit note makes the invoice `credited`; paying is idempotent and illegal moves are
refused with stable codes. The balance rules hold for any amounts (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpo.billing import rules, status
from cpo.billing import service as billing
from cpo.billing.credit_notes import CreditNoteRequest, issue_credit_note
from cpo.billing.enums import InvoiceKind, InvoiceStatus, PaymentMethod
from cpo.billing.rules import Change, Period
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.operators.service import OperatorRef
from tests.support.fleet import NOVEMBER, Fleet, a_month_of_charging, make_fleet

ADMIN = OperatorRef(operator_id=1, slug="demo", actor_name="billing tests")


@pytest.fixture
async def fleet(demo: Context) -> Fleet:
    return await make_fleet(demo)


async def billed_november(fleet: Fleet) -> billing.InvoiceView:
    await a_month_of_charging(fleet)
    fleet.clock.moment = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    await billing.run_billing(fleet.ctx, 1, NOVEMBER)
    [invoice] = (await billing.invoice_page(1, period=NOVEMBER)).invoices
    return invoice


async def test_a_credited_line_is_rebilled_next_month_and_numbers_run_on(fleet: Fleet) -> None:
    invoice = await billed_november(fleet)
    second = invoice.lines[1]
    fleet.clock.moment = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)

    note = await issue_credit_note(
        fleet.ctx,
        ADMIN,
        invoice.id,
        CreditNoteRequest(reason="Meter misread at DEMO-AC-1", positions=[2], rebill=True),
    )
    assert (note.kind, note.number, note.sequence) == (
        InvoiceKind.CREDIT_NOTE,
        "DEM-RK-000002",
        invoice.sequence + 1,
    )
    assert (note.corrects_id, note.corrects_number) == (invoice.id, invoice.number)
    assert note.reason == "Meter misread at DEMO-AC-1"
    assert note.customer_address == "Hafenstraße 7\n20457 Hamburg"
    [line] = note.lines
    assert (line.gross_minor, line.energy_wh) == (-second.gross_minor, second.energy_wh)
    assert note.gross_minor == -second.gross_minor
    assert note.net_minor + note.vat_minor == note.gross_minor
    # Unpaid invoice: the credit note is set off against it at once.
    assert (note.status, note.paid_method, note.balance_minor) == (
        InvoiceStatus.PAID,
        PaymentMethod.OFFSET,
        0,
    )
    corrected = await billing.get_invoice(1, invoice.id)
    assert corrected.status is InvoiceStatus.OPEN
    assert corrected.credited_minor == second.gross_minor
    assert corrected.balance_minor == invoice.gross_minor - second.gross_minor
    assert [brief.number for brief in corrected.credit_notes] == [note.number]

    fleet.clock.moment = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    december = await billing.run_billing(fleet.ctx, 1, Period(2026, 12))
    assert december.new_invoices == ["DEM-R-000003"]
    [rebilled] = (
        await billing.invoice_page(1, period=Period(2026, 12), kind=InvoiceKind.INVOICE)
    ).invoices
    [rebill_line] = rebilled.lines
    assert (rebill_line.energy_wh, rebill_line.gross_minor) == (
        second.energy_wh,
        second.gross_minor,
    )
    rebill = await Cdr.select(Cdr.kind).where(Cdr.number == rebill_line.cdr_number).first()
    assert rebill is not None
    assert rebill["kind"] == CdrKind.REBILL
    everything = (await billing.invoice_page(1)).invoices
    assert [document.sequence for document in everything] == [1, 2, 3]


async def test_a_line_is_credited_once_and_a_full_credit_note_credits_the_invoice(
    fleet: Fleet,
) -> None:
    invoice = await billed_november(fleet)
    await issue_credit_note(
        fleet.ctx, ADMIN, invoice.id, CreditNoteRequest(reason="x", positions=[1])
    )
    with pytest.raises(Conflict) as twice:
        await issue_credit_note(
            fleet.ctx, ADMIN, invoice.id, CreditNoteRequest(reason="again", positions=[1, 3])
        )
    assert twice.value.code == "line_already_credited"
    with pytest.raises(InvalidInput) as unknown:
        await issue_credit_note(
            fleet.ctx, ADMIN, invoice.id, CreditNoteRequest(reason="x", positions=[99])
        )
    assert unknown.value.code == "unknown_position"
    # The refused attempts took no number: the rest is credited as DEM-RK-000003.
    rest = await issue_credit_note(fleet.ctx, ADMIN, invoice.id, CreditNoteRequest(reason="all"))
    assert rest.number == "DEM-RK-000003"
    assert len(rest.lines) == len(invoice.lines) - 1
    credited = await billing.get_invoice(1, invoice.id)
    assert (credited.status, credited.credited_minor, credited.balance_minor) == (
        InvoiceStatus.CREDITED,
        invoice.gross_minor,
        0,
    )
    with pytest.raises(Conflict) as nothing_left:
        await issue_credit_note(fleet.ctx, ADMIN, invoice.id, CreditNoteRequest(reason="x"))
    assert nothing_left.value.code == "invoice_credited"
    with pytest.raises(Conflict) as paid:
        await status.mark_paid(
            fleet.ctx, invoice.id, paid_at=fleet.clock.now(), method="bank_transfer", reference="A"
        )
    assert paid.value.code == "invoice_credited"
    with pytest.raises(Conflict) as of_a_note:
        await issue_credit_note(fleet.ctx, ADMIN, rest.id, CreditNoteRequest(reason="x"))
    assert of_a_note.value.code == "not_an_invoice"


async def test_paying_is_idempotent_and_a_paid_invoice_is_owed_back(fleet: Fleet) -> None:
    invoice = await billed_november(fleet)
    failed = await status.mark_payment_failed(
        fleet.ctx, invoice.id, code="card_declined", message="The card was declined."
    )
    assert (failed.status, failed.failure_code) == (InvoiceStatus.FAILED, "card_declined")
    when = datetime(2026, 12, 12, 10, 0, tzinfo=UTC)
    paid = await status.mark_paid(
        fleet.ctx, invoice.id, paid_at=when, method="bank_transfer", reference="SEPA-4711"
    )
    assert (paid.status, paid.paid_at, paid.balance_minor, paid.failure_code) == (
        InvoiceStatus.PAID,
        when,
        0,
        "",
    )
    again = await status.mark_paid(
        fleet.ctx, invoice.id, paid_at=when, method="bank_transfer", reference="SEPA-4711"
    )
    assert again == paid
    with pytest.raises(Conflict) as other:
        await status.mark_paid(
            fleet.ctx, invoice.id, paid_at=when, method="bank_transfer", reference="SEPA-9999"
        )
    assert other.value.code == "invoice_already_paid"
    with pytest.raises(Conflict) as late_failure:
        await status.mark_payment_failed(fleet.ctx, invoice.id, code="x", message="y")
    assert late_failure.value.code == "invoice_already_paid"
    with pytest.raises(NotFound):
        await status.mark_paid(
            fleet.ctx, invoice.id, paid_at=when, method="x", reference="", operator_id=2
        )

    # A credit note against the paid invoice is owed back until it is paid out.
    note = await issue_credit_note(
        fleet.ctx, ADMIN, invoice.id, CreditNoteRequest(reason="Goodwill", positions=[5])
    )
    assert (note.status, note.balance_minor) == (InvoiceStatus.OPEN, note.gross_minor)
    assert (await billing.get_invoice(1, invoice.id)).balance_minor == note.gross_minor
    out = await status.mark_paid(
        fleet.ctx, note.id, paid_at=when, method="bank_transfer", reference="PAYOUT-1"
    )
    assert (out.status, out.balance_minor) == (InvoiceStatus.PAID, 0)
    settled = await billing.get_invoice(1, invoice.id)
    assert (settled.status, settled.balance_minor) == (InvoiceStatus.PAID, 0)
    assert settled.paid_minor == invoice.gross_minor + note.gross_minor


def test_numbers_share_one_sequence_with_their_own_prefix() -> None:
    assert rules.invoice_number("DEM", 6) == "DEM-R-000006"
    assert rules.invoice_number("DEM", 7, InvoiceKind.CREDIT_NOTE) == "DEM-RK-000007"
    assert rules.address_text("Hafenstraße 7", "20457", "Hamburg", "DE") == (
        "Hafenstraße 7\n20457 Hamburg"
    )
    assert rules.address_text("Rue 1", "1000", "Bruxelles", "BE").endswith("\nBE")


STATUSES = st.sampled_from(list(InvoiceStatus))
CHANGES = st.sampled_from(list(Change))
KINDS = st.sampled_from(list(InvoiceKind))


@given(kind=KINDS, current=STATUSES, change=CHANGES)
def test_no_move_leaves_a_paid_or_credited_document_open(
    kind: InvoiceKind, current: InvoiceStatus, change: Change
) -> None:
    moved = rules.next_status(kind, current, change)
    if current is InvoiceStatus.CREDITED:
        assert moved is None  # final
    if current is InvoiceStatus.PAID:
        assert moved in (None, InvoiceStatus.CREDITED)
    if moved is None:
        assert rules.refusal_code(current, change)
    if kind is InvoiceKind.CREDIT_NOTE:
        assert moved is not InvoiceStatus.CREDITED


@given(
    lines=st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=30),
    data=st.data(),
)
def test_crediting_and_paying_add_up_to_a_settled_balance(
    lines: list[int], data: st.DataObject
) -> None:
    """Any lines credited in any order, the rest paid: nothing is left to pay, and the
    invoice is fully credited exactly when every line is."""
    gross = sum(lines)
    credited_lines = data.draw(st.sets(st.integers(0, len(lines) - 1)))
    credited = sum(lines[index] for index in credited_lines)
    assert rules.fully_credited(gross, credited) == (len(credited_lines) == len(lines))
    open_balance = rules.balance(gross, credited, 0)
    assert open_balance == gross - credited >= 0
    assert rules.balance(gross, credited, open_balance) == 0
    # Paid first, then credited: the customer is owed exactly the credited amount.
    assert rules.balance(gross, credited, gross) == -credited

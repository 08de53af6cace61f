"""The monthly billing run and the invoices it writes.

A run for an operator and a month bills every contract charge detail record (one whose
token belongs to a customer) that stopped before the month's end and is on no invoice yet:
one invoice per customer, written with its lines and its number in one transaction. So:

- running it twice bills nothing twice: a done month answers with what it did, and the
  database refuses a second line for a record (`invoice_lines.cdr` is unique);
- a crash halfway leaves whole invoices behind; running again bills the customers that
  are left, with the numbers that follow (no gaps: a rolled-back invoice gives its number
  back);
- a record that arrives after its month was billed (an offline charger) is billed by the
  next month's run, since that run takes every unbilled record that stopped before its end;
- two nodes never run one month at once: the run is a row with a unique key and a lease;
  a run whose node died is taken over when the lease has run out.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Final

import msgspec

from cpo import database
from cpo.accounts.tables import Customer, User
from cpo.billing import events, rules
from cpo.billing.enums import InvoiceEvent, InvoiceKind, InvoiceStatus, RunState
from cpo.billing.rules import Period
from cpo.billing.tables import BillingRun, Invoice, InvoiceLine, InvoiceSequence
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.operators.tables import Operator

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE: Final = 100
MAX_PAGE_SIZE: Final = 1000


class InvoiceLineView(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    cdr_number: str
    started_at: datetime
    stopped_at: datetime
    evse_id: str
    token_label: str
    tariff_name: str
    energy_wh: int
    vat_rate_bp: int
    net_minor: int
    vat_minor: int
    gross_minor: int
    # An invoice's line whose record was cancelled by a credit note (credited once only).
    credited: bool = False


class VatAmounts(msgspec.Struct, frozen=True, kw_only=True):
    vat_rate_bp: int
    net_minor: int
    vat_minor: int
    gross_minor: int


class CreditNoteBrief(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    gross_minor: int
    status: InvoiceStatus
    issued_at: datetime


class InvoiceView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    sequence: int
    kind: InvoiceKind
    period: str
    customer_id: int
    customer_name: str
    customer_vat_id: str
    # As at issue: street, postal code and city, country (one line each).
    customer_address: str
    currency: str
    net_minor: int
    vat_minor: int
    gross_minor: int
    vat_breakdown: list[VatAmounts]
    status: InvoiceStatus
    # Credit notes against this invoice (positive), and the open balance: gross − credited
    # − paid (positive: the customer owes; negative: the operator owes; cpo.billing.rules).
    credited_minor: int
    paid_minor: int
    balance_minor: int
    payment_method: str
    paid_at: datetime | None
    paid_method: str
    paid_reference: str
    # The last failed collection (cleared when paid).
    failure_code: str
    failure_message: str
    issued_at: datetime
    due_at: datetime
    mailed: bool
    # A credit note: the invoice it corrects, and why.
    corrects_id: int | None
    corrects_number: str | None
    reason: str
    # An invoice: the credit notes against it.
    credit_notes: list[CreditNoteBrief]
    lines: list[InvoiceLineView]


class InvoicePage(msgspec.Struct, frozen=True, kw_only=True):
    invoices: list[InvoiceView]
    # Pass as `after` for the next page; None on the last page.
    next_after: int | None


class RunResult(msgspec.Struct, frozen=True, kw_only=True):
    period: str
    state: RunState
    invoices: int  # written by this run in all (also by earlier attempts of it)
    new_invoices: list[str]  # numbers written by this call
    started_at: datetime
    finished_at: datetime | None


# --- the run ------------------------------------------------------------------------------


def period_of(text: str) -> Period:
    period = rules.parse_period(text)
    if period is None:
        raise InvalidInput("period is a month like 2026-11", code="invalid_period")
    return period


async def _claim(ctx: Context, operator_id: int, period: Period) -> tuple[int, bool]:
    """The run's row, and whether this call should bill (False: the month is done)."""
    now = ctx.clock.now()
    key = rules.run_key(operator_id, period)
    async with database.transaction():
        row = await BillingRun.select().where(BillingRun.run_key == key).first()
        if row is None:
            rows = await BillingRun.insert(
                BillingRun(
                    operator=operator_id,
                    period=str(period),
                    run_key=key,
                    node=ctx.settings.node_id,
                    started_at=now,
                    lease_until=now + rules.RUN_LEASE,
                )
            ).returning(BillingRun.id)
            return int(rows[0]["id"]), True
        if row["state"] == RunState.DONE:
            return int(row["id"]), False
        if row["lease_until"] > now and row["node"] != ctx.settings.node_id:
            raise Conflict(
                f"the billing of {period} is running on {row['node']}", code="run_in_progress"
            )
        await BillingRun.update(
            {BillingRun.node: ctx.settings.node_id, BillingRun.lease_until: now + rules.RUN_LEASE}
        ).where(BillingRun.id == row["id"])
        return int(row["id"]), True


def _unbilled(operator_id: int, before: datetime) -> Any:
    billed = InvoiceLine.select(InvoiceLine.cdr)
    return (
        (Cdr.operator == operator_id)
        & (Cdr.stopped_at < before)
        & Cdr.session._.id_token._.customer.is_not_null()
        & Cdr.id.not_in(billed)
    )


async def _customers_to_bill(operator_id: int, before: datetime) -> list[int]:
    rows = await Cdr.select(Cdr.session._.id_token._.customer.as_alias("customer")).where(
        _unbilled(operator_id, before)
    )
    return sorted({int(row["customer"]) for row in rows})


async def next_number(operator_id: int) -> int:
    """The operator's next document number (invoices and credit notes alike): call it in
    the transaction that writes the document, so a rollback gives the number back."""
    await InvoiceSequence.raw(
        "INSERT INTO invoice_sequences (operator, next_number) VALUES ({}, 1) "
        "ON CONFLICT (operator) DO NOTHING",
        operator_id,
    )
    rows = await InvoiceSequence.raw(
        "UPDATE invoice_sequences SET next_number = next_number + 1 WHERE operator = {} "
        "RETURNING next_number - 1 AS number",
        operator_id,
    )
    return int(rows[0]["number"])


async def billing_details(customer_id: int) -> tuple[str, int]:
    """The customer's billing address (as printed) and payment terms, as they are now."""
    row = (
        await Customer.select(
            Customer.street,
            Customer.postal_code,
            Customer.city,
            Customer.country_code,
            Customer.payment_terms_days,
        )
        .where(Customer.id == customer_id)
        .first()
    )
    if row is None:
        return "", rules.DEFAULT_PAYMENT_TERMS_DAYS
    address = rules.address_text(
        row["street"], row["postal_code"], row["city"], row["country_code"]
    )
    return address, int(row["payment_terms_days"])


async def _language_of(customer_id: int) -> str:
    user = (
        await User.select(User.language)
        .where(User.customer == customer_id)
        .order_by(User.id)
        .first()
    )
    return str(user["language"]) if user else "de"


async def _bill_customer(
    ctx: Context, operator: dict[str, Any], customer_id: int, period: Period, run_id: int
) -> int | None:
    """The customer's invoice of every unbilled record before the period's end, or None
    when another run billed them meanwhile."""
    now = ctx.clock.now()
    async with database.transaction():
        cdrs = (
            await Cdr.select(
                Cdr.id,
                Cdr.number,
                Cdr.started_at,
                Cdr.stopped_at,
                Cdr.evse_id,
                Cdr.tariff_name,
                Cdr.energy_wh,
                Cdr.currency,
                Cdr.vat_rate_bp,
                Cdr.net_minor,
                Cdr.vat_minor,
                Cdr.gross_minor,
                Cdr.session._.id_token._.label.as_alias("token_label"),
            )
            .where(
                _unbilled(operator["id"], period.ends_at)
                & (Cdr.session._.id_token._.customer == customer_id)
            )
            .order_by(Cdr.stopped_at)
            .order_by(Cdr.id)
        )
        if not cdrs:
            return None
        currencies = {row["currency"] for row in cdrs}
        if len(currencies) != 1:
            raise Conflict(f"customer {customer_id} has records in {sorted(currencies)}")
        total = rules.totals(
            rules.Amounts(
                row["vat_rate_bp"], row["net_minor"], row["vat_minor"], row["gross_minor"]
            )
            for row in cdrs
        )
        sequence = await next_number(operator["id"])
        address, terms_days = await billing_details(customer_id)
        rows = await Invoice.insert(
            Invoice(
                operator=operator["id"],
                sequence=sequence,
                number=rules.invoice_number(operator["party_id"], sequence),
                customer=customer_id,
                period=str(period),
                billing_run=run_id,
                language=await _language_of(customer_id),
                currency=currencies.pop(),
                net_minor=total.net_minor,
                vat_minor=total.vat_minor,
                gross_minor=total.gross_minor,
                vat_breakdown=msgspec.json.encode(list(total.by_rate)).decode(),
                customer_address=address,
                issued_at=now,
                due_at=end_of_day(rules.due_date(now, terms_days)),
            )
        ).returning(Invoice.id)
        invoice_id = int(rows[0]["id"])
        await InvoiceLine.insert(
            *(
                InvoiceLine(
                    invoice=invoice_id,
                    cdr=row["id"],
                    position=position,
                    cdr_number=row["number"],
                    started_at=row["started_at"],
                    stopped_at=row["stopped_at"],
                    evse_id=row["evse_id"],
                    token_label=row["token_label"] or "",
                    tariff_name=row["tariff_name"],
                    energy_wh=row["energy_wh"],
                    vat_rate_bp=row["vat_rate_bp"],
                    net_minor=row["net_minor"],
                    vat_minor=row["vat_minor"],
                    gross_minor=row["gross_minor"],
                )
                for position, row in enumerate(cdrs, start=1)
            )
        )
        await events.record(ctx, invoice_id, InvoiceEvent.CREATED)
        await BillingRun.update(
            {
                BillingRun.invoices: BillingRun.invoices + 1,
                BillingRun.lease_until: now + rules.RUN_LEASE,
            }
        ).where(BillingRun.id == run_id)
    return invoice_id


def end_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=rules.BILLING_TIME_ZONE)


InvoiceHook = Callable[[int], Awaitable[None]]


async def run_billing(
    ctx: Context, operator_id: int, period: Period, *, after_invoice: InvoiceHook | None = None
) -> RunResult:
    """Bill the month (see the module's docstring). `after_invoice` gets each new invoice's
    id once it is committed (the scheduler mails it from there)."""
    operator = (
        await Operator.select(Operator.id, Operator.party_id)
        .where(Operator.id == operator_id)
        .first()
    )
    if operator is None:
        raise NotFound("no such operator", code="operator_not_found")
    if period.ends_at > ctx.clock.now():
        raise InvalidInput(f"{period} has not ended yet", code="period_not_over")
    run_id, bill = await _claim(ctx, operator_id, period)
    written: list[str] = []
    if bill:
        try:
            for customer_id in await _customers_to_bill(operator_id, period.ends_at):
                invoice_id = await _bill_customer(ctx, operator, customer_id, period, run_id)
                if invoice_id is None:
                    continue
                number = (
                    await Invoice.select(Invoice.number).where(Invoice.id == invoice_id).first()
                )
                assert number is not None
                written.append(str(number["number"]))
                if after_invoice is not None:
                    await after_invoice(invoice_id)
        except BaseException:
            # Let a retry take over at once instead of waiting for the lease.
            async with database.transaction():
                await BillingRun.update({BillingRun.lease_until: ctx.clock.now()}).where(
                    BillingRun.id == run_id
                )
            raise
        async with database.transaction():
            await BillingRun.update(
                {BillingRun.state: RunState.DONE, BillingRun.finished_at: ctx.clock.now()}
            ).where(BillingRun.id == run_id)
    run = await BillingRun.select().where(BillingRun.id == run_id).first()
    assert run is not None
    return RunResult(
        period=run["period"],
        state=run["state"],
        invoices=run["invoices"],
        new_invoices=written,
        started_at=run["started_at"],
        finished_at=run["finished_at"],
    )


# --- reading invoices ---------------------------------------------------------------------


async def cancelled_records(cdr_ids: list[int]) -> set[int]:
    """Those of the records that a credit record cancels (a line can be credited once)."""
    if not cdr_ids:
        return set()
    rows = await Cdr.select(Cdr.corrects).where(
        (Cdr.kind == CdrKind.CREDIT) & Cdr.corrects.is_in(cdr_ids)
    )
    return {int(row["corrects"]) for row in rows}


async def _lines(invoice_id: int) -> list[InvoiceLineView]:
    rows = (
        await InvoiceLine.select()
        .where(InvoiceLine.invoice == invoice_id)
        .order_by(InvoiceLine.position)
    )
    cancelled = await cancelled_records([row["cdr"] for row in rows])
    fields = set(InvoiceLineView.__struct_fields__) - {"credited"}
    return [
        InvoiceLineView(**{name: row[name] for name in fields}, credited=row["cdr"] in cancelled)
        for row in rows
    ]


async def _view(row: dict[str, Any]) -> InvoiceView:
    breakdown = database.from_json_column(row["vat_breakdown"], list[VatAmounts])
    return InvoiceView(
        id=row["id"],
        number=row["number"],
        sequence=row["sequence"],
        kind=InvoiceKind(row["kind"]),
        period=row["period"],
        customer_id=row["customer"],
        customer_name=row["customer.name"],
        customer_vat_id=row["customer.vat_id"],
        customer_address=row["customer_address"],
        currency=row["currency"],
        net_minor=row["net_minor"],
        vat_minor=row["vat_minor"],
        gross_minor=row["gross_minor"],
        vat_breakdown=breakdown,
        status=InvoiceStatus(row["status"]),
        credited_minor=row["credited_minor"],
        paid_minor=row["paid_minor"],
        balance_minor=rules.balance(row["gross_minor"], row["credited_minor"], row["paid_minor"]),
        payment_method=row["payment_method"],
        paid_at=row["paid_at"],
        paid_method=row["paid_method"],
        paid_reference=row["paid_reference"],
        failure_code=row["failure_code"],
        failure_message=row["failure_message"],
        issued_at=row["issued_at"],
        due_at=row["due_at"],
        mailed=row["mailed_at"] is not None,
        corrects_id=row["corrects"],
        corrects_number=row["corrects.number"],
        reason=row["reason"],
        credit_notes=await _credit_notes(row["id"]) if row["kind"] == InvoiceKind.INVOICE else [],
        lines=await _lines(row["id"]),
    )


async def _credit_notes(invoice_id: int) -> list[CreditNoteBrief]:
    rows = (
        await Invoice.select(
            Invoice.id, Invoice.number, Invoice.gross_minor, Invoice.status, Invoice.issued_at
        )
        .where(Invoice.corrects == invoice_id)
        .order_by(Invoice.sequence)
    )
    return [CreditNoteBrief(**(row | {"status": InvoiceStatus(row["status"])})) for row in rows]


def _columns() -> list[Any]:
    return [
        *Invoice.all_columns(),
        Invoice.customer.name,
        Invoice.customer.vat_id,
        Invoice.corrects.number,
    ]


async def get_invoice(operator_id: int, invoice_id: int) -> InvoiceView:
    row = (
        await Invoice.select(*_columns())
        .where((Invoice.id == invoice_id) & (Invoice.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound("no such invoice", code="invoice_not_found")
    return await _view(row)


async def invoice_page(
    operator_id: int,
    *,
    period: Period | None = None,
    status: InvoiceStatus | None = None,
    kind: InvoiceKind | None = None,
    after: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> InvoicePage:
    """Invoices and credit notes in the order of their numbers; `after` (a sequence number)
    continues a walk. Numbers are taken in the writing transaction, so a walk never misses
    a later document."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    condition: Any = Invoice.operator == operator_id
    if period is not None:
        condition &= Invoice.period == str(period)
    if status is not None:
        condition &= Invoice.status == status
    if kind is not None:
        condition &= Invoice.kind == kind
    if after is not None:
        condition &= Invoice.sequence > after
    rows = (
        await Invoice.select(*_columns())
        .where(condition)
        .order_by(Invoice.sequence)
        .limit(limit + 1)
    )
    invoices = [await _view(row) for row in rows[:limit]]
    return InvoicePage(
        invoices=invoices, next_after=invoices[-1].sequence if len(rows) > limit else None
    )


async def customer_email(customer_id: int) -> str:
    row = await Customer.select(Customer.email).where(Customer.id == customer_id).first()
    return str(row["email"]) if row else ""


async def sessions_billed(invoice_id: int) -> list[int]:
    """The charging sessions on an invoice (for tests and support lookups)."""
    rows = await InvoiceLine.select(InvoiceLine.cdr._.session.as_alias("session")).where(
        InvoiceLine.invoice == invoice_id
    )
    return [int(row["session"]) for row in rows]

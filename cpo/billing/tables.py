from piccolo.columns import (
    JSON,
    BigInt,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from cpo.accounts.tables import Customer
from cpo.billing.enums import InvoiceStatus, RunState
from cpo.cdrs.tables import Cdr
from cpo.operators.tables import Operator


class InvoiceSequence(Table, tablename="invoice_sequences"):
    """The next invoice number of each operator, taken inside the transaction that writes
    the invoice: numbers have no gaps (German invoice rules ask for that)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, unique=True)
    next_number = BigInt(default=1)


class BillingRun(Table, tablename="billing_runs"):
    """One operator's billing of one month. `run_key` (operator:period) is unique, so two
    nodes never run the same month at once; a run whose lease ran out is taken over."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    period = Varchar(length=7)  # YYYY-MM
    run_key = Varchar(length=40, unique=True)
    state = Varchar(length=8, choices=RunState, default=RunState.RUNNING)
    node = Varchar(length=100, default="")
    started_at = Timestamptz()
    lease_until = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    invoices = Integer(default=0)


class Invoice(Table, tablename="invoices"):
    """A customer's invoice for a month: never changed in its amounts (a correction is a
    credit note, i.e. an invoice with negative lines); only status and mailing move."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    sequence = BigInt()
    number = Varchar(length=32)
    customer = ForeignKey(references=Customer, on_delete=OnDelete.restrict, index=True)
    period = Varchar(length=7, index=True)
    billing_run = ForeignKey(references=BillingRun, on_delete=OnDelete.restrict, null=True)
    language = Varchar(length=5, default="de")
    currency = Varchar(length=3)
    net_minor = BigInt()
    vat_minor = BigInt()
    gross_minor = BigInt()
    # [{"vat_rate_bp", "net_minor", "vat_minor", "gross_minor"}] by rate.
    vat_breakdown = JSON(default="[]")
    status = Varchar(length=10, choices=InvoiceStatus, default=InvoiceStatus.OPEN, index=True)
    payment_method = Varchar(length=20, default="bank_transfer")
    issued_at = Timestamptz()
    due_at = Timestamptz()
    mailed_at = Timestamptz(null=True, default=None)
    mail_attempts = Integer(default=0)


class InvoiceLine(Table, tablename="invoice_lines"):
    """One charge detail record on an invoice. `cdr` is unique: the database itself refuses
    to bill a record twice, whatever a run, a retry or a second node does."""

    id = Serial(primary_key=True)
    invoice = ForeignKey(references=Invoice, on_delete=OnDelete.restrict, index=True)
    cdr = ForeignKey(references=Cdr, on_delete=OnDelete.restrict, unique=True)
    position = Integer()
    cdr_number = Varchar(length=32)
    started_at = Timestamptz()
    stopped_at = Timestamptz()
    evse_id = Varchar(length=48, default="")
    token_label = Varchar(length=100, default="")
    tariff_name = Varchar(length=100, default="")
    energy_wh = BigInt()
    vat_rate_bp = Integer()
    net_minor = BigInt()
    vat_minor = BigInt()
    gross_minor = BigInt()

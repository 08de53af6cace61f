from piccolo.columns import (
    JSON,
    BigInt,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from cpo.accounts.tables import Customer
from cpo.billing.enums import (
    InvoiceEvent,
    InvoiceKind,
    InvoiceStatus,
    RunState,
)
from cpo.cdrs.tables import Cdr
from cpo.notifications.enums import DeliveryState
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
    """A customer's invoice for a month, or a credit note that corrects one (kind
    `credit_note`: negative lines, `corrects` the invoice). Never changed in its amounts;
    only the status, what was credited and paid, and the mailing move
    (cpo.billing.status)."""

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
    kind = Varchar(length=12, choices=InvoiceKind, default=InvoiceKind.INVOICE, index=True)
    corrects: ForeignKey["Invoice"] = ForeignKey(
        references="self", on_delete=OnDelete.restrict, null=True, default=None
    )
    reason = Text(default="")  # why a credit note was written
    # The customer's billing address as it was at issue (one line each), printed on the PDF.
    customer_address = Text(default="")
    # Gross of the credit notes against this invoice (positive); an invoice's open balance
    # is gross − credited − paid (cpo.billing.rules.balance).
    credited_minor = BigInt(default=0)
    # Money received net of money paid back; on a credit note, what was paid out or set off
    # (negative, like its amounts).
    paid_minor = BigInt(default=0)
    paid_at = Timestamptz(null=True, default=None)
    paid_method = Varchar(length=20, default="")
    paid_reference = Varchar(length=100, default="")
    # The last failed collection, shown until the invoice is paid.
    failure_code = Varchar(length=64, default="")
    failure_message = Varchar(length=500, default="")


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


class InvoiceEventDelivery(Table, tablename="invoice_event_deliveries"):
    """An invoice event for the operator's billing webhook: written in the transaction of
    the change it tells of (an outbox), sent and retried by the notification sweeper
    (cpo.notifications.delivery) like the network notifications."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    invoice = ForeignKey(references=Invoice, on_delete=OnDelete.restrict, index=True)
    event = Varchar(length=32, choices=InvoiceEvent)
    target = Varchar(length=500)
    payload = Text()  # the webhook body, exactly as signed and sent
    state = Varchar(length=8, choices=DeliveryState, default=DeliveryState.PENDING, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    last_error = Varchar(length=500, default="")
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

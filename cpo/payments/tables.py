from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
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

from cpo.accounts.tables import Customer, User
from cpo.cdrs.tables import Cdr
from cpo.operators.tables import Operator
from cpo.payments.enums import AdHocState, MethodChargeState, PaymentState, SavedMethodState
from cpo.payments.schemas import MethodKind, ProviderName
from cpo.sessions.tables import ChargingSession
from cpo.stations.tables import Evse
from cpo.tokens.tables import IdToken


class PaymentAccount(Table, tablename="payment_accounts"):
    """An operator's merchant account at a provider (white label: each operator is paid
    directly). Secrets are stored encrypted with the platform's secret key."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    provider = Varchar(length=16, choices=ProviderName)
    label = Varchar(length=100, default="")
    # What the web app may see: Stripe's publishable key, PayPal's client id.
    public_config = JSON(default="{}")
    secret_config = Text()  # encrypted JSON: secret key, webhook secret, ...
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AdHocSession(Table, tablename="ad_hoc_sessions"):
    """A driver paying at the charger: from choosing a payment method to the receipt."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    evse = ForeignKey(references=Evse, on_delete=OnDelete.restrict)
    state = Varchar(length=20, choices=AdHocState, default=AdHocState.AWAITING_PAYMENT, index=True)
    failure_reason = Varchar(length=32, default="")
    # The one-time token the charger is started with.
    id_token = ForeignKey(references=IdToken, on_delete=OnDelete.restrict)
    charging_session = ForeignKey(
        references=ChargingSession, on_delete=OnDelete.set_null, null=True, default=None
    )
    cdr = ForeignKey(references=Cdr, on_delete=OnDelete.set_null, null=True, default=None)
    hold_minor = BigInt()
    currency = Varchar(length=3)
    language = Varchar(length=5, default="en")
    email = Varchar(length=254, default="")
    # The device's idempotency key: a second tap returns this session instead of a new hold.
    client_key = Varchar(length=64, default="")
    client_ip_hash = Varchar(length=64, default="", index=True)
    stop_requested = Boolean(default=False)
    stop_reason = Varchar(length=32, default="")
    start_deadline = Timestamptz(null=True, default=None)
    # The receipt e-mail, when the driver gave an address: sent once, retried until then.
    receipt_mailed_at = Timestamptz(null=True, default=None)
    mail_attempts = Integer(default=0)
    mail_retry_at = Timestamptz(null=True, default=None)
    mail_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class Payment(Table, tablename="payments"):
    """The hold of an ad hoc session and what became of it."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    ad_hoc_session = ForeignKey(references=AdHocSession, on_delete=OnDelete.restrict, unique=True)
    account = ForeignKey(references=PaymentAccount, on_delete=OnDelete.restrict)
    provider = Varchar(length=16, choices=ProviderName)
    provider_ref = Varchar(length=100, default="", index=True)
    authorization_ref = Varchar(length=100, default="")
    client_secret = Text(default="")  # Stripe's, for the driver's device; useless server-side
    redirect_url = Text(default="")
    state = Varchar(length=20, choices=PaymentState, default=PaymentState.CREATING, index=True)
    currency = Varchar(length=3)
    amount_held_minor = BigInt()
    amount_due_minor = BigInt(null=True, default=None)  # set when the session ends
    amount_captured_minor = BigInt(default=0)
    amount_refunded_minor = BigInt(default=0)
    capture_ref = Varchar(length=100, default="")
    method_kind = Varchar(length=20, default="")
    method_brand = Varchar(length=20, default="")
    method_last4 = Varchar(length=4, default="")
    payer_email = Varchar(length=254, default="")
    failure_code = Varchar(length=64, default="")
    failure_message = Text(default="")
    # Captures and cancels that failed are retried by the payment sweeper.
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PaymentEvent(Table, tablename="payment_events"):
    """The webhook inbox: every verified provider event once (unique per provider and id)."""

    id = Serial(primary_key=True)
    provider = Varchar(length=16, choices=ProviderName)
    event_id = Varchar(length=100)
    account = ForeignKey(references=PaymentAccount, on_delete=OnDelete.cascade)
    kind = Varchar(length=20)
    provider_ref = Varchar(length=100, default="")
    payload = JSON(default="{}")
    received_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)


class ProviderCustomer(Table, tablename="payment_customers"):
    """A contract customer as the customer of one merchant account (Stripe's Customer):
    methods on file belong to it there. One per customer and account (a unique index)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    customer = ForeignKey(references=Customer, on_delete=OnDelete.restrict, index=True)
    account = ForeignKey(references=PaymentAccount, on_delete=OnDelete.restrict)
    provider_ref = Varchar(length=100, default="")  # "" until the provider answered
    created_at = Timestamptz(default=TimestamptzNow())
    # Touched by every change of the customer's methods: the row lock serialises them.
    updated_at = Timestamptz(default=TimestamptzNow())


class SavedPaymentMethod(Table, tablename="saved_payment_methods"):
    """A card or bank account (SEPA Direct Debit) a contract customer keeps on file, from
    the setup the customer started (pending) to on file (active) — at most one active per
    customer (a unique index) — or not saved (failed), or removed or replaced (removed)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    customer = ForeignKey(references=Customer, on_delete=OnDelete.restrict, index=True)
    account = ForeignKey(references=PaymentAccount, on_delete=OnDelete.restrict)
    provider_customer = ForeignKey(references=ProviderCustomer, on_delete=OnDelete.restrict)
    state = Varchar(
        length=12, choices=SavedMethodState, default=SavedMethodState.PENDING, index=True
    )
    kind = Varchar(length=12, choices=MethodKind)
    # The browser's key for starting it: a repeated request resumes the same setup.
    client_key = Varchar(length=64, default="")
    setup_ref = Varchar(length=100, default="", index=True)  # SetupIntent id
    client_secret = Text(default="")  # for the browser's Payment Element
    redirect_url = Text(default="")  # the local fake's setup page
    method_ref = Varchar(length=100, default="")  # the provider's PaymentMethod id
    brand = Varchar(length=20, default="")
    last4 = Varchar(length=4, default="")
    exp_month = Integer(null=True, default=None)
    exp_year = Integer(null=True, default=None)
    bank_code = Varchar(length=20, default="")
    country = Varchar(length=2, default="")
    mandate_ref = Varchar(length=100, default="")
    mandate_reference = Varchar(length=64, default="")
    # SEPA: how the customer accepted the mandate in our app, before entering the IBAN.
    mandate_ip = Varchar(length=100, default="")
    mandate_user_agent = Text(default="")
    mandate_accepted_at = Timestamptz(null=True, default=None)
    failure_code = Varchar(length=64, default="")
    failure_message = Text(default="")
    added_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    activated_at = Timestamptz(null=True, default=None)  # on file since
    removed_at = Timestamptz(null=True, default=None)
    # A lost webhook: the sweeper asks the provider about a pending setup now and then.
    next_check_at = Timestamptz(null=True, default=None, index=True)
    # Removed or replaced: detached at the provider after the commit, retried until done.
    detached_at = Timestamptz(null=True, default=None)
    detach_attempts = Integer(default=0)
    next_detach_at = Timestamptz(null=True, default=None, index=True)
    last_error = Text(default="")


class MethodCharge(Table, tablename="method_charges"):
    """A charge of a customer's method on file without the customer (an invoice, later),
    once per the caller's idempotency key (a unique index)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    customer = ForeignKey(references=Customer, on_delete=OnDelete.restrict, index=True)
    method = ForeignKey(references=SavedPaymentMethod, on_delete=OnDelete.restrict)
    account = ForeignKey(references=PaymentAccount, on_delete=OnDelete.restrict)
    reference = Varchar(length=100)  # the caller's, e.g. "invoice:42"
    idempotency_key = Varchar(length=100)
    description = Varchar(length=200, default="")
    amount_minor = BigInt()
    currency = Varchar(length=3)
    state = Varchar(
        length=16, choices=MethodChargeState, default=MethodChargeState.PENDING, index=True
    )
    provider_ref = Varchar(length=100, default="", index=True)  # PaymentIntent id
    failure_code = Varchar(length=64, default="")
    failure_message = Text(default="")
    # Calls that got no answer are repeated (same key); bank debits are asked about now
    # and then until they settle, in case a webhook is lost.
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    settled_at = Timestamptz(null=True, default=None)

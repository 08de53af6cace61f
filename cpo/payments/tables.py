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

from cpo.cdrs.tables import Cdr
from cpo.operators.tables import Operator
from cpo.payments.enums import AdHocState, PaymentState
from cpo.payments.schemas import ProviderName
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

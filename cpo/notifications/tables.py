from piccolo.columns import (
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

from cpo.notifications.enums import Channel, DeliveryState, NetworkEvent
from cpo.operators.tables import Operator
from cpo.stations.tables import ChargeStation


class NotificationSettings(Table, tablename="notification_settings"):
    """Whom an operator wants told when a station goes offline or faults."""

    id = Serial(primary_key=True)

    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, unique=True)
    notify_offline = Boolean(default=True)
    notify_fault = Boolean(default=True)
    # A station that is back within this time was only blinking: nobody is told.
    offline_grace_s = Integer(default=120)
    # E-mail addresses, one per line, and the language the mails are written in.
    email_recipients = Text(default="")
    language = Varchar(length=5, default="de")
    webhook_url = Varchar(length=500, default="")
    # Where invoice events go (cpo.billing.events), signed with the same secret.
    billing_webhook_url = Varchar(length=500, default="")
    # The HMAC key of the webhook signature, sealed with the platform's secret key.
    webhook_secret_sealed = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class NotificationDelivery(Table, tablename="notification_deliveries"):
    """One message to one recipient (an address or the webhook), sent and retried by the
    notification sweeper; written in the transaction of the event it tells of."""

    id = Serial(primary_key=True)

    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade)
    event = Varchar(length=16, choices=NetworkEvent)
    channel = Varchar(length=8, choices=Channel)
    target = Varchar(length=500)
    # The event as JSON: the webhook body, and what the e-mail is written from.
    payload = Text()
    state = Varchar(length=8, choices=DeliveryState, default=DeliveryState.PENDING, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    last_error = Varchar(length=500, default="")
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

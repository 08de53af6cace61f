from piccolo.columns import (
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from cpo.operators.tables import Operator
from cpo.sessions.tables import ChargingSession
from cpo.stations.tables import ChargeStation, Evse
from cpo.support.enums import Author, ProblemKind, TicketStatus


class SupportTicket(Table, tablename="support_tickets"):
    """A problem a driver reported at a charge point (anonymously or with a contact)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade, index=True)
    evse = ForeignKey(references=Evse, on_delete=OnDelete.set_null, null=True)
    # The driver's session at this charge point, when the device knew it.
    charging_session = ForeignKey(
        references=ChargingSession, on_delete=OnDelete.set_null, null=True
    )
    kind = Varchar(length=16, choices=ProblemKind)
    description = Text(default="")
    contact_email = Varchar(length=254, default="")
    contact_phone = Varchar(length=40, default="")
    language = Varchar(length=5, default="en")
    status = Varchar(length=12, choices=TicketStatus, default=TicketStatus.OPEN, index=True)
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)
    # Keyed hash of the reporter's address: for the rate limit, never shown.
    client_ip_hash = Varchar(length=32, index=True)


class TicketPhoto(Table, tablename="support_ticket_photos"):
    id = Serial(primary_key=True)
    ticket = ForeignKey(references=SupportTicket, on_delete=OnDelete.cascade, index=True)
    media_type = Varchar(length=32)
    data = Bytea()
    size = Integer()
    created_at = Timestamptz()


class TicketMessage(Table, tablename="support_ticket_messages"):
    """The ticket's conversation: staff replies (mailed to the driver when an address was
    given) and what the platform did."""

    id = Serial(primary_key=True)
    ticket = ForeignKey(references=SupportTicket, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz()
    author = Varchar(length=8, choices=Author)
    author_name = Varchar(length=254, default="")
    body = Text()
    # When the reply went out by mail (None: not yet, or no address to send it to).
    mailed_at = Timestamptz(null=True, default=None)
    mail_attempts = Integer(default=0)

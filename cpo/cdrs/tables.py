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

from cpo.cdrs.enums import CdrKind
from cpo.operators.tables import Operator
from cpo.sessions.tables import ChargingSession


class CdrSequence(Table, tablename="cdr_sequences"):
    """The next CDR number of each operator; taken inside the transaction that writes the
    CDR, so numbers have no gaps (a rolled-back CDR rolls its number back too)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, unique=True)
    next_number = BigInt(default=1)


class Cdr(Table, tablename="cdrs"):
    """A charge detail record. Never updated (the database refuses it): corrections are a
    credit record that cancels it and a rebill record that replaces it."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    sequence = BigInt()
    number = Varchar(length=32)
    kind = Varchar(length=8, choices=CdrKind, default=CdrKind.SESSION)
    corrects: ForeignKey["Cdr"] = ForeignKey(
        references="self", on_delete=OnDelete.restrict, null=True, default=None
    )
    session = ForeignKey(references=ChargingSession, on_delete=OnDelete.restrict, index=True)
    # Whoever holds this link may see the receipt; 256 bits of randomness.
    receipt_token = Varchar(length=64, unique=True)
    # Who
    id_tag = Varchar(length=36, default="")
    token_type = Varchar(length=16, default="")
    contract_id = Varchar(length=36, default="")
    issuer_country_code = Varchar(length=2, default="")
    issuer_party_id = Varchar(length=3, default="")
    # The token's cost centre when the record was issued: a session stays booked where it
    # was charged, whatever the card's cost centre becomes later.
    cost_centre = Varchar(length=64, default="")
    # Where
    station_identity = Varchar(length=48)
    evse_id = Varchar(length=48, default="")
    site_name = Varchar(length=200, default="")
    address = Varchar(length=400, default="")
    time_zone = Varchar(length=64, default="Europe/Berlin")
    # When
    started_at = Timestamptz()
    stopped_at = Timestamptz()
    # What
    meter_start_wh = BigInt(null=True, default=None)
    meter_stop_wh = BigInt(null=True, default=None)
    energy_wh = BigInt()
    duration_s = Integer()
    charging_s = Integer()
    parking_s = Integer()
    currency = Varchar(length=3)
    vat_rate_bp = Integer()
    amounts_include_vat = Boolean()
    lines = JSON()
    net_minor = BigInt()
    vat_minor = BigInt()
    gross_minor = BigInt()
    tariff_version = Integer(null=True, default=None)
    tariff_name = Varchar(length=100, default="")
    tariff_snapshot = JSON(null=True, default=None)
    payment_reference = Varchar(length=100, default="")
    # Signed meter values (e.g. OCMF) exactly as the charger sent them, for transparency
    # software; JSON list of {"measured_at", "context", "value"}.
    signed_data = JSON(default="[]")
    reason = Text(default="")  # why a credit or rebill was made
    created_at = Timestamptz(default=TimestamptzNow())
